#!/usr/bin/env bash
# rd-report as a user runs it, and its page in a real browser. Without a browser: the exit
# statuses (--fail-on-drift on a drifted run, which wins over error records; too few records;
# empty input; error records only; a model or threshold of another id), the --json numbers, the
# precision tolerance, and a page that is the same byte for byte when made twice. In headless
# chromium (network blocked, the page's Content Security Policy on), read through --dump-dom: the
# gallery and the table hold the records in score order, hostile names are text and their links
# reach the files, every picture loads, the histogram has bars, the threshold and the validation
# line, labelled runs get metrics, curves and false positives/negatives first, --embed needs no
# other file, and no script error; a screenshot is not blank. Data: report_data.py (fixed seeds).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib.sh"  # TEST_TMP (removed on exit), fail, pass, assert_*
py=${RD_PYTHON:-/usr/bin/python3}
report=$RD_BIN_DIR/rd-report
cd "$TEST_TMP"
"$py" "$here/report_data.py" .
model_id=$("$py" -c 'import json; print(json.load(open("ids.json"))["model"])')
other_id=$("$py" -c 'import json; print(json.load(open("ids.json"))["other"])')

# field FILE EXPR: a value of a JSON file, EXPR in Python on d.
field() { "$py" -c 'import json, sys; d = json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"; }
# run STATUS ARGS...: rd-report's exit status must be STATUS; stdout to out.json, stderr to err.txt.
run() {
  local want=$1 rc=0
  shift
  "$report" "$@" >out.json 2>err.txt || rc=$?
  [[ $rc == "$want" ]] || fail "rd-report $*: exit $rc, want $want ($(cat err.txt))"
}

# --- Statuses and numbers
run 0 -m model.rdm -o normal/report.html --gallery 60 --json --fail-on-drift normal.jsonl
assert_eq "$(field out.json 'd["drift"]["verdict"]')" no_drift "drift verdict of a run like the validation scores"
assert_eq "$(field out.json 'd["counts"]["records"], d["counts"]["scored"], d["counts"]["errors"]')" "(60, 60, 0)" "counts"
want=$("$py" -c 'import json; print(sum(json.loads(l)["score"] >= 0.36 for l in open("normal.jsonl")))')
assert_eq "$(field out.json 'd["counts"]["anomalous"]')" "$want" "anomalous count"
assert_eq "$(field out.json 'd["threshold"]')" "{'value': 0.36, 'source': 'records'}" "threshold from the records"
assert_eq "$(field out.json 'd["model"]["id"], d["model"]["backbone"]')" "('$model_id', 'resnet18')" "model"
assert_eq "$(field out.json 'd["drift"]["validation"]["count"], d["drift"]["basis"]')" "(200, 'all_scored')" "drift basis"
assert_eq "$(field out.json 'd["pictures"]["failed"], d["pictures"]["thumbnails"]')" "(0, 2)" "pictures (TIFF, 16-bit)"
[[ -f normal/report.html && -d normal/report_files ]] || fail "no page or no report_files/ beside it"
ls normal/report_files/thumb_t13_*.png normal/report_files/thumb_deep11_*.png normal/report_files/map_*.png >/dev/null ||
  fail "thumbnails of the TIFF and the 16-bit PNG, and drawn maps, are in report_files/"

run 1 -m model.rdm -o drifted/report.html --json --fail-on-drift drifted.jsonl
assert_eq "$(field out.json 'd["drift"]["verdict"], d["drift"]["direction"]')" "('drift', 'higher')" "shifted run"
assert_eq "$(field out.json 'd["counts"]["errors"]')" 1 "the drifted run's error record"
assert_contains "$(cat err.txt)" "drift: the run's scores are higher" "drift warning"
run 4 -m model.rdm --json drifted.jsonl  # without the gate, the error record decides
run 0 -m model.rdm --json --fail-on-drift few.jsonl
assert_eq "$(field out.json 'd["drift"]["verdict"]')" too_few_records "eight records"
assert_contains "$(field out.json 'd["drift"]["reason"]')" "at least 20 are needed" "too few records says how many"
run 0 --json --fail-on-drift normal.jsonl  # no model: nothing to compare with, no gate
assert_eq "$(field out.json 'd["drift"]["verdict"], d["model"]["id"]')" "('no_validation', '$model_id')" "without -m"

run 0 -m model.rdm -o empty/report.html --json </dev/null
assert_eq "$(field out.json 'd["counts"]["records"]')" 0 "empty input"
run 4 -m model.rdm -o errors/report.html --json errors.jsonl
assert_eq "$(field out.json 'd["counts"]["errors"], d["counts"]["scored"]')" "(3, 0)" "error records only"

run 2 -m other.rdm -o other/report.html normal.jsonl
assert_contains "$(cat err.txt)" "'$model_id', but -m 'other.rdm' is model '$other_id'" "another model's records"
[[ ! -e other ]] || fail "a refused report wrote a page"
run 2 -m model.rdm -t other-threshold.json --json normal.jsonl
assert_contains "$(cat err.txt)" "fitted for model '$other_id'" "a threshold of another model"
run 2 -t other-threshold.json --json normal.jsonl
run 2 -m model.rdm normal.jsonl  # neither a page nor --json
run 2 -m model.rdm -o - normal.jsonl  # the pictures need a folder beside the page
run 2 -m model.rdm --json --outlier-share 0.5 normal.jsonl

# Another precision: a tolerance, in the numbers.
sed 's/}$/, "precision": "bf16"}/' normal.jsonl >bf16.jsonl
run 0 -m model.rdm --json bf16.jsonl
assert_eq "$(field out.json 'd["drift"]["precision_tolerance"], d["drift"]["verdict"]')" "({'bf16': 0.01}, 'no_drift')" \
  "bf16 records get a tolerance"

# Labelled records: drift on the labelled-normal ones, rd-eval's metrics, FP and FN counted.
run 0 -m model.rdm -t threshold.json -o labelled/report.html --json labelled.jsonl
assert_eq "$(field out.json 'd["drift"]["basis"], d["counts"]["false_positives"], d["counts"]["false_negatives"]')" \
  "('labelled_normal', 1, 1)" "labelled run"
"$RD_BIN_DIR/rd-eval" --by defect labelled.jsonl >eval.json 2>/dev/null || true
if [[ -s eval.json ]]; then
  assert_eq "$(field out.json 'd["metrics"]')" "$(field eval.json 'd')" "metrics equal rd-eval's"
fi

# --embed: the page alone; pictures beyond --embed-limit are linked.
run 0 -m model.rdm -o embed/report.html --embed --json normal.jsonl
[[ ! -e embed/report_files ]] || fail "--embed wrote report_files/"
assert_eq "$(field out.json 'd["pictures"]["embedded"] > 0 and d["pictures"]["linked"] == 0')" True "all embedded"
run 0 -m model.rdm -o embed-cut/report.html --embed --embed-limit 0.05 --json normal.jsonl
assert_contains "$(cat err.txt)" "did not fit in --embed-limit" "the embedding cap"

# The same records make the same page (SOURCE_DATE_EPOCH stands for the time).
SOURCE_DATE_EPOCH=0 "$report" -m model.rdm -o same/report.html normal.jsonl
cp same/report.html first.html
SOURCE_DATE_EPOCH=0 "$report" -m model.rdm -o same/report.html normal.jsonl
cmp -s first.html same/report.html || fail "two runs on the same records made different pages"
grep -q "Made 1970-01-01T00:00:00Z" first.html || fail "SOURCE_DATE_EPOCH is the page's time"

# --- In a browser
browser=$(command -v chromium || command -v chromium-browser || true)
if [[ -z $browser ]]; then
  echo "SKIP ($TEST_NAME): chromium is not installed (scripts/install-deps.sh --test installs it); the pages were" \
    "not checked in a browser"
  exit 77
fi
export XDG_CONFIG_HOME=$TEST_TMP/xdg XDG_CACHE_HOME=$TEST_TMP/xdg
# browse PAGE [SCREENSHOT]: the page's DOM after its scripts ran, from disk, with every network
# request sent to a closed port. A tall window, so that lazy pictures load too.
browse() {
  local profile
  profile=$(mktemp -d "$TEST_TMP/profile.XXXXXX")
  local flags=(--headless --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking
               --disable-component-update --disable-sync --disable-extensions --disable-default-apps
               --user-data-dir="$profile" --host-resolver-rules="MAP * ~NOTFOUND" --proxy-server=127.0.0.1:9
               --virtual-time-budget=5000)
  if [[ -n ${2-} ]]; then
    timeout 120 "$browser" "${flags[@]}" --hide-scrollbars --window-size=1280,1600 --screenshot="$2" "file://$PWD/$1" \
      >/dev/null 2>browser.log || fail "chromium could not take a screenshot of $1: $(tail -3 browser.log)"
  else
    timeout 120 "$browser" "${flags[@]}" --window-size=1280,16000 --dump-dom "file://$PWD/$1" >dom.html 2>browser.log ||
      fail "chromium could not load $1: $(tail -3 browser.log)"
    "$py" "$here/report_dom.py" dom.html >dom.json
  fi
}
# The page ran its script to the end, with no error, no blocked request and no missing picture.
page_ok() {
  assert_eq "$(field dom.json 'd["ready"], d["script_error"], d["blocked"], d["missing"]')" "('1', None, None, None)" \
    "$1: ready, script errors, blocked requests, missing pictures"
  assert_eq "$(field dom.json 'd["scripts"]')" 3 "$1: <script> elements (a name became markup?)"
}
descending() { "$py" -c 'import json, sys; s = json.loads(sys.argv[1]); sys.exit(s != sorted(s, reverse=True))' "$1"; }

browse normal/report.html
page_ok "run page"
assert_eq "$(field dom.json 'len(d["gallery"]), len(d["rows"])')" "(60, 60)" "gallery and table sizes"
descending "$(field dom.json '[g["score"] for g in d["gallery"]]')" || fail "gallery not in score order"
descending "$(field dom.json '[r["score"] for r in d["rows"]]')" || fail "table not in score order"
assert_eq "$(field dom.json '[g["index"] for g in d["gallery"]] == [r["index"] for r in d["rows"]]')" True \
  "gallery and table agree"
# The five highest scores carry the hostile names: text on the page, links that reach the files.
assert_eq "$(field dom.json '[r["path"] for r in d["rows"][:5]]')" \
  "['images/with space.png', 'images/what?.png', 'images/100%.png', 'images/a#1.png', 'images/<script>alert(1)</script>.png']" \
  "hostile names as text in the table"
assert_eq "$(field dom.json '[r["href"] for r in d["rows"][:5]]')" \
  "['../images/with%20space.png', '../images/what%3F.png', '../images/100%25.png', '../images/a%231.png', '../images/%3Cscript%3Ealert%281%29%3C/script%3E.png']" \
  "hostile names URL-encoded in links"
assert_eq "$(field dom.json '[g["path"] for g in d["gallery"][:5]] == [r["path"] for r in d["rows"][:5]]')" True \
  "hostile names as text in the gallery"
assert_eq "$(field dom.json '[g["picture"] for g in d["gallery"][:5]]')" "['map', 'map', 'map', 'map', 'map']" \
  "maps drawn for the gallery"
assert_eq "$(field dom.json 'sorted(g["path"] for g in d["gallery"] if (g["src"] or "").startswith("report_files/thumb_"))')" \
  "['images/deep11.png', 'images/t13.tiff']" "thumbnails of the TIFF and the 16-bit PNG in the gallery"
assert_eq "$(field dom.json 'd["bars"] > 5, d["threshold_lines"], d["validation_lines"], d["verdict"]')" \
  "(True, 1, 1, 'no_drift')" "histogram bars, threshold and validation lines, verdict"
assert_contains "$(field dom.json 'd["texts"]')" "images/<script>alert(1)</script>.png" "the hostile name as text"

# The table's view from the address: filtered, sorted by path, searched.
browse "normal/report.html#filter=anomalous"
page_ok "filtered table"
assert_eq "$(field dom.json 'len(d["rows"]), {r["decision"] for r in d["rows"]}')" "($want, {'ANOMALOUS'})" \
  "#filter=anomalous shows the anomalous records only"
browse "normal/report.html#sort=path&dir=asc&q=normal_1"
assert_eq "$(field dom.json '[r["path"] for r in d["rows"]] == sorted(r["path"] for r in d["rows"])')" True \
  "#sort=path&dir=asc sorts by path"
matching=$("$py" -c 'import json; print(sum("normal_1" in json.loads(l)["path"] for l in open("normal.jsonl")))')
assert_eq "$(field dom.json 'len(d["rows"]), all("normal_1" in r["path"] for r in d["rows"])')" "($matching, True)" \
  "#q= filters by the path"

browse drifted/report.html
page_ok "drifted page"
assert_eq "$(field dom.json 'd["verdict"], len(d["rows"]), d["rows"][-1]["decision"]')" "('drift', 61, 'error')" \
  "drifted page: verdict, the error record last"
browse labelled/report.html
page_ok "labelled page"
assert_eq "$(field dom.json '[("fp" in g["classes"], "fn" in g["classes"]) for g in d["gallery"][:3]]')" \
  "[(True, False), (False, True), (False, False)]" "false positive, then false negative, first in the gallery"
assert_eq "$(field dom.json 'd["curves"]')" 3 "ROC, PR and PRO curves"
browse empty/report.html
page_ok "empty page"
assert_eq "$(field dom.json 'len(d["rows"]), len(d["gallery"]), d["verdict"]')" "(0, 0, 'too_few_records')" "empty page"
browse errors/report.html
page_ok "errors page"
assert_eq "$(field dom.json '[r["decision"] for r in d["rows"]]')" "['error', 'error', 'error']" "error records"
mv embed/report.html embedded.html  # alone, away from every picture
browse embedded.html
page_ok "embedded page"
assert_eq "$(field dom.json 'all(g["src"].startswith("data:image/jpeg;base64,") for g in d["gallery"])')" True \
  "--embed: pictures in the page"

browse normal/report.html shot.png
"$py" - shot.png <<'PY' || fail "the screenshot is blank"
import sys
from PIL import Image
im = Image.open(sys.argv[1]).convert("RGB")
assert im.size == (1280, 1600), im.size
colours = im.getcolors(1 << 24)
assert len(colours) > 200, len(colours)
PY
pass
