// Turning a decoded image into the network's input, exactly as the reference pipeline does.
#pragma once
#include <array>

#include "io/image_decode.h"
#include "rd_torch.h"

namespace rd {

struct Normalization {
  std::array<float, 3> mean{0.485f, 0.456f, 0.406f};  // ImageNet, RGB
  std::array<float, 3> std{0.229f, 0.224f, 0.225f};
};

// Resizes to size x size as the reference pipeline does (torchvision's Resize on a PIL image):
// 8-bit sources with Pillow's exact uint8 bilinear resampling, deeper ones with LibTorch's
// antialiased bilinear in float; then normalises. Returns a [3, size, size] float tensor.
torch::Tensor to_model_input(const DecodedImage& image, int size, const Normalization& norm = {});

// The pixels to_model_input would normalise, kept as [3, size, size] uint8 RGB: a quarter of the
// memory, for training sets held in RAM. Undefined for sources deeper than 8 bits.
torch::Tensor to_pixels(const DecodedImage& image, int size);

// Normalises [N, 3, S, S] uint8 pixels to network inputs, equal to to_model_input's.
torch::Tensor normalise_pixels(const torch::Tensor& pixels, const Normalization& norm);

// The image resized to `size` with the same resampling as to_model_input (8-bit: Pillow's
// bilinear; deeper: antialiased bilinear in float). The same image when the size already matches.
DecodedImage resize_image(const DecodedImage& image, cv::Size size);

// A view of `rect` of the image's pixels (no copy).
DecodedImage crop_image(const DecodedImage& image, const cv::Rect& rect);

}  // namespace rd
