#include "export/onnx_map_head.h"

#include <algorithm>
#include <limits>

#include <fmt/format.h>

#include "errors.h"
#include "score/gaussian.h"

namespace rd {
namespace {

using Ints = std::vector<int64_t>;

// ATen's cosine_similarity: dot / (max(|t|, eps) * max(|s|, eps)), eps = 1e-8, along channels.
std::string one_minus_cosine(OnnxGraph& g, const std::string& t, const std::string& s) {
  const std::string channels = g.i64({1});
  auto sum = [&](const std::string& x) { return g.node("ReduceSum", {x, channels}, {{"keepdims", int64_t(1)}}); };
  const std::string eps = g.f32({}, {1e-8f});
  auto norm = [&](const std::string& x) { return g.node("Max", {g.node("Sqrt", {sum(g.node("Mul", {x, x}))}), eps}); };
  const std::string cosine = g.node("Div", {sum(g.node("Mul", {t, s})), g.node("Mul", {norm(t), norm(s)})});
  return g.node("Sub", {g.f32({}, {1.0f}), cosine});
}

// Bilinear, align_corners, to size x size; the batch dimension stays dynamic.
std::string upsample(OnnxGraph& g, const std::string& x, int size) {
  const std::string batch_and_channels =
      g.node("Slice", {g.node("Shape", {x}), g.i64({0}), g.i64({2}), g.i64({0})});
  const std::string sizes = g.node("Concat", {batch_and_channels, g.i64({size, size})}, {{"axis", int64_t(0)}});
  return g.node("Resize", {x, "", "", sizes},
                {{"mode", std::string("linear")}, {"coordinate_transformation_mode", std::string("align_corners")}});
}

// One pass of the separable Gaussian along `axis` (2: rows, 3: columns). scipy's 'reflect'
// repeats the edge pixel (d c b a | a b c d), which ONNX's Pad has no mode for: the border is
// built from reversed slices.
std::string smooth_along(OnnxGraph& g, const std::string& x, int axis, const std::vector<double>& taps) {
  const int64_t radius = int64_t(taps.size() / 2);
  const std::string axes = g.i64({axis}), back = g.i64({-1});
  const std::string before = g.node("Slice", {x, g.i64({radius - 1}), g.i64({std::numeric_limits<int64_t>::min()}), axes, back});
  const std::string after = g.node("Slice", {x, g.i64({-1}), g.i64({-1 - radius}), axes, back});
  const std::string padded = g.node("Concat", {before, x, after}, {{"axis", int64_t(axis)}});
  const Ints shape = axis == 2 ? Ints{1, 1, int64_t(taps.size()), 1} : Ints{1, 1, 1, int64_t(taps.size())};
  const std::string kernel = g.f32(shape, std::vector<float>(taps.begin(), taps.end()));
  return g.node("Conv", {padded, kernel});
}

}  // namespace

MapHeadOutputs add_map_head(OnnxGraph& g, const FeatureNames& teacher, const FeatureNames& student,
                            const MapHeadSpec& spec) {
  std::string total;
  for (size_t k = 0; k < teacher.size(); ++k) {
    const std::string a = upsample(g, one_minus_cosine(g, teacher[k], student[k]), spec.size);
    total = total.empty() ? a : g.node(spec.multiply ? "Mul" : "Add", {total, a});
  }
  std::string map = total;
  if (spec.sigma > 0) {
    const std::vector<double> taps = gaussian_kernel(spec.sigma);
    if (int64_t(taps.size() / 2) >= spec.size)
      throw UsageError(fmt::format("the Gaussian (sigma {}, radius {}) is wider than the {} px map; the export "
                                   "reflects the border once only", spec.sigma, taps.size() / 2, spec.size));
    // Rows of the image first, as OpenCV's sepFilter2D: the result is the same to rounding.
    map = smooth_along(g, smooth_along(g, map, 3, taps), 2, taps);
  }
  const std::string flat = g.node("Flatten", {map}, {{"axis", int64_t(1)}});
  std::string score;
  if (spec.top_k > 0) {
    const int64_t k = std::min<int64_t>(spec.top_k, int64_t(spec.size) * spec.size);
    const std::string highest = g.node("TopK", {flat, g.i64({k})}, {{"axis", int64_t(1)}}, 2);
    score = g.node("ReduceMean", {highest}, {{"axes", Ints{1}}, {"keepdims", int64_t(0)}});
  } else {
    score = g.node("ReduceMax", {flat}, {{"axes", Ints{1}}, {"keepdims", int64_t(0)}});
  }
  return {map, score};
}

}  // namespace rd
