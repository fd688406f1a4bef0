// PIL's bilinear resize of 8-bit images, reproduced exactly: the reference pipeline resizes with
// torchvision on PIL images, so models trained by it see these pixel values.
#pragma once
#include <opencv2/core.hpp>

namespace rd {

// Resizes an 8-bit image (any channel count) to width x height as Pillow's
// Image.resize(size, Image.BILINEAR) does: antialiased (the filter widens when shrinking),
// separable, horizontal pass then vertical, fixed-point coefficients with 22 fractional bits and
// rounding to uint8 after each pass.
cv::Mat pil_resize_bilinear(const cv::Mat& image, int width, int height);

}  // namespace rd
