// The debiased Sinkhorn divergence against an independent float64 solver
// (tests/reference/make_rdpp_losses.py): values, a permuted copy, gradients.
#include <doctest/doctest.h>

#include "model/state_dict.h"
#include "support.h"
#include "tensor_fixtures.h"
#include "train/sinkhorn.h"

using rd::test::fixture_tensor;

TEST_CASE("the Sinkhorn divergence equals an independent log-domain solver") {
  auto d = rd::read_torch_checkpoint(rd::test::fixtures() + "/rdpp/losses.pth");
  const double xy = rd::sinkhorn_divergence(fixture_tensor(d, "x"), fixture_tensor(d, "y")).item<double>();
  CHECK(xy == doctest::Approx(fixture_tensor(d, "xy").item<double>()).epsilon(1e-4));
  const double rows = rd::sinkhorn_divergence(fixture_tensor(d, "rows"), fixture_tensor(d, "other")).item<double>();
  CHECK(rows == doctest::Approx(fixture_tensor(d, "rows_other").item<double>()).epsilon(1e-4));
  CHECK(xy > 1e-3);  // different clouds: clearly positive
}

TEST_CASE("the divergence of a cloud and its permutation is zero, with finite gradients") {
  auto d = rd::read_torch_checkpoint(rd::test::fixtures() + "/rdpp/losses.pth");
  auto rows = fixture_tensor(d, "rows").requires_grad_(true);
  auto shuffled = rows.index_select(0, torch::tensor({2, 0, 3, 1}));
  auto s = rd::sinkhorn_divergence(rows, shuffled);
  CHECK(std::abs(s.item<double>()) < 1e-7);
  s.backward();
  REQUIRE(rows.grad().defined());
  CHECK(torch::isfinite(rows.grad()).all().item<bool>());

  auto x = fixture_tensor(d, "x").requires_grad_(true);
  auto t = rd::sinkhorn_divergence(x, fixture_tensor(d, "y"));
  t.backward();
  CHECK(torch::isfinite(x.grad()).all().item<bool>());
  CHECK(x.grad().abs().max().item<double>() > 0);  // moving x towards y lowers the divergence
}
