// rd-score's work: stream inputs through the model in batches and emit one record per input,
// in input order, with decoding of the next batch overlapped with the network (DESIGN §4).
#pragma once
#include <atomic>
#include <cstdint>
#include <functional>
#include <string>

#include <nlohmann/json.hpp>

#include "io/input_source.h"
#include "io/output_names.h"
#include "io/shard.h"
#include "score/model_store.h"

namespace rd {

struct ScoreOptions {
  int batch_size = 8;
  std::string maps_dir;             // save each map here and add `map` to the record
  std::string map_format = "npy";   // npy | tiff
  Shard shard;                      // score only this part of the inputs
  std::string resume_file;          // skip paths that already have a record in this file
  int64_t max_pixels = kDefaultMaxPixels;
  int decode_threads = 2;
  torch::Device device = torch::kCPU;
};

struct ScoreCallbacks {
  // Receives each finished record, in input order.
  std::function<void(const RecordFields& record)> emit;
  std::function<void(const std::string&)> warn;
  std::function<void(int64_t done)> progress;
  const std::atomic<int>* stop_signal = nullptr;  // set: finish the batch, then return
};

struct ScoreSummary {
  int64_t scored = 0, failed = 0, skipped = 0;
};

// Prepares a loaded model for scoring: BatchNorm folded, inference mode, on the device, its
// convolutions in `precision` (CPU: oneDNN bf16 weights and activations; CUDA: bf16 autocast;
// int8: the student from the model's calibration, see use_int8_student).
// Check the CPU first (parse_precision): without native bf16 oneDNN only emulates it.
void prepare_for_scoring(Model& model, const torch::Device& device, Precision precision = Precision::Fp32);

// Scores every input of `source`. Bad inputs become `error` records; the rest go on.
ScoreSummary score_inputs(Model& model, InputSource& source, const ScoreOptions& options,
                          const ScoreCallbacks& callbacks);

}  // namespace rd
