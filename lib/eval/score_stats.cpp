#include "eval/score_stats.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "eval/threshold.h"

namespace rd {

nlohmann::json score_statistics(const std::vector<double>& values) {
  if (values.empty()) return {{"count", 0}};
  double sum = 0, sq = 0;
  for (double v : values) sum += v;
  const double mean = sum / double(values.size());
  for (double v : values) sq += (v - mean) * (v - mean);
  nlohmann::json quantiles;
  std::vector<double> sorted = values;
  std::sort(sorted.begin(), sorted.end());
  for (double q : {0.5, 0.9, 0.95, 0.99, 0.995}) quantiles[fmt::format("{}", q)] = percentile_sorted(sorted, q * 100);
  return {{"count", values.size()},
          {"mean", mean},
          {"std", std::sqrt(sq / double(values.size()))},
          {"min", *std::min_element(values.begin(), values.end())},
          {"max", *std::max_element(values.begin(), values.end())},
          {"quantiles", quantiles}};
}

}  // namespace rd
