// Creating, saving and loading rd models: the network plus everything scoring needs.
#pragma once
#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "io/weights_cache.h"
#include "io/model_file.h"
#include "model/rd_model.h"
#include "score/anomaly_map.h"
#include "score/preprocess.h"
#include "score/tiles.h"

namespace rd {

struct Model {
  RdModel net{nullptr};
  int image_size = 256;
  Normalization norm;
  MapSettings map;
  Tiling tiling;        // enabled: every image is cut into this grid of image_size tiles
  nlohmann::json meta;  // everything else the file records (training summary, validation stats, ...)
  std::string id;       // content digest of the file it was loaded from or saved to
  std::string path;     // the file it was loaded from (for messages); empty for a new model
  Precision precision = Precision::Fp32;  // what prepare_for_scoring set up the network for
};

using Warn = std::function<void(const std::string&)>;

// A new model with random weights (seeded by torch::manual_seed before the call).
Model create_model(const std::string& backbone, int image_size, Method method = Method::Rd4ad);

// Writes the model atomically (plus `extra` tensors, e.g. optimiser state in checkpoints) and
// records the new id. `kind` is "rd-model" or "rd-checkpoint".
std::string save_model(const std::string& path, Model& model, const std::string& kind = "rd-model",
                       const std::vector<TensorView>& extra = {}, const nlohmann::json& extra_meta = {});

// Loads a model or checkpoint file; throws FormatError naming the file and the cause.
// `contents` (optional) receives the raw container, for checkpoint state.
Model load_model(const std::string& path, ModelFileContents* contents = nullptr);

// Loads teacher weights from PATH, a URL or "auto" (the torch hub cache, downloaded into it when
// absent; resolve_weights), or "none" (random; warns). `fetch` says how to download (offline,
// timeouts, messages); its weights, file name and URL are filled in here. Returns the file name
// used, for the model's metadata.
std::string load_teacher_weights(Model& model, const std::string& weights, const Warn& warn,
                                 WeightsRequest fetch = {});

// Loads OCBE and decoder weights from a checkpoint of the paper's code ({'bn':..., 'decoder':...}),
// or for an RD++ model the projection too, from the RD++ code's ({'proj':..., 'bn':..., 'decoder':...}).
void import_reference_checkpoint(Model& model, const std::string& path);

}  // namespace rd
