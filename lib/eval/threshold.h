// Thresholds that turn anomaly scores into pass/fail: fitting (rd-threshold fit), the JSON
// threshold file, and the decision rule (rd-threshold apply, rd-map contours).
//
// The rule everywhere is score >= threshold, the convention of sklearn's precision/recall
// (and of metrics.h), so an F1-max threshold applied here reproduces the F1 it was chosen for.
#pragma once
#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace rd {

enum class ThresholdMethodKind { percentile, sigma, fpr, f1 };

// A parsed --method value.
struct ThresholdMethod {
  ThresholdMethodKind kind = ThresholdMethodKind::percentile;
  double parameter = 0;  // P for percentile, K for sigma, F for fpr; unused for f1.
  // Canonical text, e.g. "percentile:99.5", "sigma:3", "fpr:0.01", "f1".
  std::string text() const;
};

// Parses "percentile:P" (0 <= P <= 100), "sigma:K" (any finite K), "fpr:F" (0 <= F < 1) or
// "f1". Throws UsageError naming the bad text and the accepted forms.
ThresholdMethod parse_threshold_method(const std::string& text);

// A fitted threshold, as the threshold file stores it.
struct ThresholdFit {
  std::string method;  // Canonical method text.
  double value = 0;
  std::size_t count = 0;                // Scores the value was fitted on.
  std::optional<std::string> model_id;  // The model the scores came from; unknown if empty.
  bool pixel = false;                   // A threshold for anomaly-map pixels, not image scores.
  std::string created;                  // UTC, ISO 8601: 2024-05-01T12:00:00Z.
  // The precision the scores were computed at (rd-score --precision): scores move by ~1e-3
  // between precisions, so a threshold holds for one. Files without the field are fp32.
  std::string precision = "fp32";
};

// Fits a threshold; `created` is now, model_id and pixel are left for the caller to set.
//  percentile:P  numpy.percentile(scores, P) with its default linear interpolation.
//  sigma:K       mean + K * std, population std (ddof = 0, numpy's default).
//  fpr:F         the smallest double t such that the fraction of scores with score >= t is at
//                most F: just above the (m+1)-th largest score, m the largest count with
//                m / n <= F. On the fitting scores at most F are flagged, and any lower t
//                flags more than F. (With ties fewer than F may be flagged.)
//  f1            the threshold of f1_max(scores, labels); needs a 0/1 label for every score.
// For percentile, sigma and fpr the scores are the normal ones: when labels are given, scores
// labelled 1 are left out (0 and kNoLabel are used) and `count` says how many were used.
// Throws InputError on non-finite scores, a missing or invalid label for f1, no usable score,
// or a single class for f1; UsageError on bad method text.
ThresholdFit fit_threshold(const ThresholdMethod& method, std::vector<double> scores,
                           const std::vector<int>& labels = {});
ThresholdFit fit_threshold(const std::string& method, std::vector<double> scores,
                           const std::vector<int>& labels = {});

// The decision rule: anomalous when score >= threshold (false for a NaN score).
inline bool is_anomalous(double score, double threshold) { return score >= threshold; }

// {"kind":"rd-threshold","version":1,"method":...,"value":...,"count":...,
//  "model":{"id":...} or null,"pixel":...,"created":...}. Doubles round-trip exactly.
nlohmann::json threshold_to_json(const ThresholdFit& fit);
// Validates and reads a threshold object; `source` (the file name) starts every FormatError.
// Unknown fields are ignored so later versions can add some; a newer version is refused.
ThresholdFit threshold_from_json(const nlohmann::json& j, const std::string& source);

// Writes the JSON (one object and a newline) with write_file_atomically, so a reader never sees
// half a file. Throws RuntimeFailure naming the path on any I/O error.
void write_threshold_file(const std::string& path, const ThresholdFit& fit);
// Throws UsageError when the file cannot be opened, FormatError naming it when it is not a
// valid threshold file.
ThresholdFit read_threshold_file(const std::string& path);

// Throws UsageError when the threshold was fitted for a model other than `model_id`. When
// either side does not name a model there is nothing to compare and it passes.
void check_threshold_model(const ThresholdFit& fit, const std::optional<std::string>& model_id,
                           const std::string& source);

// numpy.percentile(sorted, p) (method "linear") on scores sorted ascending; p in [0, 100].
double percentile_sorted(const std::vector<double>& ascending, double p);

namespace detail {
// The current time as "YYYY-MM-DDTHH:MM:SSZ", or SOURCE_DATE_EPOCH's when it is set, so that
// threshold files and report pages made from the same input are the same bytes.
std::string utc_timestamp();

}  // namespace detail
}  // namespace rd
