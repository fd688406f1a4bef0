#include "eval/streaming_pixel_metrics.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

#include <fmt/format.h>
#include <opencv2/imgproc.hpp>

#include "errors.h"
#include "eval/curve_sums.h"
#include "eval/pixel_metrics.h"

namespace rd {
namespace {

constexpr int kFirstShift = 16;  // 65536 first-level bins
constexpr int kSplitBits = 8;    // a split bin becomes 256 bins

// Maps a finite float to a key whose unsigned order is the float order. -0 and +0 are one score
// (sklearn sees them equal), so -0 is made +0 first (adding +0 does that and nothing else).
std::uint32_t order_key(float value) {
  value += 0.0f;
  std::uint32_t bits;
  std::memcpy(&bits, &value, sizeof bits);
  return (bits & 0x80000000u) ? ~bits : (bits | 0x80000000u);
}

float key_value(std::uint32_t key) {
  const std::uint32_t bits = (key & 0x80000000u) ? (key & 0x7fffffffu) : ~key;
  float value;
  std::memcpy(&value, &bits, sizeof value);
  return value;
}

// The same checks as PixelMetrics::add, so both paths refuse the same inputs.
void check_image(const float* map, const std::uint8_t* mask, int height, int width) {
  if (height <= 0 || width <= 0) throw InputError("anomaly map is empty");
  const std::size_t n = std::size_t(height) * std::size_t(width);
  for (std::size_t i = 0; i < n; ++i) {
    if (!std::isfinite(map[i]))
      throw InputError(fmt::format("anomaly map value at row {}, column {} is {}", i / width, i % width, map[i]));
    if (mask[i] > 1)
      throw InputError(fmt::format("mask value {} at row {}, column {}; expected 0 or 1 (binarise the mask first)",
                                   mask[i], i / width, i % width));
  }
}

}  // namespace

StreamingPixelMetrics::StreamingPixelMetrics(std::optional<double> fpr_limit, bool rd4ad, double tolerance)
    : fpr_limit_(fpr_limit), rd4ad_(rd4ad), tolerance_(tolerance) {
  if (fpr_limit_ && !(*fpr_limit_ > 0 && *fpr_limit_ <= 1))
    throw UsageError(fmt::format("AUPRO FPR limit {} is not in (0, 1]", *fpr_limit_));
  Node root;
  root.shift = kFirstShift;
  root.pass = 1;
  root.bins.resize(std::size_t(1) << (32 - kFirstShift));
  root.child.assign(root.bins.size(), -1);
  nodes_.push_back(std::move(root));
}

void StreamingPixelMetrics::add(const cv::Mat& map, const cv::Mat& mask) {
  if (map.type() != CV_32FC1 || mask.type() != CV_8UC1)
    throw InputError("anomaly map must be float32 with one channel and mask uint8 with one");
  if (map.size() != mask.size())
    throw InputError(fmt::format("anomaly map is {}x{} but mask is {}x{}; resize the mask first", map.cols,
                                 map.rows, mask.cols, mask.rows));
  const cv::Mat map_c = map.isContinuous() ? map : map.clone();
  const cv::Mat mask_c = mask.isContinuous() ? mask : mask.clone();
  add(map_c.ptr<float>(), mask_c.ptr<std::uint8_t>(), map.rows, map.cols);
}

void StreamingPixelMetrics::add(const float* map, const std::uint8_t* mask, int height, int width) {
  check_image(map, mask, height, width);
  const std::size_t n = std::size_t(height) * std::size_t(width);
  // 8-connected, as PixelMetrics; each region's pixels carry 1/area of PRO mass.
  const cv::Mat mask_mat(height, width, CV_8UC1, const_cast<std::uint8_t*>(mask));
  cv::Mat labels, stats, centroids;
  const int label_count = cv::connectedComponentsWithStats(mask_mat, labels, stats, centroids, 8, CV_32S);
  std::vector<double> weight(std::size_t(label_count), 0.0);
  for (int l = 1; l < label_count; ++l) weight[std::size_t(l)] = 1.0 / stats.at<int>(l, cv::CC_STAT_AREA);

  const int pass = passes_ + 1;
  const int* label = labels.ptr<int>();
  std::uint64_t normal = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const std::uint32_t key = order_key(map[i]);
    std::size_t node = 0;
    std::size_t b = key >> kFirstShift;
    for (std::int32_t c; (c = nodes_[node].child[b]) >= 0;) {
      node = std::size_t(c);
      b = (key - nodes_[node].first_key) >> nodes_[node].shift;
    }
    normal += label[i] == 0;
    if (nodes_[node].pass != pass) continue;  // counted in an earlier pass
    Bin& bin = nodes_[node].bins[b];
    if (label[i]) {
      ++bin.anomalous;
      bin.pro += weight[std::size_t(label[i])];
    } else {
      ++bin.normal;
    }
  }
  if (passes_ > 0) {
    pass_pixels_ += n;
    return;
  }
  if (rd4ad_) {
    try {
      if (auto pro = PixelMetrics::rd4ad_image_pro(map, mask, height, width, images_)) {
        rd4ad_sum_ += *pro;
        ++rd4ad_images_;
      }
    } catch (const InputError& e) {
      if (rd4ad_error_.empty()) rd4ad_error_ = e.what();
    }
  }
  ++images_;
  pixels_ += n;
  normal_ += normal;
  regions_ += std::uint64_t(label_count - 1);
}

template <class OnLeaf>
void StreamingPixelMetrics::visit(std::size_t node, OnLeaf&& on_leaf, std::uint64_t& a, std::uint64_t& n,
                                  double& pro) const {
  const Node& nd = nodes_[node];
  for (std::size_t b = nd.bins.size(); b-- > 0;) {
    const std::int32_t c = nd.child[b];
    // A split filled by a pass not finished yet does not count: its parent bin still does.
    if (c >= 0 && nodes_[std::size_t(c)].pass <= passes_) {
      visit(std::size_t(c), on_leaf, a, n, pro);
      continue;
    }
    const Bin& bin = nd.bins[b];
    if (bin.normal == 0 && bin.anomalous == 0) continue;
    on_leaf(Leaf{&bin, key_value(nd.first_key + (std::uint32_t(b) << nd.shift)), nd.shift == 0, a, n, pro},
            node, b);
    a += bin.anomalous;
    n += bin.normal;
    pro += bin.pro;
  }
}

// Calls on_leaf(leaf, node, bin) for every non-empty bin of the finest partition, highest
// scores first.
template <class OnLeaf>
void StreamingPixelMetrics::sweep(OnLeaf&& on_leaf) const {
  std::uint64_t a = 0, n = 0;
  double pro = 0;
  visit(0, on_leaf, a, n, pro);
}

StreamingPixelMetrics::Bounds StreamingPixelMetrics::leaf_bounds(const Leaf& leaf) const {
  Bounds b;
  if (leaf.exact) return b;
  const double a = double(leaf.bin->anomalous), n = double(leaf.bin->normal);
  const double P = double(pixels_ - normal_), N = double(normal_);
  const double T = double(leaf.above_anomalous), F = double(leaf.above_normal);
  if (P > 0 && N > 0) b.auroc = a * n / (2 * P * N);
  if (a > 0 && P > 0) b.ap = a / P * ((T + a) / (T + a + F) - (T + 1) / (T + 1 + F + n));
  if (fpr_limit_ && regions_ > 0 && N > 0) {
    const double limit = *fpr_limit_;
    const double x0 = F / N, x1 = (F + n) / N;
    if (x0 < limit) {
      const double width = std::min(x1, limit) - x0;
      const double height = leaf.bin->pro / double(regions_);
      b.aupro = width * height / (x1 > limit ? 1.0 : 2.0) / limit;
    }
  }
  return b;
}

StreamingPixelMetrics::Bounds StreamingPixelMetrics::total_bounds() const {
  Bounds total;
  sweep([&](const Leaf& leaf, std::size_t, std::size_t) {
    const Bounds b = leaf_bounds(leaf);
    total.auroc += b.auroc;
    total.ap += b.ap;
    total.aupro += b.aupro;
  });
  return total;
}

bool StreamingPixelMetrics::finish_pass() {
  if (passes_ > 0 && pass_pixels_ != pixels_)
    throw InputError(fmt::format("pass {} over the maps read {} pixels, the first pass {}: the maps changed",
                                 passes_ + 1, pass_pixels_, pixels_));
  ++passes_;
  pass_pixels_ = 0;
  if (pixels_ == 0 || normal_ == 0 || normal_ == pixels_) return false;  // nothing to refine

  struct Candidate {
    std::size_t node, bin;
    Bounds bounds;
    double worst;
  };
  std::vector<Candidate> candidates;
  Bounds remaining;
  sweep([&](const Leaf& leaf, std::size_t node, std::size_t bin) {
    const Bounds b = leaf_bounds(leaf);
    remaining.auroc += b.auroc;
    remaining.ap += b.ap;
    remaining.aupro += b.aupro;
    const double worst = std::max({b.auroc, b.ap, b.aupro});
    if (worst > 0) candidates.push_back({node, bin, b, worst});
  });
  auto within = [&](double tolerance) {
    return remaining.auroc <= tolerance && remaining.ap <= tolerance && remaining.aupro <= tolerance;
  };
  if (within(tolerance_)) return false;
  std::sort(candidates.begin(), candidates.end(),
            [](const Candidate& x, const Candidate& y) { return x.worst > y.worst; });
  std::size_t added = 0;
  // Split until what is left unsplit is well inside the tolerance, so one more pass usually ends it.
  for (const Candidate& c : candidates) {
    if (within(tolerance_ / 4) || added == kMaxNewNodesPerPass || nodes_.size() >= kMaxNodes) break;
    Node child;
    child.shift = nodes_[c.node].shift - kSplitBits;
    child.first_key = nodes_[c.node].first_key + (std::uint32_t(c.bin) << nodes_[c.node].shift);
    child.pass = passes_ + 1;
    child.bins.resize(std::size_t(1) << kSplitBits);
    child.child.assign(child.bins.size(), -1);
    nodes_.push_back(std::move(child));
    nodes_[c.node].child[c.bin] = std::int32_t(nodes_.size() - 1);
    remaining.auroc -= c.bounds.auroc;
    remaining.ap -= c.bounds.ap;
    remaining.aupro -= c.bounds.aupro;
    ++added;
  }
  return added > 0;
}

void StreamingPixelMetrics::check_classes() const {
  detail::check_both_classes(anomalous_pixels(), normal_, "pixels");
}

void StreamingPixelMetrics::check_pro() const {
  if (regions_ == 0) throw InputError("no ground-truth regions in any mask; AUPRO needs anomalous pixels");
  if (normal_ == 0) throw InputError("no normal pixels in any mask; AUPRO needs them");
}

double StreamingPixelMetrics::pixel_auroc() const {
  detail::SweepSummary sums(anomalous_pixels(), normal_, "pixels");
  sweep([&](const Leaf& leaf, std::size_t, std::size_t) {
    sums.add({leaf.lowest, leaf.above_anomalous + leaf.bin->anomalous, leaf.above_normal + leaf.bin->normal});
  });
  return sums.auroc();
}

double StreamingPixelMetrics::average_precision() const {
  detail::SweepSummary sums(anomalous_pixels(), normal_, "pixels");
  sweep([&](const Leaf& leaf, std::size_t, std::size_t) {
    sums.add({leaf.lowest, leaf.above_anomalous + leaf.bin->anomalous, leaf.above_normal + leaf.bin->normal});
  });
  return sums.average_precision();
}

double StreamingPixelMetrics::aupro() const {
  if (!fpr_limit_) throw UsageError("this accumulator was made without an AUPRO FPR limit");
  check_pro();
  detail::TrapezoidToLimit area(*fpr_limit_);
  detail::CompensatedSum pro;
  bool complete = true;
  sweep([&](const Leaf& leaf, std::size_t, std::size_t) {
    pro.add(leaf.bin->pro);
    if (complete) {
      const double x = double(leaf.above_normal + leaf.bin->normal) / double(normal_);
      complete = area.add(x, std::min(pro.value() / double(regions_), 1.0));
    }
  });
  if (complete) area.add(1, 1);
  return area.area() / *fpr_limit_;
}

double StreamingPixelMetrics::aupro_rd4ad() const {
  if (!rd4ad_) throw UsageError("this accumulator was made without the RD4AD PRO");
  if (!rd4ad_error_.empty()) throw InputError(rd4ad_error_);
  if (rd4ad_images_ == 0) throw InputError("no ground-truth regions in any mask; AUPRO needs them");
  return rd4ad_sum_ / double(rd4ad_images_);
}

double StreamingPixelMetrics::error_bound() const {
  const Bounds b = total_bounds();
  return std::max({b.auroc, b.ap, b.aupro});
}

std::vector<CurvePoint> StreamingPixelMetrics::roc_curve(std::size_t max_points) const {
  check_classes();
  detail::CurveThinner curve(max_points);
  curve.add({0, 0, std::numeric_limits<double>::infinity()});
  const double P = double(anomalous_pixels()), N = double(normal_);
  sweep([&](const Leaf& leaf, std::size_t, std::size_t) {
    curve.add({double(leaf.above_normal + leaf.bin->normal) / N, double(leaf.above_anomalous + leaf.bin->anomalous) / P,
               leaf.lowest});
  });
  return curve.finish();
}

std::vector<CurvePoint> StreamingPixelMetrics::pro_curve(std::size_t max_points) const {
  check_pro();
  detail::CurveThinner curve(max_points);
  curve.add({0, 0, std::numeric_limits<double>::infinity()});
  detail::CompensatedSum pro;
  sweep([&](const Leaf& leaf, std::size_t, std::size_t) {
    pro.add(leaf.bin->pro);
    curve.add({double(leaf.above_normal + leaf.bin->normal) / double(normal_),
               std::min(pro.value() / double(regions_), 1.0), leaf.lowest});
  });
  return curve.finish();
}

}  // namespace rd
