#include "train/rdpp_loss.h"

#include <random>

#include "train/distillation_loss.h"
#include "train/simplex_noise.h"
#include "train/sinkhorn.h"

namespace rd {

namespace F = torch::nn::functional;

torch::Tensor ssot_loss(const Features& projected, const std::vector<int64_t>& shuffle) {
  torch::Tensor loss = torch::zeros({}, projected[0].options().dtype(torch::kFloat32));
  const auto order = torch::tensor(shuffle).to(projected[0].device());
  for (const auto& p : projected) {
    auto rows = torch::softmax(p.flatten(1).to(torch::kFloat32), 1);
    loss = loss + sinkhorn_divergence(rows, rows.index_select(0, order)).to(loss.device());
  }
  return loss;
}

torch::Tensor reconstruction_loss(const Features& noised, const Features& clean) {
  torch::Tensor loss = torch::zeros({}, clean[0].options());
  for (size_t k = 0; k < clean.size(); ++k)
    loss = loss + torch::mean(1 - F::cosine_similarity(noised[k], clean[k], F::CosineSimilarityFuncOptions().dim(1)));
  return loss;
}

torch::Tensor contrast_loss(const Features& teacher_noised, const Features& projected) {
  // CosineEmbeddingLoss with every target 1 (as the official code calls it) is 1 - cos whatever
  // the margin.
  torch::Tensor loss = torch::zeros({}, projected[0].options().dtype(torch::kFloat32));
  for (size_t k = 0; k < projected.size(); ++k) loss = loss + cosine_distance(teacher_noised[k], projected[k]);
  return loss;
}

RdppLoss rdpp_loss(const Features& teacher, const Features& projected, const Features& student,
                   const Features& teacher_noised, const Features& projected_noised,
                   const std::vector<int64_t>& shuffle) {
  auto kd = distillation_loss(teacher, student);
  auto ssot = ssot_loss(projected, shuffle);
  auto recon = reconstruction_loss(projected_noised, projected);
  auto con = contrast_loss(teacher_noised, projected);
  RdppLoss out;
  out.total = kd + 0.2 * (ssot + 0.01 * recon + 0.1 * con) / 1.11;
  out.kd = kd.item<double>(), out.ssot = ssot.item<double>();
  out.recon = recon.item<double>(), out.con = con.item<double>();
  return out;
}

torch::Tensor add_rdpp_noise(const torch::Tensor& inputs, const Normalization& norm, uint64_t seed) {
  auto out = inputs.to(torch::kCPU, torch::kFloat32).clone().contiguous();
  const int64_t n = out.size(0), size = out.size(2);
  std::mt19937_64 rng(seed);
  float* data = out.data_ptr<float>();
  for (int64_t i = 0; i < n; ++i) {
    const NoisePatch p = draw_noise_patch(rng, int(size));
    for (int c = 0; c < 3; ++c)
      for (int y = 0; y < p.height; ++y)
        for (int x = 0; x < p.width; ++x)
          data[((i * 3 + c) * size + p.top + y) * size + p.left + x] +=
              p.values[(size_t(c) * p.height + y) * p.width + x] / norm.std[c];
  }
  return out.to(inputs.device());
}

}  // namespace rd
