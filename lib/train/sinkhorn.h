// The debiased Sinkhorn divergence between two uniform point clouds (Feydy et al. 2019), as
// geomloss's SamplesLoss("sinkhorn", p=2, ...) computes it: RD++'s L_ssot.
#pragma once
#include "rd_torch.h"

namespace rd {

struct SinkhornOptions {
  double blur = 0.05;      // epsilon = blur^2
  double scaling = 0.95;   // blur's annealing ratio per iteration (epsilon's is scaling^2)
  double diameter = 1e7;   // where the annealing starts (the official code's setting)
  double tolerance = 1e-9; // potentials' largest change at the final epsilon that counts as converged
  int max_final_iterations = 1000;
};

// S(x, y) = OT(x, y) - OT(x, x)/2 - OT(y, y)/2 for x [N, D] and y [M, D] with uniform weights and
// cost |x - y|^2 / 2. The dual potentials are found without gradients (log-domain iterations
// in double precision with epsilon annealed from diameter^2 to blur^2, then iterated at blur^2
// until converged); one last differentiable update from them gives the value and its gradient
// with respect to both clouds, as geomloss does. Returns a float32 scalar.
torch::Tensor sinkhorn_divergence(const torch::Tensor& x, const torch::Tensor& y, const SinkhornOptions& options = {});

}  // namespace rd
