// Adam, written out so that its whole state can be checkpointed by parameter name and a resumed
// run continues bit for bit. Same update as torch.optim.Adam (no weight decay, no amsgrad).
#pragma once
#include <string>
#include <utility>
#include <vector>

#include "rd_torch.h"

namespace rd {

struct AdamOptions {
  double lr = 0.005, beta1 = 0.5, beta2 = 0.999, eps = 1e-8;
};

class Adam {
 public:
  Adam(std::vector<std::pair<std::string, torch::Tensor>> params, AdamOptions options);
  // Another parameter group with its own learning rate (torch's param_groups); the betas, the
  // step count and the state layout are shared.
  void add_group(std::vector<std::pair<std::string, torch::Tensor>> params, double lr);
  void zero_grad();
  void step();
  int64_t steps() const { return step_; }
  // First and second moments by parameter name ("exp_avg.<name>", "exp_avg_sq.<name>").
  std::vector<std::pair<std::string, torch::Tensor>> state() const;
  void restore(int64_t steps, const std::function<torch::Tensor(const std::string&)>& lookup);
  // Gradients accumulated and not yet stepped on ("grad.<name>"), for checkpoints taken between
  // the batches of one accumulated step; restore_gradients puts them back.
  std::vector<std::pair<std::string, torch::Tensor>> gradients() const;
  void restore_gradients(const std::function<torch::Tensor(const std::string&)>& lookup);

 private:
  struct Slot {
    std::string name;
    torch::Tensor param, exp_avg, exp_avg_sq;
    double lr = 0;
  };
  std::vector<Slot> slots_;
  AdamOptions opt_;
  int64_t step_ = 0;
};

}  // namespace rd
