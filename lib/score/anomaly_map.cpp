#include "score/anomaly_map.h"

#include <algorithm>
#include <functional>

#include <fmt/format.h>

#include "errors.h"
#include "score/gaussian.h"

namespace rd {

MapMode parse_map_mode(const std::string& text) {
  if (text == "add") return MapMode::Add;
  if (text == "mul") return MapMode::Mul;
  throw UsageError(fmt::format("unknown map mode '{}' (choose add or mul)", text));
}

const char* map_mode_name(MapMode mode) { return mode == MapMode::Add ? "add" : "mul"; }

int parse_reduce(const std::string& text) {
  if (text == "max") return 0;
  if (text.rfind("topk:", 0) == 0) {
    try {
      size_t used = 0;
      int k = std::stoi(text.substr(5), &used);
      if (k > 0 && used == text.size() - 5) return k;
    } catch (const std::exception&) {
    }
  }
  throw UsageError(fmt::format("bad reduction '{}' (use max or topk:K with K > 0)", text));
}

torch::Tensor raw_anomaly_maps(const Features& teacher, const Features& student, int size, MapMode mode) {
  torch::Tensor total;
  for (size_t k = 0; k < teacher.size(); ++k) {
    auto a = 1 - torch::nn::functional::cosine_similarity(
                     teacher[k], student[k], torch::nn::functional::CosineSimilarityFuncOptions().dim(1));
    a = torch::nn::functional::interpolate(
        a.unsqueeze(1), torch::nn::functional::InterpolateFuncOptions()
                            .size(std::vector<int64_t>{size, size})
                            .mode(torch::kBilinear)
                            .align_corners(true));
    if (!total.defined()) total = a;
    else total = mode == MapMode::Add ? total + a : total * a;
  }
  return total.squeeze(1).to(torch::kFloat32).contiguous();
}

double smooth_and_score(float* map, int height, int width, const MapSettings& settings) {
  gaussian_smooth(map, height, width, settings.sigma);
  const size_t n = size_t(height) * width;
  if (settings.top_k <= 0) return *std::max_element(map, map + n);
  const size_t k = std::min<size_t>(settings.top_k, n);
  std::vector<float> v(map, map + n);
  std::nth_element(v.begin(), v.begin() + (k - 1), v.end(), std::greater<float>());
  double sum = 0;
  for (size_t i = 0; i < k; ++i) sum += v[i];
  return sum / double(k);
}

}  // namespace rd
