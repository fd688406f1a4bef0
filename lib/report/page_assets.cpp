// The page's CSS and scripts, kept apart from the code that fills the page. The scripts run
// under a Content Security Policy that admits them by hash: any change here changes the hash,
// which page.cpp computes from these very strings.
#include "report/page.h"

namespace rd::detail {

const char* const kPageStyle = R"css(
:root { --fg: #1d2330; --muted: #5d6778; --line: #d8dde6; --bg: #ffffff; --panel: #f5f7fa;
        --bad: #c0392b; --good: #2e7d32; --unknown: #8a6d00; --normal: #3b7dd8; --anomalous: #d9534f;
        --unlabelled: #8e99a8; --run: #2a9d8f; --threshold: #e4572e; }
* { box-sizing: border-box; }
body { margin: 0 auto; max-width: 1200px; padding: 16px 20px 40px; font: 15px/1.45 system-ui, -apple-system,
       "Segoe UI", Roboto, "DejaVu Sans", sans-serif; color: var(--fg); background: var(--bg); }
h1 { font-size: 24px; margin: 8px 0 2px; } h2 { font-size: 19px; margin: 28px 0 8px; border-bottom: 1px solid var(--line); padding-bottom: 4px; }
.made, .note, figcaption .where { color: var(--muted); }
.note { font-size: 14px; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 2px 14px; margin: 10px 0; }
dl.facts dt { color: var(--muted); } dl.facts dd { margin: 0; overflow-wrap: anywhere; }
ul.counts { list-style: none; padding: 0; margin: 12px 0; display: flex; flex-wrap: wrap; gap: 8px; }
ul.counts li { background: var(--panel); border: 1px solid var(--line); border-radius: 6px; padding: 6px 12px; }
ul.counts b { font-size: 20px; display: block; }
ul.counts li.bad b { color: var(--bad); }
.verdict { border-radius: 8px; padding: 12px 16px; margin: 10px 0; border: 2px solid; }
.verdict strong { font-size: 18px; display: block; }
.verdict.bad { border-color: var(--bad); background: #fdecea; }
.verdict.good { border-color: var(--good); background: #edf7ee; }
.verdict.unknown { border-color: #d4b106; background: #fffbe6; }
table { border-collapse: collapse; }
table.numbers td, table.numbers th { padding: 3px 10px; border-bottom: 1px solid var(--line); text-align: right; }
table.numbers td:first-child, table.numbers th:first-child { text-align: left; }
.chart { width: 100%; max-width: 900px; }
svg { font-size: 11px; }
svg .grid { stroke: #eceff3; } svg .axis { stroke: #8a94a3; } svg .frame { fill: none; stroke: #8a94a3; }
svg .tick, svg .label, svg .legend { fill: var(--muted); } svg .title { font-size: 13px; font-weight: 600; fill: var(--fg); }
svg .bar.s-normal { fill: var(--normal); } svg .bar.s-anomalous { fill: var(--anomalous); }
svg .bar.s-unlabelled { fill: var(--unlabelled); } svg .bar.s-run { fill: var(--run); }
svg .validation-line { fill: none; stroke: #1d2330; stroke-width: 1.6; }
svg .validation-median { stroke: #1d2330; stroke-dasharray: 2 3; }
svg .threshold-line { stroke: var(--threshold); stroke-width: 2; stroke-dasharray: 6 4; }
svg .threshold-label { fill: var(--threshold); font-weight: 600; }
svg .curve { fill: none; stroke: var(--normal); stroke-width: 2; }
svg .chance, svg .limit { stroke: #9aa3b0; stroke-dasharray: 4 4; }
.legend-row { display: flex; flex-wrap: wrap; gap: 14px; font-size: 14px; color: var(--muted); margin: 4px 0 0; }
.swatch { display: inline-block; width: 12px; height: 12px; border-radius: 2px; margin-right: 5px; vertical-align: -1px; }
.swatch.s-normal { background: var(--normal); } .swatch.s-anomalous { background: var(--anomalous); }
.swatch.s-unlabelled { background: var(--unlabelled); } .swatch.s-run { background: var(--run); }
.swatch.validation { background: none; border: 2px solid #1d2330; } .swatch.threshold { background: var(--threshold); height: 3px; vertical-align: 3px; }
.curves { display: flex; flex-wrap: wrap; gap: 12px; } .curves svg { width: 300px; max-width: 100%; }
.gallery { display: grid; grid-template-columns: repeat(auto-fill, minmax(230px, 1fr)); gap: 14px; }
figure.card { margin: 0; border: 1px solid var(--line); border-radius: 8px; overflow: hidden; background: var(--panel); }
figure.card.anomalous { border-color: var(--anomalous); }
figure.card .pic { display: block; background: #2b2f36; height: 230px; }
figure.card img { display: block; width: 100%; height: 100%; object-fit: contain; }
figure.card .nopic { color: #e8ecf2; padding: 18px 10px; font-size: 13px; overflow-wrap: anywhere; }
figcaption { padding: 6px 10px 8px; font-size: 13px; }
figcaption .path { display: block; font-family: ui-monospace, "DejaVu Sans Mono", monospace; overflow-wrap: anywhere; }
.badge { display: inline-block; border-radius: 4px; padding: 0 6px; font-size: 12px; font-weight: 700; color: #fff; background: var(--muted); }
.badge.anomalous { background: var(--anomalous); } .badge.ok { background: var(--good); } .badge.wrong { background: #6a1b9a; }
.controls { display: flex; flex-wrap: wrap; gap: 10px; align-items: center; margin: 6px 0 10px; }
.controls input[type=search] { min-width: 16em; padding: 3px 6px; }
#records-table { width: 100%; font-size: 14px; }
#records-table th { text-align: left; border-bottom: 2px solid var(--line); padding: 4px 8px; white-space: nowrap; }
#records-table th.sortable { cursor: pointer; color: #1f5fbf; }
#records-table th[aria-sort=ascending]::after { content: " \25B2"; } #records-table th[aria-sort=descending]::after { content: " \25BC"; }
#records-table td { border-bottom: 1px solid var(--line); padding: 3px 8px; vertical-align: middle; }
#records-table td.path { font-family: ui-monospace, "DejaVu Sans Mono", monospace; overflow-wrap: anywhere; }
#records-table td.num, #records-table td.score { text-align: right; font-variant-numeric: tabular-nums; }
#records-table td.pic img { width: 72px; height: 54px; object-fit: cover; display: block; background: #ddd; }
#records-table tr { content-visibility: auto; contain-intrinsic-size: auto 60px; }
#records-table tr.anomalous td.decision { color: var(--anomalous); font-weight: 700; }
#records-table tr.error td { color: var(--bad); }
#records-more { margin: 10px 0; }
footer { margin-top: 30px; color: var(--muted); font-size: 13px; }
@media (max-width: 640px) { body { padding: 10px; } #records-table td.pic, #records-table th.pic { display: none; } }
)css";

// First in <head>, before anything can fail: an uncaught script error, a picture that does not
// load and a request the Content Security Policy blocked leave their trace on <html>, where a
// test (or a person in the inspector) reads them.
const char* const kErrorScript = R"js(
(function () {
  var root = document.documentElement;
  function note(attr, text) { root.setAttribute(attr, (root.getAttribute(attr) || '') + text + '\n'); }
  window.addEventListener('error', function (e) {
    var t = e.target;
    if (t && t !== window && t.tagName) note('data-missing', t.getAttribute('src') || t.tagName);
    else note('data-script-error', (e.message || 'error') + ' at ' + (e.lineno || 0) + ':' + (e.colno || 0));
  }, true);
  document.addEventListener('securitypolicyviolation', function (e) {
    note('data-blocked', e.violatedDirective + ' ' + e.blockedURI);
  });
})();
)js";

// The table of every record: built from the JSON block in pages of 200 rows (more as the reader
// scrolls), sorted by clicking a header, filtered by decision and by a text in the path; the
// address's #fragment holds the view.
// Row: [index, path, score, decided anomalous (1/0/null), label (1/0/null), defect, error,
//       picture src, image link, gallery position, "fp"/"fn"/""].
const char* const kTableScript = R"js(
(function () {
  'use strict';
  var data = JSON.parse(document.getElementById('rd-data').textContent);
  var rows = data.rows;
  var body = document.getElementById('records-body');
  var more = document.getElementById('records-more');
  var shownEl = document.getElementById('records-shown');
  var filterEl = document.getElementById('records-filter');
  var searchEl = document.getElementById('records-search');
  var gallery = document.querySelectorAll('#gallery img');
  var headers = document.querySelectorAll('#records-table th.sortable');
  var state = { key: 2, dir: -1, filter: 'all', q: '' };
  var view = [], shown = 0, PAGE = 200;

  function number(v) { return Number(v).toPrecision(5); }
  function compare(a, b) {
    var x = a[state.key], y = b[state.key];
    if (x === y) return a[0] - b[0];
    if (x === null) return 1;  // no score (errors) last, in either direction
    if (y === null) return -1;
    return x < y ? -state.dir : state.dir;
  }
  function keep(r) {
    if (state.filter === 'anomalous' && r[3] !== 1) return false;
    if (state.filter === 'normal' && r[3] !== 0) return false;
    if (state.filter === 'errors' && r[6] === null) return false;
    if (state.filter === 'wrong' && !r[10]) return false;
    return !state.q || r[1].toLowerCase().indexOf(state.q) >= 0;
  }
  function cell(tr, text, cls) {
    var td = document.createElement('td');
    td.className = cls;
    td.textContent = text;
    tr.appendChild(td);
    return td;
  }
  function row(r) {
    var tr = document.createElement('tr');
    tr.setAttribute('data-index', r[0]);
    if (r[2] !== null) tr.setAttribute('data-score', r[2]);
    tr.className = r[6] !== null ? 'error' : r[3] === 1 ? 'anomalous' : '';
    cell(tr, String(r[0] + 1), 'num');
    var pic = cell(tr, '', 'pic');
    var src = r[7];
    if (!src && r[9] !== null && gallery[r[9]]) src = gallery[r[9]].getAttribute('src');
    if (src) {
      var img = document.createElement('img');
      img.loading = 'lazy';
      img.decoding = 'async';
      img.alt = '';
      img.src = src;
      pic.appendChild(img);
    }
    var path = cell(tr, '', 'path');
    if (r[8]) {
      var a = document.createElement('a');
      a.href = r[8];
      a.textContent = r[1];
      path.appendChild(a);
    } else {
      path.textContent = r[1];
    }
    cell(tr, r[2] === null ? '' : number(r[2]), 'score');
    cell(tr, r[3] === null ? (r[6] !== null ? 'error' : '\u2014') : r[3] ? 'ANOMALOUS' : 'ok', 'decision');
    if (data.labels) {
      var label = r[4] === null ? '' : (r[4] ? 'anomalous' : 'normal') + (r[5] ? ' (' + r[5] + ')' : '');
      cell(tr, label + (r[10] ? ' ' + r[10].toUpperCase() : ''), 'label');
    }
    cell(tr, r[6] === null ? '' : r[6], 'error-text');
    return tr;
  }
  function showMore() {
    var end = Math.min(view.length, shown + PAGE), frag = document.createDocumentFragment();
    for (; shown < end; shown++) frag.appendChild(row(view[shown]));
    body.appendChild(frag);
    shownEl.textContent = shown + ' of ' + view.length + ' shown' + (view.length < rows.length ? ' (' + rows.length + ' in all)' : '');
    more.hidden = shown >= view.length;
    more.textContent = 'Show ' + Math.min(PAGE, view.length - shown) + ' more';
  }
  function update() {
    view = rows.filter(keep).sort(compare);
    shown = 0;
    body.textContent = '';
    for (var i = 0; i < headers.length; i++) {
      var h = headers[i];
      h.setAttribute('aria-sort', Number(h.getAttribute('data-key')) === state.key ? (state.dir > 0 ? 'ascending' : 'descending') : 'none');
    }
    showMore();
  }
  // The view lives in the address too (#sort=path&dir=asc&filter=errors&q=cam2), so a filtered
  // table can be linked to and reloaded.
  var KEYS = ['index', 'path', 'score'];
  function readHash() {
    var parts = location.hash.replace(/^#/, '').split('&'), sorted = false, directed = false;
    for (var i = 0; i < parts.length; i++) {
      var eq = parts[i].indexOf('=');
      if (eq < 0) continue;
      var k = parts[i].slice(0, eq), v;
      try { v = decodeURIComponent(parts[i].slice(eq + 1)); } catch (err) { continue; }
      if (k === 'sort' && KEYS.indexOf(v) >= 0) { state.key = KEYS.indexOf(v); sorted = true; }
      else if (k === 'dir' && (v === 'asc' || v === 'desc')) { state.dir = v === 'asc' ? 1 : -1; directed = true; }
      else if (k === 'filter' && /^(all|anomalous|normal|errors|wrong)$/.test(v)) state.filter = v;
      else if (k === 'q') state.q = v.toLowerCase();
    }
    if (sorted && !directed) state.dir = state.key === 2 ? -1 : 1;
    filterEl.value = state.filter;
    searchEl.value = state.q;
  }
  function writeHash() {
    var h = 'sort=' + KEYS[state.key] + '&dir=' + (state.dir > 0 ? 'asc' : 'desc');
    if (state.filter !== 'all') h += '&filter=' + state.filter;
    if (state.q) h += '&q=' + encodeURIComponent(state.q);
    try { history.replaceState(null, '', '#' + h); } catch (err) { /* a browser that refuses it on file: */ }
  }
  function sortBy(e) {
    if (e.type === 'keydown' && e.key !== 'Enter' && e.key !== ' ') return;
    e.preventDefault();
    var key = Number(e.currentTarget.getAttribute('data-key'));
    state.dir = key === state.key ? -state.dir : key === 2 ? -1 : 1;
    state.key = key;
    update();
    writeHash();
  }
  for (var i = 0; i < headers.length; i++) {
    headers[i].tabIndex = 0;
    headers[i].addEventListener('click', sortBy);
    headers[i].addEventListener('keydown', sortBy);
  }
  filterEl.addEventListener('change', function () { state.filter = filterEl.value; update(); writeHash(); });
  var timer = null;
  searchEl.addEventListener('input', function () {
    clearTimeout(timer);
    timer = setTimeout(function () { state.q = searchEl.value.toLowerCase(); update(); writeHash(); }, 150);
  });
  window.addEventListener('hashchange', function () { readHash(); update(); });
  more.addEventListener('click', showMore);
  if ('IntersectionObserver' in window) {
    new IntersectionObserver(function (entries) {
      if (entries[0].isIntersecting && shown < view.length) showMore();
    }, { rootMargin: '600px' }).observe(more);
  }
  var started = performance.now();
  readHash();
  update();
  var root = document.documentElement;
  root.setAttribute('data-table-ms', Math.round(performance.now() - started));
  root.setAttribute('data-ready', '1');
})();
)js";

}  // namespace rd::detail
