// rd-eval: how good is a model? Image and pixel metrics of labelled score records (DESIGN §5).
#include <fmt/format.h>

#include "cli/common.h"
#include "cli/exit_status.h"
#include "cli/option_groups.h"
#include "cli/progress.h"
#include "cli/streams.h"
#include "draw/curve_plot.h"
#include "errors.h"
#include "eval/eval_report.h"
#include "eval/evaluate.h"

int main(int argc, char** argv) {
  const rd::EvalOptions d;
  cxxopts::Options options(
      "rd-eval",
      "Evaluate labelled anomaly scores (JSON lines with \"score\" and \"label\", as rd-score writes them):\n"
      "image AUROC, average precision and F1-max; with \"map\" and \"mask\" on the records, pixel AUROC,\n"
      "AUPRO and pixel average precision. Records with an \"error\" or without a label are counted, not\n"
      "scored. Exit status: 0 done, 2 bad option or data that cannot be evaluated (a single class), 3 output\n"
      "error, 4 done but some records were skipped for an error.");
  options.add_options()
      ("f,format", "Output: json (one object), table, csv or markdown", cxxopts::value<std::string>()->default_value("json"))
      ("by", "Also give the metrics per group; 'defect': each defect's records against all normal ones",
       cxxopts::value<std::string>())
      ("curves", "Write ROC and precision-recall curves (and pixel ROC and PRO) as CSV and PNG into DIR",
       cxxopts::value<std::string>(), "DIR")
      ("fpr-limit", "AUPRO integrates the PRO curve up to this false positive rate",
       cxxopts::value<double>()->default_value(fmt::format("{}", d.fpr_limit)))
      ("pro-mode", "AUPRO as the MVTec AD evaluation computes it (mvtec) or as the RD4AD paper's code (rd4ad)",
       cxxopts::value<std::string>()->default_value(rd::pro_mode_name(d.pro_mode)))
      ("no-pixel", "Image metrics only, even when the records have maps and masks")
      ("exact-pixels", "Pixel metrics hold every pixel (exact) up to N pixels, and stream over the maps in "
                       "bounded memory beyond (within 2e-5, in two or three passes)",
       cxxopts::value<uint64_t>()->default_value(std::to_string(d.exact_pixel_limit)), "N");
  rd::cli::add_record_input_options(options);
  rd::cli::add_common_options(options, false);

  return rd::cli::run_tool("rd-eval", options, argc, argv, [&](const cxxopts::ParseResult& args) {
    rd::cli::ignore_sigpipe();
    const auto c = rd::cli::read_common("rd-eval", args);
    const rd::ReportFormat format = rd::parse_report_format(args["format"].as<std::string>());
    rd::EvalOptions o;
    o.fpr_limit = args["fpr-limit"].as<double>();
    o.pro_mode = rd::parse_pro_mode(args["pro-mode"].as<std::string>());
    o.pixel = !args.count("no-pixel");
    o.exact_pixel_limit = args["exact-pixels"].as<uint64_t>();
    o.curves = args.count("curves") > 0;
    if (args.count("by")) {
      const auto by = args["by"].as<std::string>();
      if (by != "defect") throw rd::UsageError(fmt::format("--by '{}': only 'defect' is supported", by));
      o.by_defect = true;
    }
    const std::vector<std::string> inputs = rd::cli::record_input_options(args);

    rd::cli::Progress bar(c.show_progress(), "maps");
    rd::EvalCallbacks cb;
    cb.warn = [&](const std::string& m) { bar.finish(); rd::cli::warn(c, m); };
    cb.progress = [&](std::size_t done, std::size_t total) { bar.update(int64_t(done), int64_t(total)); };
    rd::Evaluator evaluator(o, cb);
    rd::cli::for_each_input(inputs, "give JSON-lines files of scored records, or pipe them on stdin",
                            [&](std::istream& in, const std::string& name) {
                              evaluator.read(in, name);
                              return true;
                            });
    const rd::EvalReport report = evaluator.finish();
    bar.finish();
    if (o.curves)
      for (const auto& path : rd::write_curves(report, args["curves"].as<std::string>()))
        rd::cli::info(c, fmt::format("wrote '{}'", path));
    rd::cli::write_stdout(rd::format_report(report, format));
    rd::cli::info(c, fmt::format("{} records: {} normal, {} anomalous, {} skipped with an error, {} unlabelled",
                                 report.counts.records, report.counts.normal, report.counts.anomalous,
                                 report.counts.skipped_error, report.counts.skipped_unlabelled));
    return int(report.counts.skipped_error ? rd::kExitSomeFailed : rd::kExitOk);
  });
}
