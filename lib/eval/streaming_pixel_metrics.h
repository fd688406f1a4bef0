// Pixel AUROC, pixel AP and AUPRO over any number of pixels in bounded memory, by passes over the
// maps instead of holding every pixel (PixelMetrics holds 8 bytes per pixel).
//
// Scores are binned on their float32 bit patterns, mapped to integer keys in score order: the
// first pass counts normal pixels, anomalous pixels and PRO mass (the sum of 1/area of each
// anomalous pixel's region) in 65536 bins of 2^16 keys (sign, exponent and 7 mantissa bits).
// Every metric is then a sum over bins, and a bin that holds one class only, or one distinct
// score, contributes exactly what the full sort would (pixel AP aside, see below). A bin's
// contribution can err only inside its own rectangle of the curve, which gives a rigorous
// bound per bin:
//   AUROC  a*n / (2 P N)                                         (the trapezoid halves it)
//   AP     (a/P) * ((T+a)/(T+a+F) - (T+1)/(T+1+F+n))             (precision's range in the bin)
//   AUPRO  dFPR * dPRO / 2 / limit, the bin's FPR cut at the limit (not halved when cut)
// with a, n the bin's anomalous and normal pixels, T, F those above it, P, N the totals. After
// a pass, the bins with the largest bounds are split into 256 bins each (2^8 keys, then single
// keys, which are exact) and the next pass over the same maps fills only those, until every
// metric's summed bound is below the tolerance. So the result agrees with the exact sort to the
// tolerance on any input (ties, constant maps, both classes inside one float's neighbourhood),
// usually after 2 or 3 passes.
//
// Memory: 1.75 MB for the first level, 7 KB per split bin (at most kMaxNewNodesPerPass per pass,
// kMaxNodes in all: 115 MB), and one image's labels while adding. AUPRO keeps no state per
// region: the PRO mass is summed per bin, divided by the region count at the end, so regions
// cost nothing beyond the count (a uint64). The RD4AD PRO is per image and is computed in the
// first pass from that image alone.
#pragma once
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <opencv2/core.hpp>

#include "eval/metrics.h"

namespace rd {

class StreamingPixelMetrics {
 public:
  static constexpr double kDefaultTolerance = 2e-5;
  static constexpr std::size_t kMaxNewNodesPerPass = 4096;
  static constexpr std::size_t kMaxNodes = 16384;

  // `fpr_limit`: the AUPRO integration limit, whose error the refinement bounds; nullopt when
  // AUPRO is not wanted (or taken in rd4ad mode). `rd4ad`: compute the paper's per-image PRO in
  // the first pass. `tolerance`: the largest error allowed on each of AUROC, AP and AUPRO.
  explicit StreamingPixelMetrics(std::optional<double> fpr_limit = 0.3, bool rd4ad = false,
                                 double tolerance = kDefaultTolerance);

  // Adds one image to the current pass; the same checks and conventions as PixelMetrics::add
  // (map CV_32FC1; mask CV_8UC1 of 0 and 1, 8-connected regions). Every pass must add the
  // same images, in any order.
  void add(const cv::Mat& map, const cv::Mat& mask);
  void add(const float* map, const std::uint8_t* mask, int height, int width);

  // Ends a pass. Says true when another pass over the same images is needed to bring the
  // error bounds below the tolerance (it then prepares the finer bins it will fill). Throws
  // InputError when a later pass saw other pixels than the first.
  bool finish_pass();

  int passes() const { return passes_; }
  std::size_t images() const { return images_; }
  std::uint64_t pixels() const { return pixels_; }
  std::uint64_t anomalous_pixels() const { return pixels_ - normal_; }
  std::uint64_t regions() const { return regions_; }

  // The metrics after the last finished pass, and the bound on each one's error. Throw as
  // PixelMetrics's do (one class only; no region or no normal pixel for AUPRO).
  double pixel_auroc() const;
  double average_precision() const;
  double aupro() const;        // needs fpr_limit
  double aupro_rd4ad() const;  // needs rd4ad
  // The largest of the three bounds (AUPRO's only with fpr_limit).
  double error_bound() const;

  // The curves at bin resolution (FPR, TPR or PRO, the bin's lowest score), thinned as
  // PixelMetrics's are.
  std::vector<CurvePoint> roc_curve(std::size_t max_points = 1000) const;
  std::vector<CurvePoint> pro_curve(std::size_t max_points = 1000) const;

 private:
  struct Bin {
    std::uint64_t normal = 0;
    std::uint64_t anomalous = 0;
    double pro = 0;  // sum over its anomalous pixels of 1 / (area of the pixel's region)
  };
  struct Node {
    std::uint32_t first_key = 0;
    int shift = 0;  // each bin covers 2^shift keys
    int pass = 0;   // the pass that fills it
    std::vector<Bin> bins;
    std::vector<std::int32_t> child;  // per bin: the node that splits it, or -1
  };
  // A bin of the finest partition, in descending score order, with the counts above it.
  struct Leaf {
    const Bin* bin;
    float lowest;  // the lowest score the bin can hold
    bool exact;    // one key: one distinct score
    std::uint64_t above_anomalous, above_normal;
    double above_pro;
  };
  struct Bounds {
    double auroc = 0, ap = 0, aupro = 0;
  };

  template <class OnLeaf>
  void visit(std::size_t node, OnLeaf&& on_leaf, std::uint64_t& a, std::uint64_t& n, double& pro) const;
  template <class OnLeaf>
  void sweep(OnLeaf&& on_leaf) const;
  Bounds leaf_bounds(const Leaf& leaf) const;
  Bounds total_bounds() const;
  void check_classes() const;
  void check_pro() const;

  std::optional<double> fpr_limit_;
  bool rd4ad_;
  double tolerance_;
  std::vector<Node> nodes_;  // nodes_[0] is the first level
  int passes_ = 0;
  bool pass_open_ = false;
  std::size_t images_ = 0;
  std::uint64_t pixels_ = 0, normal_ = 0, regions_ = 0;
  std::uint64_t pass_pixels_ = 0;
  double rd4ad_sum_ = 0;
  std::size_t rd4ad_images_ = 0;
  std::string rd4ad_error_;
};

}  // namespace rd
