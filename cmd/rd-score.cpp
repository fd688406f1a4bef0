// rd-score: one JSON line per input image with its anomaly score (DESIGN §2, §4).
#include <unistd.h>

#include <filesystem>
#include <iostream>
#include <optional>

#include <fmt/format.h>

#include "cli/common.h"
#include "cli/exit_status.h"
#include "cli/option_groups.h"
#include "cli/output.h"
#include "cli/progress.h"
#include "cli/signals.h"
#include "errors.h"
#include "cpu/cpu_caches.h"
#include "io/datasets.h"
#include "score/runtime.h"
#include "score/score.h"

int main(int argc, char** argv) {
  rd::ScoreOptions d;
  cxxopts::Options options("rd-score", "Score images with an rd model: one JSON line per image on stdout.");
  rd::cli::add_model_option(options, "Model file (.rdm) from rd-train");
  options.add_options()
      ("dataset", "Score the test images of a dataset category (MVTec AD, MPDD, MVTec AD 2, VisA, MVTec LOCO, BTAD), "
                  "with label, defect and mask", cxxopts::value<std::string>())
      ("layout", "--dataset's layout: auto (from its folders), mvtec, mvtec-ad2, visa, mvtec-loco or btad",
       cxxopts::value<std::string>()->default_value("auto"))
      ("split", "--dataset's test set: MVTec AD 2 test_public (default), test_private, test_private_mixed "
                "(unlabelled) or validation; VisA: the split CSV (default: split_csv/1cls.csv beside the category)",
       cxxopts::value<std::string>(), "NAME|FILE")
      ("batch-size", "Images per forward pass", cxxopts::value<int>()->default_value(std::to_string(d.batch_size)))
      ("maps", "Save each anomaly map in this directory and add `map` to the record", cxxopts::value<std::string>())
      ("map-format", "Map file format: npy or tiff (float32)", cxxopts::value<std::string>()->default_value(d.map_format))
      ("map-mode", "Combine the scales by add or mul (default: the model's)", cxxopts::value<std::string>())
      ("reduce", "Image score from the map: max or topk:K (default: the model's)", cxxopts::value<std::string>())
      ("shard", "Score only part K of N (K/N, 1-based) of the inputs", cxxopts::value<std::string>())
      ("resume", "Skip inputs whose path already has a record in FILE", cxxopts::value<std::string>())
      ("workers", "Threads decoding images while the network runs",
       cxxopts::value<int>()->default_value(std::to_string(d.decode_threads)));
  rd::cli::add_precision_option(options);
  rd::cli::add_image_input_options(options, "[IMAGE... | DIR | -]", "Images, directories, or - for stdin",
                                   "Paths on stdin are NUL-separated (find -print0)", d.max_pixels);
  rd::cli::add_common_options(options, true);

  return rd::cli::run_tool("rd-score", options, argc, argv, [&](const cxxopts::ParseResult& args) {
    auto c = rd::cli::read_common("rd-score", args);
    rd::set_threads(c.threads);
    const std::string model_path = rd::cli::required_model_option(args);
    const rd::cli::ImageInputs in = rd::cli::image_input_options(args);
    rd::ScoreOptions o;
    o.batch_size = args["batch-size"].as<int>();
    o.map_format = args["map-format"].as<std::string>();
    o.decode_threads = std::max(1, args["workers"].as<int>());
    o.max_pixels = in.max_pixels;
    o.device = rd::parse_device(c.device);
    const rd::Precision precision = rd::parse_precision(rd::cli::precision_option(args), o.device.is_cpu());
    if (args.count("shard")) o.shard = rd::parse_shard(args["shard"].as<std::string>());
    if (args.count("resume")) o.resume_file = args["resume"].as<std::string>();
    if (args.count("maps")) {
      o.maps_dir = args["maps"].as<std::string>();
      std::error_code ec;
      std::filesystem::create_directories(o.maps_dir, ec);
      if (ec) throw rd::UsageError(fmt::format("cannot create --maps directory '{}': {}", o.maps_dir, ec.message()));
    }

    // The dataset is listed before the model loads, so a wrong folder fails at once.
    std::optional<rd::TestSet> dataset;
    if (args.count("dataset")) {
      const std::string dir = args["dataset"].as<std::string>();
      dataset = rd::test_set(dir, rd::DatasetOptions{rd::parse_layout(args["layout"].as<std::string>()),
                                                     args.count("split") ? args["split"].as<std::string>() : ""});
      rd::cli::info(c, fmt::format("dataset '{}': {} layout, {} images from {}", dir,
                                   rd::layout_title(dataset->layout), dataset->images.size(), dataset->source));
    } else if (args.count("layout") || args.count("split")) {
      throw rd::UsageError("--layout and --split describe --dataset DIR; give it");
    }

    rd::Model model = rd::load_model(model_path);
    if (args.count("map-mode")) model.map.mode = rd::parse_map_mode(args["map-mode"].as<std::string>());
    if (args.count("reduce")) model.map.top_k = rd::parse_reduce(args["reduce"].as<std::string>());
    rd::prepare_for_scoring(model, o.device, precision);
    const std::string tiles = model.tiling.enabled()
        ? fmt::format(" tiles, stride {}, scale {}", model.tiling.stride, model.tiling.scale) : "";
    rd::cli::info(c, fmt::format("model {} ({}, {} px{}, id {}, {})", model_path, model.net->spec().name,
                                 model.image_size, tiles, model.id, rd::precision_name(precision)));
    if (o.device.is_cpu()) rd::cli::info(c, rd::onednn_caches_description());

    if (!args.count("dataset") && in.inputs.empty() && isatty(STDIN_FILENO))
      throw rd::UsageError("no inputs (give images, a directory, --dataset DIR, or a list on stdin)");
    std::ios::sync_with_stdio(false);
    // With --dataset and no other inputs, stdin is not read: under cron or CI it may be an open pipe.
    const bool stdin_implicit = !args.count("dataset") && !isatty(STDIN_FILENO);
    rd::InputSource source(in.inputs, in.nul, std::cin, !stdin_implicit);
    if (dataset) source.add_labeled_images(std::move(dataset->images));

    rd::cli::RecordWriter out;
    if (!o.resume_file.empty() && rd::resume_file_needs_newline(o.resume_file, STDOUT_FILENO)) {
      rd::cli::warn(c, fmt::format("{} ends in a partial line; starting a new line", o.resume_file));
      if (::write(STDOUT_FILENO, "\n", 1) != 1) throw rd::RuntimeFailure("cannot write to stdout");
    }
    rd::cli::Progress bar(c.show_progress(), "images");
    rd::ScoreCallbacks cb;
    cb.emit = [&](const rd::RecordFields& r) { out.write(r); };
    cb.warn = [&](const std::string& m) { bar.finish(); rd::cli::warn(c, m); };
    cb.progress = [&](int64_t done) {
      out.flush();
      bar.update(done, 0, "scoring");
    };
    cb.stop_signal = &rd::cli::install_stop_handlers();
    rd::ScoreSummary s = rd::score_inputs(model, source, o, cb);
    out.flush();
    bar.finish();
    rd::cli::info(c, fmt::format("{} scored, {} failed, {} skipped", s.scored, s.failed, s.skipped));
    // An empty list is not an error (a cron job's `find` may find nothing), but say so.
    if (s.scored + s.failed + s.skipped == 0) rd::cli::warn(c, "no inputs: the input list was empty");
    if (cb.stop_signal->load()) return int(rd::kExitInterrupted) + cb.stop_signal->load();
    return int(s.failed ? rd::kExitSomeFailed : rd::kExitOk);
  });
}
