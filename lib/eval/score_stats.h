// Summary statistics of validation scores, stored in the model for thresholds and colour scales.
#pragma once
#include <vector>

#include <nlohmann/json.hpp>

namespace rd {

// {"count", "mean", "std" (population), "min", "max", "quantiles": {"0.5": ..., "0.9", "0.95",
// "0.99", "0.995"}}.
nlohmann::json score_statistics(const std::vector<double>& values);

}  // namespace rd
