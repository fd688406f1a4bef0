#include "score/model_maps.h"

#include <memory>

#include "score/inference.h"
#include "score/runtime.h"
#include "score/score.h"
#include "score/tiled_inference.h"

namespace rd {

std::function<cv::Mat(const std::string&)> map_computer(const std::string& model_path, const std::string& device,
                                                         int threads, const std::string& precision) {
  set_threads(threads);
  const auto dev = parse_device(device);
  const Precision p = parse_precision(precision, dev.is_cpu());
  auto model = std::make_shared<Model>(load_model(model_path));
  prepare_for_scoring(*model, dev, p);
  return [model, dev](const std::string& image_path) {
    if (model->tiling.enabled()) {
      cv::Mat map = stitched_raw_map(*model, decode_image(image_path), dev, /*batch=*/8, image_path);
      smooth_and_score(map.ptr<float>(), map.rows, map.cols, model->map);
      return map;
    }
    auto input = to_model_input(decode_image(image_path), model->image_size, model->norm).unsqueeze(0);
    BatchMaps out = infer_maps(*model, input.to(dev));
    return cv::Mat(model->image_size, model->image_size, CV_32F, out.maps.data_ptr<float>()).clone();
  };
}

}  // namespace rd
