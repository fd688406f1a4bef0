// Gaussian smoothing of anomaly maps, equal to scipy.ndimage.gaussian_filter.
#pragma once
#include <vector>

namespace rd {

// scipy's kernel: radius = int(truncate * sigma + 0.5), weights exp(-x^2 / (2 sigma^2)) summed to 1.
std::vector<double> gaussian_kernel(double sigma, double truncate = 4.0);

// Smooths a row-major h x w float map in place, in double precision, with scipy's default
// border mode 'reflect' (d c b a | a b c d | d c b a = OpenCV BORDER_REFLECT).
void gaussian_smooth(float* map, int h, int w, double sigma = 4.0);

}  // namespace rd
