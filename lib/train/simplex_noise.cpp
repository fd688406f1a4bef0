#include "train/simplex_noise.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <stdexcept>

namespace rd {
namespace {

constexpr int kGrad[12][3] = {{1, 1, 0}, {-1, 1, 0}, {1, -1, 0}, {-1, -1, 0}, {1, 0, 1}, {-1, 0, 1},
                              {1, 0, -1}, {-1, 0, -1}, {0, 1, 1}, {0, -1, 1}, {0, 1, -1}, {0, -1, -1}};
constexpr double kSkew = 1.0 / 3, kUnskew = 1.0 / 6;

int64_t uniform_int(std::mt19937_64& rng, int64_t lo, int64_t hi_exclusive) {
  // Written out: std::uniform_int_distribution's algorithm differs between libraries.
  return lo + int64_t(rng() % uint64_t(hi_exclusive - lo));
}

}  // namespace

SimplexNoise3::SimplexNoise3(uint64_t seed) {
  std::array<uint8_t, 256> p;
  std::iota(p.begin(), p.end(), 0);
  std::mt19937_64 rng(seed);
  for (int i = 255; i > 0; --i) std::swap(p[i], p[rng() % uint64_t(i + 1)]);
  for (int i = 0; i < 512; ++i) perm_[i] = p[i & 255];
}

double SimplexNoise3::at(double x, double y, double z) const {
  const double s = (x + y + z) * kSkew;
  const int64_t i = int64_t(std::floor(x + s)), j = int64_t(std::floor(y + s)), k = int64_t(std::floor(z + s));
  const double t = double(i + j + k) * kUnskew;
  const double x0 = x - (double(i) - t), y0 = y - (double(j) - t), z0 = z - (double(k) - t);
  // Which of the six tetrahedra of the cell holds the point: the order of its coordinates.
  int i1, j1, k1, i2, j2, k2;
  if (x0 >= y0) {
    if (y0 >= z0) i1 = 1, j1 = 0, k1 = 0, i2 = 1, j2 = 1, k2 = 0;
    else if (x0 >= z0) i1 = 1, j1 = 0, k1 = 0, i2 = 1, j2 = 0, k2 = 1;
    else i1 = 0, j1 = 0, k1 = 1, i2 = 1, j2 = 0, k2 = 1;
  } else {
    if (y0 < z0) i1 = 0, j1 = 0, k1 = 1, i2 = 0, j2 = 1, k2 = 1;
    else if (x0 < z0) i1 = 0, j1 = 1, k1 = 0, i2 = 0, j2 = 1, k2 = 1;
    else i1 = 0, j1 = 1, k1 = 0, i2 = 1, j2 = 1, k2 = 0;
  }
  const double corner[4][3] = {{x0, y0, z0},
                               {x0 - i1 + kUnskew, y0 - j1 + kUnskew, z0 - k1 + kUnskew},
                               {x0 - i2 + 2 * kUnskew, y0 - j2 + 2 * kUnskew, z0 - k2 + 2 * kUnskew},
                               {x0 - 1 + 3 * kUnskew, y0 - 1 + 3 * kUnskew, z0 - 1 + 3 * kUnskew}};
  const int offset[4][3] = {{0, 0, 0}, {i1, j1, k1}, {i2, j2, k2}, {1, 1, 1}};
  const int ii = int(i & 255), jj = int(j & 255), kk = int(k & 255);
  double sum = 0;
  for (int c = 0; c < 4; ++c) {
    const double* d = corner[c];
    double falloff = 0.6 - d[0] * d[0] - d[1] * d[1] - d[2] * d[2];
    if (falloff <= 0) continue;
    const int g = perm_[ii + offset[c][0] + perm_[jj + offset[c][1] + perm_[kk + offset[c][2]]]] % 12;
    falloff *= falloff;
    sum += falloff * falloff * (kGrad[g][0] * d[0] + kGrad[g][1] * d[1] + kGrad[g][2] * d[2]);
  }
  // 32 scales the largest possible sum to about 1; the clamp makes the bound exact.
  return std::clamp(32.0 * sum, -1.0, 1.0);
}

std::vector<float> fractal_noise(const SimplexNoise3& noise, int depth, int height, int width, int octaves,
                                 double persistence, double frequency) {
  std::vector<float> out(size_t(depth) * height * width, 0.f);
  double amplitude = 1;
  for (int o = 0; o < octaves; ++o, frequency /= 2, amplitude *= persistence) {
    size_t at = 0;
    for (int z = 0; z < depth; ++z)
      for (int y = 0; y < height; ++y)
        for (int x = 0; x < width; ++x)
          out[at++] += float(amplitude * noise.at(x / frequency, y / frequency, z / frequency));
  }
  return out;
}

NoisePatch draw_noise_patch(std::mt19937_64& rng, int size) {
  const int hi = size / 8, lo = std::min(10, hi - 1);
  if (lo < 1) throw std::invalid_argument("draw_noise_patch: image too small for RD++ noise");
  NoisePatch p;
  p.height = int(uniform_int(rng, lo, hi));
  p.width = int(uniform_int(rng, lo, hi));
  p.top = int(uniform_int(rng, 1, size - p.height));
  p.left = int(uniform_int(rng, 1, size - p.width));
  p.values = fractal_noise(SimplexNoise3(rng()), 3, p.height, p.width, 6, 0.6);
  for (float& v : p.values) v *= 0.2f;
  return p;
}

}  // namespace rd
