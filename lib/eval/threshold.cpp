#include "eval/threshold.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <functional>
#include <limits>
#include <sstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "errors.h"
#include "eval/metrics.h"
#include "io/atomic_file.h"

namespace rd {
namespace {

constexpr const char* kMethodForms = "percentile:P (0-100), sigma:K, fpr:F (0 <= F < 1) or f1";
constexpr int kThresholdVersion = 1;

// Strict, locale-independent number: the whole text, finite.
std::optional<double> parse_number(const std::string& text) {
  double value = 0;
  const char* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (ec != std::errc() || ptr != end || !std::isfinite(value)) return std::nullopt;
  return value;
}

// The scores a percentile/sigma/fpr fit uses: all but those labelled anomalous.
std::vector<double> normal_scores(std::vector<double> scores, const std::vector<int>& labels) {
  if (labels.empty()) return scores;
  std::size_t kept = 0;
  for (std::size_t i = 0; i < scores.size(); ++i) {
    if (labels[i] != 0 && labels[i] != 1 && labels[i] != kNoLabel) {
      throw InputError(fmt::format("label at index {} is {}; expected 0, 1 or none", i, labels[i]));
    }
    if (labels[i] != 1) scores[kept++] = scores[i];
  }
  scores.resize(kept);
  return scores;
}

double fit_sigma(const std::vector<double>& s, double k) {
  double sum = 0;
  for (double v : s) sum += v;
  const double mean = sum / double(s.size());
  double squares = 0;
  for (double v : s) squares += (v - mean) * (v - mean);
  return mean + k * std::sqrt(squares / double(s.size()));
}

double fit_fpr(std::vector<double> s, double f) {
  std::sort(s.begin(), s.end(), std::greater<double>());
  const std::size_t n = s.size();
  // m: the most scores that may be flagged, checked as the ratio a user would compute.
  auto m = std::min(n - 1, std::size_t(std::floor(f * double(n))));
  while (m + 1 < n && double(m + 1) / double(n) <= f) ++m;
  while (m > 0 && double(m) / double(n) > f) --m;
  return std::nextafter(s[m], std::numeric_limits<double>::infinity());
}

// The field `key` of `j` if `valid` accepts it, else a FormatError naming the file and the field.
template <class Valid>
const nlohmann::json& field(const nlohmann::json& j, const char* key, const std::string& source,
                            const char* expected, Valid valid) {
  const auto it = j.find(key);
  if (it == j.end() || !valid(*it)) {
    throw FormatError(fmt::format("{}: field '{}' must be {}", source, key, expected));
  }
  return *it;
}

}  // namespace

std::string ThresholdMethod::text() const {
  switch (kind) {
    case ThresholdMethodKind::percentile:
      return fmt::format("percentile:{}", parameter);
    case ThresholdMethodKind::sigma:
      return fmt::format("sigma:{}", parameter);
    case ThresholdMethodKind::fpr:
      return fmt::format("fpr:{}", parameter);
    case ThresholdMethodKind::f1:
      break;
  }
  return "f1";
}

ThresholdMethod parse_threshold_method(const std::string& text) {
  if (text == "f1") return {ThresholdMethodKind::f1, 0};
  const auto colon = text.find(':');
  const std::string name = text.substr(0, colon);
  const auto value =
      colon == std::string::npos ? std::nullopt : parse_number(text.substr(colon + 1));
  auto fail = [&](const char* why) {
    return UsageError(
        fmt::format("bad threshold method '{}': {}; expected {}", text, why, kMethodForms));
  };
  if (name != "percentile" && name != "sigma" && name != "fpr") throw fail("unknown method");
  if (!value) throw fail("missing or malformed number");
  if (name == "percentile") {
    if (*value < 0 || *value > 100) throw fail("percentile outside 0-100");
    return {ThresholdMethodKind::percentile, *value};
  }
  if (name == "sigma") return {ThresholdMethodKind::sigma, *value};
  if (*value < 0 || *value >= 1) throw fail("FPR outside [0, 1)");
  return {ThresholdMethodKind::fpr, *value};
}

ThresholdFit fit_threshold(const ThresholdMethod& method, std::vector<double> scores,
                           const std::vector<int>& labels) {
  if (!labels.empty() && labels.size() != scores.size()) {
    throw InputError(fmt::format("{} scores but {} labels", scores.size(), labels.size()));
  }
  detail::check_finite(scores, "score");
  ThresholdFit fit;
  fit.method = method.text();
  fit.created = detail::utc_timestamp();
  if (method.kind == ThresholdMethodKind::f1) {
    if (labels.empty()) throw InputError("method f1 needs labelled scores; none have a label");
    fit.value = f1_max(scores, labels).threshold;  // Refuses kNoLabel and a single class.
    fit.count = scores.size();
    return fit;
  }
  scores = normal_scores(std::move(scores), labels);
  if (scores.empty()) throw InputError("no normal scores to fit a threshold on");
  fit.count = scores.size();
  if (method.kind == ThresholdMethodKind::sigma) {
    fit.value = fit_sigma(scores, method.parameter);
  } else if (method.kind == ThresholdMethodKind::fpr) {
    fit.value = fit_fpr(std::move(scores), method.parameter);
  } else {
    std::sort(scores.begin(), scores.end());
    fit.value = percentile_sorted(scores, method.parameter);
  }
  return fit;
}

ThresholdFit fit_threshold(const std::string& method, std::vector<double> scores,
                           const std::vector<int>& labels) {
  return fit_threshold(parse_threshold_method(method), std::move(scores), labels);
}

nlohmann::json threshold_to_json(const ThresholdFit& fit) {
  nlohmann::json model = nullptr;
  if (fit.model_id) model = {{"id", *fit.model_id}};
  return {{"kind", "rd-threshold"}, {"version", kThresholdVersion}, {"method", fit.method},
          {"value", fit.value},     {"count", fit.count},           {"model", model},
          {"pixel", fit.pixel},     {"created", fit.created},       {"precision", fit.precision}};
}

ThresholdFit threshold_from_json(const nlohmann::json& j, const std::string& source) {
  using nlohmann::json;
  if (!j.is_object() || j.value("kind", json()) != "rd-threshold") {
    throw FormatError(
        fmt::format("{}: not an rd threshold file (no \"kind\": \"rd-threshold\")", source));
  }
  const json& version = field(j, "version", source, "an integer",
                              [](const json& v) { return v.is_number_integer(); });
  if (version != kThresholdVersion) {
    throw FormatError(
        fmt::format("{}: threshold file version {} is not supported (this rd reads {})", source,
                    version.dump(), kThresholdVersion));
  }
  ThresholdFit fit;
  const json& method =
      field(j, "method", source, "a string", [](const json& v) { return v.is_string(); });
  try {
    fit.method = parse_threshold_method(method.get<std::string>()).text();
  } catch (const UsageError& e) {
    throw FormatError(fmt::format("{}: {}", source, e.what()));
  }
  fit.value = field(j, "value", source, "a finite number", [](const json& v) {
                return v.is_number() && std::isfinite(v.get<double>());
              }).get<double>();
  fit.count = field(j, "count", source, "a count", [](const json& v) {
                return v.is_number_unsigned();
              }).get<std::size_t>();
  const json& model =
      field(j, "model", source, "null or an object with a string \"id\"", [](const json& v) {
        return v.is_null() || (v.is_object() && v.contains("id") && v["id"].is_string());
      });
  if (model.is_object()) fit.model_id = model["id"].get<std::string>();
  fit.pixel = field(j, "pixel", source, "true or false", [](const json& v) {
                return v.is_boolean();
              }).get<bool>();
  fit.created = field(j, "created", source, "a string", [](const json& v) {
                  return v.is_string();
                }).get<std::string>();
  if (j.contains("precision"))  // absent in files written before precisions existed: fp32
    fit.precision = field(j, "precision", source, "\"fp32\", \"bf16\" or \"int8\"", [](const json& v) {
                      return v == "fp32" || v == "bf16" || v == "int8";
                    }).get<std::string>();
  return fit;
}

void write_threshold_file(const std::string& path, const ThresholdFit& fit) {
  const std::string text = threshold_to_json(fit).dump() + "\n";
  write_file_atomically(path, [&](std::ostream& out) { out << text; });
}

ThresholdFit read_threshold_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw UsageError(fmt::format("cannot open threshold file '{}'", path));
  std::stringstream text;
  text << in.rdbuf();
  const nlohmann::json j = nlohmann::json::parse(text.str(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) throw FormatError(fmt::format("{}: not valid JSON", path));
  return threshold_from_json(j, path);
}

void check_threshold_model(const ThresholdFit& fit, const std::optional<std::string>& model_id,
                           const std::string& source) {
  if (fit.model_id && model_id && *fit.model_id != *model_id) {
    throw UsageError(fmt::format("{}: threshold was fitted for model '{}', not '{}'", source,
                                 *fit.model_id, *model_id));
  }
}

double percentile_sorted(const std::vector<double>& ascending, double p) {
  const std::size_t n = ascending.size();
  const double index = double(n - 1) * (p / 100);
  const auto below = std::min(n - 1, std::size_t(std::floor(index)));
  const std::size_t above = std::min(n - 1, below + 1);
  const double t = index - double(below);
  const double a = ascending[below], b = ascending[above];
  // numpy's _lerp: from the nearer end, so t = 1 gives b exactly.
  return t >= 0.5 ? b - (b - a) * (1 - t) : a + (b - a) * t;
}

namespace detail {

std::string utc_timestamp() {
  std::time_t t = std::time(nullptr);
  if (const char* epoch = std::getenv("SOURCE_DATE_EPOCH"); epoch && *epoch) {
    char* end = nullptr;
    const long long v = std::strtoll(epoch, &end, 10);
    if (*end == '\0' && v >= 0) t = std::time_t(v);
  }
  std::tm utc{};
  gmtime_r(&t, &utc);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return text;
}

}  // namespace detail
}  // namespace rd
