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
    target.copy_(to_torch(it->second));
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
