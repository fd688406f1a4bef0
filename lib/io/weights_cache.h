// Where teacher weights come from: a local file, torch hub's cache, or a download into that cache
// (torchvision's URL, a mirror, or any http(s)/file URL whose file name carries a hash prefix).
#pragma once
#include <functional>
#include <string>

#include "io/download.h"

namespace rd {

struct WeightsRequest {
  std::string weights;      // --weights: "auto", a URL, or a path ("none" is the caller's)
  std::string file_name;    // torchvision's file name for the backbone, e.g. resnet18-f37072fd.pth
  std::string default_url;  // torchvision's URL for it
  bool offline = false;     // --offline or RD_OFFLINE: never touch the network
  DownloadOptions download;
  std::function<void(const std::string&)> note;  // one line before a download starts
};

// Returns the local file to read. A path is returned as it is. "auto" means `default_url`, or
// $RD_WEIGHTS_MIRROR/<file_name> when that variable is set (a company mirror). "auto" and URLs look in
// torch_hub_checkpoint_dir() first and download into it when absent (unless offline: then a
// UsageError names the URL to fetch and where to put it). Download failures: RuntimeFailure.
std::string resolve_weights(const WeightsRequest& request);

// Where torchvision keeps downloaded weights: $TORCH_HOME/hub/checkpoints, TORCH_HOME defaulting
// to $XDG_CACHE_HOME/torch, then ~/.cache/torch.
std::string torch_hub_checkpoint_dir();

// The hash prefix of a torchvision-style file name, as torch hub finds it: the hex digits
// between the last '-' and the following '.' ("resnet18-f37072fd.pth" -> "f37072fd"); empty
// when the name has none.
std::string hash_prefix_of(const std::string& file_name);

// Says whether `text` is a URL rd downloads (http://, https://, file://).
bool is_weights_url(const std::string& text);

// True when RD_OFFLINE is set to anything but "" or "0".
bool offline_from_environment();

// DownloadOptions with the timeouts of RD_CONNECT_TIMEOUT and RD_IDLE_TIMEOUT (seconds) when set.
DownloadOptions download_options_from_environment();

}  // namespace rd
