#include "eval/pixel_metrics.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <queue>

#include <fmt/format.h>
#include <opencv2/imgproc.hpp>

#include "errors.h"
#include "eval/curve_sums.h"

namespace rd {
namespace {

using detail::CompensatedSum;
using detail::CurveThinner;
using detail::TrapezoidToLimit;

// Makes room for `extra` more elements, growing geometrically as push_back would.
template <class T>
void reserve_more(std::vector<T>& v, std::size_t extra) {
  if (v.capacity() - v.size() < extra) v.reserve(std::max(v.size() + extra, 2 * v.capacity()));
}

// The end of the paper's compute_pro: df[df.fpr < 0.3]; fpr /= fpr.max(); sklearn's auc. The
// points come in rising-threshold order, so FPR falls and auc's direction is -1.
double rescaled_auc_below_03(const std::vector<double>& fpr, const std::vector<double>& pro,
                             std::size_t index) {
  std::vector<std::size_t> kept;
  double fpr_max = 0;
  for (std::size_t k = 0; k < fpr.size(); ++k) {
    if (fpr[k] < 0.3) {
      kept.push_back(k);
      fpr_max = std::max(fpr_max, fpr[k]);
    }
  }
  if (kept.size() < 2 || fpr_max == 0) {
    throw InputError(fmt::format(
        "image {}: fewer than two thresholds give FPR < 0.3, or all give FPR 0, so the RD4AD PRO "
        "is undefined (the paper's code fails or returns NaN)",
        index));
  }
  double area = 0;
  for (std::size_t j = 0; j + 1 < kept.size(); ++j) {
    const std::size_t a = kept[j], b = kept[j + 1];
    area += (fpr[a] / fpr_max - fpr[b] / fpr_max) * (pro[a] + pro[b]) / 2;
  }
  return area;
}

}  // namespace

void PixelMetrics::add(const cv::Mat& map, const cv::Mat& mask) {
  if (map.type() != CV_32FC1 || mask.type() != CV_8UC1) {
    throw InputError("anomaly map must be float32 with one channel and mask uint8 with one");
  }
  if (map.size() != mask.size()) {
    throw InputError(fmt::format("anomaly map is {}x{} but mask is {}x{}; resize the mask first",
                                 map.cols, map.rows, mask.cols, mask.rows));
  }
  const cv::Mat map_c = map.isContinuous() ? map : map.clone();
  const cv::Mat mask_c = mask.isContinuous() ? mask : mask.clone();
  add(map_c.ptr<float>(), mask_c.ptr<std::uint8_t>(), map.rows, map.cols);
}

void PixelMetrics::add(const float* map, const std::uint8_t* mask, int height, int width) {
  if (height <= 0 || width <= 0) throw InputError("anomaly map is empty");
  const std::size_t n = std::size_t(height) * std::size_t(width);
  for (std::size_t i = 0; i < n; ++i) {
    if (!std::isfinite(map[i])) {
      throw InputError(fmt::format("anomaly map value at row {}, column {} is {}", i / width,
                                   i % width, map[i]));
    }
    if (mask[i] > 1) {
      throw InputError(
          fmt::format("mask value {} at row {}, column {}; expected 0 or 1 "
                      "(binarise the mask first)",
                      mask[i], i / width, i % width));
    }
  }
  // skimage.measure.label's default for 2-D and the MVTec script's 3x3 structure: 8-connected.
  const cv::Mat mask_mat(height, width, CV_8UC1, const_cast<std::uint8_t*>(mask));
  cv::Mat labels;
  const int label_count = cv::connectedComponents(mask_mat, labels, 8, CV_32S);
  if (region_area_.size() + label_count > std::numeric_limits<std::uint32_t>::max()) {
    throw InputError("too many ground-truth regions");
  }

  Image image;
  image.first_region = std::uint32_t(region_area_.size() + 1);
  image.region_count = std::uint32_t(label_count - 1);
  image.pixels.resize(n);
  // Allocate everything first so that a failed allocation leaves the accumulator unchanged.
  reserve_more(images_, 1);
  reserve_more(region_area_, image.region_count);
  region_area_.resize(region_area_.size() + image.region_count, 0);
  const int* label = labels.ptr<int>();
  for (std::size_t i = 0; i < n; ++i) {
    const std::uint32_t region = label[i] ? image.first_region + label[i] - 1 : 0;
    image.pixels[i] = {map[i], region};
    if (region) {
      ++region_area_[region - 1];
    } else {
      ++image.normal_pixels;
    }
  }
  std::sort(image.pixels.begin(), image.pixels.end(),
            [](const Pixel& a, const Pixel& b) { return a.score > b.score; });
  pixels_ += n;
  normal_pixels_ += image.normal_pixels;
  images_.push_back(std::move(image));
}

std::size_t PixelMetrics::bytes() const {
  std::size_t total = sizeof(*this) + images_.capacity() * sizeof(Image) +
                      region_area_.capacity() * sizeof(std::uint32_t);
  for (const Image& image : images_) total += image.pixels.capacity() * sizeof(Pixel);
  return total;
}

// Visits every pixel of all images in descending score order (a k-way merge of the per-image
// sorted runs), calling on_pixel(pixel) for each and on_threshold(score) after the last pixel
// of each distinct score. on_threshold returns false to stop early.
template <class OnPixel, class OnThreshold>
void PixelMetrics::sweep(OnPixel&& on_pixel, OnThreshold&& on_threshold) const {
  struct Cursor {
    float score;
    std::size_t image;
    std::size_t pos;
  };
  auto lower = [](const Cursor& a, const Cursor& b) { return a.score < b.score; };
  std::priority_queue<Cursor, std::vector<Cursor>, decltype(lower)> heap(lower);
  for (std::size_t i = 0; i < images_.size(); ++i) heap.push({images_[i].pixels[0].score, i, 0});
  while (!heap.empty()) {
    const float current = heap.top().score;
    while (!heap.empty() && heap.top().score == current) {
      const Cursor c = heap.top();
      heap.pop();
      const std::vector<Pixel>& run = images_[c.image].pixels;
      std::size_t p = c.pos;
      for (; p < run.size() && run[p].score == current; ++p) on_pixel(run[p]);
      if (p < run.size()) heap.push({run[p].score, c.image, p});
    }
    if (!on_threshold(double(current))) return;
  }
}

PixelSummary PixelMetrics::summary() const {
  const std::uint64_t positives = anomalous_pixels();
  detail::SweepSummary sums(positives, normal_pixels_, "pixels");
  std::uint64_t tp = 0, fp = 0;
  sweep([&](const Pixel& p) { ++(p.region ? tp : fp); },
        [&](double t) {
          sums.add({t, tp, fp});
          return true;
        });
  return {normal_pixels_, positives, sums.auroc(), sums.average_precision(), sums.f1_max()};
}

void PixelMetrics::check_pro_inputs() const {
  if (region_area_.empty()) {
    throw InputError("no ground-truth regions in any mask; AUPRO needs anomalous pixels");
  }
  if (normal_pixels_ == 0) throw InputError("no normal pixels in any mask; AUPRO needs them");
}

// Calls on_point(FPR, PRO, threshold) at each distinct score, highest first, until it returns
// false; returns whether the sweep ran to the end.
template <class OnPoint>
bool PixelMetrics::pro_points(OnPoint&& on_point) const {
  check_pro_inputs();
  CompensatedSum pro;
  std::uint64_t fp = 0;
  const double regions = double(region_area_.size());
  bool complete = true;
  sweep(
      [&](const Pixel& p) {
        if (p.region) {
          pro.add(1.0 / region_area_[p.region - 1]);
        } else {
          ++fp;
        }
      },
      [&](double t) {
        // Clipped at 1 as the MVTec script does; the compensated sum ends within an ulp of it.
        complete = on_point(CurvePoint{double(fp) / double(normal_pixels_),
                                       std::min(pro.value() / regions, 1.0), t});
        return complete;
      });
  return complete;
}

double PixelMetrics::aupro(double fpr_limit) const {
  if (!(fpr_limit > 0 && fpr_limit <= 1)) {
    throw UsageError(fmt::format("AUPRO FPR limit {} is not in (0, 1]", fpr_limit));
  }
  TrapezoidToLimit area(fpr_limit);
  // Streams the curve and stops past the limit: storing it would cost 24 bytes per distinct score.
  if (pro_points([&](const CurvePoint& p) { return area.add(p.x, p.y); })) area.add(1, 1);
  return area.area() / fpr_limit;
}

std::vector<CurvePoint> PixelMetrics::pro_curve(std::size_t max_points) const {
  CurveThinner curve(max_points);
  curve.add({0, 0, std::numeric_limits<double>::infinity()});
  pro_points([&](const CurvePoint& p) {
    curve.add(p);
    return true;
  });
  return curve.finish();
}

std::vector<CurvePoint> PixelMetrics::roc_curve(std::size_t max_points) const {
  detail::check_both_classes(anomalous_pixels(), normal_pixels_, "pixels");
  CurveThinner curve(max_points);
  curve.add({0, 0, std::numeric_limits<double>::infinity()});
  std::uint64_t tp = 0, fp = 0;
  sweep([&](const Pixel& p) { ++(p.region ? tp : fp); },
        [&](double t) {
          curve.add(
              {double(fp) / double(normal_pixels_), double(tp) / double(anomalous_pixels()), t});
          return true;
        });
  return curve.finish();
}

double PixelMetrics::aupro_rd4ad() const {
  double sum = 0;
  std::size_t count = 0;
  for (std::size_t i = 0; i < images_.size(); ++i) {
    if (images_[i].region_count == 0) continue;  // The paper scores anomalous images only.
    sum += rd4ad_image(images_[i], i);
    ++count;
  }
  if (count == 0) throw InputError("no ground-truth regions in any mask; AUPRO needs them");
  return sum / double(count);
}

std::optional<double> PixelMetrics::rd4ad_image_pro(const float* map, const std::uint8_t* mask, int height,
                                                   int width, std::size_t index) {
  PixelMetrics one;
  one.add(map, mask, height, width);
  if (one.regions() == 0) return std::nullopt;
  return one.rd4ad_image(one.images_[0], index);
}

double PixelMetrics::rd4ad_image(const Image& image, std::size_t index) const {
  const std::vector<Pixel>& px = image.pixels;
  if (image.normal_pixels == 0) {
    throw InputError(
        fmt::format("image {}: the mask covers every pixel; the RD4AD PRO needs "
                    "normal pixels",
                    index));
  }
  const double lo = px.back().score, hi = px.front().score;
  if (!(hi > lo)) {
    throw InputError(fmt::format("image {}: the anomaly map is constant ({})", index, lo));
  }
  // np.arange(lo, hi, delta) exactly: ceil((hi - lo) / delta) values (200 or 201), the second
  // is lo + delta and the i-th lo + i * ((lo + delta) - lo), as numpy's fill computes them.
  const double delta = (hi - lo) / 200;
  const auto n = std::size_t(std::ceil((hi - lo) / delta));
  const double step = (lo + delta) - lo;
  auto threshold = [&](std::size_t i) { return i == 1 ? lo + delta : lo + double(i) * step; };

  // Thresholds from the highest down, so one pass over the descending pixels counts them all.
  std::vector<std::uint64_t> tp(image.region_count, 0);
  std::uint64_t fp = 0;
  std::size_t p = 0;
  std::vector<double> fpr(n), pro(n);
  for (std::size_t k = n; k-- > 0;) {
    const double t = threshold(k);
    for (; p < px.size() && double(px[p].score) > t; ++p) {
      ++(px[p].region ? tp[px[p].region - image.first_region] : fp);
    }
    double overlap = 0;
    for (std::size_t r = 0; r < tp.size(); ++r) {
      overlap += double(tp[r]) / region_area_[image.first_region - 1 + r];
    }
    fpr[k] = double(fp) / double(image.normal_pixels);
    pro[k] = overlap / double(tp.size());
  }

  return rescaled_auc_below_03(fpr, pro, index);
}

}  // namespace rd
