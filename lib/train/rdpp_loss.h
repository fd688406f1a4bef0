// RD++'s training objective (Tien et al., CVPR 2023, and the official utils_train.py):
// L = L_KD + 0.2 * (L_ssot + 0.01 * L_recon + 0.1 * L_con) / 1.11, each term summed over scales.
#pragma once
#include <cstdint>
#include <vector>

#include "model/rd_model.h"
#include "score/preprocess.h"

namespace rd {

// The debiased Sinkhorn divergence between two uniform clouds of B points, the rows
// softmax(flatten(P_k)) and the same rows in `shuffle` order, summed over scales. The two clouds are one set, so this
// is ~0 (up to the solver's tolerance) by construction, as in the official code.
torch::Tensor ssot_loss(const Features& projected, const std::vector<int64_t>& shuffle);

// Sum over scales of mean(1 - cos) along channels between P_k(noised) and P_k(clean).
torch::Tensor reconstruction_loss(const Features& projected_noised, const Features& projected);

// Sum over scales of CosineEmbeddingLoss(flatten(E_k(noised)), flatten(P_k(clean)), target +1,
// margin -0.5), i.e. mean(1 - cos): the official code's loss_contrast.
torch::Tensor contrast_loss(const Features& teacher_noised, const Features& projected);

struct RdppLoss {
  torch::Tensor total;               // what is backpropagated
  double kd = 0, ssot = 0, recon = 0, con = 0;  // the terms, for the training log
};

// All four terms for one batch, from the clean teacher features, the student's restoration of
// them through P, and the teacher's features of the noised batch.
RdppLoss rdpp_loss(const Features& teacher, const Features& projected, const Features& student,
                   const Features& teacher_noised, const Features& projected_noised,
                   const std::vector<int64_t>& shuffle);

// The batch's model inputs with RD++'s noise added: one patch per image (draw_noise_patch), added
// to the [0, 1] image, i.e. noise / std on the normalised input. `seed` fixes every draw.
torch::Tensor add_rdpp_noise(const torch::Tensor& inputs, const Normalization& norm, uint64_t seed);

}  // namespace rd
