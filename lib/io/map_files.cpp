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
#include "io/image_paths.h"
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

// A mask image as 8-bit 0/255: non-zero pixels anomalous, whatever the depth.
cv::Mat read_binary_mask_image(const std::string& path) {
  quiet_opencv();
  const cv::Mat image = cv::imread(path, cv::IMREAD_GRAYSCALE | cv::IMREAD_ANYDEPTH);
  if (image.empty()) unreadable(path, "mask");
  return image != 0;
}

// The union of the mask images in `dir`, at their common size.
cv::Mat read_mask_folder(const std::string& dir) {
  cv::Mat mask;
  std::string first;
  std::vector<std::string> paths;
  try {
    paths = list_images(dir);
  } catch (const UsageError& e) {
    throw InputError(e.what());  // one record's mask, not the run's input
  }
  for (const std::string& path : paths) {
    const cv::Mat one = read_binary_mask_image(path);
    if (mask.empty()) {
      mask = one;
      first = path;
    } else if (one.size() != mask.size()) {
      throw InputError(fmt::format("mask '{}' is {}x{} but '{}' in the same folder is {}x{}", path, one.cols, one.rows,
                                   first, mask.cols, mask.rows));
    } else {
      mask |= one;
    }
  }
  if (mask.empty()) throw InputError(fmt::format("mask folder '{}' holds no mask image", dir));
  return mask;
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
  cv::Mat binary = (mask != 0) / 255;  // 0 or 1
  if (binary.size() == size) return binary;
  cv::Mat resized;
  cv::resize(binary, resized, size, 0, 0, cv::INTER_NEAREST_EXACT);
  return resized;
}

cv::Mat read_ground_truth_mask(const std::string& path, cv::Size size) {
  struct stat st {};
  const bool folder = stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
  return binarise_mask(folder ? read_mask_folder(path) : read_binary_mask_image(path), size);
}

}  // namespace rd
