// bf16 autocast for one scope, on the device the inputs live on: the mixed precision of training
// (and of CUDA scoring). Convolutions run in bf16; weights, BatchNorm statistics and whatever
// autocast keeps in fp32 stay fp32.
#pragma once
#include <ATen/autocast_mode.h>

#include "model/precision.h"
#include "rd_torch.h"

namespace rd {

class Bf16Autocast {
 public:
  Bf16Autocast(bool enable, const torch::Device& device) : on_(enable), cuda_(device.is_cuda()) {
    if (!on_) return;
    if (cuda_) {
      at::autocast::set_autocast_gpu_dtype(at::kBFloat16);
      at::autocast::set_enabled(true);
    } else {
      at::autocast::set_autocast_cpu_dtype(at::kBFloat16);
      at::autocast::set_cpu_enabled(true);
    }
  }
  ~Bf16Autocast() {
    if (!on_) return;
    if (cuda_) at::autocast::set_enabled(false);
    else at::autocast::set_cpu_enabled(false);
    at::autocast::clear_cache();
  }
  Bf16Autocast(const Bf16Autocast&) = delete;
  Bf16Autocast& operator=(const Bf16Autocast&) = delete;

 private:
  bool on_, cuda_;
};

}  // namespace rd
