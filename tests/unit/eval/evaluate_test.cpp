#include "eval/evaluate.h"

#include <cmath>
#include <sstream>
#include <string>
#include <vector>

#include <doctest/doctest.h>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "errors.h"
#include "eval/pixel_metrics.h"
#include "io/npy.h"
#include "support.h"

namespace {

struct Run {
  rd::EvalReport report;
  std::vector<std::string> warnings;
};

Run run(const std::string& jsonl, rd::EvalOptions options = {}) {
  Run r;
  rd::EvalCallbacks cb;
  cb.warn = [&](const std::string& m) { r.warnings.push_back(m); };
  rd::Evaluator evaluator(options, cb);
  std::istringstream in(jsonl);
  evaluator.read(in, "s.jsonl");
  r.report = evaluator.finish();
  return r;
}

const char* kRecords =
    "{\"score\": 0.9, \"label\": 1, \"defect\": \"crack\"}\n"
    "{\"score\": 0.4, \"label\": 1, \"defect\": \"hole\"}\n"
    "{\"score\": 0.7, \"label\": 1, \"defect\": \"crack\"}\n"
    "{\"score\": 0.4, \"label\": 0}\n"
    "{\"score\": 0.2, \"label\": false}\n"
    "{\"score\": 0.8, \"label\": 0.0, \"defect\": \"good\"}\n";

}  // namespace

TEST_CASE("image_metrics_equal_the_metric_functions_on_the_same_scores") {
  const Run r = run(kRecords);
  const rd::ImageMetrics want = rd::image_metrics({0.9, 0.4, 0.7, 0.4, 0.2, 0.8}, {1, 1, 1, 0, 0, 0});
  CHECK(r.report.overall.name == "all");
  CHECK(r.report.overall.image.auroc == want.auroc);
  CHECK(r.report.overall.image.average_precision == want.average_precision);
  CHECK(r.report.overall.image.f1.threshold == want.f1.threshold);
  CHECK(r.report.counts.normal == 3);
  CHECK(r.report.counts.anomalous == 3);
  CHECK_FALSE(r.report.overall.pixel);
  CHECK(r.report.by_defect.empty());
  CHECK(r.warnings.empty());
}

TEST_CASE("by_defect_compares_each_defect_with_all_normal_records") {
  rd::EvalOptions o;
  o.by_defect = true;
  const Run r = run(kRecords, o);
  REQUIRE(r.report.by_defect.size() == 2);
  CHECK(r.report.by_defect[0].name == "crack");
  CHECK(r.report.by_defect[0].image.auroc == rd::roc_auc({0.9, 0.7, 0.4, 0.2, 0.8}, {1, 1, 0, 0, 0}));
  CHECK(r.report.by_defect[1].name == "hole");
  CHECK(r.report.by_defect[1].image.normal == 3);
  CHECK(r.report.by_defect[1].image.anomalous == 1);
  CHECK(r.report.by_defect[1].image.auroc == rd::roc_auc({0.4, 0.4, 0.2, 0.8}, {1, 0, 0, 0}));
}

TEST_CASE("records_with_an_error_or_without_a_label_are_counted_not_scored") {
  const Run r = run(std::string(kRecords) +
                    "{\"path\": \"e.png\", \"label\": 1, \"error\": \"cannot decode\"}\n"
                    "{\"score\": 0.5}\n"
                    "{\"score\": 0.5, \"label\": null}\n"
                    "plain/path.png\n");
  CHECK(r.report.counts.records == 10);
  CHECK(r.report.counts.skipped_error == 1);
  CHECK(r.report.counts.skipped_unlabelled == 3);
  CHECK(r.report.counts.normal + r.report.counts.anomalous == 6);
  REQUIRE(r.warnings.size() == 1);
  CHECK(r.warnings[0] == "1 records carry an \"error\" (failed before evaluation); they are counted, not scored");
}

TEST_CASE("unusable_records_are_skipped_with_a_warning_naming_the_line") {
  const Run r = run(std::string(kRecords) +
                    "{\"score\": 0.5, \"label\": 2}\n"
                    "{\"label\": 1}\n"
                    "{\"score\": \"high\", \"label\": 1}\n"
                    "{\"score\": 0.5, \"label\": 1, \"map\": 3}\n"
                    "{\"score\": \n");
  CHECK(r.report.counts.skipped_error == 5);
  REQUIRE(r.warnings.size() == 5);
  CHECK(r.warnings[0] == "s.jsonl:7: \"label\" must be 0, 1 or null; record skipped");
  CHECK(r.warnings[1] == "s.jsonl:8: no \"score\"; record skipped");
  CHECK(r.warnings[2] == "s.jsonl:9: \"score\" is not a finite number; record skipped");
  CHECK(r.warnings[3] == "s.jsonl:10: \"map\" is not a string; record skipped");
  CHECK(r.warnings[4].rfind("s.jsonl:11: invalid JSON", 0) == 0);
}

TEST_CASE("a_single_class_or_no_labelled_record_is_a_usage_error") {
  CHECK_THROWS_WITH_AS(run("{\"score\": 1, \"label\": 0}\n{\"score\": 2, \"label\": 0}\n"),
                       "cannot evaluate: all 2 labelled records are normal; the metrics need both normal (label 0) "
                       "and anomalous (label 1) records",
                       rd::UsageError);
  CHECK_THROWS_WITH_AS(run("{\"score\": 1, \"label\": 1}\n"),
                       "cannot evaluate: all 1 labelled records are anomalous; the metrics need both normal (label "
                       "0) and anomalous (label 1) records",
                       rd::UsageError);
  CHECK_THROWS_WITH_AS(run("{\"score\": 1}\n{\"error\": \"x\"}\n"),
                       "no usable labelled records among 2 read (1 with an error, 1 unlabelled)", rd::UsageError);
}

TEST_CASE("options_out_of_range_are_usage_errors") {
  rd::EvalOptions o;
  o.fpr_limit = 0;
  CHECK_THROWS_AS(rd::Evaluator{o}, rd::UsageError);
  o.fpr_limit = 1.5;
  CHECK_THROWS_AS(rd::Evaluator{o}, rd::UsageError);
  o.fpr_limit = 0.2;
  o.pro_mode = rd::ProMode::rd4ad;
  CHECK_THROWS_WITH_AS(rd::Evaluator{o}, "PRO mode rd4ad uses the paper's fixed FPR limit 0.3", rd::UsageError);
  CHECK(rd::parse_pro_mode("rd4ad") == rd::ProMode::rd4ad);
  CHECK_THROWS_AS(rd::parse_pro_mode("MVTec"), rd::UsageError);
}

TEST_CASE("curves_are_kept_only_when_asked") {
  CHECK(run(kRecords).report.curves.roc.empty());
  rd::EvalOptions o;
  o.curves = true;
  const Run r = run(kRecords, o);
  CHECK(r.report.curves.roc.size() == 6);  // the start and five distinct scores
  CHECK(r.report.curves.pr.size() == 6);
  CHECK(r.report.curves.pro.empty());
}

TEST_CASE("pixel_metrics_use_maps_and_masks_and_equal_pixel_metrics_on_the_same_pixels") {
  const std::string dir = rd::test::scratch_dir("evaluate_pixel");
  // Two anomalous images with one region each, one normal image without a mask.
  const std::vector<float> a{0.9f, 0.1f, 0.2f, 0.8f}, b{0.3f, 0.6f, 0.1f, 0.4f}, n{0.5f, 0.1f, 0.2f, 0.3f};
  rd::write_npy(dir + "/a.npy", a.data(), 2, 2);
  rd::write_npy(dir + "/b.npy", b.data(), 2, 2);
  rd::write_npy(dir + "/n.npy", n.data(), 2, 2);
  // Masks at twice the size: nearest neighbour brings them back to 2x2.
  const cv::Mat ma = (cv::Mat_<std::uint8_t>(2, 2) << 255, 0, 0, 0), mb = (cv::Mat_<std::uint8_t>(2, 2) << 0, 255, 0, 0);
  cv::Mat big_a, big_b;
  cv::resize(ma, big_a, cv::Size(4, 4), 0, 0, cv::INTER_NEAREST);
  cv::resize(mb, big_b, cv::Size(4, 4), 0, 0, cv::INTER_NEAREST);
  REQUIRE(cv::imwrite(dir + "/a.png", big_a));
  REQUIRE(cv::imwrite(dir + "/b.png", big_b));
  const std::string records = "{\"score\": 0.9, \"label\": 1, \"map\": \"" + dir + "/a.npy\", \"mask\": \"" + dir +
                              "/a.png\"}\n{\"score\": 0.6, \"label\": 1, \"map\": \"" + dir + "/b.npy\", \"mask\": \"" +
                              dir + "/b.png\"}\n{\"score\": 0.5, \"label\": 0, \"map\": \"" + dir + "/n.npy\"}\n";
  rd::PixelMetrics pm;
  const std::vector<std::uint8_t> mask_a{1, 0, 0, 0}, mask_b{0, 1, 0, 0}, none(4, 0);
  pm.add(a.data(), mask_a.data(), 2, 2);
  pm.add(b.data(), mask_b.data(), 2, 2);
  pm.add(n.data(), none.data(), 2, 2);

  rd::EvalOptions o;
  o.curves = true;
  const Run r = run(records, o);
  REQUIRE(r.report.overall.pixel);
  CHECK(r.report.overall.pixel->images == 3);
  CHECK(r.report.overall.pixel->regions == 2);
  CHECK(r.report.overall.pixel->auroc == pm.pixel_auroc());
  CHECK(r.report.overall.pixel->aupro == pm.aupro(0.3));
  CHECK_FALSE(r.report.curves.pro.empty());
  CHECK_FALSE(r.report.curves.pixel_roc.empty());
  CHECK(r.report.overall.pixel->average_precision == pm.summary().average_precision);
  CHECK(r.report.overall.pixel->passes == 0);  // exact

  // Past the exact limit the same files are streamed: from the start (0), or once the third map
  // would pass it (8 pixels). Every bin here holds one class, so streaming is exact too.
  for (const std::uint64_t limit : {std::uint64_t(0), std::uint64_t(8)}) {
    CAPTURE(limit);
    rd::EvalOptions streamed = o;
    streamed.exact_pixel_limit = limit;
    const Run st = run(records, streamed);
    REQUIRE(st.report.overall.pixel);
    CHECK(st.report.overall.pixel->passes >= 1);
    CHECK(st.report.overall.pixel->images == 3);
    CHECK(st.report.overall.pixel->regions == 2);
    CHECK(std::abs(st.report.overall.pixel->auroc - pm.pixel_auroc()) < 1e-12);
    CHECK(std::abs(st.report.overall.pixel->aupro - pm.aupro(0.3)) < 1e-12);
    CHECK(std::abs(st.report.overall.pixel->average_precision - pm.summary().average_precision) < 1e-12);
    CHECK_FALSE(st.report.curves.pro.empty());
  }

  // On 2x2 maps the paper's PRO is undefined: pixel metrics are left out, with the reason.
  o.pro_mode = rd::ProMode::rd4ad;
  const Run undefined = run(records, o);
  CHECK_FALSE(undefined.report.overall.pixel);
  REQUIRE(undefined.warnings.size() == 1);
  CHECK(undefined.warnings[0].rfind("all: no pixel metrics: image 0: fewer than two thresholds", 0) == 0);
  o.exact_pixel_limit = 0;  // the same when streamed: the paper's PRO is per image either way
  const Run undefined_streamed = run(records, o);
  CHECK_FALSE(undefined_streamed.report.overall.pixel);
  REQUIRE(undefined_streamed.warnings.size() == 1);
  CHECK(undefined_streamed.warnings[0] == undefined.warnings[0]);
  o.pixel = false;
  CHECK_FALSE(run(records, o).report.overall.pixel);
}

TEST_CASE("an_unreadable_map_skips_its_record_in_image_and_pixel_metrics") {
  const std::string dir = rd::test::scratch_dir("evaluate_unreadable");
  const std::vector<float> a{0.9f, 0.1f, 0.2f, 0.3f}, n{0.5f, 0.1f, 0.2f, 0.3f};
  rd::write_npy(dir + "/a.npy", a.data(), 2, 2);
  rd::write_npy(dir + "/n.npy", n.data(), 2, 2);
  REQUIRE(cv::imwrite(dir + "/a.png", cv::Mat(2, 2, CV_8U, cv::Scalar(255))));
  const std::string records = "{\"score\": 0.9, \"label\": 1, \"map\": \"" + dir + "/a.npy\", \"mask\": \"" + dir +
                              "/a.png\"}\n{\"score\": 0.5, \"label\": 0, \"map\": \"" + dir +
                              "/n.npy\"}\n{\"score\": 0.1, \"label\": 0, \"map\": \"" + dir + "/gone.npy\"}\n";
  const Run r = run(records);
  CHECK(r.report.counts.skipped_error == 1);
  CHECK(r.report.counts.normal == 1);
  CHECK(r.report.overall.image.normal == 1);
  REQUIRE(r.report.overall.pixel);
  CHECK(r.report.overall.pixel->images == 2);
  REQUIRE(r.warnings.size() == 1);
  CHECK(r.warnings[0].find("s.jsonl:3: anomaly map: cannot open '") == 0);
  CHECK(r.warnings[0].find("gone.npy") != std::string::npos);
}

TEST_CASE("anomalous_records_without_a_mask_are_left_out_of_pixel_metrics_with_a_warning") {
  const std::string dir = rd::test::scratch_dir("evaluate_nomask");
  const std::vector<float> a{0.9f, 0.1f, 0.2f, 0.3f};
  rd::write_npy(dir + "/a.npy", a.data(), 2, 2);
  const cv::Mat mask = (cv::Mat_<std::uint8_t>(2, 2) << 255, 0, 0, 0);
  REQUIRE(cv::imwrite(dir + "/a.png", mask));
  const std::string map = "\"map\": \"" + dir + "/a.npy\"";
  const Run r = run("{\"score\": 0.9, \"label\": 1, " + map + ", \"mask\": \"" + dir + "/a.png\"}\n" +
                    "{\"score\": 0.8, \"label\": 1, " + map + "}\n{\"score\": 0.5, \"label\": 0, " + map +
                    "}\n{\"score\": 0.4, \"label\": 0}\n");
  REQUIRE(r.report.overall.pixel);
  CHECK(r.report.overall.pixel->images == 2);
  CHECK(r.report.overall.image.anomalous == 2);
  REQUIRE(r.warnings.size() == 2);
  CHECK(r.warnings[0] == "1 labelled records have no \"map\"; pixel metrics leave them out");
  CHECK(r.warnings[1] == "1 anomalous records have a map but no \"mask\"; pixel metrics leave them out");
}

TEST_CASE("read_label_accepts_integers_booleans_and_whole_floats_and_nothing_else") {
  auto label = [](const char* json) {
    int l = 7;
    const bool ok = rd::read_label(rd::RecordFields::parse(json), l);
    return ok ? l : -2;
  };
  CHECK(label(R"({"label": 1})") == 1);
  CHECK(label(R"({"label": 0.0})") == 0);
  CHECK(label(R"({"label": true})") == 1);
  CHECK(label(R"({"label": null})") == rd::kNoLabel);
  CHECK(label(R"({})") == rd::kNoLabel);
  CHECK(label(R"({"label": 2})") == -2);
  CHECK(label(R"({"label": "1"})") == -2);
  CHECK(label(R"({"label": 0.5})") == -2);
}
