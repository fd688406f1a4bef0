// The HTML page of a report: one file, its CSS, script and SVG charts inline, a Content Security
// Policy that lets it load nothing but its own pictures (and run nothing but its own script, by
// hash), and every name from the records escaped.
#pragma once
#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "eval/evaluate.h"
#include "report/drift.h"
#include "report/report.h"

namespace rd {

struct PageContent {
  const ReportOptions* options = nullptr;
  const std::vector<ReportEntry>* entries = nullptr;
  ReportCounts counts;
  const nlohmann::ordered_json* summary = nullptr;  // the --json summary (model, precisions, drift numbers)
  const DriftResult* drift = nullptr;
  std::string drift_reason;        // why there is no verdict, when there is none
  std::vector<double> validation;  // the model's validation scores (empty: none)
  const EvalReport* metrics = nullptr;
  std::string metrics_reason;      // why there are no metrics
  std::optional<double> threshold;  // the image threshold drawn on the histogram
  std::function<void(const std::string&)> warn;
  std::function<void(std::size_t done, std::size_t total)> progress;
};

// Writes the page to options->output (atomically; its folder made when missing) and its pictures beside it. Returns the
// pictures' counts (PictureMaker::counts). Throws RuntimeFailure when a file cannot be written.
nlohmann::ordered_json write_report_page(const PageContent& content);

// The gallery's records, as indices into `entries`: false positives (label 0, decided
// anomalous), then false negatives (label 1, decided normal), then the highest scores, each
// group by score, highest first; at most `count`.
std::vector<std::size_t> gallery_entries(const std::vector<ReportEntry>& entries, std::size_t count);

// The folder for the page's pictures: "<dir>/<stem>_files" for "<dir>/<stem>.html".
std::string page_files_dir(const std::string& page);

namespace detail {
// The page's CSS and its two scripts: the error catcher (first in <head>) and the table's.
extern const char* const kPageStyle;
extern const char* const kErrorScript;
extern const char* const kTableScript;
// 'sha256-<base64>' of a script's text, for the Content Security Policy.
std::string csp_hash(const std::string& script);
}  // namespace detail

}  // namespace rd
