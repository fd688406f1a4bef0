// The forward pass that turns a batch of model inputs into smoothed anomaly maps and scores.
#pragma once
#include <vector>

#include "score/model_store.h"

namespace rd {

struct BatchMaps {
  torch::Tensor maps;          // [N, size, size] float32 on the CPU, smoothed
  std::vector<double> scores;  // one per image
};

// Runs teacher, bottleneck and decoder on [N, 3, size, size] inputs (no gradients) and computes
// each image's map and score with the model's map settings.
BatchMaps infer_maps(Model& model, const torch::Tensor& inputs);

}  // namespace rd
