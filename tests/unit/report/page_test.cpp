// The page: gallery order, where its pictures go, hostile names kept as text in a written page,
// and a Content Security Policy whose hashes are those of the scripts the page holds.
#include "report/page.h"

#include <doctest/doctest.h>

#include <fstream>
#include <sstream>

#include "report/html.h"
#include "support.h"

namespace {

rd::ReportEntry entry(std::size_t index, std::optional<double> score, int label = rd::kNoLabel,
                      std::optional<bool> anomalous = std::nullopt) {
  rd::ReportEntry e;
  e.index = index;
  e.path = "img" + std::to_string(index) + ".png";
  e.score = score;
  e.label = label;
  e.anomalous = anomalous;
  if (!score) e.error = "cannot decode";
  return e;
}

std::string read_all(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

std::size_t occurrences(const std::string& text, const std::string& needle) {
  std::size_t n = 0;
  for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

}  // namespace

TEST_CASE("the gallery shows false positives, then false negatives, then the highest scores") {
  const std::vector<rd::ReportEntry> entries = {
      entry(0, 0.9, 1, true), entry(1, 0.5, 0, true),  entry(2, 0.2, 1, false), entry(3, std::nullopt),
      entry(4, 0.7),          entry(5, 0.6, 0, true),  entry(6, 0.3, 1, false), entry(7, 0.95)};
  CHECK(rd::gallery_entries(entries, 10) == std::vector<std::size_t>{5, 1, 6, 2, 7, 0, 4});
  CHECK(rd::gallery_entries(entries, 3) == std::vector<std::size_t>{5, 1, 6});
  CHECK(rd::gallery_entries(entries, 0).empty());
}

TEST_CASE("the page's pictures go to <stem>_files beside it") {
  CHECK(rd::page_files_dir("out/report.html") == "out/report_files");
  CHECK(rd::page_files_dir("index.html") == "index_files");
}

TEST_CASE("a written page keeps hostile names as text, and its CSP admits exactly its own scripts") {
  const std::string dir = rd::test::scratch_dir("report-page");
  rd::ReportOptions o;
  o.output = dir + "/report.html";
  o.title = "<b>night</b>";
  o.made = "2026-01-01T00:00:00Z";
  std::vector<rd::ReportEntry> entries = {entry(0, 0.5), entry(1, 0.4), entry(2, std::nullopt)};
  entries[0].path = "<script>alert(1)</script>.png";
  entries[1].path = "a#1 100%?.png";
  entries[2].error = "</script><script>alert(2)</script>";
  const nlohmann::ordered_json summary = {{"model", {{"id", "<i>x</i>"}}}, {"precisions", {{"fp32", 2}}},
                                          {"threshold", {{"value", nullptr}, {"source", nullptr}}}};
  const rd::DriftResult drift;
  rd::PageContent c;
  c.options = &o;
  c.entries = &entries;
  c.counts.records = 3;
  c.counts.scored = 2;
  c.counts.errors = 1;
  c.summary = &summary;
  c.drift = &drift;
  c.drift_reason = "no model";
  rd::write_report_page(c);
  const std::string html = read_all(o.output);

  CHECK(occurrences(html, "<script") == 3);  // the error catcher, the data block, the table's script
  CHECK(occurrences(html, "</script>") == 3);
  CHECK(html.find("alert(1)</script>") == std::string::npos);
  CHECK(html.find("&lt;script&gt;alert(1)&lt;/script&gt;.png") != std::string::npos);  // gallery caption
  CHECK(html.find("\\u003cscript\\u003ealert(1)") != std::string::npos);               // the table's data
  CHECK(html.find("\\u003c/script\\u003e\\u003cscript\\u003ealert(2)") != std::string::npos);
  CHECK(html.find("%3Cscript%3Ealert%281%29%3C/script%3E.png\"") != std::string::npos);  // a link
  CHECK(html.find("a%231%20100%25%3F.png") != std::string::npos);
  CHECK(html.find("<title>&lt;b&gt;night&lt;/b&gt;</title>") != std::string::npos);
  CHECK(html.find("<code>&lt;i&gt;x&lt;/i&gt;</code>") != std::string::npos);

  // Every executable script's text hashes to a source the policy names, and nothing else runs.
  std::size_t at = 0, scripts = 0;
  while ((at = html.find("<script>", at)) != std::string::npos) {
    const std::size_t end = html.find("</script>", at);
    const std::string text = html.substr(at + 8, end - at - 8);
    CHECK(html.find(rd::detail::csp_hash(text)) < html.find("</head>"));
    ++scripts;
    at = end;
  }
  CHECK(scripts == 2);
  CHECK(html.find("default-src 'none'; img-src 'self' file: data:;") != std::string::npos);
}

TEST_CASE("CSP hashes are base64 SHA-256 of the script text") {
  // echo -n "alert(1)" | openssl dgst -sha256 -binary | base64
  CHECK(rd::detail::csp_hash("alert(1)") == "'sha256-bhHHL3z2vDgxUt0W3dWQOrprscmda2Y5pLsLg4GF+pI='");
}
