// Pixel-level segmentation metrics over a whole test set: pixel AUROC (= sklearn's roc_auc_score
// over all pixels), AUPRO as the MVTec AD evaluation defines it, and the RD4AD paper's own PRO.
//
// Feed one (anomaly map, ground-truth mask) pair at a time. Memory: each pixel is kept once as a
// float32 score plus a uint32 region id (8 bytes), sorted per image when added; the metrics
// merge the sorted images on the fly, so no global sort and no double copy is ever made. For
// 100 maps of 256x256 (6.55 M pixels) the accumulator holds 52.4 MB (bytes()); while adding,
// one image's connected-component labels (4 bytes/pixel, 256 KB) exist on top, and the metrics
// add O(images + regions). Measured peak RSS of such a run: 64.6 MB, 12.3 MB of it the process
// itself. Pixel AUROC, AUPRO and pro_curve(1000) each take one merge pass, ~0.3-0.7 s there.
#pragma once
#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include <opencv2/core.hpp>

#include "eval/metrics.h"

namespace rd {

// AUROC, AP and F1-max with every pixel as one sample (mask 1 = positive).
struct PixelSummary {
  std::uint64_t normal = 0;
  std::uint64_t anomalous = 0;
  double auroc = 0;
  double average_precision = 0;
  F1Max f1;
};

class PixelMetrics {
 public:
  // Adds one image. map: CV_32FC1; mask: CV_8UC1 of the same size with values 0 or 1 (the
  // caller resizes with nearest neighbour and binarises). Throws InputError on a type or size
  // mismatch, a non-finite map value or a mask value other than 0/1; nothing is added then.
  void add(const cv::Mat& map, const cv::Mat& mask);
  // The same for row-major buffers of height*width values.
  void add(const float* map, const std::uint8_t* mask, int height, int width);

  std::size_t images() const { return images_.size(); }
  std::uint64_t pixels() const { return pixels_; }
  std::uint64_t anomalous_pixels() const { return pixels_ - normal_pixels_; }
  // Connected ground-truth regions (8-connectivity) over all images.
  std::size_t regions() const { return region_area_.size(); }
  // Bytes held by the accumulator (pixel storage and bookkeeping).
  std::size_t bytes() const;

  // Pixel AUROC, AP and F1-max in one pass. Throws InputError if all pixels are of one class.
  PixelSummary summary() const;
  double pixel_auroc() const { return summary().auroc; }

  // MVTec AD AUPRO: all images jointly; at each distinct score t (pixels >= t positive) PRO is
  // the mean over all regions of the fraction of the region that is positive and FPR is the
  // positive fraction of all normal pixels; the curve (0,0), ..., (1,1) sorted by FPR is
  // integrated by trapezoids up to fpr_limit, linearly interpolated at the limit, and divided
  // by fpr_limit. Throws InputError without regions or without normal pixels, or UsageError
  // when fpr_limit is not in (0, 1].
  double aupro(double fpr_limit = 0.3) const;

  // The curve behind aupro() as (FPR, PRO, threshold), from (0, 0, +inf) to (1, 1, lowest
  // score). With max_points > 0 it is thinned for plots and CSVs: a point is kept when FPR or
  // PRO moved by at least 1/max_points since the last kept one; the ends are always kept.
  // max_points = 0 keeps every distinct score (24 bytes each: 157 MB for 6.55 M pixels).
  std::vector<CurvePoint> pro_curve(std::size_t max_points = 1000) const;
  // The pixel ROC curve (FPR, TPR, threshold), thinned the same way.
  std::vector<CurvePoint> roc_curve(std::size_t max_points = 1000) const;

  // The RD4AD paper's PRO (its test.py compute_pro): for each image whose mask has a region,
  // 200 thresholds np.arange(min, max, (max - min) / 200) of that image's map (pixels > t
  // positive); PRO = mean over the image's regions of the overlap fraction, FPR = false
  // positives / normal pixels of the image; points with FPR < 0.3 kept, FPR divided by its
  // maximum, area by trapezoids (sklearn.metrics.auc); the mean over those images. Thresholds
  // are computed in double, as the paper's maps are float64. Throws InputError when no image
  // has a region or an image's value is undefined (the paper's code asserts or returns NaN).
  double aupro_rd4ad() const;

  // The RD4AD PRO of one image alone, as aupro_rd4ad() computes it for each image, or nullopt
  // when its mask has no region (the paper skips such images); `index` names the image in
  // errors. Lets a caller that never holds all pixels (StreamingPixelMetrics) average it.
  static std::optional<double> rd4ad_image_pro(const float* map, const std::uint8_t* mask, int height,
                                               int width, std::size_t index);

 private:
  // One pixel as stored: region 0 is a normal pixel, otherwise a 1-based global region id.
  struct Pixel {
    float score;
    std::uint32_t region;
  };
  struct Image {
    std::vector<Pixel> pixels;       // Sorted by score, highest first.
    std::uint32_t first_region = 0;  // Global id of the image's first region.
    std::uint32_t region_count = 0;
    std::uint64_t normal_pixels = 0;
  };

  template <class OnPixel, class OnThreshold>
  void sweep(OnPixel&& on_pixel, OnThreshold&& on_threshold) const;
  template <class OnPoint>
  bool pro_points(OnPoint&& on_point) const;
  double rd4ad_image(const Image& image, std::size_t index) const;
  void check_pro_inputs() const;

  std::vector<Image> images_;
  std::vector<std::uint32_t> region_area_;  // Indexed by global region id - 1.
  std::uint64_t pixels_ = 0;
  std::uint64_t normal_pixels_ = 0;
};

}  // namespace rd
