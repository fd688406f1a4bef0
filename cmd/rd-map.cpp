// rd-map: heat-map overlays of anomaly maps on their images, on a colour scale fixed across
// images, and the records again with "overlay" added (DESIGN §2, §5).
#include <filesystem>
#include <iostream>

#include <fmt/format.h>

#include "cli/common.h"
#include "cli/exit_status.h"
#include "cli/map_plugin.h"
#include "cli/option_groups.h"
#include "cli/output.h"
#include "cli/progress.h"
#include "cli/signals.h"
#include "cli/streams.h"
#include "draw/map_tool.h"
#include "errors.h"
#include "io/model_file.h"
#include "cpu/precision.h"

namespace {

constexpr const char* kDescription =
    "Draw each record's anomaly map over its image: one overlay per record in --out DIR, and the\n"
    "records again on stdout with \"overlay\" added. Records come from rd-score or rd-threshold apply\n"
    "(JSON lines; plain image paths work with -m). The colour scale is the same for every image:\n"
    "from the validation median (0 without -m) to twice the pixel threshold's distance above it, so\n"
    "the threshold is mid-scale and normal pixels are cold; the region at or above the threshold is\n"
    "outlined in white, the ground truth (\"mask\") in magenta (cyan with inferno). The pixel\n"
    "threshold is -t FILE, else the largest validation pixel of -m MODEL.\n"
    "Exit status: 0 all drawn, 2 usage error, 3 fatal error (model, writing), 4 some records failed.";

rd::ScaleRequest scale_request(const cxxopts::ParseResult& args, const rd::ModelFileContents* model) {
  rd::ScaleRequest r;
  if (args.count("threshold")) r.threshold_file = args["threshold"].as<std::string>();
  if (model) {
    r.model_meta = &model->meta;
    r.model_name = *rd::cli::model_option(args);
    r.model_id = model->digest;
  }
  if (args.count("range")) r.range = args["range"].as<std::string>();
  const std::string normalize = args["normalize"].as<std::string>();
  if (normalize != "fixed" && normalize != "per-image")
    throw rd::UsageError(fmt::format("unknown --normalize '{}'; expected fixed or per-image", normalize));
  r.per_image = normalize == "per-image";
  return r;
}

}  // namespace

int main(int argc, char** argv) {
  const rd::MapToolOptions d;
  cxxopts::Options options("rd-map", kDescription);
  options.add_options()("o,out", "Directory for the overlays (created if missing)", cxxopts::value<std::string>());
  rd::cli::add_model_option(options, "Model file (.rdm): computes maps for records without \"map\"; its validation "
                                     "pixel statistics set the colour scale");
  options.add_options()
      ("t,threshold", "Pixel threshold file (rd-threshold fit --pixel): the contour, and the colour scale",
       cxxopts::value<std::string>())
      ("range", "Colour scale LO,HI instead of the threshold's", cxxopts::value<std::string>())
      ("normalize", "fixed (one scale for all images) or per-image (each map's own min to max: colours are "
                    "not comparable across images)", cxxopts::value<std::string>()->default_value("fixed"))
      ("colormap", "jet, turbo or inferno", cxxopts::value<std::string>()->default_value("jet"))
      ("alpha", "Weight of the colours over the image, 0-1", cxxopts::value<double>()->default_value(fmt::format("{}", d.overlay.alpha)))
      ("contour-width", "Contour width in pixels (0: one per 300 pixels of the shorter side)",
       cxxopts::value<int>()->default_value(std::to_string(d.overlay.contour_width)))
      ("panel", "Original | overlay | ground-truth mask, side by side")
      ("no-legend", "No band with the score and colour bar: the overlay has exactly the image's size")
      ("format", "png or jpg", cxxopts::value<std::string>()->default_value(d.format))
      ("quality", "JPEG quality, 1-100", cxxopts::value<int>()->default_value(std::to_string(d.quality)))
      ("mvtec-ad2", "Instead of overlays, write MVTec AD 2's submission in DIR: each map at its image's size as a "
                    "float16 TIFF, and thresholded at the pixel threshold as a 0/255 PNG",
       cxxopts::value<std::string>(), "DIR");
  rd::cli::add_precision_option(options);
  rd::cli::add_image_input_options(options, "[RECORDS.jsonl... | -]", "JSON-lines files ('-' or none: stdin)",
                                   "Plain paths on the input are NUL-separated (find -print0)", d.max_pixels);
  rd::cli::add_common_options(options, true);

  return rd::cli::run_tool("rd-map", options, argc, argv, [&](const cxxopts::ParseResult& args) {
    const auto c = rd::cli::read_common("rd-map", args);
    std::ios::sync_with_stdio(false);
    rd::MapToolOptions o;
    if (args.count("out")) o.out_dir = args["out"].as<std::string>();
    if (args.count("mvtec-ad2")) o.mvtec_ad2_dir = args["mvtec-ad2"].as<std::string>();
    o.format = args["format"].as<std::string>();
    o.quality = args["quality"].as<int>();
    const rd::cli::ImageInputs in = rd::cli::image_input_options(args);
    o.max_pixels = in.max_pixels;
    o.overlay.colormap = rd::parse_colormap(args["colormap"].as<std::string>());
    o.overlay.alpha = args["alpha"].as<double>();
    o.overlay.contour_width = args["contour-width"].as<int>();
    o.overlay.panel = args.count("panel") > 0;
    o.overlay.legend = args.count("no-legend") == 0;
    rd::check_map_tool_options(o);

    std::string model_path;
    std::optional<rd::ModelFileContents> model;
    const std::string precision = rd::cli::precision_option(args);
    if (precision != "fp32") rd::parse_precision(precision, c.device.rfind("cuda", 0) != 0);  // now, not at the first map
    if (auto path = rd::cli::model_option(args)) {
      model_path = *path;
      model = rd::read_model_file(model_path);
      model->tensors = {};  // only the metadata is needed here; the map computer loads its own
    }
    const rd::ResolvedScale scale = rd::resolve_scale(scale_request(args, model ? &*model : nullptr));
    o.scale = scale.scale;
    o.model_id = scale.model_id;
    rd::cli::info(c, scale.description);
    const std::string& out_dir = o.mvtec_ad2_dir.empty() ? o.out_dir : o.mvtec_ad2_dir;
    std::error_code ec;
    std::filesystem::create_directories(out_dir, ec);
    if (ec) throw rd::UsageError(fmt::format("cannot create the output directory '{}': {}", out_dir, ec.message()));

    rd::cli::RecordWriter out;
    rd::cli::Progress bar(c.show_progress(), "images");
    const auto& stop = rd::cli::install_stop_handlers();  // also ignores SIGPIPE: `| head` ends quietly
    rd::cli::MapComputer computer;  // loaded at the first record without a map
    rd::MapToolCallbacks cb;
    cb.emit = [&](const rd::RecordFields& r) {
      out.write(r);
      out.flush();
    };
    cb.report = [&](const std::string& m) {
      bar.finish();
      rd::cli::error(c, m);
    };
    if (model)
      cb.compute_map = [&](const std::string& image) {
        if (!computer) computer = rd::cli::load_map_computer(model_path, c.device, c.threads, precision);
        return computer(image);
      };
    cb.progress = [&](std::size_t done) { bar.update(int64_t(done), 0, "drawing"); };
    cb.should_stop = [&] { return stop.load() != 0; };

    rd::MapTool tool(o, cb);
    rd::cli::for_each_input(in.inputs, "pipe records from rd-score on stdin, or give JSON-lines files",
                            [&](std::istream& stream, const std::string& name) {
                              return tool.read(stream, name, in.nul);
                            });
    out.flush();
    bar.finish();
    const rd::MapToolCounts& n = tool.counts();
    rd::cli::info(c, fmt::format("{} drawn, {} failed, {} came with an error", n.drawn, n.failed, n.upstream));
    if (stop.load()) return int(rd::kExitInterrupted) + stop.load();
    return int(n.failed || n.upstream ? rd::kExitSomeFailed : rd::kExitOk);
  });
}
