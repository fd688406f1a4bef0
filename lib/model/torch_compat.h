// Where LibTorch's C++ API differs between the versions rd builds against (Debian 12: 1.13,
// Debian 13: 2.6, and the 2.x of PyTorch wheels for CUDA), said once. The rest of the library
// calls these and has no version checks of its own.
#pragma once
#include <ATen/autocast_mode.h>
#include <torch/version.h>

#include "rd_torch.h"

#define RD_TORCH_AT_LEAST(major, minor) \
  (TORCH_VERSION_MAJOR > (major) || (TORCH_VERSION_MAJOR == (major) && TORCH_VERSION_MINOR >= (minor)))

namespace rd::compat {

// Turns autocast on (in `dtype`) or off for one device type. LibTorch 2.4 replaced the per-device
// functions (set_cpu_enabled, set_autocast_cpu_dtype, set_enabled, set_autocast_gpu_dtype) by
// ones taking the device type, and deprecated the old ones.
inline void set_autocast(c10::DeviceType device, bool enabled, at::ScalarType dtype) {
#if RD_TORCH_AT_LEAST(2, 4)
  if (enabled) at::autocast::set_autocast_dtype(device, dtype);
  at::autocast::set_autocast_enabled(device, enabled);
#else
  if (device == c10::DeviceType::CUDA) {
    if (enabled) at::autocast::set_autocast_gpu_dtype(dtype);
    at::autocast::set_enabled(enabled);
  } else {
    if (enabled) at::autocast::set_autocast_cpu_dtype(dtype);
    at::autocast::set_cpu_enabled(enabled);
  }
#endif
}

}  // namespace rd::compat
