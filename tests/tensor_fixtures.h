// Tensors of the reference fixtures (tests/reference/make_*.py) and how close a result is to them;
// shared by the unit tests that compare against PyTorch.
#pragma once
#include <algorithm>
#include <string>

#include <doctest/doctest.h>

#include "model/state_dict.h"

namespace rd::test {

// The tensor `key` of a fixture file read with read_torch_checkpoint; fails the test if absent.
inline torch::Tensor fixture_tensor(const TensorDict& d, const std::string& key) {
  REQUIRE_MESSAGE(d.count(key), "fixture lacks " << key);
  return to_torch(d.at(key));
}

// Largest difference relative to the reference's magnitude (random ResNets grow large features).
inline double relative_error(const torch::Tensor& got, const torch::Tensor& want) {
  REQUIRE(got.sizes() == want.sizes());
  const double scale = std::max(1.0, want.abs().max().item<double>());
  return (got.to(torch::kFloat64) - want.to(torch::kFloat64)).abs().max().item<double>() / scale;
}

}  // namespace rd::test
