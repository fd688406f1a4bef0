// rd-train: learns one model from a folder of normal images (DESIGN §3).
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <iostream>

#include <fmt/format.h>

#include "cli/common.h"
#include "cli/exit_status.h"
#include "cli/option_groups.h"
#include "cli/progress.h"
#include "cli/signals.h"
#include "errors.h"
#include "io/input_records.h"
#include "io/datasets.h"
#include "io/weights_cache.h"
#include "score/runtime.h"
#include "score/tiles.h"
#include "train/train.h"

namespace {

bool is_directory(const std::string& path) {
  struct stat st {};
  return stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

// Training images from the arguments: a directory (a dataset category means its training set),
// image paths, or a list on stdin ("-", or no arguments with stdin not a terminal).
std::vector<std::string> training_paths(const std::vector<std::string>& args, bool nul, const rd::cli::Common& c,
                                        const rd::DatasetOptions& dataset) {
  std::vector<std::string> paths;
  bool read_stdin = args.empty() && !isatty(STDIN_FILENO);
  for (const auto& a : args) {
    if (a == "-") read_stdin = true;
    else if (is_directory(a)) {
      auto found = rd::training_set(a, dataset);
      // Said unless -q, as the epochs are: a layout taken for another is the first thing to see.
      if (!c.quiet)
        std::cerr << fmt::format("rd-train: '{}': {} layout, {} training images from {}\n", a,
                                 rd::layout_title(found.layout), found.images.size(), found.source);
      paths.insert(paths.end(), found.images.begin(), found.images.end());
    } else paths.push_back(a);
  }
  if (read_stdin) {
    rd::InputReader reader(std::cin, nul);
    for (rd::InputRecord r; reader.next(r);) {
      if (!r.error.empty()) rd::cli::warn(c, r.error);
      else paths.push_back(r.path);
    }
  }
  if (paths.empty()) throw rd::UsageError("no training images (give a directory, image paths, or a list on stdin)");
  return paths;
}

}  // namespace

int main(int argc, char** argv) {
  rd::TrainOptions d;
  cxxopts::Options options("rd-train", "Train a reverse-distillation anomaly model from normal images.");
  options.add_options()
      ("o,output", "Model file to write (.rdm)", cxxopts::value<std::string>())
      ("backbone", "Teacher: resnet18, resnet34, resnet50, wide_resnet50_2, wide_resnet101_2",
       cxxopts::value<std::string>()->default_value(d.backbone))
      ("weights", "Teacher weights: a torchvision .pth file, a URL, auto ($TORCH_HOME, downloaded when absent) "
                  "or none (random)", cxxopts::value<std::string>()->default_value(d.weights))
      ("offline", "Never download weights: auto and URLs use the cache only (also RD_OFFLINE=1)")
      ("image-size", "Input side in pixels (multiple of 32)", cxxopts::value<int>()->default_value(std::to_string(d.image_size)))
      ("tile", "Train on tiles of SIZE px (the image size), origins STRIDE apart (default SIZE: no overlap); "
               "the model scores every image on the same grid", cxxopts::value<std::string>(), "SIZE[,STRIDE]")
      ("tile-scale", "With --tile: resize each image by F in (0, 1] before cutting tiles",
       cxxopts::value<double>()->default_value("1"), "F")
      ("method", "rd4ad (the paper's reverse distillation) or rd++ (RD++: projection, noise and three more "
                 "loss terms; about twice the training time)", cxxopts::value<std::string>()->default_value("rd4ad"))
      ("proj-lr", "rd++: Adam learning rate of the projection", cxxopts::value<double>()->default_value("0.001"))
      ("epochs", "Training epochs", cxxopts::value<int>()->default_value(std::to_string(d.epochs)))
      ("batch-size", "Images per step", cxxopts::value<int>()->default_value(std::to_string(d.batch_size)))
      ("lr", "Adam learning rate", cxxopts::value<double>()->default_value("0.005"))
      ("seed", "Random seed (same seed, same machine: same model)", cxxopts::value<uint64_t>()->default_value("0"))
      ("val", "Directory of normal validation images (an MVTec AD 2 or MVTec LOCO category: its validation/good): "
              "store score statistics in the model", cxxopts::value<std::string>())
      ("layout", "Layout of DIR: auto (from its folders), images, mvtec, mvtec-ad2, visa, mvtec-loco or btad",
       cxxopts::value<std::string>()->default_value("auto"))
      ("split", "VisA: the split CSV naming the training images (default: split_csv/1cls.csv beside the category)",
       cxxopts::value<std::string>(), "FILE")
      ("log", "Append per-epoch JSON lines to this file ('-': stdout)", cxxopts::value<std::string>())
      ("checkpoint", "Checkpoint file (default: OUTPUT.ckpt)", cxxopts::value<std::string>())
      ("checkpoint-every", "Write a checkpoint every N epochs", cxxopts::value<int>()->default_value("0"))
      ("resume", "Continue from a checkpoint", cxxopts::value<std::string>())
      ("precision", "fp32, or bf16: mixed precision (bf16 convolutions; fp32 weights, optimiser, loss and "
                    "BatchNorm statistics) on CPUs with avx512_bf16 or amx_bf16", cxxopts::value<std::string>()->default_value("fp32"))
      ("cache-features", "Teacher features of the training set: auto, ram or off",
       cxxopts::value<std::string>()->default_value(d.cache_features))
      ("import-reference", "Build the model from a checkpoint of the paper's code instead of training "
                           "(images given with it calibrate the model for --precision int8)",
       cxxopts::value<std::string>());
  rd::cli::add_image_input_options(options, "[DIR | IMAGE... | -]", "Images or directories",
                                   "Paths on stdin are NUL-separated", d.max_pixels);
  rd::cli::add_common_options(options, true);

  return rd::cli::run_tool("rd-train", options, argc, argv, [&](const cxxopts::ParseResult& args) {
    auto c = rd::cli::read_common("rd-train", args);
    rd::set_threads(c.threads);
    if (!args.count("output")) throw rd::UsageError("missing -o/--output MODEL.rdm");
    rd::TrainOptions o;
    o.output = args["output"].as<std::string>();
    o.backbone = args["backbone"].as<std::string>();
    o.method = rd::parse_method(args["method"].as<std::string>());
    o.method_given = args.count("method") > 0;
    o.proj_lr = args["proj-lr"].as<double>();
    // On --resume the checkpoint's method and rates apply (as for --lr).
    if (args.count("proj-lr") && o.method != rd::Method::RdPlusPlus && !args.count("resume"))
      throw rd::UsageError("--proj-lr needs --method rd++");
    if (!(o.proj_lr > 0)) throw rd::UsageError("--proj-lr must be positive");
    o.weights = args["weights"].as<std::string>();
    o.offline = args.count("offline") > 0 || rd::offline_from_environment();
    o.download = rd::download_options_from_environment();
    o.image_size = args["image-size"].as<int>();
    if (args.count("tile")) {
      o.tiling = rd::parse_tiling(args["tile"].as<std::string>(), args["tile-scale"].as<double>());
      if (args.count("image-size") && o.image_size != o.tiling.size)
        throw rd::UsageError(fmt::format("--image-size {} and --tile {}: a tiled model's image size is its tile size",
                                         o.image_size, o.tiling.size));
    } else if (args.count("tile-scale")) {
      throw rd::UsageError("--tile-scale needs --tile");
    }
    o.epochs = args["epochs"].as<int>();
    o.batch_size = args["batch-size"].as<int>();
    o.lr = args["lr"].as<double>();
    o.seed = args["seed"].as<uint64_t>();
    o.cache_features = args["cache-features"].as<std::string>();
    o.checkpoint_every = args["checkpoint-every"].as<int>();
    const rd::cli::ImageInputs in = rd::cli::image_input_options(args);
    o.max_pixels = in.max_pixels;
    if (args.count("checkpoint")) o.checkpoint = args["checkpoint"].as<std::string>();
    if (args.count("resume")) o.resume = args["resume"].as<std::string>();
    if (args.count("import-reference")) o.import_reference = args["import-reference"].as<std::string>();
    const rd::DatasetOptions dataset{rd::parse_layout(args["layout"].as<std::string>()),
                                     args.count("split") ? args["split"].as<std::string>() : ""};
    if (args.count("val")) {
      const auto val = args["val"].as<std::string>();
      // A category's training images must not double as validation: validation_set refuses them.
      rd::DatasetImages found = rd::validation_set(val);
      if (!c.quiet)
        std::cerr << fmt::format("rd-train: --val '{}': {} validation images from {}\n", val, found.images.size(),
                                 found.source);
      o.val_images = std::move(found.images);
    }
    o.device = rd::parse_device(c.device);
    const std::string precision = args["precision"].as<std::string>();
    if (precision != "fp32" && precision != "bf16")
      throw rd::UsageError(fmt::format("rd-train --precision '{}': training runs in fp32 or bf16", precision));
    o.precision = rd::parse_precision(precision, o.device.is_cpu());
    std::vector<std::string> paths;
    // With --import-reference, images are optional: they calibrate the model for int8 scoring.
    if (o.import_reference.empty() || !in.inputs.empty()) paths = training_paths(in.inputs, in.nul, c, dataset);

    std::ofstream log_file;
    std::ostream* log = nullptr;
    if (args.count("log")) {
      const auto target = args["log"].as<std::string>();
      if (target == "-") log = &std::cout;
      else {
        log_file.open(target, std::ios::app);
        if (!log_file) throw rd::UsageError(fmt::format("cannot open --log '{}': {}", target, std::strerror(errno)));
        log = &log_file;
      }
    }
    rd::cli::Progress bar(c.show_progress(), "steps");
    rd::TrainCallbacks cb;
    cb.warn = [&](const std::string& m) { bar.finish(); rd::cli::warn(c, m); };
    cb.on_progress = [&](int64_t done, int64_t total, const std::string& what) { bar.update(done, total, what); };
    rd::cli::Progress download_bar(c.show_progress(), "bytes");
    cb.note = [&](const std::string& m) {
      if (!c.quiet) std::cerr << "rd-train: " << m << std::endl;
    };
    cb.on_download = [&](int64_t received, int64_t total) {
      download_bar.update(received, total, "downloading");
      if (total > 0 && received >= total) download_bar.finish();
    };
    cb.on_epoch = [&](const rd::EpochLog& e) {
      bar.finish();
      nlohmann::json line = {{"epoch", e.epoch}, {"loss", e.loss}, {"seconds", e.seconds},
                             {"images_per_second", e.images_per_second}};
      if (e.tiles_per_second > 0) line["tiles_per_second"] = e.tiles_per_second;
      std::string terms;
      for (const auto& [name, value] : e.terms) {
        line["loss_" + name] = value;
        terms += fmt::format(" {} {:.3g}", name, value);
      }
      if (log) *log << line.dump() << "\n" << std::flush;
      if (!c.quiet)
        std::cerr << fmt::format("rd-train: epoch {}/{} loss {:.5f}{} ({:.1f} s, {:.2f} images/s{})\n", e.epoch,
                                 o.epochs, e.loss, terms.empty() ? "" : " [" + terms.substr(1) + "]", e.seconds,
                                 e.images_per_second,
                                 e.tiles_per_second > 0 ? fmt::format(", {:.1f} tiles/s", e.tiles_per_second) : "");
    };
    cb.stop_signal = &rd::cli::install_stop_handlers();
    rd::TrainResult r = rd::train(paths, o, cb);
    bar.finish();
    if (r.interrupted_by) {
      rd::cli::error(c, fmt::format("interrupted by signal {}; checkpoint written to '{}' (continue with --resume)",
                                    r.interrupted_by, r.checkpoint_path));
      return int(rd::kExitInterrupted) + r.interrupted_by;
    }
    nlohmann::json summary = {{"model", o.output}, {"id", r.model_id}, {"images", r.images},
                              {"failed_images", r.failed_images}, {"epochs", r.epochs_done},
                              {"final_loss", r.final_loss}};
    if (r.tiles) summary["tiles"] = r.tiles;
    std::cout << summary.dump() << std::endl;
    if (!std::cout) throw rd::RuntimeFailure("cannot write to stdout");
    return int(r.failed_images ? rd::kExitSomeFailed : rd::kExitOk);
  });
}
