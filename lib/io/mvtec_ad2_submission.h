// Anomaly maps in the form MVTec AD 2's evaluation server takes them (its public utility
// check_and_prepare_data_for_upload.py checks this form):
//   <dir>/anomaly_images/<object>/<test set>/<stem>.tiff              single-channel float16 TIFF
//   <dir>/anomaly_images_thresholded/<object>/<test set>/<stem>.png   8-bit, 0 normal, 255 anomalous
// both at the image's full size, for every image of test_private and test_private_mixed (the
// server wants those two sets of all eight objects, nothing else); test_public keeps its
// good/ and bad/ folders, as MVTec's dataset class writes it for local evaluation.
#pragma once
#include <string>

#include <opencv2/core.hpp>

namespace rd {

// "<object>/<test set>/<stem>" for an image below <object>/test_private/, test_private_mixed/,
// test_public/ or validation/ (the last such folder in the path), e.g. "can/test_private/
// 000_regular" and "can/test_public/bad/001_bad". Throws InputError for any other path.
std::string mvtec_ad2_submission_name(const std::string& image_path);

// Writes `map` as a single-channel little-endian float16 TIFF (uncompressed, one strip, sample
// format IEEE float); values beyond float16's range are clamped to +-65504. Atomic. Throws
// RuntimeFailure on an I/O error, InputError for a map that is not CV_32FC1 or too large.
void write_float16_tiff(const std::string& path, const cv::Mat& map);

struct SubmissionFiles {
  std::string map;        // the .tiff
  std::string thresholded;  // the .png
};

// Resizes `map` (CV_32FC1) bilinearly to `image_size` and writes both files of `image_path`
// below `dir`, a pixel being anomalous in the PNG when its value is >= `threshold` (rd's rule
// for thresholds). Creates the folders. Throws as the functions above.
SubmissionFiles write_mvtec_ad2_submission(const std::string& dir, const std::string& image_path, const cv::Mat& map,
                                           cv::Size image_size, double threshold);

}  // namespace rd
