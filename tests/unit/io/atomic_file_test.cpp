#include "io/atomic_file.h"

#include <doctest/doctest.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "errors.h"

namespace fs = std::filesystem;

namespace {

// A fresh, empty directory per test, removed afterwards.
struct TempDir {
  fs::path path;
  TempDir() {
    path = fs::temp_directory_path() / ("rd_atomic_" + std::to_string(::getpid()) + "_" + std::to_string(counter()++));
    fs::remove_all(path);
    fs::create_directories(path);
  }
  ~TempDir() { fs::remove_all(path); }
  static int& counter() {
    static int n = 0;
    return n;
  }
  int entries() const {
    return static_cast<int>(std::distance(fs::directory_iterator(path), fs::directory_iterator()));
  }
};

std::string read_all(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

void write_text(const fs::path& p, const std::string& text) { std::ofstream(p, std::ios::binary) << text; }

// Lowers the file size limit, and ignores the SIGXFSZ that would otherwise kill the process,
// until destroyed, even when the test body throws.
struct FileSizeLimit {
  rlimit saved{};
  void (*saved_handler)(int);
  explicit FileSizeLimit(rlim_t bytes) {
    REQUIRE(::getrlimit(RLIMIT_FSIZE, &saved) == 0);
    saved_handler = std::signal(SIGXFSZ, SIG_IGN);
    rlimit small = saved;
    small.rlim_cur = bytes;
    REQUIRE(::setrlimit(RLIMIT_FSIZE, &small) == 0);
  }
  ~FileSizeLimit() {
    ::setrlimit(RLIMIT_FSIZE, &saved);
    std::signal(SIGXFSZ, saved_handler);
  }
};

// Changes the working directory until destroyed.
struct WorkingDirectory {
  fs::path saved = fs::current_path();
  explicit WorkingDirectory(const fs::path& to) { fs::current_path(to); }
  ~WorkingDirectory() { fs::current_path(saved); }
};

}  // namespace

TEST_CASE("write_file_atomically_creates_the_file_with_what_the_writer_wrote") {
  TempDir dir;
  auto target = (dir.path / "out.txt").string();
  rd::write_file_atomically(target, [](std::ostream& out) { out << "hello\n"; });
  CHECK(read_all(target) == "hello\n");
  CHECK(dir.entries() == 1);
}

TEST_CASE("write_file_atomically_replaces_an_existing_file_and_keeps_its_permissions") {
  TempDir dir;
  auto target = dir.path / "out.txt";
  write_text(target, "old content that is longer");
  fs::permissions(target, fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read);
  rd::write_file_atomically(target.string(), [](std::ostream& out) { out << "new"; });
  CHECK(read_all(target) == "new");
  CHECK(fs::status(target).permissions() == (fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read));
  CHECK(dir.entries() == 1);
}

TEST_CASE("write_file_atomically_writes_large_content_through_its_buffer") {
  TempDir dir;
  auto target = (dir.path / "big.bin").string();
  std::string big(3 * 65536 + 17, 'x');
  for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>(i * 7);
  rd::write_file_atomically(
      target, [&](std::ostream& out) { out.write(big.data(), static_cast<std::streamsize>(big.size())); });
  CHECK(read_all(target) == big);
}

TEST_CASE("a_throwing_writer_leaves_the_old_file_untouched_and_no_temporary_file") {
  TempDir dir;
  auto target = dir.path / "model.rdm";
  write_text(target, "old");
  CHECK_THROWS_WITH_AS(rd::write_file_atomically(target.string(),
                                                 [](std::ostream& out) {
                                                   out << std::string(100000, 'n');
                                                   throw std::logic_error("writer gave up");
                                                 }),
                       "writer gave up", std::logic_error);
  CHECK(read_all(target) == "old");
  CHECK(dir.entries() == 1);
}

TEST_CASE("a_writer_that_fails_its_stream_is_reported_and_leaves_the_old_file") {
  TempDir dir;
  auto target = dir.path / "out.txt";
  write_text(target, "old");
  CHECK_THROWS_AS(
      rd::write_file_atomically(target.string(), [](std::ostream& out) { out.setstate(std::ios::failbit); }),
      rd::RuntimeFailure);
  CHECK(read_all(target) == "old");
  CHECK(dir.entries() == 1);
}

TEST_CASE("a_full_disk_throws_runtime_failure_naming_the_path_and_the_cause") {
  TempDir dir;
  auto target = dir.path / "out.npy";
  write_text(target, "old");
  std::string message;
  {
    // RLIMIT_FSIZE makes write() fail with EFBIG the way a full disk fails with ENOSPC.
    FileSizeLimit limit(1000);
    try {
      rd::write_file_atomically(target.string(), [](std::ostream& out) { out << std::string(200000, 'z'); });
    } catch (const rd::RuntimeFailure& e) {
      message = e.what();
    }
  }
  CHECK(message == "cannot write '" + target.string() + "': File too large");
  CHECK(read_all(target) == "old");
  CHECK(dir.entries() == 1);
}

TEST_CASE("a_missing_directory_throws_runtime_failure_naming_the_path") {
  TempDir dir;
  auto target = (dir.path / "no" / "such" / "out.txt").string();
  CHECK_THROWS_WITH_AS(
      rd::write_file_atomically(target, [](std::ostream& out) { out << "x"; }),
      ("cannot write '" + target + "': cannot create temporary file: No such file or directory").c_str(),
      rd::RuntimeFailure);
}

TEST_CASE("a_relative_path_in_the_working_directory_is_written") {
  TempDir dir;
  {
    WorkingDirectory in(dir.path);
    rd::write_file_atomically("plain.txt", [](std::ostream& out) { out << "ok"; });
  }
  CHECK(read_all(dir.path / "plain.txt") == "ok");
}

TEST_CASE("a_device_is_written_through_and_never_replaced") {
  // Renaming a temporary file over /dev/null would turn it into a regular file for the whole
  // machine (it happened: `-o /dev/null` as root).
  rd::write_file_atomically("/dev/null", [](std::ostream& out) { out << "discarded"; });
  struct stat st {};
  REQUIRE(::stat("/dev/null", &st) == 0);
  CHECK(S_ISCHR(st.st_mode));
  CHECK_THROWS_AS(rd::write_file_atomically("/dev/full", [](std::ostream& out) { out << std::string(100000, 'x'); }),
                  rd::RuntimeFailure);
}

TEST_CASE("a_symlink_keeps_pointing_to_the_replaced_file") {
  TempDir dir;
  write_text(dir.path / "real.rdm", "old");
  fs::create_symlink("real.rdm", dir.path / "link.rdm");
  rd::write_file_atomically((dir.path / "link.rdm").string(), [](std::ostream& out) { out << "new"; });
  CHECK(fs::is_symlink(dir.path / "link.rdm"));
  CHECK(read_all(dir.path / "real.rdm") == "new");
  CHECK(dir.entries() == 2);
}

TEST_CASE("a_directory_is_refused") {
  TempDir dir;
  CHECK_THROWS_WITH_AS(rd::write_file_atomically(dir.path.string(), [](std::ostream& out) { out << "x"; }),
                       ("cannot write '" + dir.path.string() + "': Is a directory").c_str(), rd::RuntimeFailure);
}
