// rd-report's work: score records in (errors included), one self-contained HTML page and a JSON
// summary out: counts, the score distribution against the model's validation scores, a drift
// verdict, metrics when there are labels, a gallery and a table of every record (DESIGN §2).
//
// Nothing here loads a network: maps are drawn from the records' saved `map` files, never
// computed, and the model file is read for its metadata only.
#pragma once
#include <cstddef>
#include <cstdint>
#include <functional>
#include <istream>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "draw/overlay.h"
#include "eval/evaluate.h"
#include "eval/threshold.h"
#include "io/image_decode.h"
#include "io/input_records.h"
#include "report/drift.h"

namespace rd {

// The model the report is about (-m): its metadata and id; the tensors are not read.
struct ReportModel {
  std::string path;
  std::string id;
  nlohmann::json meta;
};

struct ReportOptions {
  std::string output;  // the page; empty: none (--json only). Pictures go to <stem>_files/ beside it
  std::string title = "rd report";
  std::optional<ReportModel> model;        // -m
  std::optional<ThresholdFit> threshold;   // -t: decides every scored record (score >= value)
  std::string threshold_source;            // -t's file name, for messages
  std::optional<ColourScale> scale;        // the maps' colour scale (as rd-map's); none: maps are not drawn
  OverlayOptions overlay;                  // colour map, alpha, legend of drawn maps
  std::size_t gallery = 24;                // pictures in the gallery
  bool embed = false;                      // pictures in the page as data: URIs instead of links
  std::size_t embed_limit = 20u << 20;     // bytes of embedded pictures at most; the rest are linked
  int thumbnail_width = 480;               // pictures made for the page are at most this wide
  DriftOptions drift;
  std::optional<double> precision_tolerance;  // relative; default: precision_tolerance(precision)
  bool pixel = true;                          // pixel metrics when records carry maps and masks
  int64_t max_pixels = kDefaultMaxPixels;
  std::string made;  // when the page was made (UTC, ISO 8601); empty: now (or SOURCE_DATE_EPOCH)
};

// The default relative tolerance of the drift test for scores at `precision` against validation
// scores at fp32: 0 for fp32, 0.01 for bf16 and fp16 (ten times the ~1e-3 they move scores by),
// 0.04 for int8 and anything else (int8 moved a wide_resnet50_2's scores by up to 3.6 %).
double precision_tolerance(const std::string& precision);

// One record as the page shows it.
struct ReportEntry {
  std::size_t index = 0;  // input order, from 0
  std::string where;      // "file:line"
  std::string path;
  std::optional<double> score;
  int label = kNoLabel;
  std::string defect;
  std::optional<bool> anomalous;
  std::optional<double> threshold;
  std::string map, mask, overlay, error, model, precision;
};

struct ReportCounts {
  std::size_t records = 0;     // every record and unusable line read
  std::size_t scored = 0;      // with a finite score
  std::size_t errors = 0;      // with `error`, or unusable (bad line, no finite score)
  std::size_t anomalous = 0;   // decided anomalous (records' `anomalous`, or -t)
  std::size_t normal = 0;      // decided normal
  std::size_t undecided = 0;   // scored, without a decision
  std::size_t labelled_normal = 0, labelled_anomalous = 0, unlabelled = 0;  // of the scored
  std::size_t false_positives = 0, false_negatives = 0;                      // labelled and decided
};

struct ReportCallbacks {
  std::function<void(const std::string&)> warn;
  std::function<void(std::size_t done, std::size_t total)> progress;  // pictures drawn
};

// The numbers of a report (rd-report --json).
struct ReportSummary {
  ReportCounts counts;
  nlohmann::ordered_json json;  // the whole summary, as --json prints it
  DriftResult drift;
  bool drift_tested = false;    // a model with validation scores was given
};

class Reporter {
 public:
  // Throws UsageError for bad drift options or a threshold file of another model than -m, or
  // a pixel threshold given as -t.
  explicit Reporter(ReportOptions options, ReportCallbacks callbacks = {});
  Reporter(const Reporter&) = delete;  // the evaluator's callbacks point back here
  Reporter& operator=(const Reporter&) = delete;

  // Reads JSON lines; `source` names the stream in messages ("run.jsonl:12").
  void read(std::istream& in, const std::string& source);
  // Takes one record. Throws UsageError when it names another model than -m or -t's.
  void add(const RecordFields& record, const std::string& where);

  // Computes the numbers and writes the page (when options.output is set). Throws
  // RuntimeFailure when the page or a picture cannot be written.
  ReportSummary finish();

 private:
  void warn(const std::string& message) const;
  void check_model(const std::string& id, const std::string& where);
  struct DriftRun {
    DriftResult result;
    std::vector<double> validation;
    std::string reason;  // why there is no verdict
    std::string validation_precision;
    std::map<std::string, double> tolerances;  // by precision, of the records tested
  };
  DriftRun test_drift(bool labelled) const;
  nlohmann::ordered_json model_json() const;
  nlohmann::ordered_json threshold_json(const std::set<double>& thresholds) const;

  ReportOptions options_;
  ReportCallbacks callbacks_;
  std::vector<ReportEntry> entries_;
  Evaluator evaluator_;
  std::optional<std::string> record_model_;  // the first model id the records name
  std::string record_model_where_;
  bool warned_precision_ = false;
  bool mute_evaluator_ = false;  // a line this class already warned about goes to the evaluator too
};

}  // namespace rd
