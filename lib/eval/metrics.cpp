#include "eval/metrics.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include <fmt/format.h>

#include "errors.h"

namespace rd {
namespace detail {

void check_finite(const std::vector<double>& values, const char* what) {
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (!std::isfinite(values[i])) {
      throw InputError(
          fmt::format("{} at index {} is {}; scores must be finite numbers", what, i, values[i]));
    }
  }
}

void check_both_classes(std::uint64_t positives, std::uint64_t negatives, const std::string& what) {
  if (positives == 0 || negatives == 0) {
    throw InputError(fmt::format(
        "{}: only one class present ({} anomalous, {} normal); AUROC, AP and F1 need both", what,
        positives, negatives));
  }
}

SweepSummary::SweepSummary(std::uint64_t positives, std::uint64_t negatives,
                           const std::string& what)
    : positives_(positives), negatives_(negatives) {
  check_both_classes(positives, negatives, what);
}

void SweepSummary::add(const ThresholdCount& point) {
  // Trapezoid between consecutive ROC points, kept as an integer: (dfp) * (tp + tp_prev) is the
  // doubled area in units of 1/(P*N), so the AUROC is exact up to the final division.
  auc_twice_ += (unsigned __int128)(point.fp - last_.fp) * (point.tp + last_.tp);
  const double precision = double(point.tp) / double(point.tp + point.fp);
  ap_ += double(point.tp - last_.tp) / double(positives_) * precision;
  // 2PR/(P+R) = 2tp / (tp + fp + positives): one correctly rounded division of integers, so
  // equal F1 values compare equal and the lowest threshold wins ties (>=).
  const double f1 = 2.0 * double(point.tp) / double(point.tp + point.fp + positives_);
  if (!any_ || f1 >= best_.f1) {
    best_ = {f1, point.threshold, precision, double(point.tp) / double(positives_)};
  }
  any_ = true;
  last_ = point;
}

double SweepSummary::auroc() const {
  return double(auc_twice_) / (2.0 * double(positives_) * double(negatives_));
}

double SweepSummary::average_precision() const { return ap_; }

std::vector<ThresholdCount> threshold_counts(const std::vector<double>& scores,
                                             const std::vector<int>& labels) {
  if (scores.size() != labels.size()) {
    throw InputError(fmt::format("{} scores but {} labels", scores.size(), labels.size()));
  }
  check_finite(scores, "score");
  std::vector<std::pair<double, bool>> sorted(scores.size());
  for (std::size_t i = 0; i < scores.size(); ++i) {
    if (labels[i] == kNoLabel) {
      throw InputError(
          fmt::format("score at index {} has no label; this needs labelled scores", i));
    }
    if (labels[i] != 0 && labels[i] != 1) {
      throw InputError(fmt::format("label at index {} is {}; expected 0 (normal) or 1 (anomalous)",
                                   i, labels[i]));
    }
    sorted[i] = {scores[i], labels[i] == 1};
  }
  std::sort(sorted.begin(), sorted.end(),
            [](const auto& a, const auto& b) { return a.first > b.first; });
  std::vector<ThresholdCount> counts;
  std::uint64_t tp = 0, fp = 0;
  for (std::size_t i = 0; i < sorted.size(); ++i) {
    (sorted[i].second ? tp : fp) += 1;
    // One point per distinct score, after all its ties are counted.
    if (i + 1 == sorted.size() || sorted[i + 1].first != sorted[i].first) {
      counts.push_back({sorted[i].first, tp, fp});
    }
  }
  return counts;
}

}  // namespace detail

namespace {

// The sweep and its class totals (the last point holds all positives and negatives).
struct Sweep {
  std::vector<detail::ThresholdCount> counts;
  std::uint64_t positives = 0;
  std::uint64_t negatives = 0;
};

Sweep make_sweep(const std::vector<double>& scores, const std::vector<int>& labels) {
  Sweep s;
  s.counts = detail::threshold_counts(scores, labels);
  if (!s.counts.empty()) {
    s.positives = s.counts.back().tp;
    s.negatives = s.counts.back().fp;
  }
  return s;
}

detail::SweepSummary summarise(const Sweep& s) {
  detail::SweepSummary summary(s.positives, s.negatives, "image scores");
  for (const auto& c : s.counts) summary.add(c);
  return summary;
}

}  // namespace

double roc_auc(const std::vector<double>& scores, const std::vector<int>& labels) {
  return summarise(make_sweep(scores, labels)).auroc();
}

double average_precision(const std::vector<double>& scores, const std::vector<int>& labels) {
  return summarise(make_sweep(scores, labels)).average_precision();
}

F1Max f1_max(const std::vector<double>& scores, const std::vector<int>& labels) {
  return summarise(make_sweep(scores, labels)).f1_max();
}

ImageMetrics image_metrics(const std::vector<double>& scores, const std::vector<int>& labels) {
  const Sweep s = make_sweep(scores, labels);
  const detail::SweepSummary summary = summarise(s);
  ImageMetrics m;
  m.normal = s.negatives;
  m.anomalous = s.positives;
  m.auroc = summary.auroc();
  m.average_precision = summary.average_precision();
  m.f1 = summary.f1_max();
  return m;
}

std::vector<CurvePoint> roc_curve(const std::vector<double>& scores,
                                  const std::vector<int>& labels) {
  const Sweep s = make_sweep(scores, labels);
  detail::check_both_classes(s.positives, s.negatives, "image scores");
  std::vector<CurvePoint> curve{{0.0, 0.0, std::numeric_limits<double>::infinity()}};
  for (const auto& c : s.counts) {
    curve.push_back(
        {double(c.fp) / double(s.negatives), double(c.tp) / double(s.positives), c.threshold});
  }
  return curve;
}

std::vector<CurvePoint> pr_curve(const std::vector<double>& scores,
                                 const std::vector<int>& labels) {
  const Sweep s = make_sweep(scores, labels);
  detail::check_both_classes(s.positives, s.negatives, "image scores");
  std::vector<CurvePoint> curve{{0.0, 1.0, std::numeric_limits<double>::infinity()}};
  for (const auto& c : s.counts) {
    curve.push_back(
        {double(c.tp) / double(s.positives), double(c.tp) / double(c.tp + c.fp), c.threshold});
  }
  return curve;
}

}  // namespace rd
