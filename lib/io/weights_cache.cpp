#include "io/weights_cache.h"

#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include <fmt/format.h>

#include "errors.h"
#include "io/image_paths.h"

namespace rd {
namespace {

// The last path component of a URL, without query or fragment.
std::string url_file_name(const std::string& url) {
  std::string p = url.substr(0, url.find_first_of("?#"));
  while (!p.empty() && p.back() == '/') p.pop_back();
  const auto slash = p.rfind('/');
  return slash == std::string::npos ? p : p.substr(slash + 1);
}

long seconds_from_environment(const char* name, long fallback) {
  const char* text = std::getenv(name);
  if (!text || !*text) return fallback;
  char* end = nullptr;
  const long v = std::strtol(text, &end, 10);
  if (*end || v < 1) throw UsageError(fmt::format("{}='{}': expected a whole number of seconds, at least 1", name, text));
  return v;
}

}  // namespace

std::string torch_hub_checkpoint_dir() {
  if (const char* th = std::getenv("TORCH_HOME"); th && *th) return std::string(th) + "/hub/checkpoints";
  if (const char* xdg = std::getenv("XDG_CACHE_HOME"); xdg && *xdg) return std::string(xdg) + "/torch/hub/checkpoints";
  const char* home = std::getenv("HOME");
  return std::string(home ? home : ".") + "/.cache/torch/hub/checkpoints";
}

std::string hash_prefix_of(const std::string& file_name) {
  const auto dash = file_name.rfind('-');
  if (dash == std::string::npos) return "";
  const auto dot = file_name.find('.', dash);
  if (dot == std::string::npos || dot == dash + 1) return "";
  const std::string hex = file_name.substr(dash + 1, dot - dash - 1);
  for (char ch : hex)
    if (!std::isxdigit(static_cast<unsigned char>(ch)) || std::isupper(static_cast<unsigned char>(ch))) return "";
  return hex;
}

bool is_weights_url(const std::string& text) {
  for (const char* scheme : {"http://", "https://", "file://"})
    if (text.rfind(scheme, 0) == 0) return true;
  return false;
}

bool offline_from_environment() {
  const char* v = std::getenv("RD_OFFLINE");
  return v && *v && std::string(v) != "0";
}

DownloadOptions download_options_from_environment() {
  DownloadOptions o;
  o.connect_timeout_seconds = seconds_from_environment("RD_CONNECT_TIMEOUT", o.connect_timeout_seconds);
  o.idle_timeout_seconds = seconds_from_environment("RD_IDLE_TIMEOUT", o.idle_timeout_seconds);
  return o;
}

std::string resolve_weights(const WeightsRequest& r) {
  const bool automatic = r.weights == "auto";
  if (!automatic && !is_weights_url(r.weights)) return r.weights;

  std::string url = r.weights;
  if (automatic) {
    const char* set = std::getenv("RD_WEIGHTS_MIRROR");
    std::string mirror = set ? set : "";
    while (!mirror.empty() && mirror.back() == '/') mirror.pop_back();
    url = mirror.empty() ? r.default_url : mirror + "/" + r.file_name;
  }
  const std::string name = automatic ? r.file_name : url_file_name(url);
  const std::string prefix = hash_prefix_of(name);
  if (prefix.size() < 8)  // torchvision's names carry 8 digits; fewer proves too little
    throw UsageError(fmt::format("--weights '{}': the file name '{}' carries no hash prefix of at least 8 hex digits "
                                 "(NAME-<sha256 prefix>.pth, as torchvision names its files), so the download "
                                 "could not be verified; fetch it yourself and pass --weights PATH", url, name));
  const std::string dir = torch_hub_checkpoint_dir();
  const std::string path = dir + "/" + name;
  if (regular_file_exists(path)) return path;  // as torch hub: a file in the cache was verified when it arrived
  if (r.offline)
    throw UsageError(fmt::format("no weights at '{}' and offline (--offline or RD_OFFLINE): download {} "
                                 "(sha256 starts with {}) there, or pass --weights PATH", path, url, prefix));
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) throw RuntimeFailure(fmt::format("cannot create the weights cache '{}': {}", dir, ec.message()));
  if (r.note) r.note(fmt::format("downloading {} to {}", url, path));
  download_file(url, path, prefix, r.download);
  return path;
}

}  // namespace rd
