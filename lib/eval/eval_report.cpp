#include "eval/eval_report.h"

#include <algorithm>

#include <fmt/format.h>

#include "errors.h"

namespace rd {
namespace {

nlohmann::ordered_json group_json(const GroupMetrics& g, const EvalOptions& options,
                                  nlohmann::ordered_json counts) {
  nlohmann::ordered_json j;
  if (g.pixel) {
    counts["pixel_images"] = g.pixel->images;
    counts["regions"] = g.pixel->regions;
  }
  j["counts"] = std::move(counts);
  j["image_auroc"] = g.image.auroc;
  j["average_precision"] = g.image.average_precision;
  j["f1_max"] = {{"value", g.image.f1.f1},
                 {"threshold", g.image.f1.threshold},
                 {"precision", g.image.f1.precision},
                 {"recall", g.image.f1.recall}};
  if (g.pixel) {
    j["pixel_auroc"] = g.pixel->auroc;
    j["aupro"] = g.pixel->aupro;
    j["pro_mode"] = pro_mode_name(options.pro_mode);
    j["fpr_limit"] = options.fpr_limit;
    j["pixel_average_precision"] = g.pixel->average_precision;
    if (g.pixel->passes)
      j["pixel_streamed"] = {{"passes", g.pixel->passes}, {"error_bound", g.pixel->error_bound}};
  }
  return j;
}

std::vector<const GroupMetrics*> groups(const EvalReport& r) {
  std::vector<const GroupMetrics*> out{&r.overall};
  for (const auto& g : r.by_defect) out.push_back(&g);
  return out;
}

bool any_pixel(const EvalReport& r) {
  const auto all = groups(r);
  return std::any_of(all.begin(), all.end(), [](const GroupMetrics* g) { return g->pixel.has_value(); });
}

// Rows of text cells for table and markdown: a header, then one row per group.
std::vector<std::vector<std::string>> text_rows(const EvalReport& r) {
  const bool pixel = any_pixel(r);
  std::vector<std::vector<std::string>> rows;
  rows.push_back({"group", "normal", "anomalous", "image_auroc", "avg_precision", "f1_max", "f1_threshold"});
  if (pixel) rows[0].insert(rows[0].end(), {"pixel_auroc", "aupro", "pixel_ap"});
  for (const GroupMetrics* g : groups(r)) {
    std::vector<std::string> row{g->name,
                                 std::to_string(g->image.normal),
                                 std::to_string(g->image.anomalous),
                                 fmt::format("{:.4f}", g->image.auroc),
                                 fmt::format("{:.4f}", g->image.average_precision),
                                 fmt::format("{:.4f}", g->image.f1.f1),
                                 fmt::format("{:.6g}", g->image.f1.threshold)};
    if (pixel) {
      row.push_back(g->pixel ? fmt::format("{:.4f}", g->pixel->auroc) : "-");
      row.push_back(g->pixel ? fmt::format("{:.4f}", g->pixel->aupro) : "-");
      row.push_back(g->pixel ? fmt::format("{:.4f}", g->pixel->average_precision) : "-");
    }
    rows.push_back(std::move(row));
  }
  return rows;
}

std::string footer(const EvalReport& r) {
  std::string text = fmt::format("{} records: {} normal, {} anomalous, {} skipped with an error, {} unlabelled",
                                 r.counts.records, r.counts.normal, r.counts.anomalous, r.counts.skipped_error,
                                 r.counts.skipped_unlabelled);
  if (r.overall.pixel) {
    text += fmt::format("\npixel metrics: {} images, {} regions, AUPRO {} (FPR limit {})", r.overall.pixel->images,
                        r.overall.pixel->regions, pro_mode_name(r.options.pro_mode), r.options.fpr_limit);
    if (r.overall.pixel->passes)
      text += fmt::format("; streamed in {} passes over the maps, error below {:.1e}", r.overall.pixel->passes,
                          std::max(r.overall.pixel->error_bound, 1e-12));
  }
  return text + "\n";
}

std::string format_table(const EvalReport& r) {
  const auto rows = text_rows(r);
  std::vector<std::size_t> width(rows[0].size(), 0);
  for (const auto& row : rows)
    for (std::size_t c = 0; c < row.size(); ++c) width[c] = std::max(width[c], row[c].size());
  std::string out;
  for (const auto& row : rows) {
    std::string line;
    for (std::size_t c = 0; c < row.size(); ++c) {
      if (c) line += "  ";
      line += c == 0 ? fmt::format("{:<{}}", row[c], width[c]) : fmt::format("{:>{}}", row[c], width[c]);
    }
    out += line + "\n";
  }
  return out + footer(r);
}

std::string markdown_cell(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '|') out += '\\';
    out += (c == '\n' || c == '\r') ? ' ' : c;
  }
  return out;
}

std::string format_markdown(const EvalReport& r) {
  const auto rows = text_rows(r);
  std::string out;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    out += "|";
    for (const auto& cell : rows[i]) out += " " + markdown_cell(cell) + " |";
    out += "\n";
    if (i == 0) {
      out += "|";
      for (std::size_t c = 0; c < rows[0].size(); ++c) out += c == 0 ? " --- |" : " ---: |";
      out += "\n";
    }
  }
  return out + "\n" + footer(r);
}

std::string format_csv(const EvalReport& r) {
  std::string out =
      "group,normal,anomalous,image_auroc,average_precision,f1_max,f1_threshold,f1_precision,f1_recall,"
      "pixel_auroc,aupro,pixel_images,regions,skipped_error,skipped_unlabelled,pixel_average_precision\n";
  for (const GroupMetrics* g : groups(r)) {
    const auto& m = g->image;
    out += fmt::format("{},{},{},{},{},{},{},{},{},", detail::csv_cell(g->name), m.normal, m.anomalous, m.auroc,
                       m.average_precision, m.f1.f1, m.f1.threshold, m.f1.precision, m.f1.recall);
    out += g->pixel ? fmt::format("{},{},{},{},", g->pixel->auroc, g->pixel->aupro, g->pixel->images,
                                  g->pixel->regions)
                    : std::string(",,,,");
    out += g == &r.overall ? fmt::format("{},{},", r.counts.skipped_error, r.counts.skipped_unlabelled)
                           : std::string(",,");
    out += g->pixel ? fmt::format("{}\n", g->pixel->average_precision) : std::string("\n");
  }
  return out;
}

}  // namespace

ReportFormat parse_report_format(const std::string& text) {
  if (text == "json") return ReportFormat::json;
  if (text == "table") return ReportFormat::table;
  if (text == "csv") return ReportFormat::csv;
  if (text == "markdown") return ReportFormat::markdown;
  throw UsageError(fmt::format("bad format '{}'; expected json, table, csv or markdown", text));
}

nlohmann::ordered_json report_to_json(const EvalReport& r) {
  nlohmann::ordered_json counts = {{"records", r.counts.records},
                                   {"normal", r.counts.normal},
                                   {"anomalous", r.counts.anomalous},
                                   {"skipped_error", r.counts.skipped_error},
                                   {"skipped_unlabelled", r.counts.skipped_unlabelled}};
  nlohmann::ordered_json j = group_json(r.overall, r.options, std::move(counts));
  if (r.options.by_defect) {
    j["by_defect"] = nlohmann::ordered_json::object();
    for (const auto& g : r.by_defect) {
      j["by_defect"][g.name] =
          group_json(g, r.options, {{"normal", g.image.normal}, {"anomalous", g.image.anomalous}});
    }
  }
  return j;
}

std::string format_report(const EvalReport& report, ReportFormat format) {
  switch (format) {
    case ReportFormat::table: return format_table(report);
    case ReportFormat::csv: return format_csv(report);
    case ReportFormat::markdown: return format_markdown(report);
    case ReportFormat::json: break;
  }
  return report_to_json(report).dump() + "\n";
}

namespace detail {

std::string csv_cell(const std::string& text) {
  if (text.find_first_of(",\"\r\n") == std::string::npos) return text;
  std::string out = "\"";
  for (char c : text) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

}  // namespace detail
}  // namespace rd
