// RD++'s loss terms against torch's CosineSimilarity / CosineEmbeddingLoss
// (tests/reference/make_rdpp_losses.py), and the noise as it lands on a batch.
#include <doctest/doctest.h>

#include "model/state_dict.h"
#include "support.h"
#include "tensor_fixtures.h"
#include "train/rdpp_loss.h"

using rd::test::fixture_tensor;

TEST_CASE("reconstruction and contrast losses equal the official code's torch losses") {
  auto d = rd::read_torch_checkpoint(rd::test::fixtures() + "/rdpp/losses.pth");
  auto a = fixture_tensor(d, "a"), b = fixture_tensor(d, "b");
  rd::Features fa{a, a, a}, fb{b, b, b};
  // summed over the three scales
  CHECK(rd::reconstruction_loss(fa, fb).item<double>() == doctest::Approx(3 * fixture_tensor(d, "recon").item<double>()).epsilon(1e-5));
  CHECK(rd::contrast_loss(fa, fb).item<double>() == doctest::Approx(3 * fixture_tensor(d, "con").item<double>()).epsilon(1e-5));
  CHECK(std::abs(rd::ssot_loss(fa, {2, 0, 1}).item<double>()) < 1e-6);  // a batch against its own shuffle
}

TEST_CASE("the total is L_KD + 0.2 (L_ssot + 0.01 L_recon + 0.1 L_con) / 1.11") {
  torch::manual_seed(1);
  rd::Features t, p, s, tn, pn;
  for (int k = 0; k < 3; ++k) {
    t[k] = torch::randn({2, 4, 3, 3});
    p[k] = torch::randn({2, 4, 3, 3});
    s[k] = t[k] + 0.5 * torch::randn({2, 4, 3, 3});
    tn[k] = t[k] + 0.3 * torch::randn({2, 4, 3, 3});
    pn[k] = p[k] + 0.3 * torch::randn({2, 4, 3, 3});
  }
  rd::RdppLoss l = rd::rdpp_loss(t, p, s, tn, pn, {1, 0});
  CHECK(l.kd > 0);
  CHECK(l.recon > 0);
  CHECK(l.con > 0);
  CHECK(l.total.item<double>() == doctest::Approx(l.kd + 0.2 * (l.ssot + 0.01 * l.recon + 0.1 * l.con) / 1.11));
}

TEST_CASE("noise lands in one rectangle per image, scaled by the normalisation, the same for a seed") {
  rd::Normalization norm;
  const auto inputs = torch::randn({3, 3, 64, 64});
  const auto a = rd::add_rdpp_noise(inputs, norm, 9), b = rd::add_rdpp_noise(inputs, norm, 9);
  CHECK(torch::equal(a, b));
  CHECK(!torch::equal(a, rd::add_rdpp_noise(inputs, norm, 10)));
  for (int64_t i = 0; i < 3; ++i) {
    const auto changed = (a[i] != inputs[i]).any(0);  // [64, 64]
    const auto rows = changed.any(1).nonzero().flatten(), cols = changed.any(0).nonzero().flatten();
    REQUIRE(rows.numel() > 0);
    const int64_t h = rows.max().item<int64_t>() - rows.min().item<int64_t>() + 1;
    const int64_t w = cols.max().item<int64_t>() - cols.min().item<int64_t>() + 1;
    CHECK(h == 7);  // 64 px images: sides of size/8 - 1
    CHECK(w == 7);
    CHECK(rows.min().item<int64_t>() >= 1);
    // noise / std: at most 0.2 * 2.38 / 0.225 in normalised units
    CHECK((a[i] - inputs[i]).abs().max().item<double>() < 0.2 * 2.39 / 0.224);
  }
}
