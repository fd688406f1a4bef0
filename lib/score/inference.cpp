#include "score/inference.h"

#include <ATen/autocast_mode.h>

namespace rd {

namespace {

// bf16 on CUDA is autocast around the network; the features it hands out are fp32 (to_features).
struct CudaAutocast {
  bool on;
  explicit CudaAutocast(bool enable) : on(enable) {
    if (!on) return;
    at::autocast::set_autocast_gpu_dtype(at::kBFloat16);
    at::autocast::set_enabled(true);
  }
  ~CudaAutocast() {
    if (!on) return;
    at::autocast::set_enabled(false);
    at::autocast::clear_cache();
  }
};

}  // namespace

BatchMaps infer_maps(Model& model, const torch::Tensor& inputs) {
  torch::InferenceMode guard;
  auto& net = *model.net;
  Features t, s;
  {
    CudaAutocast autocast(inputs.is_cuda() && model.precision == Precision::Bf16);
    t = net.teacher->forward(inputs);
    s = net.student(t);
  }
  BatchMaps out;
  out.maps = raw_anomaly_maps(t, s, model.image_size, model.map.mode).to(torch::kCPU).contiguous();
  for (int64_t i = 0; i < out.maps.size(0); ++i)
    out.scores.push_back(smooth_and_score(out.maps[i].data_ptr<float>(), model.image_size, model.map));
  return out;
}

}  // namespace rd
