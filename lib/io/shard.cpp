#include "io/shard.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "errors.h"
#include "io/input_records.h"

namespace rd {
namespace detail {

uint64_t shard_hash(const std::string& bytes) {
  uint64_t h = 0xcbf29ce484222325ull;  // FNV-1a 64 offset basis
  for (unsigned char c : bytes) {
    h ^= c;
    h *= 0x100000001b3ull;  // FNV-1a 64 prime
  }
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdull;
  h ^= h >> 33;
  h *= 0xc4ceb9fe1a85ec53ull;
  h ^= h >> 33;
  return h;
}

namespace {

// Parses a positive decimal integer of at most 9 digits (no sign, no spaces), or returns -1.
int parse_positive(const std::string& text) {
  if (text.empty() || text.size() > 9) return -1;
  int value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return -1;
    value = value * 10 + (c - '0');
  }
  return value;
}

}  // namespace
}  // namespace detail

Shard parse_shard(const std::string& text) {
  const auto slash = text.find('/');
  const int k = slash == std::string::npos ? -1 : detail::parse_positive(text.substr(0, slash));
  const int n = slash == std::string::npos ? -1 : detail::parse_positive(text.substr(slash + 1));
  if (k < 1 || n < 1 || k > n)
    throw UsageError("invalid shard '" + text + "': expected K/N with 1 <= K <= N, e.g. 1/3");
  return Shard{k - 1, n};
}

bool in_shard(const std::string& path, Shard shard) {
  if (shard.count <= 1) return true;
  return detail::shard_hash(path) % static_cast<uint64_t>(shard.count) == static_cast<uint64_t>(shard.index);
}

std::unordered_set<std::string> read_done_paths(const std::string& jsonl_file) {
  std::unordered_set<std::string> done;
  std::error_code ec;
  if (std::filesystem::is_directory(jsonl_file, ec))
    throw UsageError("cannot read resume file '" + jsonl_file + "': Is a directory");
  std::ifstream in(jsonl_file, std::ios::binary);
  if (!in) {
    if (errno == ENOENT) return done;
    throw UsageError("cannot read resume file '" + jsonl_file + "': " + std::strerror(errno));
  }
  std::string line;
  bool too_long = false;
  while (detail::read_delimited(*in.rdbuf(), '\n', kMaxInputLineBytes, line, too_long)) {
    if (too_long) continue;
    const auto json = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (!json.is_object()) continue;  // a torn or foreign line
    const auto path = json.find("path");
    // Records with `error` count as done too: an input that failed (undecodable, missing) would
    // fail again, and retrying it on every restart of a cron job would never finish. To retry
    // failures, drop their records from FILE first (e.g. grep -v '"error"').
    if (path != json.end() && path->is_string()) done.insert(path->get<std::string>());
  }
  return done;
}

bool resume_file_needs_newline(const std::string& jsonl_file, int fd) {
  struct stat file_stat {}, fd_stat {};
  if (::stat(jsonl_file.c_str(), &file_stat) != 0 || ::fstat(fd, &fd_stat) != 0) return false;
  if (file_stat.st_dev != fd_stat.st_dev || file_stat.st_ino != fd_stat.st_ino || file_stat.st_size == 0) return false;
  std::ifstream in(jsonl_file, std::ios::binary);
  in.seekg(-1, std::ios::end);
  char last = '\n';
  return in.get(last) && last != '\n';
}

}  // namespace rd
