// Anomaly maps and ground-truth masks as the evaluation and the thresholds read them from disk.
#pragma once
#include <string>

#include <opencv2/core.hpp>

namespace rd {

// Reads an anomaly map: a .npy file (any dtype read_npy reads, 2-D or with leading dimensions
// of 1, e.g. 1x1xHxW) or a single-channel .tif/.tiff. Returns CV_32FC1 of the map's size.
// Throws InputError naming the file when it cannot be read or is not one 2-D map.
cv::Mat read_anomaly_map(const std::string& path);

// Turns a grayscale mask of any depth into CV_8UC1 of `size` with values 0 and 1: a pixel is 1
// when it is not zero, as the published evaluations read masks (MVTec AD's are 0/255, VisA's
// 0 and small class values, MVTec LOCO's 0 and a value per defect type); then resized with
// nearest neighbour (INTER_NEAREST_EXACT: pixel centres, as PIL and torchvision's
// 'nearest-exact'). Throws InputError when `mask` is not single-channel.
cv::Mat binarise_mask(const cv::Mat& mask, cv::Size size);

// Reads a ground-truth mask with OpenCV (grayscale, any depth) and binarises it to `size` with
// binarise_mask. A folder is the union of the mask images in it (MVTec LOCO keeps one PNG per
// defect of an image in ground_truth/<type>/<stem>/), which must all have one size. Throws
// InputError naming the file or folder when it cannot be read, or a folder holds no image.
cv::Mat read_ground_truth_mask(const std::string& path, cv::Size size);

}  // namespace rd
