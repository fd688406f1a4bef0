#include "train/adam_update.h"

#include <cmath>

namespace rd {

void adam_update(float* __restrict param, const float* __restrict grad, float* __restrict exp_avg,
                 float* __restrict exp_avg_sq, int64_t n, const AdamCoefficients& c) {
  const float keep1 = c.beta1, take1 = 1 - c.beta1, keep2 = c.beta2, take2 = 1 - c.beta2;
  for (int64_t i = 0; i < n; ++i) {
    const float g = grad[i];
    const float m = exp_avg[i] * keep1 + g * take1;
    const float v = exp_avg_sq[i] * keep2 + take2 * g * g;
    exp_avg[i] = m;
    exp_avg_sq[i] = v;
    param[i] += -c.step_size * (m / (std::sqrt(v) / c.bias2_sqrt + c.eps));
  }
}

}  // namespace rd
