// Image-level detection metrics that equal scikit-learn's on the same inputs: ROC AUC, average
// precision, F1-max, and the ROC / precision-recall curves behind them.
//
// Convention (as sklearn's _binary_clf_curve): at threshold t a score s counts as positive when
// s >= t, and the curves have one point per distinct score, highest first. Ties therefore move
// the curves diagonally, which is what "ties as in roc_auc_score" means.
#pragma once
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

namespace rd {

// Labels: 1 anomalous, 0 normal. kNoLabel marks a record whose label is unknown; metrics refuse it.
inline constexpr int kNoLabel = -1;

// One point of a curve. ROC: x = FPR, y = TPR. PR: x = recall, y = precision. threshold is the
// score at which the point is reached (score >= threshold is positive); the first point of every
// curve has threshold +infinity (nothing positive yet), which CSV writers print as "inf".
struct CurvePoint {
  double x;
  double y;
  double threshold;
};

// The best F1 over all distinct thresholds. Among equal F1 the lowest threshold wins, as
// np.argmax over sklearn's precision_recall_curve (increasing thresholds) picks it.
struct F1Max {
  double f1 = 0;
  double threshold = 0;
  double precision = 0;
  double recall = 0;
};

// Everything rd-eval reports for one set of labelled image scores, from a single sort.
struct ImageMetrics {
  std::size_t normal = 0;
  std::size_t anomalous = 0;
  double auroc = 0;
  double average_precision = 0;
  F1Max f1;
};

// All functions below throw rd::InputError when scores and labels differ in length, a score is
// NaN or infinite, a label is not 0 or 1 (kNoLabel included), or only one class is present
// (the metrics are undefined then; sklearn raises or returns NaN, we never return NaN).

// Area under the ROC curve by the trapezoid rule over distinct thresholds (= roc_auc_score).
double roc_auc(const std::vector<double>& scores, const std::vector<int>& labels);

// Sum over distinct thresholds of (R_n - R_{n-1}) * P_n (= average_precision_score).
double average_precision(const std::vector<double>& scores, const std::vector<int>& labels);

// Maximum of 2PR / (P + R) over distinct thresholds (0 where P + R = 0).
F1Max f1_max(const std::vector<double>& scores, const std::vector<int>& labels);

// AUROC, AP and F1-max together, plus the class counts.
ImageMetrics image_metrics(const std::vector<double>& scores, const std::vector<int>& labels);

// (0, 0, +inf), then (FPR, TPR, t) for every distinct score t, highest first. Unlike sklearn's
// default no collinear point is dropped (drop_intermediate=False), so CSVs list every threshold.
std::vector<CurvePoint> roc_curve(const std::vector<double>& scores,
                                  const std::vector<int>& labels);

// (recall 0, precision 1, +inf), then (recall, precision, t) for every distinct score t, highest
// first: sklearn's precision_recall_curve read backwards.
std::vector<CurvePoint> pr_curve(const std::vector<double>& scores, const std::vector<int>& labels);

namespace detail {

// Cumulative counts at one distinct threshold of a descending sweep: tp and fp count the
// positives and negatives with score >= threshold.
struct ThresholdCount {
  double threshold;
  std::uint64_t tp;
  std::uint64_t fp;
};

// Folds the points of a descending threshold sweep into AUROC, AP and F1-max without storing
// them, so pixel metrics over millions of pixels reuse the exact image-level arithmetic.
class SweepSummary {
 public:
  // Throws InputError naming `what` when either class is empty.
  SweepSummary(std::uint64_t positives, std::uint64_t negatives, const std::string& what);
  void add(const ThresholdCount& point);
  double auroc() const;
  double average_precision() const;
  const F1Max& f1_max() const { return best_; }

 private:
  std::uint64_t positives_;
  std::uint64_t negatives_;
  ThresholdCount last_{std::numeric_limits<double>::infinity(), 0, 0};
  // Exact twice-area in units of 1/(P*N): integer sums of trapezoids. 128 bits, because the
  // streamed pixel metrics reach P*N beyond 2^64 (4 G pixels of each class).
  unsigned __int128 auc_twice_ = 0;
  double ap_ = 0;
  F1Max best_;
  bool any_ = false;
};

// Validates the inputs and returns the descending sweep (sklearn's _binary_clf_curve).
std::vector<ThresholdCount> threshold_counts(const std::vector<double>& scores,
                                             const std::vector<int>& labels);

// Throws InputError when a value is NaN or infinite; `what` names the array in the message.
void check_finite(const std::vector<double>& values, const char* what);

// Throws InputError naming `what` when either class is empty: every metric here is undefined then.
void check_both_classes(std::uint64_t positives, std::uint64_t negatives, const std::string& what);

}  // namespace detail
}  // namespace rd
