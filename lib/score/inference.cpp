#include "score/inference.h"

#include "model/autocast.h"

namespace rd {

BatchMaps infer_maps(Model& model, const torch::Tensor& inputs) {
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
  BatchMaps out;
  out.maps = raw_anomaly_maps(t, s, model.image_size, model.map.mode).to(torch::kCPU).contiguous();
  for (int64_t i = 0; i < out.maps.size(0); ++i)
    out.scores.push_back(smooth_and_score(out.maps[i].data_ptr<float>(), model.image_size, model.map));
  return out;
}

}  // namespace rd
