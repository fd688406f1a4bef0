// rd-eval --curves: ROC, precision-recall and PRO curves as CSV files and PNG plots.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include <opencv2/core.hpp>

#include "eval/evaluate.h"
#include "eval/metrics.h"

namespace rd {

// How plot_curve draws one curve. Both axes run from 0 to 1.
struct PlotStyle {
  std::string title;
  std::string x_label;
  std::string y_label;
  std::string legend;              // e.g. "AUROC = 0.9731"
  bool diagonal = false;           // the chance line of a ROC plot
  std::optional<double> x_limit;   // a dashed vertical line (PRO's FPR limit)
  bool legend_bottom_left = false; // default: bottom right
  int width = 640;
  int height = 520;
};

// Draws the curve (x, y of each point) on a white BGR image with axes, ticks every 0.2, axis
// labels, a title and the legend in a box.
cv::Mat plot_curve(const std::vector<CurvePoint>& curve, const PlotStyle& style);

// Writes "x_name,y_name,threshold" and one row per point (full precision; +inf as "inf"),
// atomically. Throws RuntimeFailure naming the file on an I/O error.
void write_curve_csv(const std::string& path, const std::vector<CurvePoint>& curve, const std::string& x_name,
                     const std::string& y_name);

// Encodes `image` as PNG and writes it atomically. Throws RuntimeFailure naming the file.
void write_png(const std::string& path, const cv::Mat& image);

// Writes the report's curves into `dir` (created if missing): roc.csv/.png (fpr, tpr),
// pr.csv/.png (recall, precision) and, with pixel metrics, pixel_roc.csv/.png and (MVTec PRO
// mode) pro.csv/.png (fpr, pro). Returns the paths written. Throws RuntimeFailure when the
// directory cannot be made or a file cannot be written.
std::vector<std::string> write_curves(const EvalReport& report, const std::string& dir);

}  // namespace rd
