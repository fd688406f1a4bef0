#include "core/preprocess.h"

#include "io/pil_resize.h"

namespace rd {

torch::Tensor to_model_input(const DecodedImage& image, int size, const Normalization& norm) {
  cv::Mat m = image.rgb;
  if (!image.rgb8.empty()) {
    const bool resize = image.rgb8.rows != size || image.rgb8.cols != size;
    (resize ? pil_resize_bilinear(image.rgb8, size, size) : image.rgb8).convertTo(m, CV_32F, 1.0 / 255);
  }
  auto hwc = torch::from_blob(const_cast<float*>(m.ptr<float>()), {m.rows, m.cols, 3},
                              {int64_t(m.step1()), 3, 1}, torch::kFloat32);
  auto x = hwc.permute({2, 0, 1}).unsqueeze(0).contiguous();
  if (m.rows != size || m.cols != size) {
    x = at::_upsample_bilinear2d_aa(x, {size, size}, /*align_corners=*/false);
  }
  auto mean = torch::tensor({norm.mean[0], norm.mean[1], norm.mean[2]}).view({3, 1, 1});
  auto std = torch::tensor({norm.std[0], norm.std[1], norm.std[2]}).view({3, 1, 1});
  return ((x[0] - mean) / std).contiguous();
}

}  // namespace rd
