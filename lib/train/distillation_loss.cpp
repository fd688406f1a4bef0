#include "train/distillation_loss.h"

namespace rd {

namespace {

constexpr double kEps = 1e-8;

// Rows in fp32, one per sample.
torch::Tensor rows(const torch::Tensor& x) { return x.to(torch::kFloat32).contiguous().view({x.size(0), -1}); }

// Rows' norms and dot products in fp32 for [N, D] inputs; the gradient w.r.t. b_n is
// -(g / N) (a_n / (|a_n| |b_n|) - cos_n b_n / |b_n|^2), and symmetrically for a.
struct CosineDistance : torch::autograd::Function<CosineDistance> {
  static torch::Tensor forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& a_in,
                               const torch::Tensor& b_in) {
    const auto a = rows(a_in), b = rows(b_in);
    const auto na = at::linalg_vector_norm(a, 2, {1}).clamp_min(kEps);
    const auto nb = at::linalg_vector_norm(b, 2, {1}).clamp_min(kEps);
    const auto cos = (a * b).sum(1) / (na * nb);
    ctx->save_for_backward({a, b, na, nb, cos});
    ctx->saved_data["a_type"] = int64_t(a_in.scalar_type());
    ctx->saved_data["b_type"] = int64_t(b_in.scalar_type());
    ctx->saved_data["a_shape"] = a_in.sizes().vec();
    ctx->saved_data["b_shape"] = b_in.sizes().vec();
    return (1 - cos).mean();
  }

  static torch::autograd::tensor_list backward(torch::autograd::AutogradContext* ctx,
                                               torch::autograd::tensor_list grads) {
    const auto saved = ctx->get_saved_variables();
    const auto &a = saved[0], &b = saved[1], &na = saved[2], &nb = saved[3], &cos = saved[4];
    const auto scale = -grads[0] / double(a.size(0));
    // a clamped norm is a constant: no gradient through it
    const auto side = [&](const torch::Tensor& self, const torch::Tensor& other, const torch::Tensor& n_self,
                          const torch::Tensor& n_other, const char* type, const char* shape) {
      const auto towards_other = (scale / (n_self * n_other)).unsqueeze(1);
      const auto along_self = (-scale * cos / (n_self * n_self) * (n_self > kEps)).unsqueeze(1);
      return torch::addcmul(self * along_self, other, towards_other)
          .view(ctx->saved_data[shape].toIntVector())
          .to(torch::ScalarType(ctx->saved_data[type].toInt()));
    };
    torch::Tensor ga, gb;
    if (ctx->needs_input_grad(0)) ga = side(a, b, na, nb, "a_type", "a_shape");
    if (ctx->needs_input_grad(1)) gb = side(b, a, nb, na, "b_type", "b_shape");
    return {ga, gb};
  }
};

}  // namespace

torch::Tensor cosine_distance(const torch::Tensor& a, const torch::Tensor& b) { return CosineDistance::apply(a, b); }

torch::Tensor distillation_loss(const Features& teacher, const Features& student) {
  torch::Tensor loss = torch::zeros({}, teacher[0].options().dtype(torch::kFloat32));
  for (size_t k = 0; k < teacher.size(); ++k) loss = loss + cosine_distance(teacher[k], student[k]);
  return loss;
}

}  // namespace rd
