#include "train/adam.h"

#include <cmath>

namespace rd {

Adam::Adam(std::vector<std::pair<std::string, torch::Tensor>> params, AdamOptions options) : opt_(options) {
  add_group(std::move(params), options.lr);
}

void Adam::add_group(std::vector<std::pair<std::string, torch::Tensor>> params, double lr) {
  for (auto& [name, p] : params) slots_.push_back({name, p, torch::zeros_like(p), torch::zeros_like(p), lr});
}

void Adam::zero_grad() {
  for (auto& s : slots_)
    if (s.param.mutable_grad().defined()) s.param.mutable_grad().zero_();
}

void Adam::step() {
  torch::NoGradGuard no_grad;
  ++step_;
  const double bc1 = 1 - std::pow(opt_.beta1, double(step_));
  const double bc2 = 1 - std::pow(opt_.beta2, double(step_));
  for (auto& s : slots_) {
    const auto& g = s.param.grad();
    if (!g.defined()) continue;
    s.exp_avg.mul_(opt_.beta1).add_(g, 1 - opt_.beta1);
    s.exp_avg_sq.mul_(opt_.beta2).addcmul_(g, g, 1 - opt_.beta2);
    auto denom = (s.exp_avg_sq.sqrt() / std::sqrt(bc2)).add_(opt_.eps);
    s.param.addcdiv_(s.exp_avg, denom, -s.lr / bc1);
  }
}

std::vector<std::pair<std::string, torch::Tensor>> Adam::state() const {
  std::vector<std::pair<std::string, torch::Tensor>> out;
  for (const auto& s : slots_) {
    out.emplace_back("exp_avg." + s.name, s.exp_avg);
    out.emplace_back("exp_avg_sq." + s.name, s.exp_avg_sq);
  }
  return out;
}

void Adam::restore(int64_t steps, const std::function<torch::Tensor(const std::string&)>& lookup) {
  torch::NoGradGuard no_grad;
  step_ = steps;
  for (auto& s : slots_) {
    s.exp_avg.copy_(lookup("exp_avg." + s.name));
    s.exp_avg_sq.copy_(lookup("exp_avg_sq." + s.name));
  }
}

std::vector<std::pair<std::string, torch::Tensor>> Adam::gradients() const {
  std::vector<std::pair<std::string, torch::Tensor>> out;
  for (const auto& s : slots_)
    out.emplace_back("grad." + s.name, s.param.grad().defined() ? s.param.grad() : torch::zeros_like(s.param));
  return out;
}

void Adam::restore_gradients(const std::function<torch::Tensor(const std::string&)>& lookup) {
  torch::NoGradGuard no_grad;
  for (auto& s : slots_) s.param.mutable_grad() = lookup("grad." + s.name).to(s.param.device()).clone();
}

}  // namespace rd
