// HTTP(S) and file:// downloads into a file, atomically and verified (libcurl).
#pragma once
#include <cstdint>
#include <functional>
#include <string>

namespace rd {

struct DownloadOptions {
  long connect_timeout_seconds = 30;  // to open the connection (after name lookup and TLS)
  long idle_timeout_seconds = 60;     // the transfer is abandoned when no byte arrives for this long
  // Bytes received so far and the total (-1 while unknown), a few times a second.
  std::function<void(int64_t received, int64_t total)> progress;
};

// Downloads `url` into `path` through a unique temporary file beside it that becomes `path` by
// rename only when the transfer is complete and `expected_sha256_prefix` (lowercase hex, may be
// empty) starts the file's SHA-256. Two processes downloading the same file each write their
// own temporary file, so `path` is always one whole verified copy. On any failure — HTTP error,
// connection refused or idle, a transfer cut short, a hash mismatch, a full disk — nothing is
// left at `path` or beside it, and a RuntimeFailure names the URL, the file and the cause.
// Proxies come from curl's usual variables (http_proxy, https_proxy, no_proxy, all_proxy).
void download_file(const std::string& url, const std::string& path, const std::string& expected_sha256_prefix,
                   const DownloadOptions& options);

}  // namespace rd
