// RD++'s noise: deterministic per seed, bounded, smooth, and only inside its rectangle.
#include <doctest/doctest.h>

#include <cmath>

#include "train/simplex_noise.h"

TEST_CASE("simplex noise is a deterministic, bounded, continuous function of its seed and position") {
  rd::SimplexNoise3 a(1), b(1), c(2);
  double largest = 0, largest_step = 0, differ = 0;
  for (int i = 0; i < 2000; ++i) {
    const double x = 0.137 * i, y = 0.071 * i + 0.3, z = 0.05 * (i % 17);
    const double v = a.at(x, y, z);
    CHECK(v == b.at(x, y, z));
    differ = std::max(differ, std::abs(v - c.at(x, y, z)));
    largest = std::max(largest, std::abs(v));
    largest_step = std::max(largest_step, std::abs(a.at(x + 1e-3, y, z) - v));
  }
  CHECK(largest <= 1.0);
  CHECK(largest > 0.3);        // not a constant
  CHECK(differ > 0.3);         // another seed, another field
  CHECK(largest_step < 0.05);  // continuous: a step of 1e-3 moves the value by little
  CHECK(a.at(0, 0, 0) == 0);  // a vertex of the simplex grid: no corner reaches it but its own
}

TEST_CASE("fractal noise sums octaves with the persistence as amplitude ratio") {
  rd::SimplexNoise3 n(5);
  const auto one = rd::fractal_noise(n, 2, 4, 5, 1, 0.6);
  const auto two = rd::fractal_noise(n, 2, 4, 5, 2, 0.6);
  REQUIRE(one.size() == 40);
  // voxel (z=1, y=2, x=3): first octave at coordinates / 32, the second at / 16 with amplitude 0.6
  const size_t at = (1 * 4 + 2) * 5 + 3;
  CHECK(one[at] == doctest::Approx(n.at(3 / 32.0, 2 / 32.0, 1 / 32.0)));
  CHECK(two[at] == doctest::Approx(n.at(3 / 32.0, 2 / 32.0, 1 / 32.0) + 0.6 * n.at(3 / 16.0, 2 / 16.0, 1 / 16.0)));
}

TEST_CASE("a noise patch follows the official draw and repeats for the same generator state") {
  for (int size : {64, 256}) {
    CAPTURE(size);
    std::mt19937_64 g1(42), g2(42);
    for (int draw = 0; draw < 50; ++draw) {
      const rd::NoisePatch p = rd::draw_noise_patch(g1, size), q = rd::draw_noise_patch(g2, size);
      CHECK(p.values == q.values);
      CHECK(p.top == q.top);
      const int lo = size == 256 ? 10 : 7, hi = size / 8 - 1;
      CHECK(p.height >= lo);
      CHECK(p.height <= hi);
      CHECK(p.width >= lo);
      CHECK(p.width <= hi);
      CHECK(p.top >= 1);
      CHECK(p.left >= 1);
      CHECK(p.top + p.height < size);
      CHECK(p.left + p.width < size);
      REQUIRE(p.values.size() == size_t(3 * p.height * p.width));
      // 0.2 x (1 + 0.6 + ... + 0.6^5) bounds six octaves of values in [-1, 1]
      for (float v : p.values) CHECK(std::abs(v) <= 0.2 * (1 - std::pow(0.6, 6)) / 0.4 + 1e-6);
    }
  }
}
