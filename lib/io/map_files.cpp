#include "io/map_files.h"

#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <limits>

#include <fmt/format.h>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "errors.h"
#include "io/image_decode.h"
#include "io/npy.h"

namespace rd {
namespace {

std::string lower_extension(const std::string& path) {
  const auto dot = path.find_last_of("./");
  if (dot == std::string::npos || path[dot] != '.') return "";
  std::string ext = path.substr(dot + 1);
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return char(std::tolower(c)); });
  return ext;
}

// OpenCV's imread says nothing about why it failed; stat() at least tells a missing file.
[[noreturn]] void unreadable(const std::string& path, const char* what) {
  struct stat st {};
  if (stat(path.c_str(), &st) != 0)
    throw InputError(fmt::format("cannot read {} '{}': {}", what, path, std::strerror(errno)));
  throw InputError(fmt::format("cannot read {} '{}': not an image OpenCV decodes ({} bytes)", what, path,
                               static_cast<long long>(st.st_size)));
}

double full_scale(int depth) {
  switch (depth) {
    case CV_8U: return std::numeric_limits<std::uint8_t>::max();
    case CV_8S: return std::numeric_limits<std::int8_t>::max();
    case CV_16U: return std::numeric_limits<std::uint16_t>::max();
    case CV_16S: return std::numeric_limits<std::int16_t>::max();
    case CV_32S: return std::numeric_limits<std::int32_t>::max();
    default: return 1.0;  // float masks are 0..1
  }
}

}  // namespace

cv::Mat read_anomaly_map(const std::string& path) {
  const std::string ext = lower_extension(path);
  if (ext == "tif" || ext == "tiff") {
    quiet_opencv();
    cv::Mat image = cv::imread(path, cv::IMREAD_UNCHANGED);
    if (image.empty()) unreadable(path, "anomaly map");
    if (image.channels() != 1)
      throw InputError(fmt::format("anomaly map '{}' has {} channels; expected 1", path, image.channels()));
    cv::Mat map;
    image.convertTo(map, CV_32F);
    return map;
  }
  NpyArray array;
  try {
    array = read_npy(path);
  } catch (const Error& e) {
    throw InputError(fmt::format("anomaly map: {}", e.what()));
  }
  std::vector<int64_t> dims;
  for (std::size_t i = 0; i < array.shape.size(); ++i)
    if (array.shape[i] != 1 || i + 2 >= array.shape.size()) dims.push_back(array.shape[i]);
  if (dims.size() != 2 || dims[0] < 1 || dims[1] < 1 || dims[0] > std::numeric_limits<int>::max() ||
      dims[1] > std::numeric_limits<int>::max()) {
    std::string shape;
    for (auto d : array.shape) shape += (shape.empty() ? "" : ", ") + std::to_string(d);
    throw InputError(fmt::format("anomaly map '{}' has shape ({}); expected one 2-D map (H, W)", path, shape));
  }
  return cv::Mat(int(dims[0]), int(dims[1]), CV_32F, array.data.data()).clone();
}

cv::Mat binarise_mask(const cv::Mat& mask, cv::Size size) {
  if (mask.channels() != 1)
    throw InputError(fmt::format("mask has {} channels; expected a grayscale mask", mask.channels()));
  cv::Mat scaled;
  mask.convertTo(scaled, CV_64F, 1.0 / full_scale(mask.depth()));
  cv::Mat binary = (scaled > 0.5) / 255;  // 0 or 1
  if (binary.size() == size) return binary;
  cv::Mat resized;
  cv::resize(binary, resized, size, 0, 0, cv::INTER_NEAREST_EXACT);
  return resized;
}

cv::Mat read_ground_truth_mask(const std::string& path, cv::Size size) {
  quiet_opencv();
  const cv::Mat image = cv::imread(path, cv::IMREAD_GRAYSCALE | cv::IMREAD_ANYDEPTH);
  if (image.empty()) unreadable(path, "mask");
  return binarise_mask(image, size);
}

}  // namespace rd
