// Reading images from disk into RGB float pixels, whatever their depth and channels.
#pragma once
#include <cstdint>
#include <string>

#include <opencv2/core.hpp>

namespace rd {

constexpr int64_t kDefaultMaxPixels = 100'000'000;

struct DecodedImage {
  // Exactly one of these is set: 8-bit sources stay 8-bit (resized exactly as PIL does, and a
  // full-size float copy would be wasted work on the scoring path); deeper ones become float.
  cv::Mat rgb;             // CV_32FC3, RGB order, values in [0, 1], for 16-bit and float sources
  cv::Mat rgb8;            // CV_8UC3, RGB order, for 8-bit sources
  int width = 0, height = 0;
  bool eight_bit = false;
};

// Decodes 8/16-bit and float, gray/RGB/RGBA images. Throws InputError naming the file and the
// cause: missing, unreadable, a directory, not an image, over max_pixels (checked from the
// header before decoding).
// Silences OpenCV's own warnings (it would print one for every undecodable file; rd reports
// them itself). Called before each decode: the tools that read no image never load OpenCV.
void quiet_opencv();

DecodedImage decode_image(const std::string& path, int64_t max_pixels = kDefaultMaxPixels);

// Width and height from the header of PNG, JPEG, BMP, WebP, GIF or TIFF bytes, without decoding;
// {0, 0} when the format is not recognised.
std::pair<int64_t, int64_t> sniff_image_size(const unsigned char* data, size_t size);

}  // namespace rd
