// Running sums behind the pixel curves, shared by the exact and the streamed pixel metrics.
#pragma once
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <utility>
#include <vector>

#include "eval/metrics.h"

namespace rd::detail {

// Neumaier summation: the PRO is a running sum of millions of 1/area terms, and a plain double
// sum would drift by ~N*eps, which is visible at the 1e-9 the tests ask for.
class CompensatedSum {
 public:
  void add(double v) {
    const double t = sum_ + v;
    correction_ += std::abs(sum_) >= std::abs(v) ? (sum_ - t) + v : (v - t) + sum_;
    sum_ = t;
  }
  double value() const { return sum_ + correction_; }

 private:
  double sum_ = 0;
  double correction_ = 0;
};

// Trapezoid area under a curve that starts at (0, 0) and arrives in FPR order, cut at `limit`
// with the last segment interpolated linearly, as the MVTec AD evaluation's trapezoid() does.
class TrapezoidToLimit {
 public:
  explicit TrapezoidToLimit(double limit) : limit_(limit) {}
  // Returns false once the curve has passed the limit; later points change nothing.
  bool add(double x, double y) {
    if (x <= limit_) {
      area_ += (x - x0_) * (y + y0_) / 2;
      x0_ = x;
      y0_ = y;
      return true;
    }
    if (x0_ < limit_) {
      const double y_limit = y0_ + (y - y0_) * (limit_ - x0_) / (x - x0_);
      area_ += (limit_ - x0_) * (y_limit + y0_) / 2;
      x0_ = limit_;
    }
    return false;
  }
  double area() const { return area_; }

 private:
  double limit_;
  double x0_ = 0;
  double y0_ = 0;
  double area_ = 0;
};

// Keeps curve points for plots: one whenever x or y moved by `step` since the last kept point.
class CurveThinner {
 public:
  explicit CurveThinner(std::size_t max_points) : step_(max_points ? 1.0 / max_points : 0) {}
  void add(const CurvePoint& p) {
    if (points_.empty() || std::abs(p.x - points_.back().x) >= step_ ||
        std::abs(p.y - points_.back().y) >= step_) {
      points_.push_back(p);
      last_kept_ = true;
    } else {
      pending_ = p;
      last_kept_ = false;
    }
  }
  std::vector<CurvePoint> finish() {
    if (!last_kept_) points_.push_back(pending_);
    return std::move(points_);
  }

 private:
  double step_;
  std::vector<CurvePoint> points_;
  CurvePoint pending_{};
  bool last_kept_ = true;
};

}  // namespace rd::detail
