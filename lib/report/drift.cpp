#include "report/drift.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include <fmt/format.h>

#include "errors.h"
#include "eval/threshold.h"

namespace rd {
namespace {

double log_beta(double x, double y) { return std::lgamma(x) + std::lgamma(y) - std::lgamma(x + y); }

// log P(X = k), X ~ BetaBinomial(n, a, b).
double log_pmf(long k, long n, double a, double b) {
  const double log_choose = std::lgamma(double(n) + 1) - std::lgamma(double(k) + 1) - std::lgamma(double(n - k) + 1);
  return log_choose + log_beta(double(k) + a, double(n - k) + b) - log_beta(a, b);
}

// The run's size after setting aside the share that may differ.
long trials(std::size_t n, double outlier_share) {
  return long(n) - long(std::floor(outlier_share * double(n)));
}

// Says whether n records can give a verdict either way: even the most extreme count (all below
// or none below the validation median) must be rarer than alpha / 2 without drift.
bool decidable(std::size_t n, double a, double b, const DriftOptions& o) {
  const long m = trials(n, o.outlier_share);
  if (m < 1) return false;
  const double limit = std::log(o.false_alarm_rate / 2);
  return log_beta(a, double(m) + b) - log_beta(a, b) < limit && log_beta(double(m) + a, b) - log_beta(a, b) < limit;
}

// The fewest records that can give a verdict (monotone in n: more records, more trials).
std::size_t records_needed(double a, double b, const DriftOptions& o) {
  std::size_t hi = std::max<std::size_t>(o.min_records, 1);
  constexpr std::size_t kLimit = std::size_t{1} << 40;
  while (!decidable(hi, a, b, o)) {
    if (hi > kLimit) return std::numeric_limits<std::size_t>::max();
    hi *= 2;
  }
  std::size_t lo = std::max<std::size_t>(o.min_records, 1);
  while (lo < hi) {
    const std::size_t mid = lo + (hi - lo) / 2;
    if (decidable(mid, a, b, o)) hi = mid; else lo = mid + 1;
  }
  return lo;
}

double population_std(const std::vector<double>& values) {
  double mean = 0, sq = 0;
  for (double v : values) mean += v;
  mean /= double(values.size());
  for (double v : values) sq += (v - mean) * (v - mean);
  return std::sqrt(sq / double(values.size()));
}

}  // namespace

namespace detail {

double beta_binomial_cdf(long k, long n, double a, double b) {
  if (k < 0) return 0;
  if (k >= n) return 1;
  double sum = 0;
  for (long i = k; i >= 0; --i) {
    const double term = std::exp(log_pmf(i, n, a, b));
    sum += term;
    if (term < sum * 1e-17 && i < k) break;  // the lower tail of a unimodal pmf: the rest adds nothing
  }
  return std::min(1.0, sum);
}

double beta_binomial_sf(long k, long n, double a, double b) {
  if (k <= 0) return 1;
  if (k > n) return 0;
  double sum = 0;
  for (long i = k; i <= n; ++i) {
    const double term = std::exp(log_pmf(i, n, a, b));
    sum += term;
    if (term < sum * 1e-17 && i > k) break;
  }
  return std::min(1.0, sum);
}

}  // namespace detail

const char* drift_verdict_text(DriftVerdict v) {
  switch (v) {
    case DriftVerdict::no_drift: return "no drift";
    case DriftVerdict::drift: return "drift";
    case DriftVerdict::too_few_records: return "too few records";
    default: return "no validation scores";
  }
}

const char* drift_verdict_name(DriftVerdict v) {
  switch (v) {
    case DriftVerdict::no_drift: return "no_drift";
    case DriftVerdict::drift: return "drift";
    case DriftVerdict::too_few_records: return "too_few_records";
    default: return "no_validation";
  }
}

void check_drift_options(const DriftOptions& o) {
  if (!(o.false_alarm_rate > 0 && o.false_alarm_rate <= 0.5))
    throw UsageError(fmt::format("the drift false-alarm rate must be in (0, 0.5], got {}", o.false_alarm_rate));
  if (!(o.outlier_share >= 0 && o.outlier_share < 0.5))
    throw UsageError(fmt::format("the outlier share must be in [0, 0.5), got {}", o.outlier_share));
}

DriftResult assess_drift(const std::vector<DriftSample>& run, std::vector<double> validation,
                         const DriftOptions& options) {
  check_drift_options(options);
  DriftResult r;
  r.options = options;
  r.records = run.size();
  r.validation = validation.size();
  if (validation.empty()) {
    r.verdict = DriftVerdict::no_validation;
    return r;
  }
  std::sort(validation.begin(), validation.end());
  const std::size_t j = (validation.size() + 1) / 2;  // 1-based: the median, or the lower middle one
  const double a = double(j), b = double(validation.size() - j + 1);
  r.validation_median = validation[j - 1];
  r.validation_std = population_std(validation);
  r.min_records = records_needed(a, b, options);

  std::vector<double> scores;
  for (const DriftSample& s : run) scores.push_back(s.score);
  std::sort(scores.begin(), scores.end());
  if (!scores.empty()) {
    r.run_median = percentile_sorted(scores, 50);
    for (double level : {0.1, 0.25, 0.5, 0.75})
      r.quantiles.push_back({level, percentile_sorted(scores, level * 100), percentile_sorted(validation, level * 100)});
    if (r.validation_std > 0) r.shift = (r.run_median - percentile_sorted(validation, 50)) / r.validation_std;
  }
  std::size_t below_high = 0, below_low = 0;
  for (const DriftSample& s : run) {
    r.below += s.score < r.validation_median;
    const double allowance = s.tolerance * std::abs(r.validation_median);
    below_high += s.score < r.validation_median + allowance;
    below_low += s.score < r.validation_median - allowance;
  }
  if (r.records) r.share_below = double(r.below) / double(r.records);
  if (r.records < r.min_records) {
    r.verdict = DriftVerdict::too_few_records;
    return r;
  }

  const long n = long(r.records), m = trials(r.records, options.outlier_share), spare = n - m;
  const double half = options.false_alarm_rate / 2;
  // Both tails of BetaBinomial(m, a, b) at every count, each summed from its own end.
  std::vector<double> cdf(std::size_t(m) + 1), sf(std::size_t(m) + 1);
  for (long i = 0; i <= m; ++i) cdf[std::size_t(i)] = std::exp(log_pmf(i, m, a, b));
  sf = cdf;
  for (long i = 1; i <= m; ++i) cdf[std::size_t(i)] += cdf[std::size_t(i - 1)];
  for (long i = m - 1; i >= 0; --i) sf[std::size_t(i)] += sf[std::size_t(i + 1)];
  const auto lower_tail = [&](long k) { return k < 0 ? 0.0 : k >= m ? 1.0 : std::min(1.0, cdf[std::size_t(k)]); };
  const auto upper_tail = [&](long k) { return k <= 0 ? 1.0 : k > m ? 0.0 : std::min(1.0, sf[std::size_t(k)]); };
  r.p_higher = lower_tail(long(below_high));
  r.p_lower = upper_tail(long(below_low) - spare);
  r.p_value = std::min(1.0, 2 * std::min(r.p_higher, r.p_lower));
  // The counts that pass, for the page: from the first whose lower tail reaches alpha / 2 to the
  // last whose (shifted) upper tail does.
  long k_low = 0, k_high = n;
  while (k_low < n && lower_tail(k_low) < half) ++k_low;
  while (k_high > 0 && upper_tail(k_high - spare) < half) --k_high;
  r.share_low = double(k_low) / double(n);
  r.share_high = double(k_high) / double(n);

  if (r.p_higher < half) {
    r.verdict = DriftVerdict::drift;
    r.direction = "higher";
  } else if (r.p_lower < half) {
    r.verdict = DriftVerdict::drift;
    r.direction = "lower";
  } else {
    r.verdict = DriftVerdict::no_drift;
  }
  return r;
}

}  // namespace rd
