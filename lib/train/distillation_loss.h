// The training losses built on the cosine distance of whole flattened feature maps.
#pragma once
#include "model/rd_model.h"

namespace rd {

// mean over the batch of 1 - cos(a_n, b_n), rows of the flattened [N, ...] tensors, with each
// norm clamped at 1e-8 as torch's cosine_similarity does. Its gradient is written out: two
// tensor operations over the features where torch's composite cosine_similarity runs about ten.
torch::Tensor cosine_distance(const torch::Tensor& a, const torch::Tensor& b);

// 1 - cos per sample over each flattened feature map, averaged over the batch, summed over scales
// (the paper's loss).
torch::Tensor distillation_loss(const Features& teacher, const Features& student);

}  // namespace rd
