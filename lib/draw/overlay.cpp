#include "draw/overlay.h"

#include <algorithm>
#include <cmath>
#include <optional>
#include <tuple>
#include <vector>

#include <fmt/format.h>
#include <opencv2/imgproc.hpp>

#include "errors.h"

namespace rd {
namespace {

const cv::Scalar kBand(32, 32, 32), kText(240, 240, 240), kMuted(150, 150, 150), kContour(255, 255, 255);
const cv::Scalar kAnomalous(70, 70, 255), kOk(100, 220, 100), kWarning(80, 220, 255);
constexpr int kFont = cv::FONT_HERSHEY_SIMPLEX;
constexpr int kMinBandWidth = 400;  // narrower images get a wider canvas, so the legend stays legible

int opencv_colormap(Colormap c) {
  switch (c) {
    case Colormap::turbo: return cv::COLORMAP_TURBO;
    case Colormap::inferno: return cv::COLORMAP_INFERNO;
    default: return cv::COLORMAP_JET;
  }
}

std::string number(double v) { return fmt::format("{:.3g}", v); }

int panel_gap(cv::Size image) { return std::max(4, int(std::lround(image.width / 100.0))); }

int thickness_for(double font_scale) { return std::max(1, int(std::lround(font_scale * 1.8))); }

// A piece of a text line: text in a colour, optionally led by a short line (a contour swatch).
struct Piece {
  std::string text;
  cv::Scalar colour;
  std::optional<cv::Scalar> swatch;
};

// Draws pieces left to right from `at` (baseline), shrinking the font until they fit in `max_width`.
void draw_pieces(cv::Mat& canvas, const std::vector<Piece>& pieces, cv::Point at, double scale, int max_width) {
  const auto measure = [&](double s) {
    int width = 0, baseline = 0;
    for (const Piece& p : pieces) {
      const cv::Size t = cv::getTextSize(p.text, kFont, s, thickness_for(s), &baseline);
      width += t.width + (p.swatch ? t.height * 2 : 0);
    }
    return width;
  };
  while (scale > 0.3 && measure(scale) > max_width) scale *= 0.9;
  int x = at.x, baseline = 0;
  const int thick = thickness_for(scale);
  for (const Piece& p : pieces) {
    const cv::Size t = cv::getTextSize(p.text, kFont, scale, thick, &baseline);
    if (p.swatch) {
      const int y = at.y - t.height / 2;
      cv::line(canvas, {x + t.height / 4, y}, {x + t.height * 3 / 2, y}, *p.swatch, std::max(2, thick + 1));
      x += t.height * 2;
    }
    cv::putText(canvas, p.text, {x, at.y}, kFont, scale, p.colour, thick, cv::LINE_AA);
    x += t.width;
  }
}

// Text centred on x (or left/right-aligned); returns the horizontal extent it took.
std::pair<int, int> text_extent(const std::string& s, int x, double scale, int align) {
  int baseline = 0;
  const int w = cv::getTextSize(s, kFont, scale, thickness_for(scale), &baseline).width;
  const int left = align < 0 ? x : align > 0 ? x - w : x - w / 2;
  return {left, left + w};
}

void put_label(cv::Mat& canvas, const std::string& s, std::pair<int, int> extent, int y, double scale) {
  cv::putText(canvas, s, {extent.first, y}, kFont, scale, kText, thickness_for(scale), cv::LINE_AA);
}

// The colour bar in `box` with LO and HI at its ends and a tick at the threshold.
void draw_colour_bar(cv::Mat& canvas, cv::Rect box, double lo, double hi, const std::optional<double>& threshold,
                     Colormap colormap, double u) {
  cv::Mat ramp(1, box.width, CV_8U);
  for (int x = 0; x < box.width; ++x) ramp.at<uchar>(0, x) = cv::saturate_cast<uchar>(255.0 * x / std::max(1, box.width - 1));
  cv::Mat colours;
  cv::applyColorMap(ramp, colours, opencv_colormap(colormap));
  cv::resize(colours, canvas(box), box.size(), 0, 0, cv::INTER_NEAREST);
  cv::rectangle(canvas, cv::Rect(box.x - 1, box.y - 1, box.width + 2, box.height + 2), kMuted, 1);

  const double scale = 0.5 * u;
  const int label_y = box.br().y + int(std::lround(20 * u));
  auto lo_extent = text_extent(number(lo), box.x, scale, -1);
  auto hi_extent = text_extent(number(hi), box.br().x, scale, +1);
  bool show_lo = true, show_hi = true;
  if (threshold && *threshold >= lo && *threshold <= hi) {
    const int x = box.x + int(std::lround((*threshold - lo) / (hi - lo) * (box.width - 1)));
    const int reach = int(std::lround(5 * u));
    cv::line(canvas, {x, box.y - reach}, {x, box.br().y + reach}, kContour, std::max(2, int(std::lround(2 * u))));
    const auto t_extent = text_extent(number(*threshold), x, scale, 0);
    const int space = int(std::lround(6 * u));
    show_lo = lo_extent.second + space < t_extent.first;
    show_hi = t_extent.second + space < hi_extent.first;
    put_label(canvas, number(*threshold), t_extent, label_y, scale);
  }
  if (show_lo) put_label(canvas, number(lo), lo_extent, label_y, scale);
  if (show_hi) put_label(canvas, number(hi), hi_extent, label_y, scale);
}

// The first line of the band: score, the image threshold and the verdict.
std::vector<Piece> score_line(const OverlayInput& in, double map_max) {
  std::vector<Piece> line;
  if (in.score) {
    std::string text = fmt::format("score {:.4g}", *in.score);
    if (in.image_threshold) text += fmt::format(" {} {:.4g}", *in.score >= *in.image_threshold ? ">=" : "<", *in.image_threshold);
    line.push_back({text, kText, {}});
  } else {
    line.push_back({fmt::format("map max {:.4g}", map_max), kText, {}});
  }
  if (in.anomalous) line.push_back({*in.anomalous ? "  ANOMALOUS" : "  ok", *in.anomalous ? kAnomalous : kOk, {}});
  return line;
}

// The second line: what the contours and the colours mean.
std::vector<Piece> key_line(const ColourScale& scale, bool has_mask, const cv::Scalar& truth) {
  std::vector<Piece> line;
  if (scale.threshold)
    line.push_back({fmt::format("map >= {}   ", number(*scale.threshold)), kText, kContour});
  else
    line.push_back({"no pixel threshold   ", kMuted, {}});
  if (has_mask) line.push_back({"ground truth   ", kText, truth});
  if (scale.per_image) line.push_back({"per-image scale", kWarning, {}});
  return line;
}

void draw_band(cv::Mat& canvas, int top, double u, const OverlayInput& in, const ColourScale& scale, double lo,
               double hi, double map_max, const OverlayOptions& o) {
  const int pad = int(std::lround(12 * u)), split = canvas.cols * 55 / 100;
  draw_pieces(canvas, score_line(in, map_max), {pad, top + int(std::lround(28 * u))}, 0.7 * u, split - 2 * pad);
  draw_pieces(canvas, key_line(scale, !in.mask.empty(), ground_truth_colour(o.colormap)),
              {pad, top + int(std::lround(58 * u))}, 0.5 * u, split - 2 * pad);
  const cv::Rect bar(split + pad, top + int(std::lround(14 * u)), canvas.cols - split - 3 * pad,
                     int(std::lround(18 * u)));
  if (bar.width > 8) draw_colour_bar(canvas, bar, lo, hi, scale.threshold, o.colormap, u);
}

void check_input(const OverlayInput& in, const OverlayOptions& o) {
  if (in.image.empty() || in.image.type() != CV_8UC3) throw InputError("overlay: the image must be 8-bit BGR");
  if (in.map.empty() || in.map.type() != CV_32FC1) throw InputError("overlay: the anomaly map must be one float plane");
  if (!in.mask.empty() && (in.mask.type() != CV_8UC1 || in.mask.size() != in.image.size()))
    throw InputError("overlay: the mask must be 8-bit, one channel, of the image's size");
  if (!(o.alpha >= 0 && o.alpha <= 1)) throw UsageError(fmt::format("--alpha must be in 0..1, got {}", o.alpha));
}

}  // namespace

Colormap parse_colormap(const std::string& text) {
  if (text == "jet") return Colormap::jet;
  if (text == "turbo") return Colormap::turbo;
  if (text == "inferno") return Colormap::inferno;
  throw UsageError(fmt::format("unknown colour map '{}'; expected jet, turbo or inferno", text));
}

ColourScale choose_scale(const ScaleSources& s) {
  ColourScale scale;
  scale.threshold = s.threshold ? s.threshold : s.validation_max;
  if (s.per_image && s.range) throw UsageError("--range and --normalize per-image exclude each other");
  if (s.per_image) {
    scale.per_image = true;
    return scale;
  }
  if (s.range) {
    std::tie(scale.lo, scale.hi) = *s.range;
    if (!(std::isfinite(scale.lo) && std::isfinite(scale.hi) && scale.lo < scale.hi))
      throw UsageError(fmt::format("--range {},{}: expected finite LO < HI", scale.lo, scale.hi));
    return scale;
  }
  if (!scale.threshold)
    throw UsageError("no colour scale: give -t FILE (a pixel threshold: rd-threshold fit --pixel), -m MODEL "
                     "trained with --val, or --range LO,HI (--normalize per-image scales each map by its own "
                     "min and max, so colours cannot be compared across images)");
  scale.lo = s.validation_median.value_or(0.0);
  const double t = *scale.threshold;
  if (!(std::isfinite(t) && t > scale.lo))
    throw UsageError(fmt::format("the pixel threshold {} is not above the scale's low end {} ({}); give --range LO,HI",
                                 t, scale.lo, s.validation_median ? "the validation median" : "0"));
  scale.hi = scale.lo + 2 * (t - scale.lo);
  return scale;
}

cv::Mat colourise(const cv::Mat& map, double lo, double hi, Colormap colormap) {
  cv::Mat levels, colours;
  map.convertTo(levels, CV_8U, 255.0 / (hi - lo), -lo * 255.0 / (hi - lo));
  cv::applyColorMap(levels, colours, opencv_colormap(colormap));
  return colours;
}

cv::Mat region_border(const cv::Mat& region, int width) {
  const cv::Mat inside = region != 0;
  cv::Mat inner;
  cv::erode(inside, inner, cv::getStructuringElement(cv::MORPH_CROSS, {3, 3}), {-1, -1}, std::max(1, width),
            cv::BORDER_CONSTANT, cv::Scalar(0));
  return inside & ~inner;
}

int default_contour_width(cv::Size size) {
  return std::max(1, int(std::lround(std::min(size.width, size.height) / 300.0)));
}

cv::Scalar ground_truth_colour(Colormap colormap) {
  // A colour the colour map does not contain: jet and turbo have no magenta, inferno no cyan.
  return colormap == Colormap::inferno ? cv::Scalar(255, 255, 0) : cv::Scalar(255, 0, 255);
}

cv::Size overlay_content_size(cv::Size image, bool panel, bool has_mask) {
  if (!panel) return image;
  const int n = has_mask ? 3 : 2;
  return {n * image.width + (n - 1) * panel_gap(image), image.height};
}

cv::Mat draw_overlay(const OverlayInput& in, const ColourScale& scale, const OverlayOptions& o) {
  check_input(in, o);
  const cv::Size size = in.image.size();
  cv::Mat map;
  if (in.map.size() == size) map = in.map;
  else cv::resize(in.map, map, size, 0, 0, cv::INTER_LINEAR);

  double lo = scale.lo, hi = scale.hi, map_min = 0, map_max = 0;
  cv::minMaxLoc(in.map, &map_min, &map_max);
  if (scale.per_image) {
    lo = map_min;
    hi = map_max > map_min ? map_max : map_min + 1e-6 * std::max(1.0, std::abs(map_min));  // a flat map: all cold
  }
  cv::Mat blended;
  cv::addWeighted(in.image, 1 - o.alpha, colourise(map, lo, hi, o.colormap), o.alpha, 0, blended);
  const int line = o.contour_width > 0 ? o.contour_width : default_contour_width(size);
  if (scale.threshold) blended.setTo(kContour, region_border(map >= *scale.threshold, line));
  if (!in.mask.empty()) blended.setTo(ground_truth_colour(o.colormap), region_border(in.mask, line));

  const cv::Size content = overlay_content_size(size, o.panel, !in.mask.empty());
  const int width = o.legend ? std::max(content.width, kMinBandWidth) : content.width;
  // The legend's unit length: text grows with the picture, but a wide panel of short images
  // does not get a band taller than they are.
  const double u = std::clamp(std::sqrt(double(width) * content.height) / 640.0, 0.6, 3.0);
  const int band = o.legend ? int(std::lround(72 * u)) : 0;
  cv::Mat canvas(content.height + band, width, CV_8UC3, kBand);
  if (!o.panel) {
    blended.copyTo(canvas(cv::Rect({0, 0}, size)));
  } else {
    const int step = size.width + panel_gap(size);
    in.image.copyTo(canvas(cv::Rect({0, 0}, size)));
    blended.copyTo(canvas(cv::Rect({step, 0}, size)));
    if (!in.mask.empty()) canvas(cv::Rect({2 * step, 0}, size)).setTo(cv::Scalar::all(255), in.mask != 0);
    if (!in.mask.empty()) canvas(cv::Rect({2 * step, 0}, size)).setTo(cv::Scalar::all(0), in.mask == 0);
  }
  if (o.legend) draw_band(canvas, content.height, u, in, scale, lo, hi, map_max, o);
  return canvas;
}

}  // namespace rd
