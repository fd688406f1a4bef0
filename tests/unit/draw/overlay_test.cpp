#include "draw/overlay.h"

#include <doctest/doctest.h>

#include <opencv2/imgproc.hpp>

#include "errors.h"
#include "io/output_names.h"

namespace {

// The colour OpenCV's colour map gives to `level` (0-255), BGR.
cv::Vec3b colour_of(int level, int colormap) {
  cv::Mat one(1, 1, CV_8U, cv::Scalar(level)), out;
  cv::applyColorMap(one, out, colormap);
  return out.at<cv::Vec3b>(0, 0);
}

// A map of `size` with value 1 on a disc around `centre` fading to 0 at `radius`.
cv::Mat cone(cv::Size size, cv::Point centre, double radius) {
  cv::Mat map(size, CV_32F);
  for (int y = 0; y < size.height; ++y)
    for (int x = 0; x < size.width; ++x)
      map.at<float>(y, x) = float(std::max(0.0, 1 - cv::norm(cv::Point(x, y) - centre) / radius));
  return map;
}

rd::OverlayOptions plain(double alpha) {
  rd::OverlayOptions o;
  o.alpha = alpha;
  o.legend = false;
  return o;
}

rd::ColourScale scale(double lo, double hi, std::optional<double> threshold = {}) {
  rd::ColourScale s;
  s.lo = lo;
  s.hi = hi;
  s.threshold = threshold;
  return s;
}

cv::Mat pixels_of(const cv::Mat& picture, cv::Vec3b colour) {
  cv::Mat same;
  cv::inRange(picture, cv::Scalar(colour[0], colour[1], colour[2]), cv::Scalar(colour[0], colour[1], colour[2]), same);
  return same;
}

}  // namespace

TEST_CASE("overlay_is_hot_where_the_map_is_maximal_and_cold_where_minimal") {
  rd::OverlayInput in;
  in.image = cv::Mat(48, 64, CV_8UC3, cv::Scalar(90, 100, 110));
  in.map = cone(in.image.size(), {40, 20}, 15);
  const cv::Mat out = rd::draw_overlay(in, scale(0, 1), plain(1.0));
  REQUIRE(out.size() == in.image.size());
  CHECK(out.at<cv::Vec3b>(20, 40) == colour_of(255, cv::COLORMAP_JET));  // dark red
  CHECK(out.at<cv::Vec3b>(0, 0) == colour_of(0, cv::COLORMAP_JET));      // dark blue
  const cv::Mat turbo = rd::draw_overlay(in, scale(0, 1), [] { auto o = plain(1.0); o.colormap = rd::Colormap::turbo; return o; }());
  CHECK(turbo.at<cv::Vec3b>(20, 40) == colour_of(255, cv::COLORMAP_TURBO));
}

TEST_CASE("overlay_with_alpha_zero_keeps_the_image_pixels_exactly") {
  rd::OverlayInput in;
  in.image = cv::Mat(40, 50, CV_8UC3);
  cv::randu(in.image, cv::Scalar::all(0), cv::Scalar::all(256));
  in.map = cone(in.image.size(), {25, 20}, 12);
  CHECK(cv::norm(rd::draw_overlay(in, scale(0, 1), plain(0.0)), in.image, cv::NORM_INF) == 0);

  // With a threshold only the contour's pixels change.
  const cv::Mat out = rd::draw_overlay(in, scale(0, 1, 0.5), plain(0.0));
  const cv::Mat border = rd::region_border(in.map >= 0.5, 1);
  cv::Mat diff, changed;
  cv::absdiff(out, in.image, diff);
  cv::cvtColor(diff, changed, cv::COLOR_BGR2GRAY);
  CHECK(cv::countNonZero((changed != 0) != border) == 0);
  CHECK(cv::countNonZero(border) > 0);
}

TEST_CASE("threshold_contour_coincides_with_the_border_of_the_thresholded_region") {
  rd::OverlayInput in;
  in.image = cv::Mat(120, 160, CV_8UC3, cv::Scalar::all(0));
  in.map = cone(in.image.size(), {60, 50}, 30) + cone(in.image.size(), {120, 80}, 20) * 0.8;
  const double t = 0.35;
  const cv::Mat out = rd::draw_overlay(in, scale(0, 1, t), plain(0.0));
  const cv::Mat white = pixels_of(out, {255, 255, 255});

  // cv::findContours traces the same border pixels, independently of the morphology.
  std::vector<std::vector<cv::Point>> contours;
  cv::Mat region = in.map >= t;
  cv::findContours(region, contours, cv::RETR_LIST, cv::CHAIN_APPROX_NONE);
  REQUIRE(contours.size() == 2);
  cv::Mat traced(in.image.size(), CV_8U, cv::Scalar(0));
  for (const auto& c : contours)
    for (const cv::Point& p : c) traced.at<uchar>(p) = 255;
  CHECK(cv::countNonZero(white != traced) == 0);
  // Every contour pixel is inside the region: the contour does not cover pixels below t.
  CHECK(cv::countNonZero(white & ~region) == 0);
}

TEST_CASE("contour_width_grows_inwards_and_follows_the_image_size_by_default") {
  const cv::Mat region = cone({200, 200}, {100, 100}, 80) >= 0.25;
  const cv::Mat one = rd::region_border(region, 1), three = rd::region_border(region, 3);
  CHECK(cv::countNonZero(one & ~three) == 0);
  CHECK(cv::countNonZero(three & ~region) == 0);
  CHECK(cv::countNonZero(three) > 2 * cv::countNonZero(one));
  CHECK(rd::default_contour_width({256, 256}) == 1);
  CHECK(rd::default_contour_width({1024, 900}) == 3);
}

TEST_CASE("region_border_treats_the_image_edge_as_outside") {
  const cv::Mat all(10, 12, CV_8U, cv::Scalar(1));
  const cv::Mat border = rd::region_border(all, 1);
  CHECK(cv::countNonZero(border) == 2 * 12 + 2 * 10 - 4);
  CHECK(border.at<uchar>(5, 5) == 0);
}

TEST_CASE("ground_truth_contour_is_drawn_in_a_colour_the_colour_map_lacks") {
  rd::OverlayInput in;
  in.image = cv::Mat(60, 80, CV_8UC3, cv::Scalar::all(0));
  in.map = cv::Mat(60, 80, CV_32F, cv::Scalar(0.2));
  in.mask = cv::Mat(60, 80, CV_8U, cv::Scalar(0));
  cv::rectangle(in.mask, cv::Rect(20, 10, 30, 25), cv::Scalar(1), cv::FILLED);
  const cv::Mat out = rd::draw_overlay(in, scale(0, 1, 0.5), plain(1.0));
  const cv::Scalar magenta = rd::ground_truth_colour(rd::Colormap::jet);
  const cv::Mat drawn = pixels_of(out, {uchar(magenta[0]), uchar(magenta[1]), uchar(magenta[2])});
  CHECK(cv::countNonZero(drawn != rd::region_border(in.mask, 1)) == 0);
  CHECK(cv::countNonZero(drawn) == 2 * 30 + 2 * 25 - 4);
  CHECK(rd::ground_truth_colour(rd::Colormap::inferno) != magenta);
}

TEST_CASE("legend_band_is_drawn_below_the_image_unless_turned_off") {
  rd::OverlayInput in;
  in.image = cv::Mat(300, 500, CV_8UC3, cv::Scalar(60, 70, 80));
  in.map = cone({64, 64}, {32, 32}, 20);
  in.score = 0.91;
  in.anomalous = true;
  rd::OverlayOptions o = plain(0.5);
  const cv::Mat bare = rd::draw_overlay(in, scale(0, 1, 0.5), o);
  o.legend = true;
  const cv::Mat legend = rd::draw_overlay(in, scale(0, 1, 0.5), o);
  CHECK(bare.size() == in.image.size());
  CHECK(legend.cols == 500);
  REQUIRE(legend.rows > 300);
  // The image area is the same picture; the band below holds text and the colour bar.
  CHECK(cv::norm(legend(cv::Rect(0, 0, 500, 300)), bare, cv::NORM_INF) == 0);
  const cv::Mat band = legend(cv::Rect(0, 300, 500, legend.rows - 300));
  CHECK(cv::countNonZero(pixels_of(band, colour_of(255, cv::COLORMAP_JET))) > 0);  // the bar's hot end
  CHECK(cv::countNonZero(pixels_of(band, colour_of(0, cv::COLORMAP_JET))) > 0);    // its cold end

  // A small image gets a wider canvas for a legible band; the image stays at the top left.
  in.image = cv::Mat(40, 60, CV_8UC3, cv::Scalar(60, 70, 80));
  const cv::Mat small = rd::draw_overlay(in, scale(0, 1, 0.5), o);
  CHECK(small.cols > 60);
  o.legend = false;
  CHECK(cv::norm(small(cv::Rect(0, 0, 60, 40)), rd::draw_overlay(in, scale(0, 1, 0.5), o), cv::NORM_INF) == 0);
}

TEST_CASE("map_is_resized_bilinearly_to_the_original_image_size") {
  rd::OverlayInput in;
  in.image = cv::Mat(90, 120, CV_8UC3, cv::Scalar::all(0));
  in.map = (cv::Mat_<float>(2, 2) << 0, 0.25, 0.5, 1);
  const cv::Mat out = rd::draw_overlay(in, scale(0, 1), plain(1.0));
  CHECK(out.size() == in.image.size());
  cv::Mat resized;
  cv::resize(in.map, resized, in.image.size(), 0, 0, cv::INTER_LINEAR);
  CHECK(cv::norm(out, rd::colourise(resized, 0, 1, rd::Colormap::jet), cv::NORM_INF) == 0);
}

TEST_CASE("fixed_scale_keeps_a_weak_map_cold_and_per_image_normalisation_only_when_asked") {
  rd::OverlayInput in;
  in.image = cv::Mat(32, 32, CV_8UC3, cv::Scalar::all(0));
  in.map = cone(in.image.size(), {16, 16}, 10) * 0.1 + 0.1;  // 0.1 .. 0.2, far below a threshold of 0.5
  const cv::Mat fixed = rd::draw_overlay(in, scale(0, 1, 0.5), plain(1.0));
  CHECK(fixed.at<cv::Vec3b>(16, 16) == colour_of(51, cv::COLORMAP_JET));  // 0.2 of the scale: still blue
  rd::ColourScale per_image = scale(0, 1, 0.5);
  per_image.per_image = true;
  const cv::Mat own = rd::draw_overlay(in, per_image, plain(1.0));
  CHECK(own.at<cv::Vec3b>(16, 16) == colour_of(255, cv::COLORMAP_JET));  // its own max: hot
  CHECK(own.at<cv::Vec3b>(0, 0) == colour_of(0, cv::COLORMAP_JET));

  rd::ScaleSources sources;
  sources.threshold = 0.5;
  CHECK_FALSE(rd::choose_scale(sources).per_image);
  sources.per_image = true;
  CHECK(rd::choose_scale(sources).per_image);
}

TEST_CASE("choose_scale_puts_the_pixel_threshold_mid_scale_above_the_validation_median") {
  rd::ScaleSources s;
  s.threshold = 0.5;
  s.validation_median = 0.1;
  s.validation_max = 0.45;
  rd::ColourScale c = rd::choose_scale(s);
  CHECK(c.lo == doctest::Approx(0.1));
  CHECK(c.hi == doctest::Approx(0.9));
  CHECK(*c.threshold == 0.5);

  s.threshold.reset();  // the model's largest validation pixel stands in
  c = rd::choose_scale(s);
  CHECK(*c.threshold == 0.45);
  CHECK(c.hi == doctest::Approx(0.8));

  rd::ScaleSources t_only;  // no model statistics: the scale starts at 0
  t_only.threshold = 0.3;
  c = rd::choose_scale(t_only);
  CHECK(c.lo == 0);
  CHECK(c.hi == doctest::Approx(0.6));

  rd::ScaleSources range = t_only;
  range.range = std::make_pair(0.2, 2.0);
  c = rd::choose_scale(range);
  CHECK(c.lo == 0.2);
  CHECK(c.hi == 2.0);
  CHECK(*c.threshold == 0.3);
}

TEST_CASE("choose_scale_refuses_to_guess_and_says_which_option_to_give") {
  CHECK_THROWS_WITH_AS(rd::choose_scale({}),
                       doctest::Contains("no colour scale: give -t FILE (a pixel threshold: rd-threshold fit --pixel), "
                                         "-m MODEL trained with --val, or --range LO,HI"),
                       rd::UsageError);
  rd::ScaleSources low;
  low.threshold = 0.1;
  low.validation_median = 0.2;
  CHECK_THROWS_WITH_AS(rd::choose_scale(low), doctest::Contains("give --range LO,HI"), rd::UsageError);
  rd::ScaleSources both;
  both.per_image = true;
  both.range = std::make_pair(0.0, 1.0);
  CHECK_THROWS_AS(rd::choose_scale(both), rd::UsageError);
  rd::ScaleSources reversed;
  reversed.range = std::make_pair(1.0, 0.0);
  CHECK_THROWS_AS(rd::choose_scale(reversed), rd::UsageError);
}

TEST_CASE("panel_puts_original_overlay_and_mask_side_by_side") {
  rd::OverlayInput in;
  in.image = cv::Mat(50, 70, CV_8UC3);
  cv::randu(in.image, cv::Scalar::all(0), cv::Scalar::all(256));
  in.map = cone(in.image.size(), {30, 20}, 10);
  rd::OverlayOptions o = plain(0.5);
  o.panel = true;
  const cv::Mat two = rd::draw_overlay(in, scale(0, 1, 0.5), o);
  CHECK(two.size() == rd::overlay_content_size(in.image.size(), true, false));
  CHECK(cv::norm(two(cv::Rect(0, 0, 70, 50)), in.image, cv::NORM_INF) == 0);
  const int step = two.cols - 70;  // the overlay follows the original and a gap
  CHECK(cv::norm(two(cv::Rect(step, 0, 70, 50)), rd::draw_overlay(in, scale(0, 1, 0.5), plain(0.5)), cv::NORM_INF) == 0);

  in.mask = cv::Mat(50, 70, CV_8U, cv::Scalar(0));
  in.mask(cv::Rect(10, 10, 5, 5)) = 1;
  const cv::Mat three = rd::draw_overlay(in, scale(0, 1, 0.5), o);
  CHECK(three.size() == rd::overlay_content_size(in.image.size(), true, true));
  const cv::Mat last = three(cv::Rect(three.cols - 70, 0, 70, 50));
  CHECK(last.at<cv::Vec3b>(12, 12) == cv::Vec3b(255, 255, 255));
  CHECK(last.at<cv::Vec3b>(30, 30) == cv::Vec3b(0, 0, 0));
}

TEST_CASE("overlay_refuses_unusable_inputs") {
  rd::OverlayInput in;
  in.image = cv::Mat(10, 10, CV_8UC3, cv::Scalar::all(0));
  CHECK_THROWS_AS(rd::draw_overlay(in, scale(0, 1), plain(0.5)), rd::InputError);  // no map
  in.map = cv::Mat(10, 10, CV_32F, cv::Scalar(0));
  in.mask = cv::Mat(5, 5, CV_8U, cv::Scalar(0));
  CHECK_THROWS_AS(rd::draw_overlay(in, scale(0, 1), plain(0.5)), rd::InputError);
  in.mask.release();
  CHECK_THROWS_AS(rd::draw_overlay(in, scale(0, 1), plain(1.5)), rd::UsageError);
  CHECK_THROWS_WITH_AS(rd::parse_colormap("hot"), "unknown colour map 'hot'; expected jet, turbo or inferno",
                       rd::UsageError);
  CHECK(rd::parse_colormap("inferno") == rd::Colormap::inferno);
}

TEST_CASE("overlay_names_are_unique_for_the_same_file_name_in_different_folders") {
  const std::string a = rd::output_file_name("line1/cam/000.png", "png");
  const std::string b = rd::output_file_name("line2/cam/000.png", "png");
  CHECK(a != b);
  CHECK(a.rfind("000_", 0) == 0);
  CHECK(a.size() > 4);
  CHECK(a.substr(a.size() - 4) == ".png");
  CHECK(rd::output_file_name("line1/cam/000.png", "png") == a);  // deterministic
  CHECK(rd::output_file_name("line1/cam/000.png", "jpg") != a);
}
