// rd-threshold: fit a threshold on scores (fit) and turn scores into pass/fail (apply) (DESIGN §5).
#include <iostream>

#include <fmt/format.h>

#include "cli/common.h"
#include "cli/exit_status.h"
#include "cli/option_groups.h"
#include "cli/output.h"
#include "cli/streams.h"
#include "errors.h"
#include "eval/threshold_tool.h"
#include "io/model_file.h"

namespace {

constexpr const char* kUsage =
    "Fit a threshold on anomaly scores, or apply one to scored records.\n"
    "Usage:\n"
    "  rd-threshold fit --method percentile:P|sigma:K|fpr:F|f1 [--pixel] [-m MODEL] [-o FILE] [INPUT...]\n"
    "  rd-threshold apply -t FILE [--fail-on-anomaly] [--force] [-m MODEL] [INPUT...]\n"
    "'rd-threshold fit --help' and 'rd-threshold apply --help' list the options.\n";

int fit(int argc, char** argv) {
  cxxopts::Options options("rd-threshold fit",
                           "Fit a threshold on score records (JSON lines) or on a model's validation statistics, and\n"
                           "write the threshold file. percentile, sigma and fpr use the normal records (label 0 or\n"
                           "none); f1 needs labelled records. With --pixel, the pixels of the records' maps.");
  options.add_options()
      ("method", "percentile:P (0-100), sigma:K (mean + K std), fpr:F (flag at most F of the normal "
                 "scores) or f1 (best F1 on labelled scores)", cxxopts::value<std::string>())
      ("pixel", "Fit a threshold for anomaly-map pixels on the records' \"map\" (and \"mask\" for f1)");
  rd::cli::add_model_option(options, "The model the scores come from; the threshold file names it");
  options.add_options()
      ("from-model", "Fit on the validation statistics stored in -m MODEL (rd-train --val); the default "
                     "with -m and nothing on stdin")
      ("o,output", "Threshold file to write (default: stdout)", cxxopts::value<std::string>());
  rd::cli::add_record_input_options(options);
  rd::cli::add_common_options(options, false);

  return rd::cli::run_tool("rd-threshold", options, argc, argv, [&](const cxxopts::ParseResult& args) {
    rd::cli::ignore_sigpipe();
    const auto c = rd::cli::read_common("rd-threshold", args);
    if (!args.count("method")) throw rd::UsageError("fit: missing --method (percentile:P, sigma:K, fpr:F or f1)");
    const rd::ThresholdMethod method = rd::parse_threshold_method(args["method"].as<std::string>());
    const bool pixel = args.count("pixel") > 0;
    const auto inputs = rd::cli::record_input_options(args);
    const auto model_path = rd::cli::model_option(args);
    std::optional<rd::ModelFileContents> model;
    if (model_path) model = rd::read_model_file(*model_path);
    const bool from_model = args.count("from-model") || (model && inputs.empty() && rd::cli::stdin_is_terminal());
    if (from_model && !model) throw rd::UsageError("--from-model needs -m MODEL");
    if (from_model && !inputs.empty()) throw rd::UsageError("--from-model reads no records; leave out the inputs");

    rd::ThresholdFit result;
    int status = rd::kExitOk;
    if (from_model) {
      result = rd::fit_from_validation(model->meta, method, pixel, model->digest, *model_path);
    } else {
      rd::FitOptions o;
      o.method = method;
      o.pixel = pixel;
      if (model) o.model_id = model->digest;
      rd::ThresholdFitter fitter(o, [&](const std::string& m) { rd::cli::warn(c, m); });
      rd::cli::for_each_input(inputs, "give JSON-lines files of scored records, pipe them on stdin, or use "
                                      "-m MODEL --from-model", [&](std::istream& in, const std::string& name) {
                                        fitter.read(in, name);
                                        return true;
                                                });
      const rd::FitResult r = fitter.finish();
      result = r.fit;
      if (r.counts.skipped_error) status = rd::kExitSomeFailed;
    }
    if (!result.model_id)
      rd::cli::warn(c, "the threshold names no model (give -m MODEL, or records with \"model\"); apply cannot "
                       "check that it belongs to the scores");
    rd::cli::info(c, fmt::format("{} on {} {}: threshold {}", result.method, result.count,
                                 pixel ? "pixels" : "scores", result.value));
    if (args.count("output")) {
      rd::write_threshold_file(args["output"].as<std::string>(), result);
    } else {
      rd::cli::write_stdout(rd::threshold_to_json(result).dump() + "\n");
    }
    return status;
  });
}

int apply(int argc, char** argv) {
  cxxopts::Options options("rd-threshold apply",
                           "Add \"anomalous\" (score >= threshold) and \"threshold\" to every record with a \"score\";\n"
                           "pass all other fields and records through unchanged. Exit status: 0, 1 with\n"
                           "--fail-on-anomaly when a record is anomalous, 2 threshold of another model, 4 some\n"
                           "records carry an \"error\".");
  options.add_options()
      ("t,threshold", "Threshold file written by 'rd-threshold fit'", cxxopts::value<std::string>())
      ("fail-on-anomaly", "Exit 1 when any record is anomalous (after writing all records): a CI gate")
      ("force", "Apply the threshold even to scores of another model than it was fitted for");
  rd::cli::add_model_option(options, "The model the scores come from, checked against the threshold file");
  rd::cli::add_record_input_options(options);
  rd::cli::add_common_options(options, false);

  return rd::cli::run_tool("rd-threshold", options, argc, argv, [&](const cxxopts::ParseResult& args) {
    rd::cli::ignore_sigpipe();
    std::ios::sync_with_stdio(false);  // buffered stdin, so that records are flushed only when it waits
    const auto c = rd::cli::read_common("rd-threshold", args);
    if (!args.count("threshold")) throw rd::UsageError("apply: missing -t/--threshold FILE");
    rd::ApplyOptions o;
    o.threshold_source = args["threshold"].as<std::string>();
    o.threshold = rd::read_threshold_file(o.threshold_source);
    o.force = args.count("force") > 0;
    if (auto path = rd::cli::model_option(args)) o.model_id = rd::read_model_file(*path).digest;
    rd::ThresholdApplier applier(o, [&](const std::string& m) { rd::cli::warn(c, m); });
    rd::cli::RecordWriter out;
    rd::cli::for_each_input(rd::cli::record_input_options(args), "give JSON-lines files of scored records, or pipe them on stdin",
                            [&](std::istream& in, const std::string& name) {
                              applier.apply(
                                  in, name, [&](const rd::RecordFields& r) { out.write(r); }, [&] { out.flush(); });
                              return true;
                            });
    out.flush();
    const rd::ApplyCounts& n = applier.counts();
    if (n.no_score) rd::cli::warn(c, fmt::format("{} records have no score; passed through undecided", n.no_score));
    rd::cli::info(c, fmt::format("{} records, {} anomalous (score >= {})", n.records, n.anomalous, o.threshold.value));
    if (args.count("fail-on-anomaly") && n.anomalous) {
      rd::cli::warn(c, fmt::format("{} of {} records are anomalous (score >= {})", n.anomalous, n.decided,
                                   o.threshold.value));
      return int(rd::kExitAnomaly);
    }
    return int(n.errors ? rd::kExitSomeFailed : rd::kExitOk);
  });
}

}  // namespace

int main(int argc, char** argv) {
  const std::string command = argc > 1 ? argv[1] : "";
  if (command == "fit") return fit(argc - 1, argv + 1);
  if (command == "apply") return apply(argc - 1, argv + 1);
  if (command == "-h" || command == "--help") {
    std::cout << kUsage;
    return rd::kExitOk;
  }
  if (command == "--version") {
    std::cout << "rd-threshold " << RD_VERSION << "\n";
    return rd::kExitOk;
  }
  std::cerr << (command.empty() ? std::string("rd-threshold: missing command")
                                : fmt::format("rd-threshold: unknown command '{}'", command))
            << "; expected fit or apply (try 'rd-threshold --help')\n";
  return rd::kExitUsage;
}
