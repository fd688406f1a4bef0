#include "draw/map_tool.h"

#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

#include <opencv2/imgcodecs.hpp>

#include "errors.h"
#include "io/npy.h"
#include "support.h"

namespace fs = std::filesystem;

namespace {

// A scratch folder with two images of the same name in different folders, their maps, a mask.
struct Scene {
  std::string dir = rd::test::scratch_dir("map_tool");
  Scene() {
    fs::create_directories(dir + "/a");
    fs::create_directories(dir + "/b");
    const cv::Mat image(30, 40, CV_8UC3, cv::Scalar(20, 120, 200));
    cv::imwrite(dir + "/a/img.png", image);
    cv::imwrite(dir + "/b/img.png", image);
    std::vector<float> map(16 * 16, 0.1f);
    map[5 * 16 + 5] = 0.9f;
    rd::write_npy(dir + "/map.npy", map.data(), 16, 16);
    rd::write_npy(dir + "/cube.npy", map.data(), 1, 16 * 16);  // 2-D after all: (1, 256)
    std::vector<float> bad = map;
    bad[3] = std::numeric_limits<float>::quiet_NaN();
    rd::write_npy(dir + "/nan.npy", bad.data(), 16, 16);
    cv::Mat mask(30, 40, CV_8U, cv::Scalar(0));
    mask(cv::Rect(5, 5, 10, 10)) = 255;
    cv::imwrite(dir + "/mask.png", mask);
  }
  ~Scene() { fs::remove_all(dir); }
  std::string operator()(const std::string& name) const { return dir + "/" + name; }
};

struct Run {
  std::vector<rd::RecordFields> records;
  std::vector<std::string> reports;
  rd::MapToolCounts counts;
};

Run run(const Scene& s, const std::string& lines, std::function<cv::Mat(const std::string&)> compute = {}) {
  rd::MapToolOptions o;
  o.out_dir = s("out");
  fs::create_directories(o.out_dir);
  o.scale.lo = 0;
  o.scale.hi = 1;
  o.scale.threshold = 0.5;
  Run r;
  rd::MapToolCallbacks cb;
  cb.emit = [&](const rd::RecordFields& f) { r.records.push_back(f); };
  cb.report = [&](const std::string& m) { r.reports.push_back(m); };
  cb.compute_map = std::move(compute);
  rd::MapTool tool(o, cb);
  std::istringstream in(lines);
  tool.read(in, "<test>", false);
  r.counts = tool.counts();
  return r;
}

std::string record(const std::string& path, const std::string& more = "") {
  return "{\"path\":\"" + path + "\"" + more + "}\n";
}

}  // namespace

TEST_CASE("map_tool_writes_one_overlay_per_record_at_the_image_size_and_adds_overlay") {
  Scene s;
  const Run r = run(s, record(s("a/img.png"), ",\"score\":0.9,\"map\":\"" + s("map.npy") + "\",\"mask\":\"" +
                                                  s("mask.png") + "\",\"camera\":\"A\"") +
                           record(s("b/img.png"), ",\"map\":\"" + s("map.npy") + "\""));
  REQUIRE(r.records.size() == 2);
  CHECK(r.counts.drawn == 2);
  const std::string first = r.records[0]["overlay"], second = r.records[1]["overlay"];
  CHECK(first != second);  // same file name, different folders
  CHECK(r.records[0]["camera"] == "A");
  CHECK(r.records[0].items().begin().key() == "path");  // fields keep their order, overlay comes last
  CHECK((--r.records[0].end()).key() == "overlay");
  const cv::Mat picture = cv::imread(first);
  REQUIRE_FALSE(picture.empty());
  CHECK(picture.cols >= 40);
  CHECK(picture.rows > 30);  // the image and the legend band below it
}

TEST_CASE("map_tool_computes_missing_maps_with_the_injected_model_only") {
  Scene s;
  int computed = 0;
  const auto compute = [&](const std::string&) {
    ++computed;
    return cv::Mat(8, 8, CV_32F, cv::Scalar(0.7f));
  };
  Run r = run(s, record(s("a/img.png")), compute);
  CHECK(computed == 1);
  CHECK(r.records[0].contains("overlay"));

  r = run(s, record(s("a/img.png")));
  CHECK(r.counts.failed == 1);
  CHECK(r.records[0]["error"].get<std::string>().find("has no \"map\"; give -m MODEL") != std::string::npos);
}

TEST_CASE("map_tool_turns_bad_records_into_error_records_and_draws_the_rest") {
  Scene s;
  const std::string map = ",\"map\":\"" + s("map.npy") + "\"";
  const Run r = run(s, record(s("missing.png"), map) + record(s("a/img.png"), ",\"map\":\"" + s("none.npy") + "\"") +
                           record(s("a/img.png"), ",\"map\":\"" + s("nan.npy") + "\"") +
                           record(s("a/img.png"), ",\"map\":7") + record(s("a/img.png"), map + ",\"mask\":\"" + s("x.png") + "\"") +
                           "{\"path\":\"x.png\",\"error\":\"upstream\"}\n" + "{\"path\":\n" + record(s("b/img.png"), map));
  REQUIRE(r.records.size() == 8);
  CHECK(r.counts.failed == 6);
  CHECK(r.counts.upstream == 1);
  CHECK(r.counts.drawn == 1);
  CHECK(r.reports.size() == 6);
  const auto error = [&](int i) { return r.records[i].value("error", std::string()); };
  CHECK(error(0).find("cannot decode '" + s("missing.png") + "'") != std::string::npos);
  CHECK(error(1).find("none.npy") != std::string::npos);
  CHECK(error(2).find("1 non-finite values") != std::string::npos);
  CHECK(error(3).find("\"map\" is not a string") != std::string::npos);
  CHECK(error(4).find("x.png") != std::string::npos);
  CHECK(r.records[5] == rd::RecordFields::parse("{\"path\":\"x.png\",\"error\":\"upstream\"}"));  // unchanged
  CHECK(error(6).find("<test>:7") != std::string::npos);
  CHECK(r.records[7].contains("overlay"));
}

TEST_CASE("map_tool_refuses_records_of_another_model_than_the_scale") {
  Scene s;
  rd::MapToolOptions o;
  o.out_dir = s("out");
  o.model_id = "0123456789abcdef";
  rd::MapToolCallbacks cb;
  cb.emit = [](const rd::RecordFields&) {};
  rd::MapTool tool(o, cb);
  std::istringstream in(record(s("a/img.png"), ",\"model\":\"fedcba9876543210\",\"map\":\"" + s("map.npy") + "\""));
  CHECK_THROWS_AS(tool.read(in, "<test>", false), rd::UsageError);
}

TEST_CASE("map_tool_options_are_checked") {
  rd::MapToolOptions o;
  CHECK_THROWS_WITH_AS(rd::check_map_tool_options(o), "missing -o/--out DIR for the overlays", rd::UsageError);
  o.out_dir = "x";
  o.format = "jpeg";
  rd::check_map_tool_options(o);
  CHECK(o.format == "jpg");
  o.format = "gif";
  CHECK_THROWS_AS(rd::check_map_tool_options(o), rd::UsageError);
  o.format = "png";
  o.quality = 0;
  CHECK_THROWS_AS(rd::check_map_tool_options(o), rd::UsageError);
}

TEST_CASE("map_tool_writes_the_mvtec_ad2_submission_instead_of_overlays") {
  const Scene s;
  fs::create_directories(s("rice/test_private"));
  fs::copy_file(s("a/img.png"), s("rice/test_private/003_regular.png"));
  rd::MapToolOptions o;
  o.mvtec_ad2_dir = s("sub");
  rd::MapToolCallbacks cb;
  std::vector<rd::RecordFields> out;
  cb.emit = [&](const rd::RecordFields& f) { out.push_back(f); };
  CHECK_THROWS_WITH_AS(rd::MapTool(o, cb), doctest::Contains("--mvtec-ad2 writes thresholded maps and needs a pixel "
                                                             "threshold"),
                       rd::UsageError);
  o.scale.threshold = 0.5;
  rd::MapTool tool(o, cb);
  // The size from the record's width and height (60x45, not the image's 40x30), else the image's.
  std::istringstream in(record(s("rice/test_private/003_regular.png"),
                               ",\"map\":\"" + s("map.npy") + "\",\"width\":60,\"height\":45") +
                        record(s("a/img.png"), ",\"map\":\"" + s("map.npy") + "\""));
  tool.read(in, "<test>", false);
  REQUIRE(out.size() == 2);
  CHECK(out[0]["submission"] == s("sub/anomaly_images/rice/test_private/003_regular.tiff"));
  CHECK(out[0]["submission_thresholded"] == s("sub/anomaly_images_thresholded/rice/test_private/003_regular.png"));
  const cv::Mat png = cv::imread(s("sub/anomaly_images_thresholded/rice/test_private/003_regular.png"),
                                 cv::IMREAD_UNCHANGED);
  CHECK(png.size() == cv::Size(60, 45));
  CHECK(cv::countNonZero(png) > 0);  // the hot pixel, above 0.5
  CHECK(out[1].contains("error"));   // not in an MVTec AD 2 test set
  CHECK(tool.counts().failed == 1);
  o.out_dir = "x";
  CHECK_THROWS_AS(rd::check_map_tool_options(o), rd::UsageError);  // overlays or the submission, not both
}

TEST_CASE("parse_range_reads_two_increasing_numbers") {
  CHECK(rd::parse_range("0.1,0.9") == std::make_pair(0.1, 0.9));
  CHECK(rd::parse_range("-1,2e-1") == std::make_pair(-1.0, 0.2));
  for (const char* bad : {"", "1", "1,", ",1", "a,b", "0.5,0.5", "1,0", "0,inf", "0,1,2"})
    CHECK_THROWS_AS(rd::parse_range(bad), rd::UsageError);
}

TEST_CASE("resolve_scale_reads_the_model_statistics_and_refuses_image_thresholds") {
  nlohmann::json meta = nlohmann::json::parse(
      R"({"validation":{"pixel":{"count":100,"mean":0.2,"std":0.05,"min":0.05,"max":0.6,
          "quantiles":{"0.5":0.2,"0.9":0.3,"0.95":0.35,"0.99":0.45,"0.995":0.5}}}})");
  rd::ScaleRequest r;
  r.model_meta = &meta;
  r.model_name = "m.rdm";
  r.model_id = "0123456789abcdef";
  rd::ResolvedScale s = rd::resolve_scale(r);
  CHECK(s.scale.lo == doctest::Approx(0.2));
  CHECK(*s.scale.threshold == doctest::Approx(0.6));
  CHECK(s.scale.hi == doctest::Approx(1.0));
  CHECK(*s.model_id == "0123456789abcdef");

  const nlohmann::json bare = nlohmann::json::object();
  r.model_meta = &bare;
  CHECK_THROWS_WITH_AS(rd::resolve_scale(r), doctest::Contains("has no validation pixel statistics (train it with --val)"),
                       rd::UsageError);

  const std::string file = rd::test::scratch_dir("resolve_scale") + "/image.json";
  std::ofstream(file) << R"({"kind":"rd-threshold","version":1,"method":"percentile:99","value":0.5,"count":10,)"
                         R"("model":null,"pixel":false,"created":"2026-01-01T00:00:00Z"})";
  rd::ScaleRequest image;
  image.threshold_file = file;
  CHECK_THROWS_WITH_AS(rd::resolve_scale(image), doctest::Contains("needs a pixel threshold (rd-threshold fit --pixel)"),
                       rd::UsageError);
}
