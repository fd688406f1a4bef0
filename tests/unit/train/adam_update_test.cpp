// The one-pass Adam update against the formula in double precision, and the Adam optimiser's
// fused CPU path against its tensor-operation path (taken by non-contiguous parameters).
#include <doctest/doctest.h>

#include <cmath>
#include <vector>

#include "rd_torch.h"
#include "train/adam.h"
#include "train/adam_update.h"

TEST_CASE("two Adam updates equal torch.optim.Adam's formula worked in double precision") {
  std::vector<float> p = {0.5f, -1.0f, 2.0f, 0.0f, 3.0f}, m(5, 0.0f), v(5, 0.0f);
  const std::vector<std::vector<float>> grads = {{0.1f, -0.2f, 0.3f, 0.0f, -4.0f}, {-0.3f, 0.2f, 0.1f, 1e-6f, 4.0f}};
  std::vector<double> pd(p.begin(), p.end()), md(5, 0.0), vd(5, 0.0);
  const double lr = 0.005, b1 = 0.5, b2 = 0.999, eps = 1e-8;
  for (int t = 1; t <= 2; ++t) {
    const double bc1 = 1 - std::pow(b1, t), bc2 = 1 - std::pow(b2, t);
    rd::adam_update(p.data(), grads[t - 1].data(), m.data(), v.data(), 5,
                    {float(b1), float(b2), float(eps), float(lr / bc1), float(std::sqrt(bc2))});
    for (int i = 0; i < 5; ++i) {
      const double g = grads[t - 1][i];
      md[i] = b1 * md[i] + (1 - b1) * g;
      vd[i] = b2 * vd[i] + (1 - b2) * g * g;
      pd[i] -= lr / bc1 * md[i] / (std::sqrt(vd[i]) / std::sqrt(bc2) + eps);
    }
  }
  for (int i = 0; i < 5; ++i) {
    CAPTURE(i);
    CHECK(p[i] == doctest::Approx(pd[i]).epsilon(1e-6));
    CHECK(m[i] == doctest::Approx(md[i]).epsilon(1e-6));
    CHECK(v[i] == doctest::Approx(vd[i]).epsilon(1e-6));
  }
}

TEST_CASE("a first Adam step moves each parameter by lr against its gradient's sign") {
  std::vector<float> p = {1.0f, 1.0f, 1.0f}, m(3, 0.0f), v(3, 0.0f);
  const std::vector<float> g = {1e-3f, -50.0f, 0.0f};
  rd::adam_update(p.data(), g.data(), m.data(), v.data(), 3, {0.5f, 0.999f, 1e-8f, 0.005f / 0.5f, std::sqrt(0.001f)});
  CHECK(p[0] == doctest::Approx(0.995).epsilon(1e-6));
  CHECK(p[1] == doctest::Approx(1.005).epsilon(1e-6));
  CHECK(p[2] == 1.0f);  // no gradient, no move
}

TEST_CASE("the fused CPU step and the tensor-operation step give the same parameters") {
  torch::manual_seed(5);
  auto base = torch::randn({64, 48});
  auto fused = base.clone().requires_grad_();
  auto strided = base.t().contiguous().t().requires_grad_();  // same values, column-major
  REQUIRE_FALSE(strided.is_contiguous());
  rd::Adam a({{"w", fused}}, rd::AdamOptions{}), b({{"w", strided}}, rd::AdamOptions{});
  for (int step = 0; step < 3; ++step) {
    auto g = torch::randn({64, 48});
    a.zero_grad();
    b.zero_grad();
    (fused * g).sum().backward();
    (strided * g).sum().backward();
    a.step();
    b.step();
  }
  CHECK((fused - strided).abs().max().item<double>() < 1e-6);
  CHECK((fused - base).abs().max().item<double>() > 1e-3);  // it did move
}
