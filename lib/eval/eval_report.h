// rd-eval's output formats: one JSON object (default), an aligned text table, CSV, Markdown.
#pragma once
#include <string>

#include <nlohmann/json.hpp>

#include "eval/evaluate.h"

namespace rd {

enum class ReportFormat { json, table, csv, markdown };

// Parses "json", "table", "csv" or "markdown"; throws UsageError otherwise.
ReportFormat parse_report_format(const std::string& text);

// {"counts": {"records", "normal", "anomalous", "skipped_error", "skipped_unlabelled"
//             [, "pixel_images", "regions"]},
//  "image_auroc", "average_precision", "f1_max": {"value", "threshold", "precision", "recall"}
//  [, "pixel_auroc", "aupro", "pro_mode", "fpr_limit"]
//  [, "by_defect": {"<defect>": {"counts": {"normal", "anomalous" [, "pixel_images", "regions"]},
//                                "image_auroc", ... as above}}]}
// Pixel fields appear only where pixel metrics were computed; doubles round-trip exactly.
nlohmann::ordered_json report_to_json(const EvalReport& report);

// The report in `format`, ending in a newline. json: report_to_json on one line. table and
// markdown: one row per group (all, then each defect), metrics to 4 decimals, skipped counts
// below. csv: a header and one row per group with full-precision numbers and fixed columns
// (group, normal, anomalous, image_auroc, average_precision, f1_max, f1_threshold,
// f1_precision, f1_recall, pixel_auroc, aupro, pixel_images, regions, skipped_error,
// skipped_unlabelled); cells that do not apply are empty.
std::string format_report(const EvalReport& report, ReportFormat format);

namespace detail {

// A CSV cell: quoted (quotes doubled) when it holds a comma, quote, CR or LF (RFC 4180).
std::string csv_cell(const std::string& text);

}  // namespace detail
}  // namespace rd
