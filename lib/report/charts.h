// The page's charts as inline SVG (no script, no fonts to fetch): the score histogram against the
// validation scores, and the ROC / PR / PRO curves of rd-eval's report.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "eval/metrics.h"

namespace rd {

// One group of the run's scores, stacked with the others in each bin.
struct HistogramSeries {
  std::string name;       // for the tooltip: "normal (label 0)"
  std::string css_class;  // "s-normal", "s-anomalous", "s-unlabelled", "s-run"
  std::vector<double> values;
};

// Bars: each bin's share of the run's scores (series stacked, <rect class="bar CSS_CLASS">), the
// validation scores' shares as an outline on the same axes (<path class="validation-line">)
// with their median (<line class="validation-median">), and the threshold (<line
// class="threshold-line">). Scores far above the bulk are gathered in the last bin, marked "≥".
// Gives a short note instead of a chart when there is no score at all.
std::string svg_histogram(const std::vector<HistogramSeries>& run, const std::vector<double>& validation,
                          std::optional<double> threshold, std::optional<double> validation_median, int bins = 40);

struct CurveStyle {
  std::string title, x_label, y_label, legend;
  bool diagonal = false;          // the chance line of a ROC plot
  std::optional<double> x_limit;  // a dashed vertical line (PRO's FPR limit)
};

// A curve on the unit square (<polyline class="curve">), with axes, ticks and the legend.
std::string svg_curve(const std::vector<CurvePoint>& curve, const CurveStyle& style);

namespace detail {
// Bin edges and counts as svg_histogram uses them: `bins` equal bins from lo to hi; values at or
// above hi (when the range was cut) fall in the last bin.
struct Binning {
  double lo = 0, hi = 1;
  bool overflow = false;  // the range was cut short of the largest value
  int bins = 40;
  int bin(double value) const;
};
Binning histogram_binning(const std::vector<double>& all, std::optional<double> threshold,
                          const std::vector<double>& validation, const std::vector<double>& run, int bins);
}  // namespace detail

}  // namespace rd
