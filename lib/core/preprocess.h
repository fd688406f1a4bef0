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

// Resizes to size x size with antialiased bilinear resampling (PIL's and torchvision's
// Resize), rounds 8-bit sources to 1/255 steps as PIL's uint8 output does, and normalises.
// Returns a [3, size, size] float tensor.
torch::Tensor to_model_input(const DecodedImage& image, int size, const Normalization& norm = {});

}  // namespace rd
