#include "io/pil_resize.h"

#include <cmath>
#include <cstdint>
#include <vector>

namespace rd {
namespace {

constexpr int kPrecisionBits = 32 - 8 - 2;

struct Coefficients {
  int ksize = 0;
  std::vector<int> bounds;    // per output pixel: first input index, count
  std::vector<int32_t> kk;    // per output pixel: ksize fixed-point weights
};

double triangle(double x) {
  x = std::fabs(x);
  return x < 1.0 ? 1.0 - x : 0.0;
}

// Pillow's precompute_coeffs + normalize_coeffs_8bpc for the bilinear filter (support 1).
Coefficients coefficients(int in_size, int out_size) {
  const double scale = double(in_size) / out_size;
  const double filterscale = scale < 1.0 ? 1.0 : scale;
  const double support = 1.0 * filterscale;
  Coefficients c;
  c.ksize = int(std::ceil(support)) * 2 + 1;
  c.bounds.resize(2 * out_size);
  c.kk.assign(size_t(out_size) * c.ksize, 0);
  std::vector<double> k(c.ksize);
  for (int xx = 0; xx < out_size; ++xx) {
    const double center = (xx + 0.5) * scale;
    const double ss = 1.0 / filterscale;
    int xmin = int(center - support + 0.5);
    if (xmin < 0) xmin = 0;
    int xmax = int(center + support + 0.5);
    if (xmax > in_size) xmax = in_size;
    xmax -= xmin;
    double ww = 0;
    for (int x = 0; x < xmax; ++x) ww += k[x] = triangle((x + xmin - center + 0.5) * ss);
    for (int x = 0; x < c.ksize; ++x) {
      const double w = x < xmax ? (ww != 0.0 ? k[x] / ww : k[x]) : 0.0;
      c.kk[size_t(xx) * c.ksize + x] = int32_t(w < 0 ? -0.5 + w * (1 << kPrecisionBits) : 0.5 + w * (1 << kPrecisionBits));
    }
    c.bounds[2 * xx] = xmin;
    c.bounds[2 * xx + 1] = xmax;
  }
  return c;
}

uint8_t clip8(int32_t v) {
  if (v >= (1 << kPrecisionBits << 8)) return 255;
  if (v <= 0) return 0;
  return uint8_t(v >> kPrecisionBits);
}

cv::Mat horizontal(const cv::Mat& in, int out_w, int row0, int rows) {
  const Coefficients c = coefficients(in.cols, out_w);
  const int ch = in.channels();
  cv::Mat out(rows, out_w, in.type());
  for (int y = 0; y < rows; ++y) {
    const uint8_t* src = in.ptr<uint8_t>(row0 + y);
    uint8_t* dst = out.ptr<uint8_t>(y);
    for (int xx = 0; xx < out_w; ++xx) {
      const int xmin = c.bounds[2 * xx], xmax = c.bounds[2 * xx + 1];
      const int32_t* k = &c.kk[size_t(xx) * c.ksize];
      for (int b = 0; b < ch; ++b) {
        int32_t ss = 1 << (kPrecisionBits - 1);
        for (int x = 0; x < xmax; ++x) ss += int32_t(src[(x + xmin) * ch + b]) * k[x];
        dst[xx * ch + b] = clip8(ss);
      }
    }
  }
  return out;
}

cv::Mat vertical(const cv::Mat& in, const Coefficients& c, int out_h, int row_shift) {
  const int ch = in.channels();
  cv::Mat out(out_h, in.cols, in.type());
  for (int yy = 0; yy < out_h; ++yy) {
    const int ymin = c.bounds[2 * yy] - row_shift, ymax = c.bounds[2 * yy + 1];
    const int32_t* k = &c.kk[size_t(yy) * c.ksize];
    uint8_t* dst = out.ptr<uint8_t>(yy);
    for (int xb = 0; xb < in.cols * ch; ++xb) {
      int32_t ss = 1 << (kPrecisionBits - 1);
      for (int y = 0; y < ymax; ++y) ss += int32_t(in.ptr<uint8_t>(y + ymin)[xb]) * k[y];
      dst[xb] = clip8(ss);
    }
  }
  return out;
}

}  // namespace

cv::Mat pil_resize_bilinear(const cv::Mat& image, int width, int height) {
  CV_Assert(image.depth() == CV_8U);
  const bool need_h = width != image.cols, need_v = height != image.rows;
  if (!need_h && !need_v) return image.clone();
  const Coefficients cv_ = coefficients(image.rows, height);
  // As Pillow: the horizontal pass covers only the rows the vertical pass reads.
  const int first = cv_.bounds[0];
  const int last = cv_.bounds[2 * height - 2] + cv_.bounds[2 * height - 1];
  if (!need_v) return horizontal(image, width, 0, image.rows);
  if (!need_h) return vertical(image, cv_, height, 0);
  return vertical(horizontal(image, width, first, last - first), cv_, height, first);
}

}  // namespace rd
