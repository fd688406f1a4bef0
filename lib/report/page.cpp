#include "report/page.h"

#include <algorithm>
#include <filesystem>
#include <map>

#include <fmt/format.h>

#include "errors.h"
#include "eval/eval_report.h"
#include "io/atomic_file.h"
#include "io/sha256.h"
#include "report/charts.h"
#include "report/html.h"
#include "report/pictures.h"

namespace rd {
namespace {

std::string number(double v) { return fmt::format("{:.5g}", v); }
std::string percent(double share) { return fmt::format("{:.1f} %", share * 100); }

std::string decision_badge(const ReportEntry& e) {
  if (!e.anomalous) return "<span class=\"badge\">undecided</span>";
  return *e.anomalous ? "<span class=\"badge anomalous\">ANOMALOUS</span>" : "<span class=\"badge ok\">ok</span>";
}

// "fp", "fn" or "" for a labelled, decided record.
std::string wrong(const ReportEntry& e) {
  if (e.label == 0 && e.anomalous == true) return "fp";
  if (e.label == 1 && e.anomalous == false) return "fn";
  return "";
}

std::string fact(const std::string& term, const std::string& escaped_value) {
  return fmt::format("<dt>{}</dt><dd>{}</dd>\n", html_escape(term), escaped_value);
}

std::string json_text(const nlohmann::ordered_json& v) {
  return v.is_string() ? v.get<std::string>() : v.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

std::string header_section(const PageContent& c) {
  const ReportOptions& o = *c.options;
  const auto& s = *c.summary;
  const ReportCounts& n = c.counts;
  std::string h = fmt::format("<header id=\"summary\">\n<h1>{}</h1>\n<p class=\"made\">Made {} by rd-report {} from {} "
                              "record{}.</p>\n<dl class=\"facts\">\n",
                              html_escape(o.title), html_escape(o.made), RD_VERSION, n.records, n.records == 1 ? "" : "s");
  const auto& model = s["model"];
  const std::string from = o.model ? "" : " <span class=\"note\">(from the records; give -m MODEL for more)</span>";
  h += fact("model", model["id"].is_null() ? "unknown" : "<code>" + html_escape(json_text(model["id"])) + "</code>" + from);
  if (o.model) {
    h += fact("model file", html_escape(o.model->path));
    for (const char* key : {"method", "backbone", "image_size", "tiling"})
      if (model.contains(key)) h += fact(key == std::string("image_size") ? "image size" : key, html_escape(json_text(model[key])));
    if (!model.contains("tiling")) h += fact("tiling", "none");
  }
  std::string precisions;
  for (const auto& [name, count] : s["precisions"].items())
    precisions += fmt::format("{}{} ({})", precisions.empty() ? "" : ", ", html_escape(name), count.get<std::size_t>());
  h += fact("precision", precisions.empty() ? "—" : precisions);
  const auto& t = s["threshold"];
  std::string threshold = "none (the records carry no decisions; give -t FILE)";
  if (t["value"].is_number())
    threshold = fmt::format("{} <span class=\"note\">({})</span>", number(t["value"].get<double>()),
                            t["source"] == "records" ? "from the records" : "from " + html_escape(json_text(t["source"])));
  else if (t.contains("values"))
    threshold = fmt::format("{} different thresholds in the records", t["values"].size());
  h += fact("threshold", threshold);
  h += "</dl>\n<ul class=\"counts\">\n";
  const auto count = [&](std::size_t value, const char* what, bool bad = false) {
    h += fmt::format("<li{}><b>{}</b>{}</li>\n", bad && value ? " class=\"bad\"" : "", value, what);
  };
  count(n.records, "records");
  count(n.scored, "scored");
  count(n.errors, "errors", true);
  count(n.anomalous, "anomalous", true);
  count(n.normal, "normal");
  if (n.undecided) count(n.undecided, "undecided");
  if (n.labelled_normal + n.labelled_anomalous) {
    count(n.labelled_anomalous, "labelled anomalous");
    count(n.false_positives, "false positives", true);
    count(n.false_negatives, "false negatives", true);
  }
  return h + "</ul>\n</header>\n";
}

std::string drift_section(const PageContent& c) {
  const DriftResult& d = *c.drift;
  const std::string basis = c.counts.labelled_normal + c.counts.labelled_anomalous ? "labelled-normal" : "scored";
  std::string h = "<section id=\"drift\">\n<h2>Drift</h2>\n";
  if (d.verdict == DriftVerdict::drift) {
    h += fmt::format("<div class=\"verdict bad\" data-verdict=\"drift\"><strong>Drift: this run's scores are {} than "
                     "the model's validation scores.</strong>The images no longer look like the ones the model was "
                     "checked on (camera, light, product?): scores and decisions may be off.</div>\n",
                     d.direction);
  } else if (d.verdict == DriftVerdict::no_drift) {
    h += "<div class=\"verdict good\" data-verdict=\"no_drift\"><strong>No drift: this run's scores look like the "
         "model's validation scores.</strong></div>\n";
  } else {
    h += fmt::format("<div class=\"verdict unknown\" data-verdict=\"{}\"><strong>Drift not tested: {}.</strong>{}</div>\n",
                     drift_verdict_name(d.verdict), drift_verdict_text(d.verdict), html_escape(c.drift_reason));
  }
  if (d.validation && d.records) {
    h += fmt::format("<p>Of the {} {} records, <b>{}</b> score below the validation median {} (without drift: {} to {}). "
                     "Run median {}{}.",
                     d.records, basis, percent(d.share_below), number(d.validation_median),
                     d.verdict == DriftVerdict::too_few_records ? "?" : percent(d.share_low),
                     d.verdict == DriftVerdict::too_few_records ? "?" : percent(d.share_high), number(d.run_median),
                     d.shift ? fmt::format(", {:+.2f} validation standard deviations from the validation median", *d.shift)
                             : std::string());
    if (d.verdict == DriftVerdict::drift || d.verdict == DriftVerdict::no_drift)
      h += fmt::format(" p = {:.3g} (drift when below {}).", d.p_value, d.options.false_alarm_rate);
    h += "</p>\n<table class=\"numbers\"><tr><th>percentile</th><th>this run</th><th>validation</th></tr>\n";
    for (const DriftQuantile& q : d.quantiles)
      h += fmt::format("<tr><td>{:g}th</td><td>{}</td><td>{}</td></tr>\n", q.level * 100, number(q.run), number(q.validation));
    h += "</table>\n";
  }
  h += fmt::format(
      "<p class=\"note\">How this is decided: the share of the run below the median of the model's {} validation "
      "scores is compared with what a run like the validation images gives (beta-binomial, exact for any score "
      "distribution); up to {:g} % of the run may differ (anomalies) and scores at another precision than the "
      "validation scores get a tolerance. A run without drift is called drift with probability at most {:g}. "
      "The threshold does not enter: all {} records are used, not only those judged normal.</p>\n</section>\n",
      d.validation, d.options.outlier_share * 100, d.options.false_alarm_rate, basis);
  return h;
}

std::string distribution_section(const PageContent& c) {
  std::vector<HistogramSeries> series;
  const bool labelled = c.counts.labelled_normal + c.counts.labelled_anomalous > 0;
  if (labelled) {
    series = {{"normal (label 0)", "s-normal", {}}, {"anomalous (label 1)", "s-anomalous", {}}, {"unlabelled", "s-unlabelled", {}}};
  } else {
    series = {{"this run", "s-run", {}}};
  }
  for (const ReportEntry& e : *c.entries) {
    if (!e.score) continue;
    const std::size_t s = !labelled ? 0 : e.label == 0 ? 0 : e.label == 1 ? 1 : 2;
    series[s].values.push_back(*e.score);
  }
  std::optional<double> median;
  if (!c.validation.empty()) median = c.drift->validation_median;
  std::string h = "<section id=\"distribution\">\n<h2>Scores</h2>\n<div class=\"chart\">" +
                  svg_histogram(series, c.validation, c.threshold, median) + "</div>\n<p class=\"legend-row\">";
  for (const auto& s : series)
    if (!s.values.empty())
      h += fmt::format("<span><i class=\"swatch {}\"></i>{} ({})</span>", s.css_class, html_escape(s.name), s.values.size());
  if (!c.validation.empty())
    h += fmt::format("<span><i class=\"swatch validation\"></i>validation scores of the model ({}), dotted: their "
                     "median</span>", c.validation.size());
  if (c.threshold) h += fmt::format("<span><i class=\"swatch threshold\"></i>threshold {}</span>", number(*c.threshold));
  h += "</p>\n<p class=\"note\">Bars: each bin's share of this run's scores";
  if (!c.validation.empty()) h += "; outline: the share of the validation scores, on the same axes";
  return h + ".</p>\n</section>\n";
}

std::string metrics_row(const GroupMetrics& g) {
  std::string pixel = "<td>—</td><td>—</td>";
  if (g.pixel) pixel = fmt::format("<td>{:.4f}</td><td>{:.4f}</td>", g.pixel->auroc, g.pixel->aupro);
  return fmt::format("<tr><td>{}</td><td>{}</td><td>{}</td><td>{:.4f}</td><td>{:.4f}</td><td>{:.4f} at {}</td>{}</tr>\n",
                     html_escape(g.name), g.image.normal, g.image.anomalous, g.image.auroc, g.image.average_precision,
                     g.image.f1.f1, number(g.image.f1.threshold), pixel);
}

std::string metrics_section(const PageContent& c) {
  if (!c.metrics) {
    if (c.counts.labelled_normal + c.counts.labelled_anomalous == 0) return "";
    return "<section id=\"metrics\">\n<h2>Metrics</h2>\n<p class=\"note\">No metrics: " + html_escape(c.metrics_reason) +
           ".</p>\n</section>\n";
  }
  const EvalReport& r = *c.metrics;
  std::string h = "<section id=\"metrics\">\n<h2>Metrics</h2>\n<table class=\"numbers\">\n<tr><th>defect</th><th>normal</th>"
                  "<th>anomalous</th><th>image AUROC</th><th>AP</th><th>F1-max</th><th>pixel AUROC</th><th>AUPRO</th></tr>\n";
  h += metrics_row(r.overall);
  for (const GroupMetrics& g : r.by_defect) h += metrics_row(g);
  h += fmt::format("</table>\n<p class=\"note\">As rd-eval computes them (each defect against all normal records; AUPRO "
                   "to FPR {:g}, {} mode).</p>\n<div class=\"curves\">\n",
                   r.options.fpr_limit, pro_mode_name(r.options.pro_mode));
  h += svg_curve(r.curves.roc, {"ROC", "false positive rate", "true positive rate",
                                fmt::format("AUROC {:.4f}", r.overall.image.auroc), true, std::nullopt});
  h += svg_curve(r.curves.pr, {"Precision-recall", "recall", "precision",
                               fmt::format("AP {:.4f}", r.overall.image.average_precision), false, std::nullopt});
  if (!r.curves.pro.empty() && r.overall.pixel)
    h += svg_curve(r.curves.pro, {"PRO (pixels)", "false positive rate", "per-region overlap",
                                  fmt::format("AUPRO {:.4f}", r.overall.pixel->aupro), false, r.options.fpr_limit});
  return h + "</div>\n</section>\n";
}

// The gallery's cards; `position` gets each shown record's place among the pictures.
std::string gallery_section(const PageContent& c, PictureMaker& pictures, std::map<std::size_t, std::size_t>& position) {
  const std::vector<ReportEntry>& entries = *c.entries;
  const std::vector<std::size_t> chosen = gallery_entries(entries, c.options->gallery);
  std::string gallery = "<section id=\"gallery\">\n<h2>Highest scores</h2>\n";
  if (c.counts.false_positives + c.counts.false_negatives)
    gallery += "<p class=\"note\">False positives and false negatives come first.</p>\n";
  if (chosen.empty()) gallery += "<p class=\"note\">No scored records.</p>\n";
  gallery += "<div class=\"gallery\">\n";
  for (std::size_t k = 0; k < chosen.size(); ++k) {
    const ReportEntry& e = entries[chosen[k]];
    const Picture p = pictures.gallery(e);
    const std::string w = wrong(e);
    const std::string picture = p.src.empty()
                                    ? fmt::format("<div class=\"nopic\">no picture: {}</div>", html_escape(p.note))
                                    : fmt::format("<img src=\"{}\" alt=\"{}\" loading=\"lazy\" decoding=\"async\">",
                                                  html_escape(p.src), html_escape(p.kind + " of " + e.path));
    if (!p.src.empty()) position[e.index] = k;
    gallery += fmt::format(
        "<figure class=\"card{}{}\" data-index=\"{}\" data-score=\"{}\" data-picture=\"{}\">"
        "<a class=\"pic\" href=\"{}\">{}</a><figcaption><span class=\"path\">{}</span>score <b>{}</b> {}{}{}{}</figcaption>"
        "</figure>\n",
        e.anomalous == true ? " anomalous" : "", w.empty() ? "" : " " + w, e.index, fmt::format("{:.17g}", *e.score),
        html_escape(p.kind), e.path.empty() ? "" : html_escape(pictures.link(e.path)), picture, html_escape(e.path),
        number(*e.score), decision_badge(e),
        w.empty() ? "" : fmt::format(" <span class=\"badge wrong\">{}</span>", w == "fp" ? "false positive" : "false negative"),
        e.label == kNoLabel ? "" : fmt::format(" <span class=\"where\">label {}{}</span>", e.label, e.defect.empty() ? "" : " " + html_escape(e.defect)),
        p.note.empty() || p.src.empty() ? "" : fmt::format(" <span class=\"where\">{}</span>", html_escape(p.note)));
    if (c.progress) c.progress(k + 1, chosen.size());
  }
  return gallery + "</div>\n</section>\n";
}

// The table's frame and its data: one row per record, in its first order (score, highest
// first; errors last); the page's script builds the rows (see kTableScript for the columns).
std::string table_section(const PageContent& c, const PictureMaker& pictures,
                          const std::map<std::size_t, std::size_t>& gallery_position) {
  const std::vector<ReportEntry>& entries = *c.entries;
  std::vector<std::size_t> order(entries.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    if (entries[a].score.has_value() != entries[b].score.has_value()) return entries[a].score.has_value();
    return entries[a].score && *entries[a].score > *entries[b].score;
  });
  nlohmann::ordered_json rows = nlohmann::ordered_json::array();
  const auto null = nlohmann::ordered_json(nullptr);
  for (std::size_t i : order) {
    const ReportEntry& e = entries[i];
    const std::string src = pictures.table_src(e);
    const auto g = gallery_position.find(i);
    rows.push_back({e.index, e.path, e.score ? nlohmann::ordered_json(*e.score) : null,
                    e.anomalous ? nlohmann::ordered_json(*e.anomalous ? 1 : 0) : null,
                    e.label == kNoLabel ? null : nlohmann::ordered_json(e.label), e.defect,
                    e.error.empty() && e.score ? null : nlohmann::ordered_json(e.error.empty() ? "no score" : e.error),
                    src.empty() ? null : nlohmann::ordered_json(src),
                    e.path.empty() ? null : nlohmann::ordered_json(pictures.link(e.path)),
                    g == gallery_position.end() ? null : nlohmann::ordered_json(g->second), wrong(e)});
  }
  const bool labelled = c.counts.labelled_normal + c.counts.labelled_anomalous > 0;
  return fmt::format(
      "<section id=\"records\">\n<h2>All records</h2>\n<div class=\"controls\"><label>Show <select id=\"records-filter\">"
      "<option value=\"all\">all</option><option value=\"anomalous\">anomalous</option><option value=\"normal\">normal"
      "</option><option value=\"errors\">errors</option>{}</select></label><input type=\"search\" id=\"records-search\" "
      "placeholder=\"path contains…\" aria-label=\"filter by path\"><span id=\"records-shown\" class=\"note\"></span></div>\n"
      "<noscript><p class=\"note\">The table needs JavaScript.</p></noscript>\n"
      "<table id=\"records-table\"><thead><tr><th class=\"sortable\" data-key=\"0\">#</th><th class=\"pic\">picture</th>"
      "<th class=\"sortable\" data-key=\"1\">path</th><th class=\"sortable\" data-key=\"2\">score</th><th>decision</th>{}"
      "<th>error</th></tr></thead>\n<tbody id=\"records-body\"></tbody></table>\n<button type=\"button\" id=\"records-more\" "
      "hidden>Show more</button>\n</section>\n<script type=\"application/json\" id=\"rd-data\">{}</script>\n",
      labelled ? "<option value=\"wrong\">false positives and negatives</option>" : "", labelled ? "<th>label</th>" : "",
      script_json({{"rows", rows}, {"labels", labelled}}));
}

}  // namespace

namespace detail {

std::string csp_hash(const std::string& script) {
  Sha256 sha;
  sha.update(script.data(), script.size());
  const std::string hex = sha.hex_digest();
  std::vector<unsigned char> bytes;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2) bytes.push_back(static_cast<unsigned char>(std::stoi(hex.substr(i, 2), nullptr, 16)));
  return "'sha256-" + base64(bytes.data(), bytes.size()) + "'";
}

}  // namespace detail

std::string page_files_dir(const std::string& page) {
  const std::filesystem::path p(page);
  return (p.parent_path() / (p.stem().string() + "_files")).string();
}

std::vector<std::size_t> gallery_entries(const std::vector<ReportEntry>& entries, std::size_t count) {
  std::vector<std::size_t> fp, fn, rest;
  for (const ReportEntry& e : entries) {
    if (!e.score) continue;
    const std::string w = wrong(e);
    (w == "fp" ? fp : w == "fn" ? fn : rest).push_back(e.index);
  }
  const auto by_score = [&](std::size_t a, std::size_t b) {
    return *entries[a].score != *entries[b].score ? *entries[a].score > *entries[b].score : a < b;
  };
  std::vector<std::size_t> out;
  for (auto* group : {&fp, &fn, &rest}) {
    std::sort(group->begin(), group->end(), by_score);
    for (std::size_t i : *group) {
      if (out.size() == count) return out;
      out.push_back(i);
    }
  }
  return out;
}

nlohmann::ordered_json write_report_page(const PageContent& c) {
  const ReportOptions& o = *c.options;
  const std::filesystem::path page(o.output);
  PictureOptions po;
  po.page_dir = page.parent_path().string();
  po.files_dir = page_files_dir(o.output);
  po.files_url = url_encode_path(page.stem().string() + "_files") + "/";
  po.embed = o.embed;
  po.embed_limit = o.embed_limit;
  po.width = o.thumbnail_width;
  po.scale = o.scale;
  po.overlay = o.overlay;
  po.max_pixels = o.max_pixels;
  po.warn = c.warn;
  PictureMaker pictures(po);

  // The gallery first: the table reuses the pictures it made.
  std::map<std::size_t, std::size_t> gallery_position;
  const std::string gallery = gallery_section(c, pictures, gallery_position);
  const std::string table = table_section(c, pictures, gallery_position);

  const std::string error_script = detail::kErrorScript, table_script = detail::kTableScript;
  std::string html = fmt::format(
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; img-src 'self' file: data:; "
      "style-src 'unsafe-inline'; script-src {} {}; base-uri 'none'; form-action 'none'\">\n"
      "<meta name=\"referrer\" content=\"no-referrer\">\n<meta name=\"viewport\" content=\"width=device-width, "
      "initial-scale=1\">\n<meta name=\"generator\" content=\"rd-report {}\">\n<title>{}</title>\n<script>{}</script>\n"
      "<style>{}</style>\n</head>\n<body>\n",
      detail::csp_hash(error_script), detail::csp_hash(table_script), RD_VERSION, html_escape(o.title), error_script,
      detail::kPageStyle);
  html += header_section(c);
  html += drift_section(c);
  html += distribution_section(c);
  html += metrics_section(c);
  html += gallery;
  html += table;
  html += fmt::format("<footer>rd-report {}: pictures {} the page. Numbers as JSON: <code>rd-report --json</code>."
                      "</footer>\n<script>{}</script>\n</body>\n</html>\n",
                      RD_VERSION, o.embed ? "are embedded in" : "are linked from", table_script);
  nlohmann::ordered_json counts = pictures.counts();
  if (!page.parent_path().empty()) {
    std::error_code ec;
    std::filesystem::create_directories(page.parent_path(), ec);
    if (ec) throw RuntimeFailure(fmt::format("cannot make the folder of '{}': {}", o.output, ec.message()));
  }
  write_file_atomically(o.output, [&](std::ostream& out) { out << html; });
  return counts;
}

}  // namespace rd
