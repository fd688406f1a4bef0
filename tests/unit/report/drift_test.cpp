// The drift test: exact tails, no verdict on runs like the validation set (anomalies mixed in),
// drift on runs shifted by two validation standard deviations, "too few records", the false-alarm
// rate it promises, and the tolerance for another precision. Fixed seeds throughout.
#include <doctest/doctest.h>

#include <random>
#include <vector>

#include "errors.h"
#include "report/drift.h"
#include "support.h"

namespace {

using rd::test::normal_scores;

std::vector<rd::DriftSample> samples(const std::vector<double>& scores, double tolerance = 0) {
  std::vector<rd::DriftSample> out;
  for (double s : scores) out.push_back({s, tolerance});
  return out;
}

}  // namespace

TEST_CASE("beta-binomial tails are exact: the uniform case, and tails that sum to one") {
  // BetaBinomial(10, 1, 1) is uniform on 0..10.
  CHECK(rd::detail::beta_binomial_cdf(4, 10, 1, 1) == doctest::Approx(5.0 / 11).epsilon(1e-12));
  CHECK(rd::detail::beta_binomial_sf(7, 10, 1, 1) == doctest::Approx(4.0 / 11).epsilon(1e-12));
  CHECK(rd::detail::beta_binomial_cdf(-1, 10, 1, 1) == 0);
  CHECK(rd::detail::beta_binomial_sf(11, 10, 1, 1) == 0);
  for (long k = 0; k <= 30; ++k) {
    CAPTURE(k);
    CHECK(rd::detail::beta_binomial_cdf(k, 30, 8, 9) + rd::detail::beta_binomial_sf(k + 1, 30, 8, 9) ==
          doctest::Approx(1).epsilon(1e-12));
  }
  // P(X = 0) = B(a, n + b) / B(a, b), by hand for n = 4, a = 2, b = 3:
  // B(2, 7) / B(2, 3) = (1/56) / (1/12) = 12/56.
  CHECK(rd::detail::beta_binomial_cdf(0, 4, 2, 3) == doctest::Approx(12.0 / 56).epsilon(1e-12));
}

TEST_CASE("a run drawn like the validation scores, with a few anomalies, is not drift") {
  std::mt19937 rng(31);
  const auto validation = normal_scores(rng, 200, 0.30, 0.02);
  auto run = normal_scores(rng, 285, 0.30, 0.02);
  for (double a : normal_scores(rng, 15, 0.60, 0.10)) run.push_back(a);  // 5 % anomalies, far above
  const rd::DriftResult r = rd::assess_drift(samples(run), validation);
  CHECK(r.verdict == rd::DriftVerdict::no_drift);
  CHECK(r.direction.empty());
  CHECK(r.records == 300);
  CHECK(r.validation == 200);
  CHECK(r.share_below > r.share_low);
  CHECK(r.share_below < r.share_high);
  CHECK(r.p_value >= 0.001);
  REQUIRE(r.shift);
  CHECK(std::abs(*r.shift) < 0.3);
}

TEST_CASE("a run shifted by two validation standard deviations is drift, up or down") {
  std::mt19937 rng(32);
  const auto validation = normal_scores(rng, 200, 0.30, 0.02);
  for (double sign : {1.0, -1.0}) {
    CAPTURE(sign);
    auto run = normal_scores(rng, 95, 0.30 + sign * 0.04, 0.02);
    for (double a : normal_scores(rng, 5, 0.60, 0.10)) run.push_back(a);
    const rd::DriftResult r = rd::assess_drift(samples(run), validation);
    CHECK(r.verdict == rd::DriftVerdict::drift);
    CHECK(r.direction == (sign > 0 ? "higher" : "lower"));
    CHECK(r.p_value < 0.001);
    REQUIRE(r.shift);
    CHECK(*r.shift == doctest::Approx(2 * sign).epsilon(0.25));
  }
}

TEST_CASE("too few records: no verdict, and the count that would give one") {
  std::mt19937 rng(33);
  const auto validation = normal_scores(rng, 200, 0.30, 0.02);
  const auto run = normal_scores(rng, 10, 0.50, 0.02);  // far off, but only ten
  const rd::DriftResult r = rd::assess_drift(samples(run), validation);
  CHECK(r.verdict == rd::DriftVerdict::too_few_records);
  CHECK(r.min_records == 20);  // the floor; 200 validation scores would allow fewer
  // Eight validation scores leave the median itself uncertain: more records are needed.
  const rd::DriftResult few = rd::assess_drift(samples(normal_scores(rng, 30, 0.3, 0.02)),
                                               normal_scores(rng, 8, 0.30, 0.02));
  CHECK(few.verdict == rd::DriftVerdict::too_few_records);
  CHECK(few.min_records > 30);
  CHECK(rd::assess_drift(samples(run), {}).verdict == rd::DriftVerdict::no_validation);
}

TEST_CASE("without drift, the drift verdict comes at most at the false-alarm rate") {
  std::mt19937 rng(34);
  rd::DriftOptions o;
  o.false_alarm_rate = 0.05;
  o.outlier_share = 0;  // the exact test, nothing set aside: its rate is closest to alpha
  int alarms = 0;
  constexpr int kRuns = 1000;
  for (int i = 0; i < kRuns; ++i) {
    const auto validation = normal_scores(rng, 41, 1.0, 0.1);
    const auto run = normal_scores(rng, 60, 1.0, 0.1);
    alarms += rd::assess_drift(samples(run), validation, o).verdict == rd::DriftVerdict::drift;
  }
  CAPTURE(alarms);
  CHECK(alarms <= kRuns * 0.05 + 3 * 7);  // binomial sd at 1000 x 0.05 is 6.9
  CHECK(alarms >= kRuns * 0.01);          // and it is not vacuous: discreteness costs little
}

TEST_CASE("a precision's tolerance keeps a score change of that size from being drift") {
  std::mt19937 rng(35);
  rd::DriftOptions o;
  o.outlier_share = 0;
  const auto validation = normal_scores(rng, 400, 0.30, 0.02);
  auto run = normal_scores(rng, 4000, 0.30, 0.02);
  for (double& s : run) s *= 1.03;  // every score 3 % higher, as int8 may move it
  CHECK(rd::assess_drift(samples(run), validation, o).verdict == rd::DriftVerdict::drift);
  CHECK(rd::assess_drift(samples(run, 0.03), validation, o).verdict == rd::DriftVerdict::no_drift);
}

TEST_CASE("bad drift options are usage errors") {
  rd::DriftOptions o;
  o.false_alarm_rate = 0;
  CHECK_THROWS_AS(rd::check_drift_options(o), rd::UsageError);
  o.false_alarm_rate = 0.01;
  o.outlier_share = 0.5;
  CHECK_THROWS_WITH_AS(rd::check_drift_options(o), "the outlier share must be in [0, 0.5), got 0.5", rd::UsageError);
}
