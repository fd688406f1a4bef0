// rd-report: one HTML page a person reads after a run: counts, scores against the model's
// validation scores, a drift verdict, metrics, pictures and every record (DESIGN §2).
#include <fmt/format.h>

#include "cli/common.h"
#include "cli/exit_status.h"
#include "cli/option_groups.h"
#include "cli/progress.h"
#include "cli/streams.h"
#include "draw/map_tool.h"
#include "errors.h"
#include "eval/threshold.h"
#include "io/model_file.h"
#include "report/report.h"

namespace {

constexpr const char* kDescription =
    "Make one self-contained HTML page of scored records (rd-score, rd-threshold apply or rd-map output,\n"
    "errors included): counts, the score histogram against the model's validation scores, a drift verdict,\n"
    "metrics and curves when the records have labels, a gallery of the highest scores (false positives and\n"
    "negatives first) and a sortable table of every record. Pictures are linked relative to the page, or\n"
    "embedded with --embed; pictures the page draws go to <page>_files/ beside it. Runs no network.\n"
    "Exit status: 0 done, 1 drift with --fail-on-drift (before 4), 2 usage error or records of another\n"
    "model than -m or -t, 3 fatal error (model file, writing), 4 done but some records are errors.";

// The maps' colour scale, as rd-map makes it from --pixel-threshold and the model's validation
// pixel statistics; none (maps not drawn) when neither can give one and none was asked for.
std::optional<rd::ColourScale> colour_scale(const cxxopts::ParseResult& args, const std::optional<rd::ReportModel>& model,
                                            const rd::cli::Common& c) {
  rd::ScaleRequest r;
  if (args.count("pixel-threshold")) r.threshold_file = args["pixel-threshold"].as<std::string>();
  if (model) {
    r.model_meta = &model->meta;
    r.model_name = model->path;
    r.model_id = model->id;
  }
  if (r.threshold_file.empty() && !model) return std::nullopt;
  try {
    const rd::ResolvedScale s = rd::resolve_scale(r);
    rd::cli::info(c, s.description);
    return s.scale;
  } catch (const rd::UsageError& e) {
    if (!r.threshold_file.empty()) throw;
    rd::cli::warn(c, fmt::format("{}; maps are not drawn (records with an \"overlay\" show it)", e.what()));
    return std::nullopt;
  }
}

}  // namespace

int main(int argc, char** argv) {
  const rd::ReportOptions d;
  cxxopts::Options options("rd-report", kDescription);
  options.add_options()
      ("o,output", "The HTML page to write (its drawn pictures go to <stem>_files/ beside it)", cxxopts::value<std::string>());
  rd::cli::add_model_option(options, "Model file (.rdm) the records were scored with: its metadata, validation scores "
                                     "(drift) and validation pixel statistics (the maps' colour scale); tensors are "
                                     "not read");
  options.add_options()
      ("t,threshold", "Image threshold file (rd-threshold fit): decides every record (score >= threshold) instead of "
                      "the records' own \"anomalous\"", cxxopts::value<std::string>())
      ("pixel-threshold", "Pixel threshold file (rd-threshold fit --pixel): the maps' colour scale and contour, as "
                          "rd-map -t", cxxopts::value<std::string>())
      ("colormap", "Colour map of drawn maps: jet, turbo or inferno", cxxopts::value<std::string>()->default_value("jet"))
      ("title", "The page's title", cxxopts::value<std::string>()->default_value(d.title))
      ("gallery", "Pictures in the gallery", cxxopts::value<std::size_t>()->default_value(std::to_string(d.gallery)))
      ("embed", "Embed the pictures in the page (JPEG, at most 480 px wide: about 20-60 kB each) instead of linking "
                "them, so the page alone is the report")
      ("embed-limit", "With --embed: megabytes of embedded pictures at most; later ones are linked",
       cxxopts::value<double>()->default_value(fmt::format("{}", double(d.embed_limit) / (1 << 20))))
      ("json", "Print the report's numbers (counts, drift, metrics) as one JSON object on stdout")
      ("fail-on-drift", "Exit 1 when the run has drifted from the model's validation scores (a CI or cron gate)")
      ("false-alarm-rate", "Chance that a run without drift is called drift",
       cxxopts::value<double>()->default_value(fmt::format("{}", d.drift.false_alarm_rate)))
      ("outlier-share", "Share of the run that may differ from the validation scores (anomalies) without being drift",
       cxxopts::value<double>()->default_value(fmt::format("{}", d.drift.outlier_share)))
      ("precision-tolerance", "Relative score change allowed for records scored at another precision than the "
                              "validation scores (default: 0.01 for bf16, 0.04 for int8)", cxxopts::value<double>())
      ("no-pixel", "No pixel metrics, even when the records have maps and masks (no map is read for them)")
      ("max-pixels", "Refuse images larger than this",
       cxxopts::value<int64_t>()->default_value(std::to_string(d.max_pixels)));
  rd::cli::add_record_input_options(options);
  rd::cli::add_common_options(options, false);

  return rd::cli::run_tool("rd-report", options, argc, argv, [&](const cxxopts::ParseResult& args) {
    rd::cli::ignore_sigpipe();
    const auto c = rd::cli::read_common("rd-report", args);
    rd::ReportOptions o;
    if (args.count("output")) o.output = args["output"].as<std::string>();
    const bool json = args.count("json") > 0;
    if (o.output.empty() && !json) throw rd::UsageError("give -o PAGE.html, --json, or both");
    if (o.output == "-")
      throw rd::UsageError("-o needs a file name: the page's pictures go to a folder beside it (--json prints the "
                           "numbers on stdout)");
    o.title = args["title"].as<std::string>();
    o.gallery = args["gallery"].as<std::size_t>();
    o.embed = args.count("embed") > 0;
    const double limit = args["embed-limit"].as<double>();
    if (!(limit >= 0)) throw rd::UsageError(fmt::format("--embed-limit must be 0 or more, got {}", limit));
    o.embed_limit = std::size_t(limit * (1 << 20));
    o.drift.false_alarm_rate = args["false-alarm-rate"].as<double>();
    o.drift.outlier_share = args["outlier-share"].as<double>();
    if (args.count("precision-tolerance")) o.precision_tolerance = args["precision-tolerance"].as<double>();
    o.pixel = !args.count("no-pixel");
    o.max_pixels = args["max-pixels"].as<int64_t>();
    o.overlay.colormap = rd::parse_colormap(args["colormap"].as<std::string>());
    if (auto path = rd::cli::model_option(args)) {
      const rd::ModelFileContents m = rd::read_model_metadata(*path);
      o.model = rd::ReportModel{*path, m.digest, m.meta};
    }
    if (args.count("threshold")) {
      o.threshold_source = args["threshold"].as<std::string>();
      o.threshold = rd::read_threshold_file(o.threshold_source);
    }
    o.scale = colour_scale(args, o.model, c);
    const std::vector<std::string> inputs = rd::cli::record_input_options(args);

    rd::cli::Progress bar(c.show_progress(), "pictures");
    rd::ReportCallbacks cb;
    cb.warn = [&](const std::string& m) { bar.finish(); rd::cli::warn(c, m); };
    cb.progress = [&](std::size_t done, std::size_t total) { bar.update(int64_t(done), int64_t(total)); };
    rd::Reporter reporter(o, cb);
    rd::cli::for_each_input(inputs, "give JSON-lines files of scored records, or pipe them on stdin",
                            [&](std::istream& in, const std::string& name) {
                              reporter.read(in, name);
                              return true;
                            });
    const rd::ReportSummary summary = reporter.finish();
    bar.finish();
    if (json) rd::cli::write_stdout(summary.json.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace) + "\n");
    const rd::ReportCounts& n = summary.counts;
    rd::cli::info(c, fmt::format("{} records: {} scored, {} errors, {} anomalous; drift: {}", n.records, n.scored, n.errors,
                                 n.anomalous, rd::drift_verdict_text(summary.drift.verdict)));
    if (!o.output.empty()) rd::cli::info(c, fmt::format("wrote '{}'", o.output));
    if (summary.drift.verdict == rd::DriftVerdict::drift) {
      rd::cli::warn(c, fmt::format("drift: the run's scores are {} than the model's validation scores (p = {:.3g})",
                                   summary.drift.direction, summary.drift.p_value));
      if (args.count("fail-on-drift")) return int(rd::kExitAnomaly);
    }
    return int(n.errors ? rd::kExitSomeFailed : rd::kExitOk);
  });
}
