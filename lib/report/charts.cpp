#include "report/charts.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "eval/threshold.h"
#include "report/html.h"

namespace rd {
namespace {

// Plot area of the histogram inside its view box.
constexpr double kWidth = 760, kHeight = 280, kLeft = 52, kRight = 16, kTop = 14, kBottom = 42;

std::string number(double v) { return fmt::format("{:.4g}", v); }

// "Nice" tick values (1, 2 or 5 times a power of ten) covering lo..hi with about `count` ticks.
std::vector<double> ticks(double lo, double hi, int count) {
  std::vector<double> out;
  if (!(hi > lo)) return {lo};
  const double raw = (hi - lo) / count;
  const double power = std::pow(10.0, std::floor(std::log10(raw)));
  double step = power;
  for (double m : {1.0, 2.0, 5.0, 10.0})
    if (raw <= m * power) {
      step = m * power;
      break;
    }
  for (double t = std::ceil(lo / step) * step; t <= hi + step * 1e-9; t += step) out.push_back(std::abs(t) < step * 1e-9 ? 0 : t);
  return out;
}

}  // namespace

namespace detail {

int Binning::bin(double value) const {
  const int b = int(std::floor((value - lo) / (hi - lo) * bins));
  return std::clamp(b, 0, bins - 1);
}

Binning histogram_binning(const std::vector<double>& all, std::optional<double> threshold,
                          const std::vector<double>& validation, const std::vector<double>& run, int bins) {
  Binning b;
  b.bins = std::max(bins, 1);
  b.lo = *std::min_element(all.begin(), all.end());
  b.hi = *std::max_element(all.begin(), all.end());
  if (threshold) {
    b.lo = std::min(b.lo, *threshold);
    b.hi = std::max(b.hi, *threshold);
  }
  // A few scores far above the bulk would squeeze it into one bin: the range ends a quarter past
  // the largest of the validation scores, the threshold and the run's 95th percentile.
  double cap = b.lo;
  if (!validation.empty()) cap = std::max(cap, *std::max_element(validation.begin(), validation.end()));
  if (threshold) cap = std::max(cap, *threshold);
  if (!run.empty()) {
    std::vector<double> sorted = run;
    std::sort(sorted.begin(), sorted.end());
    cap = std::max(cap, percentile_sorted(sorted, 95));
  }
  const double cut = b.lo + (cap - b.lo) * 1.25;
  if (cap > b.lo && b.hi > cut) {
    b.hi = cut;
    b.overflow = true;
  }
  if (!(b.hi > b.lo)) {
    const double pad = std::max(std::abs(b.lo) * 0.05, 1e-6);
    b.lo -= pad;
    b.hi += pad;
  }
  return b;
}

}  // namespace detail

std::string svg_histogram(const std::vector<HistogramSeries>& run, const std::vector<double>& validation,
                          std::optional<double> threshold, std::optional<double> validation_median, int bins) {
  std::vector<double> all = validation, run_all;
  for (const auto& s : run) run_all.insert(run_all.end(), s.values.begin(), s.values.end());
  all.insert(all.end(), run_all.begin(), run_all.end());
  if (all.empty()) return "<p class=\"note\">No scores to draw.</p>";
  const detail::Binning b = detail::histogram_binning(all, threshold, validation, run_all, bins);

  const double run_total = double(run_all.size()), val_total = double(validation.size());
  std::vector<std::vector<double>> shares(run.size(), std::vector<double>(std::size_t(b.bins), 0));
  std::vector<std::vector<std::size_t>> counts(run.size(), std::vector<std::size_t>(std::size_t(b.bins), 0));
  for (std::size_t s = 0; s < run.size(); ++s)
    for (double v : run[s].values) ++counts[s][std::size_t(b.bin(v))];
  std::vector<double> val_share(std::size_t(b.bins), 0);
  for (double v : validation) val_share[std::size_t(b.bin(v))] += 1 / val_total;
  double top = 0;
  for (int k = 0; k < b.bins; ++k) {
    double stacked = 0;
    for (std::size_t s = 0; s < run.size(); ++s) stacked += shares[s][std::size_t(k)] = double(counts[s][std::size_t(k)]) / run_total;
    top = std::max({top, stacked, val_share[std::size_t(k)]});
  }
  top = top > 0 ? top * 1.08 : 1;

  const double pw = kWidth - kLeft - kRight, ph = kHeight - kTop - kBottom;
  const auto x_of = [&](double v) { return kLeft + (v - b.lo) / (b.hi - b.lo) * pw; };
  const auto y_of = [&](double share) { return kTop + ph - share / top * ph; };
  const double bw = pw / b.bins;
  std::string svg = fmt::format(
      "<svg class=\"histogram\" viewBox=\"0 0 {} {}\" role=\"img\" aria-label=\"score histogram\" "
      "xmlns=\"http://www.w3.org/2000/svg\">\n",
      kWidth, kHeight);
  // Axes, ticks and grid.
  for (double t : ticks(0, top, 4)) {
    const double y = y_of(t);
    svg += fmt::format("<line class=\"grid\" x1=\"{:.1f}\" y1=\"{:.1f}\" x2=\"{:.1f}\" y2=\"{:.1f}\"/>"
                       "<text class=\"tick\" x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"end\">{:.0f}%</text>\n",
                       kLeft, y, kLeft + pw, y, kLeft - 6, y + 4, t * 100);
  }
  for (double t : ticks(b.lo, b.hi, 6)) {
    const double x = x_of(t);
    if (x < kLeft - 0.5 || x > kLeft + pw + 0.5) continue;
    svg += fmt::format("<line class=\"axis\" x1=\"{0:.1f}\" y1=\"{1:.1f}\" x2=\"{0:.1f}\" y2=\"{2:.1f}\"/>"
                       "<text class=\"tick\" x=\"{0:.1f}\" y=\"{3:.1f}\" text-anchor=\"middle\">{4}</text>\n",
                       x, kTop + ph, kTop + ph + 5, kTop + ph + 18, number(t));
  }
  svg += fmt::format("<line class=\"axis\" x1=\"{0}\" y1=\"{1:.1f}\" x2=\"{2:.1f}\" y2=\"{1:.1f}\"/>\n", kLeft, kTop + ph,
                     kLeft + pw);
  svg += fmt::format("<text class=\"label\" x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"middle\">anomaly score{}</text>\n",
                     kLeft + pw / 2, kHeight - 6, b.overflow ? " (the last bin holds everything above)" : "");
  // The run's bars, stacked.
  for (int k = 0; k < b.bins; ++k) {
    double base = 0;
    const double lo = b.lo + (b.hi - b.lo) * k / b.bins, hi = b.lo + (b.hi - b.lo) * (k + 1) / b.bins;
    for (std::size_t s = 0; s < run.size(); ++s) {
      const std::size_t n = counts[s][std::size_t(k)];
      if (!n) continue;
      const double share = shares[s][std::size_t(k)];
      svg += fmt::format(
          "<rect class=\"bar {}\" data-count=\"{}\" x=\"{:.2f}\" y=\"{:.2f}\" width=\"{:.2f}\" height=\"{:.2f}\">"
          "<title>{}: {} in [{}, {})</title></rect>\n",
          html_escape(run[s].css_class), n, x_of(lo) + 0.5, y_of(base + share), std::max(bw - 1, 0.5),
          y_of(base) - y_of(base + share), html_escape(run[s].name), n, number(lo),
          b.overflow && k == b.bins - 1 ? "∞" : number(hi));
      base += share;
    }
  }
  // Validation: an outline of its shares, and its median.
  if (!validation.empty()) {
    std::string d = fmt::format("M{:.2f},{:.2f}", x_of(b.lo), y_of(0));
    for (int k = 0; k < b.bins; ++k) {
      const double y = y_of(val_share[std::size_t(k)]);
      d += fmt::format(" L{:.2f},{:.2f} L{:.2f},{:.2f}", kLeft + bw * k, y, kLeft + bw * (k + 1), y);
    }
    d += fmt::format(" L{:.2f},{:.2f}", kLeft + pw, y_of(0));
    svg += fmt::format("<path class=\"validation-line\" d=\"{}\"><title>validation scores ({})</title></path>\n", d,
                       validation.size());
  }
  if (validation_median && *validation_median >= b.lo && *validation_median <= b.hi)
    svg += fmt::format("<line class=\"validation-median\" x1=\"{0:.2f}\" y1=\"{1:.1f}\" x2=\"{0:.2f}\" y2=\"{2:.1f}\">"
                       "<title>validation median {3}</title></line>\n",
                       x_of(*validation_median), kTop, kTop + ph, number(*validation_median));
  if (threshold) {
    const double x = x_of(*threshold);
    svg += fmt::format("<line class=\"threshold-line\" x1=\"{0:.2f}\" y1=\"{1:.1f}\" x2=\"{0:.2f}\" y2=\"{2:.1f}\">"
                       "<title>threshold {3}</title></line>"
                       "<text class=\"threshold-label\" x=\"{4:.2f}\" y=\"{5:.1f}\" text-anchor=\"{6}\">threshold {3}</text>\n",
                       x, kTop, kTop + ph, number(*threshold), x > kLeft + pw * 0.8 ? x - 4 : x + 4, kTop + 10,
                       x > kLeft + pw * 0.8 ? "end" : "start");
  }
  return svg + "</svg>";
}

std::string svg_curve(const std::vector<CurvePoint>& curve, const CurveStyle& style) {
  constexpr double W = 300, H = 300, L = 44, R = 12, T = 26, B = 40;
  const double pw = W - L - R, ph = H - T - B;
  const auto x_of = [&](double v) { return L + std::clamp(v, 0.0, 1.0) * pw; };
  const auto y_of = [&](double v) { return T + ph - std::clamp(v, 0.0, 1.0) * ph; };
  std::string svg = fmt::format("<svg class=\"curve-plot\" viewBox=\"0 0 {} {}\" role=\"img\" aria-label=\"{}\" "
                                "xmlns=\"http://www.w3.org/2000/svg\">\n",
                                W, H, html_escape(style.title));
  svg += fmt::format("<text class=\"title\" x=\"{:.1f}\" y=\"16\" text-anchor=\"middle\">{}</text>\n", L + pw / 2,
                     html_escape(style.title));
  for (double t : {0.0, 0.2, 0.4, 0.6, 0.8, 1.0}) {
    svg += fmt::format("<line class=\"grid\" x1=\"{0:.1f}\" y1=\"{1:.1f}\" x2=\"{0:.1f}\" y2=\"{2:.1f}\"/>"
                       "<line class=\"grid\" x1=\"{3:.1f}\" y1=\"{4:.1f}\" x2=\"{5:.1f}\" y2=\"{4:.1f}\"/>"
                       "<text class=\"tick\" x=\"{0:.1f}\" y=\"{6:.1f}\" text-anchor=\"middle\">{7:.1f}</text>"
                       "<text class=\"tick\" x=\"{8:.1f}\" y=\"{9:.1f}\" text-anchor=\"end\">{7:.1f}</text>\n",
                       x_of(t), T, T + ph, L, y_of(t), L + pw, T + ph + 14, t, L - 4, y_of(t) + 4);
  }
  svg += fmt::format("<rect class=\"frame\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\"/>\n", L, T, pw, ph);
  if (style.diagonal)
    svg += fmt::format("<line class=\"chance\" x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\"/>\n", x_of(0), y_of(0), x_of(1),
                       y_of(1));
  if (style.x_limit)
    svg += fmt::format("<line class=\"limit\" x1=\"{0:.1f}\" y1=\"{1}\" x2=\"{0:.1f}\" y2=\"{2}\"/>\n",
                       x_of(*style.x_limit), T, T + ph);
  std::string points;
  for (const CurvePoint& p : curve) points += fmt::format("{:.2f},{:.2f} ", x_of(p.x), y_of(p.y));
  svg += fmt::format("<polyline class=\"curve\" points=\"{}\"/>\n", points);
  svg += fmt::format("<text class=\"label\" x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"middle\">{}</text>\n", L + pw / 2,
                     H - 8, html_escape(style.x_label));
  svg += fmt::format("<text class=\"label\" transform=\"translate(12 {:.1f}) rotate(-90)\" text-anchor=\"middle\">{}</text>\n",
                     T + ph / 2, html_escape(style.y_label));
  svg += fmt::format("<text class=\"legend\" x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"end\">{}</text>\n", L + pw - 6,
                     T + ph - 8, html_escape(style.legend));
  return svg + "</svg>";
}

}  // namespace rd
