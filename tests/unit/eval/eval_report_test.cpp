#include "eval/eval_report.h"

#include <string>

#include <doctest/doctest.h>

#include "errors.h"

namespace {

rd::GroupMetrics group(const std::string& name, std::size_t normal, std::size_t anomalous, double auroc) {
  rd::GroupMetrics g;
  g.name = name;
  g.image.normal = normal;
  g.image.anomalous = anomalous;
  g.image.auroc = auroc;
  g.image.average_precision = 0.5;
  g.image.f1 = {0.75, 0.125, 0.6, 1.0};
  return g;
}

// All records, one defect with pixel metrics and one (named awkwardly) without.
rd::EvalReport report() {
  rd::EvalReport r;
  r.options.by_defect = true;
  r.counts = {12, 5, 4, 2, 1};
  r.overall = group("all", 5, 4, 0.9);
  r.overall.pixel = rd::PixelResult{9, 7, 0.97, 0.81, 0.625, 2, 3e-6};  // streamed
  r.by_defect.push_back(group("crack", 5, 3, 0.95));
  r.by_defect.back().pixel = rd::PixelResult{8, 6, 0.98, 0.85, 0.75};  // exact
  r.by_defect.push_back(group("odd, \"name\"", 5, 1, 0.1));
  return r;
}

}  // namespace

TEST_CASE("json_report_has_counts_metrics_and_pixel_fields_only_where_computed") {
  const auto j = rd::report_to_json(report());
  CHECK(j.dump() ==
        R"({"counts":{"records":12,"normal":5,"anomalous":4,"skipped_error":2,"skipped_unlabelled":1,)"
        R"("pixel_images":9,"regions":7},"image_auroc":0.9,"average_precision":0.5,)"
        R"("f1_max":{"value":0.75,"threshold":0.125,"precision":0.6,"recall":1.0},"pixel_auroc":0.97,"aupro":0.81,)"
        R"("pro_mode":"mvtec","fpr_limit":0.3,"pixel_average_precision":0.625,)"
        R"("pixel_streamed":{"passes":2,"error_bound":3e-06},"by_defect":{"crack":{"counts":{"normal":5,"anomalous":3,)"
        R"("pixel_images":8,"regions":6},"image_auroc":0.95,"average_precision":0.5,"f1_max":{"value":0.75,)"
        R"("threshold":0.125,"precision":0.6,"recall":1.0},"pixel_auroc":0.98,"aupro":0.85,"pro_mode":"mvtec",)"
        R"("fpr_limit":0.3,"pixel_average_precision":0.75},"odd, \"name\"":{"counts":{"normal":5,"anomalous":1},"image_auroc":0.1,)"
        R"("average_precision":0.5,"f1_max":{"value":0.75,"threshold":0.125,"precision":0.6,"recall":1.0}}}})");
  CHECK(rd::format_report(report(), rd::ReportFormat::json) == j.dump() + "\n");
}

TEST_CASE("json_report_has_no_by_defect_unless_asked") {
  rd::EvalReport r = report();
  r.options.by_defect = false;
  r.by_defect.clear();
  CHECK_FALSE(rd::report_to_json(r).contains("by_defect"));
}

TEST_CASE("csv_has_fixed_columns_full_precision_and_quoted_names") {
  CHECK(rd::format_report(report(), rd::ReportFormat::csv) ==
        "group,normal,anomalous,image_auroc,average_precision,f1_max,f1_threshold,f1_precision,f1_recall,"
        "pixel_auroc,aupro,pixel_images,regions,skipped_error,skipped_unlabelled,pixel_average_precision\n"
        "all,5,4,0.9,0.5,0.75,0.125,0.6,1,0.97,0.81,9,7,2,1,0.625\n"
        "crack,5,3,0.95,0.5,0.75,0.125,0.6,1,0.98,0.85,8,6,,,0.75\n"
        "\"odd, \"\"name\"\"\",5,1,0.1,0.5,0.75,0.125,0.6,1,,,,,,,\n");
}

TEST_CASE("table_aligns_columns_and_says_what_was_skipped") {
  CHECK(rd::format_report(report(), rd::ReportFormat::table) ==
        "group        normal  anomalous  image_auroc  avg_precision  f1_max  f1_threshold  pixel_auroc   aupro  pixel_ap\n"
        "all               5          4       0.9000         0.5000  0.7500         0.125       0.9700  0.8100    0.6250\n"
        "crack             5          3       0.9500         0.5000  0.7500         0.125       0.9800  0.8500    0.7500\n"
        "odd, \"name\"       5          1       0.1000         0.5000  0.7500         0.125            -       -         -\n"
        "12 records: 5 normal, 4 anomalous, 2 skipped with an error, 1 unlabelled\n"
        "pixel metrics: 9 images, 7 regions, AUPRO mvtec (FPR limit 0.3); streamed in 2 passes over the maps, "
        "error below 3.0e-06\n");
}

TEST_CASE("markdown_is_a_pipe_table_with_right_aligned_numbers") {
  rd::EvalReport r = report();
  r.by_defect.back().name = "a|b";
  const std::string md = rd::format_report(r, rd::ReportFormat::markdown);
  CHECK(md.rfind("| group | normal | anomalous | image_auroc | avg_precision | f1_max | f1_threshold | pixel_auroc "
                 "| aupro | pixel_ap |\n| --- | ---: | ---: |",
                 0) == 0);
  CHECK(md.find("| a\\|b | 5 | 1 | 0.1000 |") != std::string::npos);
  CHECK(md.find("\n\n12 records: 5 normal") != std::string::npos);
}

TEST_CASE("parse_report_format_knows_four_formats") {
  CHECK(rd::parse_report_format("json") == rd::ReportFormat::json);
  CHECK(rd::parse_report_format("markdown") == rd::ReportFormat::markdown);
  CHECK_THROWS_WITH_AS(rd::parse_report_format("xml"), "bad format 'xml'; expected json, table, csv or markdown",
                       rd::UsageError);
}
