#include "score/gaussian.h"

#include <cmath>

#include <opencv2/imgproc.hpp>

namespace rd {

std::vector<double> gaussian_kernel(double sigma, double truncate) {
  const int radius = int(truncate * sigma + 0.5);
  std::vector<double> k(2 * radius + 1);
  double sum = 0;
  for (int x = -radius; x <= radius; ++x) sum += k[x + radius] = std::exp(-0.5 * x * x / (sigma * sigma));
  for (auto& v : k) v /= sum;
  return k;
}

void gaussian_smooth(float* map, int h, int w, double sigma) {
  if (sigma <= 0) return;
  cv::Mat src(h, w, CV_32F, map), wide, smooth;
  src.convertTo(wide, CV_64F);
  cv::Mat kernel(gaussian_kernel(sigma), true);
  // A kernel wider than the image still reflects correctly in OpenCV (it repeats the reflection).
  cv::sepFilter2D(wide, smooth, CV_64F, kernel, kernel, cv::Point(-1, -1), 0, cv::BORDER_REFLECT);
  smooth.convertTo(src, CV_32F);
}

}  // namespace rd
