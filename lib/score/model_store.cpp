#include "score/model_store.h"

#include <fmt/format.h>

#include "errors.h"
#include "model/state_dict.h"

namespace rd {
namespace {

nlohmann::json settings_meta(const Model& m) {
  nlohmann::json j = {{"backbone", m.net->spec().name},
          {"method", method_name(m.net->method())},
          {"image_size", m.image_size},
          {"normalization", {{"mean", m.norm.mean}, {"std", m.norm.std}}},
          {"map", {{"mode", map_mode_name(m.map.mode)}, {"sigma", m.map.sigma},
                   {"reduce", m.map.top_k > 0 ? fmt::format("topk:{}", m.map.top_k) : "max"}}}};
  if (m.tiling.enabled()) j["tiling"] = tiling_json(m.tiling);
  return j;
}

}  // namespace

Model create_model(const std::string& backbone, int image_size, Method method) {
  if (image_size < 64 || image_size % 32 != 0)
    throw UsageError(fmt::format("image size {} must be a multiple of 32 and at least 64", image_size));
  Model m;
  m.net = RdModel(backbone_spec(backbone), method);
  m.image_size = image_size;
  m.meta = nlohmann::json::object();
  return m;
}

std::string save_model(const std::string& path, Model& model, const std::string& kind,
                       const std::vector<TensorView>& extra, const nlohmann::json& extra_meta) {
  nlohmann::json meta = model.meta;
  meta.update(settings_meta(model));
  meta["kind"] = kind;
  meta["tool_version"] = RD_VERSION;
  if (!extra_meta.is_null()) meta["checkpoint"] = extra_meta;
  std::vector<torch::Tensor> keep;  // owns contiguous CPU copies while the file is written
  std::vector<TensorView> views;
  for (auto& [name, t] : state_of(*model.net)) {
    auto c = t.detach().to(torch::kCPU).contiguous();
    keep.push_back(c);
    DType dt = c.scalar_type() == torch::kInt64 ? DType::Int64 : DType::Float32;
    views.push_back({name, dt, c.sizes().vec(), c.data_ptr(), size_t(c.nbytes())});
  }
  views.insert(views.end(), extra.begin(), extra.end());
  // A tiled model scored as an untiled one would give wrong scores without a word: rd versions
  // that do not know tiles must refuse it, and they refuse newer format versions. Likewise an
  // RD++ model (version 3) in an rd that would not know to run its projection.
  const uint32_t version = model.net->method() == Method::RdPlusPlus ? 3 : model.tiling.enabled() ? 2 : 1;
  model.id = write_model_file(path, meta, views, version);
  return model.id;
}

Model load_model(const std::string& path, ModelFileContents* contents) {
  ModelFileContents file = read_model_file(path);
  const auto& meta = file.meta;
  auto fail = [&](const std::string& why) { return FormatError(fmt::format("'{}': {}", path, why)); };
  if (!meta.is_object() || (meta.value("kind", "") != "rd-model" && meta.value("kind", "") != "rd-checkpoint"))
    throw fail("not an rd model (unknown kind)");
  Model m;
  try {
    const std::string backbone = meta.at("backbone").get<std::string>();
    const std::string method = meta.value("method", "rd4ad");
    if (method != "rd4ad" && method != "rd++")
      throw fail(fmt::format("unknown method '{}' (this rd knows rd4ad and rd++; upgrade rd)", method));
    SkipWeightInit from_file;  // every weight is read from the file below
    m = create_model(backbone, meta.at("image_size").get<int>(), parse_method(method));
    m.norm.mean = meta.at("normalization").at("mean").get<std::array<float, 3>>();
    m.norm.std = meta.at("normalization").at("std").get<std::array<float, 3>>();
    m.map.mode = parse_map_mode(meta.at("map").at("mode").get<std::string>());
    m.map.sigma = meta.at("map").at("sigma").get<double>();
    m.map.top_k = parse_reduce(meta.at("map").at("reduce").get<std::string>());
    if (meta.contains("tiling")) {
      m.tiling = tiling_from_json(meta.at("tiling"));
      if (m.tiling.size != m.image_size)
        throw fail(fmt::format("tile size {} differs from the image size {}", m.tiling.size, m.image_size));
    }
  } catch (const nlohmann::json::exception& e) {
    throw fail(fmt::format("incomplete model settings: {}", e.what()));
  } catch (const UsageError& e) {
    throw fail(e.what());
  }
  auto unused = load_state(*m.net, file.tensors, LoadRules{"", {"adam."}}, path);
  if (!unused.empty()) throw fail(fmt::format("unexpected tensor '{}'", unused.front()));
  m.net->eval();
  m.meta = meta;
  m.id = file.digest;
  m.path = path;
  if (contents) *contents = std::move(file);
  return m;
}

std::string load_teacher_weights(Model& model, const std::string& weights, const Warn& warn,
                                 WeightsRequest fetch) {
  const BackboneSpec& spec = model.net->spec();
  if (weights == "none") {
    warn(fmt::format("--weights none: the {} teacher has random weights, not ImageNet ones; "
                     "fine for tests and demos, not for real inspection", spec.name));
    return "none";
  }
  fetch.weights = weights;
  fetch.file_name = spec.weights_file;
  fetch.default_url = spec.weights_url();
  const std::string path = resolve_weights(fetch);
  TensorDict dict = read_torch_checkpoint(path);
  try {
    load_state(*model.net->teacher, dict, LoadRules{"", {"layer4.", "fc."}}, path);
  } catch (const FormatError& e) {
    throw FormatError(fmt::format("{} (is it a torchvision {} checkpoint?)", e.what(), spec.name));
  }
  auto slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

void import_reference_checkpoint(Model& model, const std::string& path) {
  TensorDict dict = read_torch_checkpoint(path);
  if (!dict.count("bn.bn_layer.0.conv1.weight") || !dict.count("decoder.layer1.0.bn1.weight"))
    throw FormatError(fmt::format("'{}': not a checkpoint of the reference code (no 'bn' and 'decoder' dicts)", path));
  const bool has_proj = dict.count("proj.proj_a.proj.0.weight") > 0;
  if (has_proj && !model.net->proj)
    throw UsageError(fmt::format("'{}' is an RD++ checkpoint (it has a 'proj' dict): add --method rd++", path));
  if (!has_proj && model.net->proj)
    throw UsageError(fmt::format("'{}' has no 'proj' dict: it is an RD4AD checkpoint, not an RD++ one; "
                                 "leave out --method rd++", path));
  if (model.net->proj) load_state(*model.net->proj, dict, LoadRules{"proj.", {}}, path);
  // The reference OCBE defines conv4/bn4 and never uses them; its checkpoints carry them.
  load_state(*model.net->bn, dict, LoadRules{"bn.", {"conv4.", "bn4."}}, path);
  load_state(*model.net->decoder, dict, LoadRules{"decoder.", {}}, path);
}

}  // namespace rd
