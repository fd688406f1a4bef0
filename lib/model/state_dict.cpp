#include "model/state_dict.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "errors.h"

namespace rd {

torch::Tensor to_torch(const RawTensor& raw) {
  auto values = raw.to_float();
  auto t = torch::from_blob(values.data(), raw.shape, torch::kFloat32).clone();
  return raw.dtype == DType::Int64 ? t.to(torch::kInt64) : t;
}

namespace {

// Copies straight from the file's bytes where they are row-major float32 (every tensor rd's model
// files hold), else through to_torch: one copy instead of three for a model's 100 M weights.
void copy_into(torch::Tensor& target, const RawTensor& raw) {
  bool row_major = raw.dtype == DType::Float32 && raw.storage && raw.offset >= 0 &&
                   target.scalar_type() == torch::kFloat32 && raw.stride.size() == raw.shape.size();
  int64_t step = 1;
  for (size_t i = raw.shape.size(); row_major && i-- > 0; step *= raw.shape[i])
    row_major = raw.shape[i] == 1 || raw.stride[i] == step;
  const size_t begin = size_t(raw.offset) * sizeof(float), bytes = size_t(raw.numel()) * sizeof(float);
  if (row_major && raw.numel() > 0 && begin <= raw.storage->size() && bytes <= raw.storage->size() - begin) {
    auto* data = const_cast<unsigned char*>(raw.storage->data() + begin);  // read only: copy_ from it
    target.copy_(torch::from_blob(data, raw.shape, torch::kFloat32));
    return;
  }
  target.copy_(to_torch(raw));
}

}  // namespace

std::vector<std::pair<std::string, torch::Tensor>> state_of(const torch::nn::Module& module) {
  std::vector<std::pair<std::string, torch::Tensor>> out;
  for (const auto& p : module.named_parameters(true)) out.emplace_back(p.key(), p.value());
  for (const auto& b : module.named_buffers(true)) out.emplace_back(b.key(), b.value());
  return out;
}

namespace {

bool starts_with(const std::string& s, const std::string& prefix) { return s.compare(0, prefix.size(), prefix) == 0; }

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

}  // namespace

std::vector<std::string> load_state(torch::nn::Module& module, const TensorDict& dict,
                                    const LoadRules& rules, const std::string& source) {
  torch::NoGradGuard no_grad;
  std::set<std::string> used;
  for (auto& [name, target] : state_of(module)) {
    const std::string key = rules.prefix + name;
    auto it = dict.find(key);
    if (it == dict.end()) {
      if (ends_with(name, "num_batches_tracked")) continue;
      throw FormatError(fmt::format("'{}': missing tensor '{}' (expected shape [{}])", source, key,
                                    fmt::join(target.sizes(), ", ")));
    }
    if (it->second.shape != target.sizes().vec())
      throw FormatError(fmt::format("'{}': tensor '{}' has shape [{}], expected [{}]", source, key,
                                    fmt::join(it->second.shape, ", "), fmt::join(target.sizes(), ", ")));
    copy_into(target, it->second);
    used.insert(key);
  }
  std::vector<std::string> unused;
  for (const auto& [key, raw] : dict) {
    if (!starts_with(key, rules.prefix) || used.count(key)) continue;
    bool ignored = false;
    for (const auto& ig : rules.ignore) ignored = ignored || starts_with(key, rules.prefix + ig);
    if (!ignored) unused.push_back(key);
  }
  return unused;
}

}  // namespace rd
