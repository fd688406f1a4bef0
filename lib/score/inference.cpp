#include "score/inference.h"

#include "model/autocast.h"

namespace rd {

torch::Tensor infer_raw_maps(Model& model, const torch::Tensor& inputs) {
  torch::InferenceMode guard;
  auto& net = *model.net;
  Features t, s;
  {
    // bf16 on CUDA is autocast around the network (on the CPU the folded weights are bf16 already);
    // the features it hands out are fp32 (to_features).
    Bf16Autocast autocast(inputs.is_cuda() && model.precision == Precision::Bf16, inputs.device());
    t = net.teacher->forward(inputs);
    s = net.student(t);
  }
  return raw_anomaly_maps(t, s, model.image_size, model.map.mode).to(torch::kCPU).contiguous();
}

BatchMaps infer_maps(Model& model, const torch::Tensor& inputs) {
  BatchMaps out;
  out.maps = infer_raw_maps(model, inputs);
  const int side = model.image_size;
  for (int64_t i = 0; i < out.maps.size(0); ++i)
    out.scores.push_back(smooth_and_score(out.maps[i].data_ptr<float>(), side, side, model.map));
  return out;
}

}  // namespace rd
