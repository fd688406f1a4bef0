// Summary statistics of validation scores, stored in the model for thresholds and colour scales.
#pragma once
#include <vector>

#include <nlohmann/json.hpp>

namespace rd {

// numpy.percentile with its default linear interpolation; q in [0, 100]. values must be non-empty.
double percentile(std::vector<double> values, double q);

// {"count", "mean", "std" (population), "min", "max", "quantiles": {"0.5": ..., "0.9", "0.95",
// "0.99", "0.995"}}.
nlohmann::json score_statistics(const std::vector<double>& values);

}  // namespace rd
