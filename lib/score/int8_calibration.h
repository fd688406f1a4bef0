// int8 activation ranges: measured by rd-train on the training images, stored in the model
// file's metadata ("int8"), turned into the int8 student when scoring with --precision int8.
#pragma once
#include <cstdint>
#include <functional>

#include <nlohmann/json.hpp>

#include "score/model_store.h"

namespace rd {

// At most this many training inputs are calibrated on: ranges are min/max, which more images only
// widen with rarer outliers, and the pass costs a forward of the student per input.
constexpr int64_t kMaxCalibrationInputs = 256;

// Runs the student of `model` in fp32 over the teacher features of inputs [0, count) (a batch at
// a time, from `teacher(begin, end)`) and returns the "int8" metadata: one [lo, hi] per
// quantisation point, and how many inputs it saw.
nlohmann::json calibrate_int8(Model& model, const std::function<Features(int64_t, int64_t)>& teacher,
                              int64_t count, int batch);

// Makes a model folded for scoring run its student in int8 from its stored ranges. Throws
// UsageError naming the model file when it has none (imported, or written before rd had int8)
// and FormatError when they do not fit its network.
void use_int8_student(Model& model);

}  // namespace rd
