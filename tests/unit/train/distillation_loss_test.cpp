// The fused cosine distance against torch's own cosine_similarity (values and gradients) and a
// case worked by hand.
#include <doctest/doctest.h>

#include <cmath>

#include "rd_torch.h"
#include "train/distillation_loss.h"

namespace {

torch::Tensor torch_distance(const torch::Tensor& a, const torch::Tensor& b) {
  return torch::mean(1 - torch::nn::functional::cosine_similarity(
                             a.flatten(1), b.flatten(1), torch::nn::functional::CosineSimilarityFuncOptions().dim(1)));
}

double max_diff(const torch::Tensor& x, const torch::Tensor& y) { return (x - y).abs().max().item<double>(); }

}  // namespace

TEST_CASE("cosine distance of (1, 0) and (1, 1) and its gradient, by hand") {
  auto a = torch::tensor({{1.0f, 0.0f}}), b = torch::tensor({{1.0f, 1.0f}}).requires_grad_();
  auto d = rd::cosine_distance(a, b);
  CHECK(d.item<double>() == doctest::Approx(1 - 1 / std::sqrt(2.0)).epsilon(1e-6));
  d.backward();
  // d cos / d b = a / (|a| |b|) - cos b / |b|^2 = (1, -1) / (2 sqrt 2); the loss is 1 - cos
  const double g = 1 / (2 * std::sqrt(2.0));
  CHECK(b.grad()[0][0].item<double>() == doctest::Approx(-g).epsilon(1e-6));
  CHECK(b.grad()[0][1].item<double>() == doctest::Approx(g).epsilon(1e-6));
}

TEST_CASE("distillation loss and its gradients equal torch's cosine_similarity") {
  torch::manual_seed(3);
  rd::Features t, s, s_ref;
  const int64_t channels[3] = {4, 8, 16}, sizes[3] = {8, 4, 2};
  for (int k = 0; k < 3; ++k) {
    t[k] = torch::randn({3, channels[k], sizes[k], sizes[k]}).requires_grad_();
    s[k] = (t[k].detach() + torch::randn_like(t[k])).requires_grad_();
  }
  auto loss = rd::distillation_loss(t, s);
  torch::Tensor reference = torch::zeros({});
  for (int k = 0; k < 3; ++k) reference = reference + torch_distance(t[k], s[k]);
  CHECK(loss.item<double>() == doctest::Approx(reference.item<double>()).epsilon(1e-6));
  auto ours = torch::autograd::grad({loss}, {t[0], t[1], t[2], s[0], s[1], s[2]});
  auto theirs = torch::autograd::grad({reference}, {t[0], t[1], t[2], s[0], s[1], s[2]});
  for (size_t i = 0; i < ours.size(); ++i) {
    CAPTURE(i);
    CHECK(max_diff(ours[i], theirs[i]) < 1e-6 * theirs[i].abs().max().item<double>());
  }
}

TEST_CASE("a zero student row has the gradient torch gives it, and a bf16 student a bf16 gradient") {
  torch::manual_seed(4);
  auto a = torch::randn({2, 6});
  auto zero = torch::zeros({2, 6}).requires_grad_();
  auto zero_ref = torch::zeros({2, 6}).requires_grad_();
  rd::cosine_distance(a, zero).backward();
  torch_distance(a, zero_ref).backward();
  CHECK(torch::isfinite(zero.grad()).all().item<bool>());
  CHECK(max_diff(zero.grad(), zero_ref.grad()) < 1e-6 * zero_ref.grad().abs().max().item<double>());

  auto b = torch::randn({2, 6}).to(torch::kBFloat16).requires_grad_();
  auto d = rd::cosine_distance(a, b);
  CHECK(bool(d.scalar_type() == torch::kFloat32));
  d.backward();
  CHECK(bool(b.grad().scalar_type() == torch::kBFloat16));
}
