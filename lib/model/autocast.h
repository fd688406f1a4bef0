// bf16 autocast for one scope, on the device the inputs live on: the mixed precision of training
// (and of CUDA scoring). Convolutions run in bf16; weights, BatchNorm statistics and whatever
// autocast keeps in fp32 stay fp32.
#pragma once
#include "cpu/precision.h"
#include "model/torch_compat.h"
#include "rd_torch.h"

namespace rd {

class Bf16Autocast {
 public:
  Bf16Autocast(bool enable, const torch::Device& device) : on_(enable), device_(device.type()) {
    if (on_) compat::set_autocast(device_, true, at::kBFloat16);
  }
  ~Bf16Autocast() {
    if (!on_) return;
    compat::set_autocast(device_, false, at::kBFloat16);
    at::autocast::clear_cache();
  }
  Bf16Autocast(const Bf16Autocast&) = delete;
  Bf16Autocast& operator=(const Bf16Autocast&) = delete;

 private:
  bool on_;
  c10::DeviceType device_;
};

}  // namespace rd
