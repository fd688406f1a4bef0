#include "train/sinkhorn.h"

#include <cmath>
#include <vector>

namespace rd {
namespace {

// Row-major cost matrix in double, without gradients, for the potentials' iterations.
struct Cost {
  int64_t rows = 0, cols = 0;
  std::vector<double> c;
  double at(int64_t i, int64_t j) const { return c[size_t(i * cols + j)]; }
};

Cost to_cost(const torch::Tensor& cost) {
  auto d = cost.detach().to(torch::kCPU, torch::kFloat64).contiguous();
  return {d.size(0), d.size(1), {d.data_ptr<double>(), d.data_ptr<double>() + d.numel()}};
}

// softmin_eps over j of (C_ij - eps * h_j), for every i: -eps log sum_j exp(h_j - C_ij / eps),
// where h = log weights + potential / eps. `transpose` reads C as C^T.
std::vector<double> softmin(double eps, const Cost& cost, bool transpose, const std::vector<double>& h) {
  const int64_t n = transpose ? cost.cols : cost.rows, m = transpose ? cost.rows : cost.cols;
  std::vector<double> out(static_cast<size_t>(n)), terms(static_cast<size_t>(m));
  for (int64_t i = 0; i < n; ++i) {
    double top = -INFINITY;
    for (int64_t j = 0; j < m; ++j) {
      terms[j] = h[j] - (transpose ? cost.at(j, i) : cost.at(i, j)) / eps;
      top = std::max(top, terms[j]);
    }
    double sum = 0;
    for (int64_t j = 0; j < m; ++j) sum += std::exp(terms[j] - top);
    out[i] = -eps * (top + std::log(sum));
  }
  return out;
}

std::vector<double> shifted(const std::vector<double>& potential, double log_weight, double eps) {
  std::vector<double> h(potential.size());
  for (size_t j = 0; j < h.size(); ++j) h[j] = log_weight + potential[j] / eps;
  return h;
}

double average_in(std::vector<double>& into, const std::vector<double>& update) {
  double change = 0;
  for (size_t i = 0; i < into.size(); ++i) {
    const double next = 0.5 * (into[i] + update[i]);
    change = std::max(change, std::abs(next - into[i]));
    into[i] = next;
  }
  return change;
}

torch::Tensor half_squared_distances(const torch::Tensor& a, const torch::Tensor& b) {
  auto sa = a.pow(2).sum(1, true), sb = b.pow(2).sum(1, true);
  return 0.5 * (sa + sb.t() - 2 * torch::mm(a, b.t()));
}

torch::Tensor softmin_torch(double eps, const torch::Tensor& cost, const std::vector<double>& h) {
  auto hv = torch::tensor(h, cost.options()).unsqueeze(0);
  return -eps * torch::logsumexp(hv - cost / eps, 1);
}

}  // namespace

torch::Tensor sinkhorn_divergence(const torch::Tensor& x_in, const torch::Tensor& y_in, const SinkhornOptions& o) {
  // Double precision: rows of a softmax over ~10^5..10^6 features are ~10^-6 apart.
  auto x = x_in.to(torch::kFloat64), y = y_in.to(torch::kFloat64);
  const torch::Tensor cxy = half_squared_distances(x, y), cxx = half_squared_distances(x, x),
                      cyy = half_squared_distances(y, y);
  const Cost xy = to_cost(cxy), xx = to_cost(cxx), yy = to_cost(cyy);
  const double a_log = -std::log(double(x.size(0))), b_log = -std::log(double(y.size(0)));
  const std::vector<double> a_h(size_t(x.size(0)), a_log), b_h(size_t(y.size(0)), b_log);

  // geomloss's epsilon schedule for p = 2: diameter^2, then exp of an arithmetic sequence from
  // 2 log(diameter) down towards 2 log(blur) in steps of 2 log(scaling), then blur^2.
  std::vector<double> schedule = {o.diameter * o.diameter};
  for (double e = 2 * std::log(o.diameter); e > 2 * std::log(o.blur); e += 2 * std::log(o.scaling))
    schedule.push_back(std::exp(e));
  schedule.push_back(o.blur * o.blur);

  double eps = schedule.front();
  std::vector<double> g_ab = softmin(eps, xy, true, a_h), f_ba = softmin(eps, xy, false, b_h);
  std::vector<double> f_aa = softmin(eps, xx, false, a_h), g_bb = softmin(eps, yy, false, b_h);
  auto iterate = [&](double e) {
    auto ft_ba = softmin(e, xy, false, shifted(g_ab, b_log, e));
    auto gt_ab = softmin(e, xy, true, shifted(f_ba, a_log, e));
    auto ft_aa = softmin(e, xx, false, shifted(f_aa, a_log, e));
    auto gt_bb = softmin(e, yy, false, shifted(g_bb, b_log, e));
    double change = average_in(f_ba, ft_ba);
    change = std::max(change, average_in(g_ab, gt_ab));
    change = std::max(change, average_in(f_aa, ft_aa));
    return std::max(change, average_in(g_bb, gt_bb));
  };
  for (double e : schedule) iterate(eps = e);
  // geomloss stops after the schedule; the same fixed point is reached by iterating on, and the
  // value then does not depend on how fast the annealing went.
  for (int i = 0; i < o.max_final_iterations && iterate(eps) > o.tolerance; ++i) {
  }

  // The last update with gradients: through the costs only, the potentials held fixed.
  auto f = softmin_torch(eps, cxy, shifted(g_ab, b_log, eps));
  auto g = softmin_torch(eps, cxy.t(), shifted(f_ba, a_log, eps));
  auto faa = softmin_torch(eps, cxx, shifted(f_aa, a_log, eps));
  auto gbb = softmin_torch(eps, cyy, shifted(g_bb, b_log, eps));
  return ((f - faa).mean() + (g - gbb).mean()).to(torch::kFloat32);
}

}  // namespace rd
