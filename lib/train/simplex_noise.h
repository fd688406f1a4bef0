// RD++'s synthetic anomalies: fractal 3-D simplex noise in one random rectangle of an image.
// Torch-free; the generator is the caller's, so that --seed and --resume stay exact.
#pragma once
#include <array>
#include <cstdint>
#include <random>
#include <vector>

namespace rd {

// Simplex noise in three dimensions (Perlin's simplex grid, Gustavson's formulation: skewed
// cube cells split into six tetrahedra, twelve edge gradients), values in [-1, 1]. The
// permutation of the gradient table comes from `seed`.
class SimplexNoise3 {
 public:
  explicit SimplexNoise3(uint64_t seed);
  double at(double x, double y, double z) const;

 private:
  std::array<uint8_t, 512> perm_{};
};

// Sum of `octaves` layers over a [depth][height][width] grid: layer o samples the noise at
// (x, y, z) * 2^o / frequency with amplitude persistence^o (the official code's
// rand_3d_octaves). Returned depth-major.
std::vector<float> fractal_noise(const SimplexNoise3& noise, int depth, int height, int width, int octaves,
                                 double persistence, double frequency = 32);

struct NoisePatch {
  int top = 0, left = 0, height = 0, width = 0;
  std::vector<float> values;  // [3][height][width], to add to the [0, 1] image
};

// The official code's rectangle for an image of side `size`: sides from 10 up to size/8 - 1 px
// (from size/8 - 1 when that is under 10, as for 64 px images), origin at least 1 px from the
// top-left edge; 0.2 x fractal noise of 6 octaves with persistence 0.6. Two departures: the
// official code uses OpenSimplex with one permutation for the whole run (every patch is a crop of
// one field from its origin), rd Gustavson's simplex with a fresh permutation per patch, so that
// patches differ in texture as well as size.
NoisePatch draw_noise_patch(std::mt19937_64& rng, int size);

}  // namespace rd
