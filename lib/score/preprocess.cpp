#include "score/preprocess.h"

#include "io/pil_resize.h"

namespace rd {
namespace {

cv::Mat resized_rgb8(const cv::Mat& rgb8, int size) {
  return rgb8.rows != size || rgb8.cols != size ? pil_resize_bilinear(rgb8, size, size) : rgb8;
}

// ToTensor then Normalize, in float.
float normalised(uint8_t v, int c, const Normalization& norm) {
  return (float(v) / 255.0f - norm.mean[c]) / norm.std[c];
}

// The 8-bit image, resized to size x size, as a [3, size, size] tensor of convert(value, channel).
// The 8-bit path runs on the decode threads while the network runs: plain loops, no ATen
// operators, because every new thread that enters an ATen parallel region starts its own OpenMP
// team, which then fights the network's threads for the cores (measured: a quarter of the
// samples of rd-score at batch 1 were OpenMP threads spinning).
template <typename T, typename Convert>
torch::Tensor to_planes(const cv::Mat& rgb8, int size, torch::ScalarType type, Convert convert) {
  const cv::Mat m = resized_rgb8(rgb8, size);
  torch::Tensor x = torch::empty({3, size, size}, type);
  T* out = x.data_ptr<T>();
  const size_t plane = size_t(size) * size;
  for (int y = 0; y < size; ++y) {
    const uint8_t* row = m.ptr<uint8_t>(y);
    for (int x0 = 0; x0 < size; ++x0)
      for (int c = 0; c < 3; ++c) out[c * plane + size_t(y) * size + x0] = convert(row[3 * x0 + c], c);
  }
  return x;
}

torch::Tensor normalise_rgb8(const cv::Mat& rgb8, int size, const Normalization& norm) {
  return to_planes<float>(rgb8, size, torch::kFloat32, [&](uint8_t v, int c) { return normalised(v, c, norm); });
}

}  // namespace

torch::Tensor to_model_input(const DecodedImage& image, int size, const Normalization& norm) {
  if (!image.rgb8.empty()) return normalise_rgb8(image.rgb8, size, norm);
  const cv::Mat& m = image.rgb;
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

torch::Tensor to_pixels(const DecodedImage& image, int size) {
  if (image.rgb8.empty()) return {};
  return to_planes<uint8_t>(image.rgb8, size, torch::kUInt8, [](uint8_t v, int) { return v; });
}

torch::Tensor normalise_pixels(const torch::Tensor& pixels, const Normalization& norm) {
  const torch::Tensor in = pixels.contiguous();
  torch::Tensor x = torch::empty(in.sizes(), torch::kFloat32);
  const uint8_t* src = in.data_ptr<uint8_t>();
  float* out = x.data_ptr<float>();
  const int64_t plane = in.size(2) * in.size(3);
  for (int64_t i = 0; i < in.size(0); ++i)
    for (int c = 0; c < 3; ++c) {
      const int64_t at = (i * 3 + c) * plane;
      for (int64_t p = 0; p < plane; ++p) out[at + p] = normalised(src[at + p], c, norm);
    }
  return x;
}

DecodedImage resize_image(const DecodedImage& image, cv::Size size) {
  if (size.width == image.width && size.height == image.height) return image;
  DecodedImage out = image;
  out.width = size.width;
  out.height = size.height;
  if (!image.rgb8.empty()) {
    out.rgb8 = pil_resize_bilinear(image.rgb8, size.width, size.height);
    return out;
  }
  const cv::Mat& m = image.rgb;
  auto hwc = torch::from_blob(const_cast<float*>(m.ptr<float>()), {m.rows, m.cols, 3},
                              {int64_t(m.step1()), 3, 1}, torch::kFloat32);
  auto x = at::_upsample_bilinear2d_aa(hwc.permute({2, 0, 1}).unsqueeze(0).contiguous(),
                                       {size.height, size.width}, /*align_corners=*/false);
  auto resized = x[0].permute({1, 2, 0}).contiguous();
  out.rgb = cv::Mat(size.height, size.width, CV_32FC3, resized.data_ptr<float>()).clone();
  return out;
}

DecodedImage crop_image(const DecodedImage& image, const cv::Rect& rect) {
  DecodedImage out = image;
  out.width = rect.width;
  out.height = rect.height;
  if (!image.rgb8.empty()) out.rgb8 = image.rgb8(rect);
  else out.rgb = image.rgb(rect);
  return out;
}

}  // namespace rd
