// Heat-map overlays a person can trust: an anomaly map coloured on a scale fixed across images,
// blended over the original image at its own size, with the pixel threshold's contour, the
// ground truth's contour, the score and a legend (DESIGN §5, rd-map).
#pragma once
#include <optional>
#include <string>
#include <utility>

#include <opencv2/core.hpp>

namespace rd {

enum class Colormap { jet, turbo, inferno };

// Parses "jet", "turbo" or "inferno". Throws UsageError naming the bad text and the choices.
Colormap parse_colormap(const std::string& text);

// The colour scale: map values from `lo` (coldest colour) to `hi` (hottest) onto the colour
// map; values outside clip to its ends.
struct ColourScale {
  double lo = 0, hi = 1;
  std::optional<double> threshold;  // pixel threshold: its contour and its tick on the legend
  bool per_image = false;           // ignore lo/hi: each map from its own min to its max
};

// Where a fixed scale can come from; choose_scale picks one.
struct ScaleSources {
  std::optional<double> threshold;          // a pixel threshold (rd-threshold fit --pixel)
  std::optional<double> validation_median;  // median of the model's validation map pixels
  std::optional<double> validation_max;     // largest validation map pixel (the model's default threshold)
  std::optional<std::pair<double, double>> range;  // --range LO,HI
  bool per_image = false;                          // --normalize per-image
};

// The scale rule. The pixel threshold t is `threshold`, else `validation_max` (the largest
// pixel seen on the normal validation images), else there is none (no contour).
//  - per_image: each map from its own min to max (colours then differ in meaning per image);
//  - range: LO..HI as given;
//  - else, with t: LO = validation median (0 when unknown: maps are cosine distances, >= 0) and
//    HI = LO + 2 (t - LO), so typical normal pixels are the coldest colour and the threshold
//    sits exactly mid-scale, whatever the model.
// Throws UsageError when no scale can be made (saying which option to give), when t <= LO, or
// for a range with LO >= HI, and when both per_image and range are given.
ColourScale choose_scale(const ScaleSources& sources);

struct OverlayOptions {
  Colormap colormap = Colormap::jet;
  double alpha = 0.5;      // weight of the colours; 0 leaves the image's pixels as they are
  bool legend = true;      // a band below the image: score, contour key, colour bar with numbers
  bool panel = false;      // original | overlay | mask (when there is one), side by side
  int contour_width = 0;   // pixels; 0: one per 300 pixels of the image's shorter side, at least 1
};

// One picture's inputs.
struct OverlayInput {
  cv::Mat image;  // CV_8UC3 BGR, the original image at its own size
  cv::Mat map;    // CV_32FC1, any size (resized bilinearly to the image), finite values
  cv::Mat mask;   // CV_8UC1 of the image's size, nonzero inside the ground truth; empty if none
  std::optional<double> score;            // the image score, shown in the legend band
  std::optional<bool> anomalous;          // rd-threshold apply's verdict, shown as ANOMALOUS/ok
  std::optional<double> image_threshold;  // the image threshold the verdict used
};

// Draws the overlay: the image area is the image's own size at the top left (side by side with
// the original and the mask with `panel`); with `legend` a band below it holds the score and
// verdict, the contour key and the colour bar with LO, t and HI. The canvas is widened (band
// colour) when the band needs more room than a small image gives. Contours are drawn inside
// their regions, so the region's footprint stays exact: the pixel threshold's (map >= t, the
// rule of rd-threshold) in white, the ground truth's in a colour the colour map lacks
// (magenta; cyan for inferno). Throws InputError for a map or mask it cannot use.
cv::Mat draw_overlay(const OverlayInput& input, const ColourScale& scale, const OverlayOptions& options);

// The map coloured: values lo..hi to 0..255 (rounded, clipped), then OpenCV's colour map; BGR.
cv::Mat colourise(const cv::Mat& map, double lo, double hi, Colormap colormap);

// The border of a binary region (nonzero pixels of a CV_8UC1): region pixels within `width`
// 4-connected steps of a pixel outside it or of the image's edge. CV_8UC1, 255 on the border.
cv::Mat region_border(const cv::Mat& region, int width);

// The contour width draw_overlay uses for an image of `size` when none is set.
int default_contour_width(cv::Size size);

// The colour of the ground-truth contour for `colormap`, BGR.
cv::Scalar ground_truth_colour(Colormap colormap);

// Size of the image area (image, or panel) that draw_overlay puts at the canvas's top left.
cv::Size overlay_content_size(cv::Size image, bool panel, bool has_mask);

}  // namespace rd
