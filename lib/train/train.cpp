#include "train/train.h"

#include <sys/sysinfo.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <fstream>
#include <numeric>
#include <random>

#include <fmt/format.h>

#include "cpu/cpu_caches.h"
#include "errors.h"
#include "eval/score_stats.h"
#include "model/autocast.h"
#include "model/state_dict.h"
#include "score/image_batch.h"
#include "score/inference.h"
#include "score/int8_calibration.h"
#include "score/tiled_inference.h"
#include "train/adam.h"
#include "train/distillation_loss.h"
#include "train/rdpp_loss.h"

namespace rd {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

int64_t available_ram_bytes() {
  std::ifstream meminfo("/proc/meminfo");
  std::string key;
  int64_t kb = 0;
  std::string unit;
  while (meminfo >> key >> kb >> unit)
    if (key == "MemAvailable:") return kb * 1024;
  struct sysinfo info {};
  return sysinfo(&info) == 0 ? int64_t(info.freeram) * info.mem_unit : 0;
}

// Teacher features of the training set: computed once when they fit in RAM (the teacher is
// frozen and there is no augmentation), else recomputed for every batch.
class TeacherFeatures {
 public:
  TeacherFeatures(Model& model, const LoadedImages& images, const torch::Device& device, const std::string& mode,
                  int batch, const Warn& warn)
      : model_(model), images_(images), device_(device) {
    const auto& spec = model.net->spec();
    int64_t per_image = 0;
    for (int k = 1; k <= 3; ++k) {
      const int64_t side = model.image_size >> (k + 1);
      per_image += int64_t(spec.channels(k)) * side * side * 4;
    }
    const int64_t need = per_image * images.count();
    if (mode == "ram") cached_ = true;
    else if (mode == "off") cached_ = false;
    else if (mode == "auto") cached_ = need <= available_ram_bytes() / 2;
    else throw UsageError(fmt::format("bad --cache-features '{}' (choose auto, ram or off)", mode));
    if (mode == "auto" && !cached_)
      warn(fmt::format("teacher features need {:.1f} GiB, over half the free RAM: recomputing them every epoch",
                       double(need) / (1 << 30)));
    if (!cached_) return;
    std::array<std::vector<torch::Tensor>, 3> parts;
    for (int64_t i = 0; i < images.count(); i += batch) {
      Features f = compute(images.inputs(i, std::min<int64_t>(i + batch, images.count())));
      for (int k = 0; k < 3; ++k) parts[k].push_back(f[k]);
    }
    for (int k = 0; k < 3; ++k) all_[k] = torch::cat(parts[k]);
  }

  Features batch(const torch::Tensor& index) {
    if (!cached_) return compute(images_.inputs(index));
    const torch::Tensor at = index.to(device_);
    return {all_[0].index_select(0, at), all_[1].index_select(0, at), all_[2].index_select(0, at)};
  }
  Features compute(const torch::Tensor& x) {
    torch::NoGradGuard no_grad;
    return model_.net->teacher->forward(x.to(device_));
  }

 private:
  Model& model_;
  const LoadedImages& images_;  // held on the CPU; batches move to the device
  torch::Device device_;
  bool cached_ = false;
  Features all_;
};

// The digest of the network inputs (not of the pixels they are held as), computed a part at a
// time: checkpoints written when training sets were held as float still resume.
std::string inputs_digest(const LoadedImages& set) {
  const int64_t per_row = 3 * set.rows.size(2) * set.rows.size(3) * int64_t(sizeof(float));
  ContentDigest d(size_t(per_row * set.count()));
  for (int64_t i = 0; i < set.count(); i += 64) {
    const torch::Tensor part = set.inputs(i, std::min<int64_t>(i + 64, set.count())).contiguous();
    d.update(static_cast<const unsigned char*>(part.data_ptr()), size_t(part.nbytes()));
  }
  return d.finish();
}

// Where a run stands; stored in checkpoints so that --resume continues exactly.
struct Position {
  int epoch = 0;  // completed epochs
  int64_t step = 0;  // completed steps in the current epoch
  double loss_sum = 0, epoch_seconds = 0, total_seconds = 0;
  std::array<double, 4> term_sums{};  // rd++: kd, ssot, recon, con
};

const char* const kTermNames[4] = {"kd", "ssot", "recon", "con"};

// One 64-bit seed per (run seed, epoch, step) for RD++'s noise and shuffles: a resumed run draws
// what the uninterrupted one drew without storing generator state.
uint64_t step_seed(uint64_t seed, int epoch, int64_t step) {
  uint64_t z = seed ^ (uint64_t(epoch) << 40) ^ uint64_t(step) ^ 0xD1B54A32D192ED03ULL;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

// RD++ accumulates the gradients of two batches per optimiser step (the last batch of an odd
// epoch steps alone), so a checkpoint between the two holds the first batch's gradients.
bool steps_after(int64_t step, int64_t steps_per_epoch) { return step % 2 == 1 || step + 1 == steps_per_epoch; }

std::vector<int64_t> epoch_order(int64_t n, uint64_t seed, int epoch) {
  std::vector<int64_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::mt19937_64 rng(seed * 0x9E3779B97F4A7C15ULL + uint64_t(epoch) + 1);
  // Fisher-Yates written out: std::shuffle's algorithm is not specified across libraries.
  for (int64_t i = n - 1; i > 0; --i) std::swap(order[i], order[rng() % uint64_t(i + 1)]);
  return order;
}

nlohmann::json options_meta(const TrainOptions& o) {
  nlohmann::json j = {{"epochs", o.epochs}, {"batch_size", o.batch_size}, {"lr", o.lr}, {"betas", {o.beta1, o.beta2}},
                      {"seed", o.seed}, {"precision", precision_name(o.precision)}, {"method", method_name(o.method)}};
  if (o.method == Method::RdPlusPlus) j["proj_lr"] = o.proj_lr, j["accumulate_batches"] = 2;
  return j;
}

void save_checkpoint(const std::string& path, Model& model, const Adam& adam, const Position& pos,
                     const TrainOptions& o, const std::string& data_digest) {
  std::vector<torch::Tensor> keep;
  std::vector<TensorView> views;
  auto state_tensors = adam.state();
  const bool pending = o.method == Method::RdPlusPlus && pos.step % 2 == 1;
  if (pending)
    for (auto& g : adam.gradients()) state_tensors.push_back(g);
  for (auto& [name, t] : state_tensors) {
    keep.push_back(t.detach().to(torch::kCPU).contiguous());
    views.push_back({"adam." + name, DType::Float32, t.sizes().vec(), keep.back().data_ptr(), size_t(t.nbytes())});
  }
  nlohmann::json state = {{"epoch", pos.epoch}, {"step", pos.step}, {"loss_sum", pos.loss_sum},
                          {"epoch_seconds", pos.epoch_seconds}, {"total_seconds", pos.total_seconds},
                          {"adam_steps", adam.steps()}, {"options", options_meta(o)},
                          {"data_digest", data_digest}, {"term_sums", pos.term_sums},
                          {"pending_gradients", pending}};
  save_model(path, model, "rd-checkpoint", views, state);
}

std::vector<std::pair<std::string, torch::Tensor>> named_parameters(torch::nn::Module& m, const std::string& prefix) {
  std::vector<std::pair<std::string, torch::Tensor>> out;
  for (auto& p : m.named_parameters(true)) out.emplace_back(prefix + p.key(), p.value());
  return out;
}

// bf16 training on the CPU feeds the student channels-last features: oneDNN's bf16 kernels work
// channels-last, and NCHW activations cost a reorder at every convolution, forward and backward
// (bench/README.md, 2026-12-04: a step 1.18x faster on AMX; fp32 is no faster channels-last).
// Not where the CPU hides its cache sizes: oneDNN 3.x's channels-last bf16 1x1 kernels divide by
// them (cpu/cpu_caches.h).
Features in_student_layout(Features f, bool channels_last) {
  if (channels_last)
    for (auto& x : f) x = x.contiguous(torch::MemoryFormat::ChannelsLast);
  return f;
}

// OCBE and decoder in one Adam group at --lr; RD++'s projection in a second at its own rate.
Adam make_adam(Model& model, const TrainOptions& o) {
  auto params = named_parameters(*model.net->bn, "bn.");
  auto decoder = named_parameters(*model.net->decoder, "decoder.");
  params.insert(params.end(), decoder.begin(), decoder.end());
  Adam adam(params, AdamOptions{o.lr, o.beta1, o.beta2});
  if (model.net->proj) adam.add_group(named_parameters(*model.net->proj, "proj."), o.proj_lr);
  return adam;
}

// Every pixel of a few hundred maps is millions of values: a fixed stride keeps ~4M.
int64_t pixel_stride(size_t images, int64_t pixels_per_map) {
  return std::max<int64_t>(1, int64_t(images) * pixels_per_map / 4'000'000);
}

// Scores and sampled pixels of the validation images' maps; for a tiled model the stitched
// maps, so that thresholds fitted on them mean what rd-score's scores mean.
nlohmann::json validation_stats(Model& model, const std::vector<std::string>& paths, const TrainOptions& o,
                                const TrainCallbacks& cb, size_t& failed) {
  model.net->eval();
  std::vector<double> scores, pixels;
  std::vector<std::string> kept;
  int64_t stride = 0;
  auto sample = [&](const float* map, int64_t numel) {
    if (stride == 0) stride = pixel_stride(paths.size(), numel);
    for (int64_t j = 0; j < numel; j += stride) pixels.push_back(map[j]);
  };
  if (model.tiling.enabled()) {
    for (const auto& path : paths) {
      try {
        cv::Mat map = stitched_raw_map(model, decode_image(path, o.max_pixels), o.device, o.batch_size, path);
        scores.push_back(smooth_and_score(map.ptr<float>(), map.rows, map.cols, model.map));
        sample(map.ptr<float>(), int64_t(map.total()));
        kept.push_back(path);
      } catch (const InputError& e) {
        cb.warn(fmt::format("--val: {}", e.what()));
        ++failed;
      }
    }
  } else {
    LoadedImages val = load_images(paths, model.image_size, model.norm, o.max_pixels, at::get_num_threads());
    for (const auto& e : val.errors) cb.warn(fmt::format("--val: {}", e));
    failed += val.errors.size();
    const int64_t n = val.count();
    for (int64_t i = 0; i < n; i += o.batch_size) {
      BatchMaps out = infer_maps(model, val.inputs(i, std::min<int64_t>(i + o.batch_size, n)).to(o.device));
      scores.insert(scores.end(), out.scores.begin(), out.scores.end());
      for (int64_t j = 0; j < out.maps.size(0); ++j) sample(out.maps[j].data_ptr<float>(), out.maps[j].numel());
    }
    for (size_t i : val.kept) kept.push_back(paths[i]);
  }
  if (scores.empty()) throw UsageError("--val: no readable validation images");
  nlohmann::json stats = score_statistics(scores);
  stats["scores"] = scores;  // rd-threshold fits any method on these
  stats["paths"] = kept;
  stats["pixel"] = score_statistics(pixels);
  stats["pixel"]["sampled_every"] = stride;
  return stats;
}

}  // namespace

TrainResult train(const std::vector<std::string>& images, const TrainOptions& o, const TrainCallbacks& cb) {
  if (o.output.empty()) throw UsageError("no output model path (-o)");
  if (o.epochs < 0 || o.batch_size < 1) throw UsageError("--epochs must be >= 0 and --batch-size >= 1");
  if (!(o.lr > 0)) throw UsageError("--lr must be positive");
  TrainResult result;

  ModelFileContents resumed;
  Model model;
  if (!o.resume.empty()) {
    model = load_model(o.resume, &resumed);
    if (resumed.meta.value("kind", "") != "rd-checkpoint")
      throw UsageError(fmt::format("--resume '{}' is a model, not a training checkpoint", o.resume));
    if (o.method_given && model.net->method() != o.method)
      throw UsageError(fmt::format("--resume '{}': the checkpoint was trained with --method {}; leave out --method "
                                   "to continue it", o.resume, method_name(model.net->method())));
    const Tiling& t = model.tiling;
    if (o.tiling.enabled() && (t.size != o.tiling.size || t.stride != o.tiling.stride || t.scale != o.tiling.scale))
      throw UsageError(fmt::format("--resume '{}': the checkpoint was trained {}; leave out --tile to continue it",
                                   o.resume, t.enabled() ? fmt::format("on {},{} tiles at scale {}", t.size, t.stride, t.scale)
                                                         : "without tiles"));
  } else {
    torch::manual_seed(o.seed);
    model = create_model(o.backbone, o.tiling.enabled() ? o.tiling.size : o.image_size, o.method);
    model.tiling = o.tiling;
    WeightsRequest fetch;
    fetch.offline = o.offline;
    fetch.download = o.download;
    fetch.download.progress = cb.on_download;
    fetch.note = cb.note;
    model.meta["teacher_weights"] = load_teacher_weights(model, o.weights, cb.warn, fetch);
  }
  model.net->to(o.device);
  if (!o.import_reference.empty()) {
    import_reference_checkpoint(model, o.import_reference);
    model.net->eval();
    model.meta["training"] = {{"imported_from", o.import_reference}};
  }

  auto progress = [&](size_t d, size_t n) { if (cb.on_progress) cb.on_progress(d, n, "decoding"); };
  LoadedImages train_set;
  // An imported model is not trained, but images given with it calibrate it for int8.
  if (o.import_reference.empty() || !images.empty())
    train_set = model.tiling.enabled()
        ? load_tiles(images, model.tiling, model.norm, o.max_pixels, at::get_num_threads(), progress)
        : load_images(images, model.image_size, model.norm, o.max_pixels, at::get_num_threads(), progress);
  for (const auto& e : train_set.errors) cb.warn(e);
  result.failed_images = train_set.errors.size();
  result.images = train_set.kept.size();

  if (!o.import_reference.empty() && train_set.count() > 0) {
    model.meta["int8"] = calibrate_int8(
        model,
        [&](int64_t begin, int64_t end) {
          torch::NoGradGuard no_grad;
          return model.net->teacher->forward(train_set.inputs(begin, end).to(o.device));
        },
        train_set.count(), o.batch_size);
  }
  if (o.import_reference.empty()) {
    const int64_t n = train_set.count();
    if (n == 0) throw UsageError("no readable training images");
    result.tiles = model.tiling.enabled() ? size_t(n) : 0;
    const std::string data_digest = inputs_digest(train_set);
    TrainOptions run = o;
    run.method = model.net->method();
    Position pos;
    Adam adam = make_adam(model, run);
    if (!o.resume.empty()) {
      const auto& st = resumed.meta.at("checkpoint");
      if (st.value("data_digest", "") != data_digest)
        throw UsageError(fmt::format("--resume '{}': the training images differ from the checkpoint's", o.resume));
      const auto& opts = st.at("options");
      run.epochs = opts.at("epochs"), run.batch_size = opts.at("batch_size"), run.lr = opts.at("lr");
      run.beta1 = opts.at("betas")[0], run.beta2 = opts.at("betas")[1], run.seed = opts.at("seed");
      run.precision = opts.value("precision", "fp32") == "bf16" ? Precision::Bf16 : Precision::Fp32;
      run.proj_lr = opts.value("proj_lr", run.proj_lr);
      pos = {st.at("epoch"), st.at("step"), st.at("loss_sum"), st.at("epoch_seconds"), st.at("total_seconds")};
      if (st.contains("term_sums")) pos.term_sums = st.at("term_sums").get<std::array<double, 4>>();
      auto lookup = [&](const std::string& name) {
        auto it = resumed.tensors.find("adam." + name);
        if (it == resumed.tensors.end())
          throw FormatError(fmt::format("'{}': the checkpoint lacks optimiser tensor '{}'", o.resume, name));
        return to_torch(it->second);
      };
      adam = make_adam(model, run);
      adam.restore(st.at("adam_steps").get<int64_t>(), lookup);
      if (st.value("pending_gradients", false)) adam.restore_gradients(lookup);
    }
    const std::string ckpt = o.checkpoint.empty() ? o.output + ".ckpt" : o.checkpoint;
    result.checkpoint_path = ckpt;

    model.net->to(o.device);
    model.net->set_training(true);
    TeacherFeatures teacher(model, train_set, o.device, o.cache_features, run.batch_size, cb.warn);
    const int64_t steps_per_epoch = (n + run.batch_size - 1) / run.batch_size;
    for (; pos.epoch < run.epochs; ++pos.epoch, pos.step = 0, pos.loss_sum = 0, pos.epoch_seconds = 0, pos.term_sums = {}) {
      auto order = epoch_order(n, run.seed, pos.epoch);
      for (; pos.step < steps_per_epoch; ++pos.step) {
        if (cb.stop_signal && cb.stop_signal->load()) {
          save_checkpoint(ckpt, model, adam, pos, run, data_digest);
          result.interrupted_by = cb.stop_signal->load();
          result.epochs_done = pos.epoch;
          return result;
        }
        const auto t0 = Clock::now();
        const int64_t begin = pos.step * run.batch_size, end = std::min<int64_t>(begin + run.batch_size, n);
        auto index = torch::tensor(std::vector<int64_t>(order.begin() + begin, order.begin() + end));
        const bool channels_last = run.precision == Precision::Bf16 && o.device.is_cpu() && onednn_caches_visible();
        Features t = in_student_layout(teacher.batch(index), channels_last);
        const bool rdpp = run.method == Method::RdPlusPlus;
        Features tn, p, pn, s;
        if (rdpp) {
          const uint64_t draw = step_seed(run.seed, pos.epoch, pos.step);
          tn = in_student_layout(teacher.compute(add_rdpp_noise(train_set.inputs(index), model.norm, draw)),
                                 channels_last);
        }
        {
          Bf16Autocast autocast(run.precision == Precision::Bf16, o.device);
          // fp32 features out (to_features), so the loss is fp32 too
          if (rdpp) {
            p = model.net->proj->forward(t);
            pn = model.net->proj->forward(tn);
            s = model.net->decoder->forward(model.net->bn->forward(p));
          } else {
            s = model.net->student(t);
          }
        }
        torch::Tensor loss;
        if (rdpp) {
          const auto shuffle = epoch_order(end - begin, step_seed(run.seed, pos.epoch, pos.step), -1);
          RdppLoss l = rdpp_loss(t, p, s, tn, pn, shuffle);
          loss = l.total;
          const double terms[4] = {l.kd, l.ssot, l.recon, l.con};
          for (int k = 0; k < 4; ++k) pos.term_sums[k] += terms[k];
        } else {
          loss = distillation_loss(t, s);
        }
        const double value = loss.item<double>();
        if (!std::isfinite(value))
          throw RuntimeFailure(fmt::format("the loss became {} at epoch {} step {} (learning rate {} too high?); "
                                           "stopped, the last checkpoint is kept", value, pos.epoch + 1,
                                           pos.step + 1, run.lr));
        if (!rdpp || pos.step % 2 == 0) adam.zero_grad();
        loss.backward();
        if (!rdpp || steps_after(pos.step, steps_per_epoch)) adam.step();
        pos.loss_sum += value;
        pos.epoch_seconds += seconds_since(t0);
        if (cb.on_progress) cb.on_progress(pos.epoch * steps_per_epoch + pos.step + 1, run.epochs * steps_per_epoch, "training");
      }
      pos.total_seconds += pos.epoch_seconds;
      result.final_loss = pos.loss_sum / double(steps_per_epoch);
      if (cb.on_epoch) {
        EpochLog log{pos.epoch + 1, result.final_loss, pos.epoch_seconds, double(result.images) / pos.epoch_seconds,
                     model.tiling.enabled() ? double(n) / pos.epoch_seconds : 0.0, {}};
        if (run.method == Method::RdPlusPlus)
          for (int k = 0; k < 4; ++k) log.terms.emplace_back(kTermNames[k], pos.term_sums[k] / double(steps_per_epoch));
        cb.on_epoch(log);
      }
      if (o.checkpoint_every > 0 && (pos.epoch + 1) % o.checkpoint_every == 0 && pos.epoch + 1 < run.epochs) {
        Position next{pos.epoch + 1, 0, 0, 0, pos.total_seconds, {}};
        save_checkpoint(ckpt, model, adam, next, run, data_digest);
      }
    }
    result.epochs_done = run.epochs;
    model.meta["training"] = {{"images", result.images}, {"epochs", run.epochs}, {"final_loss", result.final_loss},
                              {"seconds", pos.total_seconds}, {"data_digest", data_digest},
                              {"options", options_meta(run)}};
    if (model.tiling.enabled()) model.meta["training"]["tiles"] = n;
    // Every model can be scored in int8 (--precision int8) without keeping its training images.
    model.net->set_training(false);
    model.meta["int8"] = calibrate_int8(
        model, [&](int64_t begin, int64_t end) { return teacher.batch(torch::arange(begin, end)); }, n,
        run.batch_size);
  }
  model.net->set_training(false);
  if (!o.val_images.empty()) model.meta["validation"] = validation_stats(model, o.val_images, o, cb, result.failed_images);
  model.meta.erase("checkpoint");
  result.model_id = save_model(o.output, model);
  return result;
}

}  // namespace rd
