#include "score/model_maps.h"

#include <memory>

#include "score/inference.h"
#include "score/runtime.h"
#include "score/score.h"

namespace rd {

std::function<cv::Mat(const std::string&)> map_computer(const std::string& model_path, const std::string& device,
                                                         int threads) {
  set_threads(threads);
  auto model = std::make_shared<Model>(load_model(model_path));
  const auto dev = parse_device(device);
  prepare_for_scoring(*model, dev);
  return [model, dev](const std::string& image_path) {
    auto input = to_model_input(decode_image(image_path), model->image_size, model->norm).unsqueeze(0);
    BatchMaps out = infer_maps(*model, input.to(dev));
    return cv::Mat(model->image_size, model->image_size, CV_32F, out.maps.data_ptr<float>()).clone();
  };
}

}  // namespace rd
