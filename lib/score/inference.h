// The forward pass that turns a batch of model inputs into anomaly maps and scores.
#pragma once
#include <vector>

#include "score/model_store.h"

namespace rd {

struct BatchMaps {
  torch::Tensor maps;          // [N, size, size] float32 on the CPU, smoothed
  std::vector<double> scores;  // one per image
};

// Runs teacher, bottleneck and decoder on [N, 3, size, size] inputs (no gradients) and returns
// the maps before smoothing ([N, size, size] float32, contiguous, on the CPU): what tiles are
// stitched from.
torch::Tensor infer_raw_maps(Model& model, const torch::Tensor& inputs);

// infer_raw_maps, then each image's map smoothed and scored with the model's map settings.
BatchMaps infer_maps(Model& model, const torch::Tensor& inputs);

}  // namespace rd
