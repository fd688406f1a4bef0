#include "score/int8_calibration.h"

#include <algorithm>
#include <memory>

#include <fmt/format.h>

#include "errors.h"
#include "model/int8_student.h"

namespace rd {

nlohmann::json calibrate_int8(Model& model, const std::function<Features(int64_t, int64_t)>& teacher,
                              int64_t count, int batch) {
  torch::NoGradGuard no_grad;
  Int8Student student(*model.net);
  const int64_t n = std::min(count, kMaxCalibrationInputs);
  for (int64_t i = 0; i < n; i += batch)
    student.observe(model.net->bottleneck_input(teacher(i, std::min<int64_t>(i + batch, n))));
  nlohmann::json ranges = nlohmann::json::array();
  for (const auto& r : student.ranges()) ranges.push_back({r.lo, r.hi});
  return {{"ranges", ranges}, {"inputs", n}, {"observer", "minmax"}};
}

void use_int8_student(Model& model) {
  const std::string name = model.path.empty() ? "the model" : fmt::format("'{}'", model.path);
  if (!model.meta.contains("int8"))
    throw UsageError(fmt::format("--precision int8: {} has no int8 calibration ({}); retrain it with this rd, "
                                 "which calibrates every model it trains",
                                 name, model.meta.contains("training") && model.meta["training"].contains("imported_from")
                                           ? "it was imported from a reference checkpoint"
                                           : "it was written before rd had int8"));
  auto student = std::make_shared<Int8Student>(*model.net);
  std::vector<ActivationRange> ranges;
  try {
    for (const auto& r : model.meta.at("int8").at("ranges")) ranges.push_back({r.at(0).get<float>(), r.at(1).get<float>()});
    student->quantize(ranges);
  } catch (const nlohmann::json::exception& e) {
    throw FormatError(fmt::format("{}: bad int8 calibration: {}", name, e.what()));
  } catch (const std::invalid_argument& e) {
    throw FormatError(fmt::format("{}: bad int8 calibration: {}", name, e.what()));
  }
  model.net->quantize_student(std::move(student));
}

}  // namespace rd
