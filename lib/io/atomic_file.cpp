#include "io/atomic_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <random>
#include <streambuf>

#include "errors.h"

namespace rd {
namespace detail {
namespace {

// A stream buffer over a POSIX descriptor. std::ofstream hides both the descriptor (needed for
// fsync) and errno (needed to tell the user "No space left on device"), so we keep our own.
class FdStreamBuf : public std::streambuf {
 public:
  explicit FdStreamBuf(int fd) : fd_(fd) { setp(buffer_, buffer_ + sizeof buffer_); }
  ~FdStreamBuf() override = default;

  // The first errno that made a write fail; 0 while all is well.
  int error() const { return error_; }

 protected:
  int_type overflow(int_type ch) override {
    if (!drain()) return traits_type::eof();
    if (!traits_type::eq_int_type(ch, traits_type::eof())) {
      *pptr() = traits_type::to_char_type(ch);
      pbump(1);
    }
    return traits_type::not_eof(ch);
  }
  int sync() override { return drain() ? 0 : -1; }

 private:
  bool drain() {
    const char* p = pbase();
    while (p < pptr()) {
      ssize_t n = ::write(fd_, p, static_cast<size_t>(pptr() - p));
      if (n < 0) {
        if (errno == EINTR) continue;
        if (error_ == 0) error_ = errno;
        return false;
      }
      p += n;
    }
    setp(buffer_, buffer_ + sizeof buffer_);
    return true;
  }

  int fd_;
  int error_ = 0;
  char buffer_[1 << 16];
};

std::string directory_of(const std::string& path) {
  auto slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

[[noreturn]] void fail(const std::string& path, const std::string& what, int err) {
  throw RuntimeFailure("cannot write '" + path + "': " + what + std::strerror(err));
}

// Opens a new temporary file next to `path`. O_EXCL plus a random suffix keeps two processes
// (e.g. shards writing the same model name) from sharing a temporary file.
int open_temporary(const std::string& path, std::string& temp_path) {
  std::random_device entropy;
  std::mt19937_64 random((static_cast<uint64_t>(entropy()) << 32) ^ entropy());
  for (int attempt = 0; attempt < 100; ++attempt) {
    temp_path = path + ".tmp." + std::to_string(::getpid()) + "." + std::to_string(random() % 1000000000);
    int fd = ::open(temp_path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd >= 0) return fd;
    if (errno != EEXIST) fail(path, "cannot create temporary file: ", errno);
  }
  fail(path, "cannot create temporary file: ", EEXIST);
}

// Makes the rename itself durable; without it a power cut can bring back the old file.
void sync_directory(const std::string& path) {
  int fd = ::open(directory_of(path).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) fail(path, "renamed, but cannot open its directory to sync it: ", errno);
  int rc = ::fsync(fd);
  int err = errno;
  ::close(fd);
  // Some file systems do not support syncing a directory; the rename has still happened.
  if (rc != 0 && err != EINVAL && err != EROFS) fail(path, "renamed, but syncing its directory failed: ", err);
}

// Runs the writer on a stream over `fd` and reports the first write error against `path`.
void write_stream(int fd, const std::string& path, const std::function<void(std::ostream&)>& write) {
  FdStreamBuf buffer(fd);
  std::ostream out(&buffer);
  write(out);
  out.flush();
  if (buffer.error() != 0) fail(path, "", buffer.error());
  if (!out) throw RuntimeFailure("cannot write '" + path + "': the writer left the stream in a failed state");
}

// Writes through an existing non-regular file (/dev/null, a FIFO, /dev/stdout on a pipe):
// a temporary file renamed over it would replace the device node or the link itself.
void write_through(const std::string& path, const std::function<void(std::ostream&)>& write) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) fail(path, "", errno);
  try {
    write_stream(fd, path, write);
  } catch (...) {
    ::close(fd);
    throw;
  }
  if (::close(fd) != 0) fail(path, "", errno);
}

}  // namespace
}  // namespace detail

void write_file_atomically(const std::string& given_path, const std::function<void(std::ostream&)>& write) {
  std::string path = given_path;
  struct stat target {};
  const bool exists = ::stat(given_path.c_str(), &target) == 0;  // follows symlinks
  if (exists) {
    if (S_ISDIR(target.st_mode)) detail::fail(given_path, "", EISDIR);
    if (!S_ISREG(target.st_mode)) return detail::write_through(given_path, write);
    // A symlink to a regular file: replace the file it points to, and keep the link.
    if (char* real = ::realpath(given_path.c_str(), nullptr)) {
      path = real;
      std::free(real);
    }
  }
  std::string temp_path;
  int fd = detail::open_temporary(path, temp_path);
  // Removes the temporary file on every way out before the rename.
  struct Cleanup {
    int& fd;
    const std::string& temp;
    bool armed = true;
    ~Cleanup() {
      if (fd >= 0) ::close(fd);
      if (armed) ::unlink(temp.c_str());
    }
  } cleanup{fd, temp_path};

  if (exists) ::fchmod(fd, target.st_mode & 07777);
  detail::write_stream(fd, path, write);
  if (::fsync(fd) != 0) detail::fail(path, "", errno);
  int rc = ::close(fd);
  fd = -1;
  if (rc != 0) detail::fail(path, "", errno);
  if (::rename(temp_path.c_str(), path.c_str()) != 0)
    detail::fail(path, "cannot rename temporary file over it: ", errno);
  cleanup.armed = false;
  detail::sync_directory(path);
}

}  // namespace rd
