// Drift: do this run's images still look like the model's validation images? A test on the bulk
// of the run's scores against the validation scores rd-train --val stores in the model, with a
// false-alarm rate that holds whatever the score distribution (docs/reports.md, "Drift").
//
// The statistic is k, the number of the run's n scores below v, the validation median (the
// j-th smallest of the n_v validation scores, j = ceil(n_v / 2)). When the run's scores come
// from the validation distribution F (continuous), F(v) ~ Beta(j, n_v - j + 1) for any F, so k
// is beta-binomial: exact, with the validation sample's own uncertainty in it. Anomalies and
// other oddities may make up to a share eps of the run (Huber's contamination model): the test
// assumes the worst, that all floor(eps n) of them sit on the side that hides drift, and so
// compares k against BetaBinomial(n - floor(eps n), j, n_v - j + 1):
//   higher: P(B <= k_high) < alpha / 2, k_high counting scores below v + tolerance |v|;
//   lower:  P(B >= k_low - floor(eps n)) < alpha / 2, k_low counting scores below v - tolerance |v|.
// The median is the statistic because a minority of anomalies cannot move it far and the
// threshold does not cut it (judged-normal records are cut at the threshold; all records are
// used here, or the labelled-normal ones when there are labels). The tolerance is a record's
// own allowance for being scored at another precision than the validation scores.
#pragma once
#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace rd {

struct DriftOptions {
  double false_alarm_rate = 0.001;  // alpha: the chance of a drift verdict on a run without drift
  double outlier_share = 0.2;       // eps: the share of a run that may differ without being drift
  std::size_t min_records = 20;     // fewer records than this never get a verdict
};

// One run score, and how far it may sit from the validation scale without counting: its
// precision's tolerance as a fraction of the validation median (0 at the validation scores'
// precision; 0.01: a score within 1 % of the median may be on either side of it).
struct DriftSample {
  double score = 0;
  double tolerance = 0;
};

enum class DriftVerdict { no_drift, drift, too_few_records, no_validation };

// "no drift", "drift", "too few records", "no validation scores".
const char* drift_verdict_text(DriftVerdict verdict);
// no_drift, drift, too_few_records, no_validation: the --json spelling.
const char* drift_verdict_name(DriftVerdict verdict);

// A quantile of the run and of the validation scores (numpy.percentile, linear).
struct DriftQuantile {
  double level = 0;  // 0.1 for the 10th percentile
  double run = 0;
  double validation = 0;
};

struct DriftResult {
  DriftVerdict verdict = DriftVerdict::no_validation;
  std::string direction;          // with drift: "higher" or "lower" (the run's scores against validation)
  std::size_t records = 0;        // run scores tested
  std::size_t validation = 0;     // validation scores
  std::size_t min_records = 0;    // records needed for a verdict with this validation count
  double validation_median = 0;   // v, the j-th smallest validation score
  double validation_std = 0;      // population standard deviation of the validation scores
  double run_median = 0;
  std::optional<double> shift;    // (run median - validation median) / validation std
  std::size_t below = 0;          // run scores below v (no tolerance)
  double share_below = 0;         // below / records
  double share_low = 0, share_high = 0;  // shares below v that give no drift verdict at this n
  double p_higher = 1, p_lower = 1;      // one-sided tail probabilities (see the file comment)
  double p_value = 1;                    // min(1, 2 min(p_higher, p_lower)); drift when < alpha
  std::vector<DriftQuantile> quantiles;  // 10th, 25th, 50th, 75th percentile
  DriftOptions options;
};

// Throws UsageError for a false-alarm rate outside (0, 0.5] or an outlier share outside [0, 0.5).
void check_drift_options(const DriftOptions& options);

// Tests the run against the validation scores. Non-finite values are the caller's to leave out.
DriftResult assess_drift(const std::vector<DriftSample>& run, std::vector<double> validation,
                         const DriftOptions& options = {});

namespace detail {

// P(X <= k) and P(X >= k) for X ~ BetaBinomial(n, a, b), summed term by term from the tail
// (accurate for small tail probabilities). k outside 0..n gives 0 or 1.
double beta_binomial_cdf(long k, long n, double a, double b);
double beta_binomial_sf(long k, long n, double a, double b);

}  // namespace detail
}  // namespace rd
