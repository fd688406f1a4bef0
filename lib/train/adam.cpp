#include "train/adam.h"

#include <cmath>

#include "train/adam_update.h"

namespace rd {

Adam::Adam(std::vector<std::pair<std::string, torch::Tensor>> params, AdamOptions options) : opt_(options) {
  add_group(std::move(params), options.lr);
}

void Adam::add_group(std::vector<std::pair<std::string, torch::Tensor>> params, double lr) {
  for (auto& [name, p] : params) slots_.push_back({name, p, torch::zeros_like(p), torch::zeros_like(p), lr});
}

// Gradients go to none rather than to zero: the next backward pass hands its gradient over
// instead of adding it to zeros (a pass over every parameter saved; the same values).
void Adam::zero_grad() {
  for (auto& s : slots_) s.param.mutable_grad() = torch::Tensor();
}

namespace {

bool fusable(const torch::Tensor& t) {
  return t.device().is_cpu() && t.scalar_type() == torch::kFloat32 && t.is_contiguous();
}

}  // namespace

void Adam::step() {
  torch::NoGradGuard no_grad;
  ++step_;
  const double bc1 = 1 - std::pow(opt_.beta1, double(step_));
  const double bc2 = 1 - std::pow(opt_.beta2, double(step_));
  for (auto& s : slots_) {
    const auto& g = s.param.grad();
    if (!g.defined()) continue;
    if (fusable(s.param) && fusable(g) && fusable(s.exp_avg) && fusable(s.exp_avg_sq)) {
      const AdamCoefficients c{float(opt_.beta1), float(opt_.beta2), float(opt_.eps), float(s.lr / bc1),
                               float(std::sqrt(bc2))};
      float *p = s.param.data_ptr<float>(), *m = s.exp_avg.data_ptr<float>(), *v = s.exp_avg_sq.data_ptr<float>();
      const float* gp = g.data_ptr<float>();
      at::parallel_for(0, s.param.numel(), 1 << 15, [&](int64_t begin, int64_t end) {
        adam_update(p + begin, gp + begin, m + begin, v + begin, end - begin, c);
      });
      continue;
    }
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
