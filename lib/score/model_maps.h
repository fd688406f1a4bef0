// Anomaly maps computed on demand from a model file, behind a torch-free interface, for tools
// that mostly work on saved maps (rd-map, rd-eval).
#pragma once
#include <functional>
#include <string>

#include <opencv2/core.hpp>

namespace rd {

// Loads the model and returns a function that decodes an image, runs the model and returns its
// smoothed anomaly map (CV_32F, image_size x image_size; for a tiled model the stitched map at
// the scaled image's size). Throws FormatError for a bad model;
// the returned function throws InputError for a bad image.
// `precision` is fp32, bf16 or auto (parse_precision).
std::function<cv::Mat(const std::string& image_path)> map_computer(const std::string& model_path,
                                                                    const std::string& device, int threads,
                                                                    const std::string& precision = "fp32");

}  // namespace rd
