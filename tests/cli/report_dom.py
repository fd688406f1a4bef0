"""Reads the DOM a browser dumped (chromium --dump-dom) of an rd-report page and prints what
tests/cli/rd_report_test.sh checks, as one JSON object:

  ready, script_error, blocked, missing   the page's own traces on <html> (see page_assets.cpp)
  scripts                                 number of <script> elements
  gallery      [{index, score, classes, picture, path}] in page order
  rows         [{index, score, path, href, decision, src}] of the table, in page order
  bars, threshold_lines, validation_lines, curves   SVG elements of the charts
  verdict      the drift verdict's data-verdict
  texts        every text node, joined by newlines (to find names shown as text)

Usage: report_dom.py DOM.html
"""
import json
import sys
from html.parser import HTMLParser


class Page(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.out = {"ready": None, "script_error": None, "blocked": None, "missing": None, "scripts": 0,
                    "gallery": [], "rows": [], "bars": 0, "threshold_lines": 0, "validation_lines": 0,
                    "curves": 0, "verdict": None, "texts": []}
        self.stack = []
        self.figure = None
        self.row = None
        self.cell = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        classes = (a.get("class") or "").split()
        o = self.out
        if tag == "html":
            o["ready"] = a.get("data-ready")
            o["script_error"] = a.get("data-script-error")
            o["blocked"] = a.get("data-blocked")
            o["missing"] = a.get("data-missing")
        elif tag == "script":
            o["scripts"] += 1
        elif tag == "figure" and "card" in classes:
            self.figure = {"index": int(a["data-index"]), "score": float(a["data-score"]), "classes": classes,
                           "picture": a.get("data-picture"), "path": "", "src": None}
            o["gallery"].append(self.figure)
        elif tag == "img" and self.figure is not None:
            self.figure["src"] = a.get("src")
        elif tag == "tr" and "data-index" in a:
            self.row = {"index": int(a["data-index"]), "score": float(a["data-score"]) if "data-score" in a else None,
                        "path": "", "href": None, "decision": "", "src": None}
            o["rows"].append(self.row)
        elif tag == "td" and self.row is not None:
            self.cell = classes[0] if classes else ""
        elif tag == "a" and self.row is not None:
            self.row["href"] = a.get("href")
        elif tag == "img" and self.row is not None:
            self.row["src"] = a.get("src")
        elif tag == "rect" and "bar" in classes:
            o["bars"] += 1
        elif tag == "line" and "threshold-line" in classes:
            o["threshold_lines"] += 1
        elif tag == "path" and "validation-line" in classes:
            o["validation_lines"] += 1
        elif tag == "polyline" and "curve" in classes:
            o["curves"] += 1
        elif tag == "div" and "data-verdict" in a:
            o["verdict"] = a["data-verdict"]
        elif tag == "span" and "path" in classes and self.figure is not None:
            self.cell = "figure-path"

    def handle_endtag(self, tag):
        if tag == "figure":
            self.figure = None
        elif tag == "tr":
            self.row = None
        elif tag in ("td", "span"):
            self.cell = None

    def handle_data(self, data):
        self.out["texts"].append(data)
        if self.cell == "figure-path" and self.figure is not None:
            self.figure["path"] += data
        elif self.row is not None and self.cell == "path":
            self.row["path"] += data
        elif self.row is not None and self.cell == "decision":
            self.row["decision"] += data


page = Page()
page.feed(open(sys.argv[1], encoding="utf-8").read())
page.out["texts"] = "\n".join(page.out["texts"])
print(json.dumps(page.out))
