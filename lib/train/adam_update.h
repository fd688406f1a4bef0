// The Adam update as one pass over a parameter, its gradient and both moments (torch runs it as
// eight tensor operations, each a pass over memory: 5 % of a bf16 training step).
#pragma once
#include <cstdint>

namespace rd {

struct AdamCoefficients {
  float beta1 = 0, beta2 = 0, eps = 0;
  float step_size = 0;       // lr / (1 - beta1^t)
  float bias2_sqrt = 0;      // sqrt(1 - beta2^t)
};

// torch.optim.Adam's arithmetic, element by element and in the same order:
// m = b1 m + (1 - b1) g; v = b2 v + (1 - b2) g g; p -= step_size m / (sqrt(v) / bias2_sqrt + eps).
void adam_update(float* param, const float* grad, float* exp_avg, float* exp_avg_sq, int64_t n,
                 const AdamCoefficients& c);

}  // namespace rd
