#include "score/inference.h"

namespace rd {

BatchMaps infer_maps(Model& model, const torch::Tensor& inputs) {
  torch::InferenceMode guard;
  auto& net = *model.net;
  Features t = net.teacher->forward(inputs);
  Features s = net.student(t);
  BatchMaps out;
  out.maps = raw_anomaly_maps(t, s, model.image_size, model.map.mode).to(torch::kCPU).contiguous();
  for (int64_t i = 0; i < out.maps.size(0); ++i)
    out.scores.push_back(smooth_and_score(out.maps[i].data_ptr<float>(), model.image_size, model.map));
  return out;
}

}  // namespace rd
