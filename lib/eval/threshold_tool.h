// rd-threshold's work: fitting a threshold on score records or on a model's stored validation
// statistics, and applying one to a stream of records (DESIGN §5).
#pragma once
#include <cstddef>
#include <functional>
#include <istream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "eval/threshold.h"
#include "io/input_records.h"

namespace rd {

struct FitOptions {
  ThresholdMethod method;
  bool pixel = false;                   // fit on the pixels of the records' anomaly maps
  std::optional<std::string> model_id;  // from -m MODEL; records' `model` fields must agree
};

struct FitCounts {
  std::size_t records = 0;             // every record read
  std::size_t used = 0;                // records whose score (or map) the fit used
  std::size_t skipped_error = 0;       // with `error`, or unusable (bad line, score, label, map, mask)
  std::size_t skipped_unlabelled = 0;  // f1 only: no label
  std::size_t skipped_anomalous = 0;   // percentile/sigma/fpr: label 1 (fit on normal scores only)
};

struct FitResult {
  ThresholdFit fit;
  FitCounts counts;
};

// Collects score records (or their maps), then fits. Image fits keep one double per record;
// pixel fits keep every pixel of the normal maps as a double (8 bytes each: 52 MB for 100 maps
// of 256x256), or for f1 the pixel accumulator of PixelMetrics (8 bytes each as well).
class ThresholdFitter {
 public:
  explicit ThresholdFitter(FitOptions options, std::function<void(const std::string&)> warn = {});
  ~ThresholdFitter();

  // Reads JSON lines; `source` names the stream in messages.
  void read(std::istream& in, const std::string& source);
  // Takes one record. Throws UsageError when its `model` differs from -m MODEL or from
  // earlier records', or its `precision` (absent: fp32) from earlier records'.
  void add(const RecordFields& record, const std::string& where);
  const FitCounts& counts() const { return counts_; }

  // Fits. Throws UsageError when nothing usable was read or (f1) only one class is present.
  // The fit names the model from FitOptions::model_id or else the records' `model` field.
  FitResult finish();

 private:
  struct PixelData;
  void skip(const std::string& where, const std::string& cause);
  void add_model(const RecordFields& record, const std::string& where);
  void add_precision(const RecordFields& record, const std::string& where);
  void add_maps(int label, const std::string& map, const std::string& mask, const std::string& where);

  FitOptions options_;
  std::function<void(const std::string&)> warn_;
  FitCounts counts_;
  std::vector<double> scores_;
  std::vector<int> labels_;
  std::unique_ptr<PixelData> pixels_;
  std::optional<std::string> record_model_;
  std::string record_model_where_;
  std::optional<std::string> record_precision_;
  std::string record_precision_where_;
  std::size_t upstream_errors_ = 0;
};

// Fits on the validation statistics `rd-train --val` stores in a model's metadata:
// meta["validation"]["scores"] for image thresholds (any method but f1, which needs labels);
// meta["validation"]["pixel"] for pixel thresholds, which holds only summary statistics:
// percentile at its stored quantiles (50, 90, 95, 99, 99.5), 0 (min) and 100 (max), and
// sigma:K (mean + K std). Throws UsageError naming `model_name` when the model has no
// validation statistics ("train with --val") or the method cannot be served from them.
ThresholdFit fit_from_validation(const nlohmann::json& meta, const ThresholdMethod& method, bool pixel,
                                 const std::string& model_id, const std::string& model_name);

struct ApplyOptions {
  ThresholdFit threshold;
  std::string threshold_source;         // the threshold file's name, for messages
  std::optional<std::string> model_id;  // from -m MODEL
  bool force = false;                   // apply even to records of another model or precision
};

struct ApplyCounts {
  std::size_t records = 0;    // every record read (and emitted)
  std::size_t decided = 0;    // records given `anomalous` and `threshold`
  std::size_t anomalous = 0;  // of those, anomalous
  std::size_t errors = 0;     // records with `error` (passed through, or made for a bad line)
  std::size_t no_score = 0;   // records without a numeric score, passed through as they are
};

// Adds `anomalous` (score >= value) and `threshold` to every record with a numeric `score`
// and passes every other field, and every other record, through unchanged and in order (a bad
// input line becomes an error record).
class ThresholdApplier {
 public:
  // Throws UsageError when -m MODEL names another model than the threshold file, unless
  // `force` (then `warn` is told).
  explicit ThresholdApplier(ApplyOptions options, std::function<void(const std::string&)> warn = {});

  // Reads one stream and hands every record to `emit`, in order. `idle` is called before a
  // read that may wait (the input has nothing buffered), so the caller can flush its output
  // and records flow through a pipeline one by one. Throws UsageError at the first record
  // whose `model` or `precision` (absent: fp32) differs from the threshold file's, unless
  // `force`; the records before it have been emitted.
  void apply(std::istream& in, const std::string& source, const std::function<void(const RecordFields&)>& emit,
             const std::function<void()>& idle = {});
  const ApplyCounts& counts() const { return counts_; }

 private:
  void decide(RecordFields& record, const std::string& where);

  ApplyOptions options_;
  std::function<void(const std::string&)> warn_;
  ApplyCounts counts_;
  bool warned_foreign_ = false;
  bool warned_precision_ = false;
};

}  // namespace rd
