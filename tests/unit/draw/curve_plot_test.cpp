#include "draw/curve_plot.h"

#include <fstream>
#include <limits>
#include <sstream>

#include <doctest/doctest.h>
#include <opencv2/imgcodecs.hpp>

#include "errors.h"
#include "support.h"

namespace {

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Says whether some pixel within 2 px of (x, y) is drawn in the curve's blue.
bool blue_near(const cv::Mat& image, int x, int y) {
  for (int dy = -2; dy <= 2; ++dy)
    for (int dx = -2; dx <= 2; ++dx) {
      const cv::Vec3b p = image.at<cv::Vec3b>(y + dy, x + dx);
      if (p[0] > 150 && p[2] < 80) return true;
    }
  return false;
}

const double kInf = std::numeric_limits<double>::infinity();

}  // namespace

TEST_CASE("plot_curve_draws_the_curve_inside_the_axes_on_white") {
  rd::PlotStyle style;
  style.title = "t";
  style.legend = "AUROC = 0.5000";
  const cv::Mat image = rd::plot_curve({{0, 0, kInf}, {1, 1, 0.5}}, style);
  REQUIRE(image.type() == CV_8UC3);
  CHECK(image.cols == 640);
  CHECK(image.rows == 520);
  CHECK(image.at<cv::Vec3b>(5, 5) == cv::Vec3b(255, 255, 255));
  // The plot area runs from x 80 to 610 and y 50 to 450: the diagonal's middle is at (345, 250).
  CHECK(blue_near(image, 345, 250));
  CHECK_FALSE(blue_near(image, 345, 150));
  CHECK(image.at<cv::Vec3b>(450, 200) == cv::Vec3b(0, 0, 0));  // the x axis
}

TEST_CASE("write_curve_csv_names_the_columns_and_writes_inf_for_the_first_threshold") {
  const std::string dir = rd::test::scratch_dir("curve_csv");
  rd::write_curve_csv(dir + "/roc.csv", {{0, 0, kInf}, {0.25, 0.5, 0.75}, {1, 1, 0.1}}, "fpr", "tpr");
  CHECK(slurp(dir + "/roc.csv") == "fpr,tpr,threshold\n0,0,inf\n0.25,0.5,0.75\n1,1,0.1\n");
}

TEST_CASE("write_curves_writes_image_curves_and_pixel_curves_when_present") {
  const std::string dir = rd::test::scratch_dir("curves") + "/new/sub";
  rd::EvalReport r;
  r.curves.roc = {{0, 0, kInf}, {0.5, 1, 0.4}, {1, 1, 0.1}};
  r.curves.pr = {{0, 1, kInf}, {1, 0.5, 0.1}};
  auto files = rd::write_curves(r, dir);
  CHECK(files == std::vector<std::string>{dir + "/roc.csv", dir + "/roc.png", dir + "/pr.csv", dir + "/pr.png"});
  CHECK(cv::imread(dir + "/roc.png").cols == 640);
  CHECK(slurp(dir + "/pr.csv").rfind("recall,precision,threshold\n0,1,inf\n", 0) == 0);

  r.overall.pixel = rd::PixelResult{2, 1, 0.9, 0.8};
  r.curves.pixel_roc = r.curves.roc;
  r.curves.pro = {{0, 0, kInf}, {0.2, 0.9, 0.5}, {1, 1, 0.1}};
  files = rd::write_curves(r, dir);
  CHECK(files.size() == 8);
  CHECK(cv::imread(dir + "/pro.png").rows == 520);
  CHECK(slurp(dir + "/pro.csv").rfind("fpr,pro,threshold\n", 0) == 0);
}

TEST_CASE("write_curves_fails_with_runtime_failure_when_the_directory_cannot_be_made") {
  const std::string dir = rd::test::scratch_dir("curves_blocked");
  std::ofstream(dir + "/file") << "x";
  rd::EvalReport r;
  CHECK_THROWS_AS(rd::write_curves(r, dir + "/file/sub"), rd::RuntimeFailure);
}
