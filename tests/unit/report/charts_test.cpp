// The SVG charts: every score in a bar, the threshold and validation lines when there are some,
// scores far above the bulk gathered in the last bin, escaped titles.
#include "report/charts.h"

#include <doctest/doctest.h>

#include <regex>

namespace {

std::size_t count(const std::string& text, const std::string& needle) {
  std::size_t n = 0;
  for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

// The sum of the bars' data-count attributes.
std::size_t counted(const std::string& svg) {
  std::size_t sum = 0;
  const std::regex re("data-count=\"([0-9]+)\"");
  for (auto it = std::sregex_iterator(svg.begin(), svg.end(), re); it != std::sregex_iterator(); ++it)
    sum += std::stoul((*it)[1]);
  return sum;
}

}  // namespace

TEST_CASE("the histogram puts every run score in a bar and draws the threshold and the validation scores") {
  const std::vector<rd::HistogramSeries> run = {{"normal", "s-normal", {0.1, 0.2, 0.2, 0.3}},
                                                {"anomalous", "s-anomalous", {0.8, 0.9}}};
  const std::string svg = rd::svg_histogram(run, {0.1, 0.15, 0.2, 0.25}, 0.5, 0.2);
  CHECK(counted(svg) == 6);
  CHECK(count(svg, "class=\"bar s-anomalous\"") >= 1);
  CHECK(count(svg, "class=\"threshold-line\"") == 1);
  CHECK(count(svg, "class=\"validation-line\"") == 1);
  CHECK(count(svg, "class=\"validation-median\"") == 1);
  const std::string bare = rd::svg_histogram(run, {}, std::nullopt, std::nullopt);
  CHECK(count(bare, "threshold-line") == 0);
  CHECK(count(bare, "validation-line") == 0);
  CHECK(rd::svg_histogram({}, {}, std::nullopt, std::nullopt) == "<p class=\"note\">No scores to draw.</p>");
}

TEST_CASE("a score far above the bulk goes to the last bin, which says so") {
  std::vector<double> bulk;
  for (int i = 0; i < 100; ++i) bulk.push_back(0.3 + 0.001 * i);
  std::vector<double> run = bulk;
  run.push_back(50.0);
  const auto b = rd::detail::histogram_binning(run, 0.4, bulk, run, 40);
  CHECK(b.overflow);
  CHECK(b.hi < 1.0);
  CHECK(b.bin(50.0) == 39);
  CHECK(b.bin(0.3) == 0);
  const std::string svg = rd::svg_histogram({{"run", "s-run", run}}, bulk, 0.4, std::nullopt);
  CHECK(counted(svg) == 101);
  CHECK(svg.find("the last bin holds everything above") != std::string::npos);
  // One value alone still makes a range.
  const auto one = rd::detail::histogram_binning({0.5}, std::nullopt, {}, {0.5}, 10);
  CHECK(one.lo < 0.5);
  CHECK(one.hi > 0.5);
}

TEST_CASE("a curve is one polyline through its points, with an escaped title") {
  const std::vector<rd::CurvePoint> roc = {{0, 0, 1}, {0, 0.5, 0.8}, {0.5, 1, 0.4}, {1, 1, 0.1}};
  const std::string svg = rd::svg_curve(roc, {"ROC <all>", "fpr", "tpr", "AUROC 0.875", true, std::nullopt});
  CHECK(count(svg, "<polyline class=\"curve\"") == 1);
  CHECK(count(svg, "class=\"chance\"") == 1);
  CHECK(svg.find("ROC &lt;all&gt;") != std::string::npos);
  CHECK(svg.find("<all>") == std::string::npos);
  const std::regex points("points=\"([^\"]*)\"");
  std::smatch m;
  REQUIRE(std::regex_search(svg, m, points));
  CHECK(count(m[1], ",") == 4);
}
