#include "io/download.h"

#include <curl/curl.h>

#include <cstring>
#include <memory>
#include <mutex>
#include <ostream>

#include <fmt/format.h>

#include "errors.h"
#include "io/atomic_file.h"
#include "io/sha256.h"

namespace rd {
namespace {

struct Transfer {
  std::ostream* out = nullptr;
  Sha256 hash;
  int64_t received = 0;
  const DownloadOptions* options = nullptr;
};

size_t on_data(char* data, size_t size, size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const size_t n = size * count;
  t->out->write(data, std::streamsize(n));
  if (!*t->out) return 0;  // curl stops with CURLE_WRITE_ERROR; the stream's error is reported
  t->hash.update(data, n);
  t->received += int64_t(n);
  return n;
}

int on_progress(void* user, curl_off_t total, curl_off_t now, curl_off_t, curl_off_t) {
  auto* t = static_cast<Transfer*>(user);
  if (t->options->progress) t->options->progress(int64_t(now), total > 0 ? int64_t(total) : -1);
  return 0;
}

void init_curl_once() {
  static std::once_flag once;
  std::call_once(once, [] {
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) throw RuntimeFailure("cannot initialise libcurl");
  });
}

// Why a transfer failed, in the words a user can act on.
std::string failure_reason(CURLcode code, CURL* curl, const char* detail, const Transfer& t,
                           const DownloadOptions& o) {
  long status = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  curl_off_t expected = -1;
  curl_easy_getinfo(curl, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &expected);
  const std::string text = *detail ? detail : curl_easy_strerror(code);
  switch (code) {
    case CURLE_HTTP_RETURNED_ERROR:
      return fmt::format("the server answered HTTP {}", status);
    case CURLE_PARTIAL_FILE:
      return expected > 0 ? fmt::format("the transfer ended early: {} of {} bytes", t.received, int64_t(expected))
                          : fmt::format("the transfer ended early after {} bytes ({})", t.received, text);
    case CURLE_OPERATION_TIMEDOUT:
      return t.received > 0 || status != 0
                 ? fmt::format("no data for {} s after {} bytes (idle timeout, RD_IDLE_TIMEOUT)",
                               o.idle_timeout_seconds, t.received)
                 : fmt::format("timed out: {} (connect timeout {} s, RD_CONNECT_TIMEOUT)", text,
                               o.connect_timeout_seconds);
    case CURLE_COULDNT_CONNECT: {
      long os_errno = 0;
      curl_easy_getinfo(curl, CURLINFO_OS_ERRNO, &os_errno);
      return os_errno ? fmt::format("{} ({})", text, std::strerror(int(os_errno))) : text;
    }
    default:
      return text;
  }
}

}  // namespace

void download_file(const std::string& url, const std::string& path, const std::string& expected_sha256_prefix,
                   const DownloadOptions& options) {
  init_curl_once();
  std::unique_ptr<CURL, void (*)(CURL*)> curl(curl_easy_init(), curl_easy_cleanup);
  if (!curl) throw RuntimeFailure("cannot initialise libcurl");
  try {
    write_file_atomically(path, [&](std::ostream& out) {
      Transfer t;
      t.out = &out;
      t.options = &options;
      char detail[CURL_ERROR_SIZE] = "";
      CURL* c = curl.get();
      curl_easy_setopt(c, CURLOPT_URL, url.c_str());
      curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https,file");
      curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
      curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
      curl_easy_setopt(c, CURLOPT_MAXREDIRS, 5L);
      curl_easy_setopt(c, CURLOPT_FAILONERROR, 1L);
      curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
      curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, options.connect_timeout_seconds);
      curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
      curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, options.idle_timeout_seconds);
      curl_easy_setopt(c, CURLOPT_USERAGENT, "rd/" RD_VERSION);
      curl_easy_setopt(c, CURLOPT_ERRORBUFFER, detail);
      curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
      curl_easy_setopt(c, CURLOPT_WRITEDATA, &t);
      curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
      curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
      curl_easy_setopt(c, CURLOPT_XFERINFODATA, &t);
      const CURLcode code = curl_easy_perform(c);
      if (code == CURLE_WRITE_ERROR && !out) return;  // write_file_atomically names the file and errno
      if (code != CURLE_OK) throw RuntimeFailure(failure_reason(code, c, detail, t, options));
      const std::string digest = t.hash.hex_digest();
      if (digest.compare(0, expected_sha256_prefix.size(), expected_sha256_prefix) != 0)
        throw RuntimeFailure(fmt::format("SHA-256 {} does not start with {} as the file name says ({} bytes "
                                         "received): a corrupt or different file",
                                         digest, expected_sha256_prefix, t.received));
    });
  } catch (const RuntimeFailure& e) {
    throw RuntimeFailure(fmt::format("cannot download '{}' to '{}': {}; nothing was saved", url, path, e.what()));
  }
}

}  // namespace rd
