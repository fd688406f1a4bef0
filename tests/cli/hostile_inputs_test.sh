#!/usr/bin/env bash
# Every tool over the hostile corpus of tests/hostile/make_corpus.py (issue 6): odd but valid
# images are scored, bad files give error records that name the file and the cause, bad record
# lines are reported by line, bad model files stop before any input is read, a closed stdout ends
# quietly, and in every run the good inputs' records are intact.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$TEST_TMP"
chmod 755 "$TEST_TMP"

"$RD_PYTHON" "$RD_SOURCE_DIR/tests/hostile/make_corpus.py" corpus > /dev/null
I=$PWD/corpus/images

# Root reads a mode-000 file anyway: run the tools as nobody so that "unreadable" is unreadable.
as_user=()
if [[ $EUID -eq 0 ]] && command -v setpriv > /dev/null; then
  as_user=(setpriv --reuid=65534 --regid=65534 --clear-groups)
  # The checkout may sit where nobody cannot reach it (e.g. under /root): then run as root and
  # leave the unreadable file out.
  if ! "${as_user[@]}" test -x "$RD_BIN_DIR/rd-score" -a -r "$I/plain.png" 2> /dev/null; then
    echo "note: nobody cannot run $RD_BIN_DIR/rd-score; the unreadable-file case is skipped" >&2
    as_user=()
  fi
fi
unreadable_expected=1
"${as_user[@]}" test -r "$I/unreadable.png" && unreadable_expected=0

# json_get FILE PATH FIELD: the FIELD of PATH's record (Python, so any path round-trips exactly).
json_get() {
  "$RD_PYTHON" - "$@" <<'PY'
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8")]
hits = [r for r in recs if r.get("path") == sys.argv[2]]
if len(hits) != 1:
    sys.exit(f"{len(hits)} records for {sys.argv[2]!r} in {sys.argv[1]}")
print(hits[0].get(sys.argv[3], ""))
PY
}

# rd-train over the whole folder: odd images train, bad ones are skipped by name, exit 4.
mkdir -m 777 out
set +e
"${as_user[@]}" "$RD_BIN_DIR/rd-train" --weights none --backbone resnet18 --image-size 64 --epochs 1 \
  --batch-size 4 -o out/m.rdm "$I" > /dev/null 2> train.err
rc=$?
set -e
cp out/m.rdm m.rdm
assert_eq "$rc" "4" "rd-train exit status with bad images in the folder"
for bad in zero-bytes.png truncated.png truncated.jpg text.png huge-30000x30000.png dangling.png; do
  assert_contains "$(cat train.err)" "$I/$bad" "rd-train names $bad"
done
"$RD_BIN_DIR/rd-score" -q -m m.rdm "$I/plain.png" > /dev/null || fail "the model rd-train wrote does not load"

# rd-score over valid and invalid inputs interleaved, one run.
paste -d '\n' "$I/valid.txt" "$I/invalid.txt" | sed '/^$/d' > mixed.txt
set +e
"${as_user[@]}" "$RD_BIN_DIR/rd-score" -m m.rdm --batch-size 3 - < mixed.txt > mixed.jsonl 2> mixed.err
rc=$?
set -e
assert_eq "$rc" "4" "rd-score exit status with bad inputs"
assert_eq "$(wc -l < mixed.jsonl)" "$(wc -l < mixed.txt)" "one record per input"
assert_eq "$(cut -d'"' -f4 mixed.jsonl)" "$(cat mixed.txt)" "records in input order"
while IFS= read -r p; do
  [[ -n "$(json_get mixed.jsonl "$p" score)" ]] || fail "valid image not scored: $p ($(json_get mixed.jsonl "$p" error))"
done < "$I/valid.txt"
assert_eq "$(json_get mixed.jsonl "$I/wide-5000x300.png" width)x$(json_get mixed.jsonl "$I/wide-5000x300.png" height)" \
  "5000x300" "original size of a wide image"
assert_eq "$(json_get mixed.jsonl "$I/tiny-1x1.png" width)" "1" "1x1 image"
# expect_error NAME CAUSE: NAME's record is an error naming the file and the cause, also on stderr.
expect_error() {
  local msg
  msg=$(json_get mixed.jsonl "$I/$1" error)
  assert_contains "$msg" "'$I/$1'" "error record names $1"
  assert_contains "$msg" "$2" "cause for $1"
  assert_contains "$(cat mixed.err)" "$msg" "stderr carries the message for $1"
}
expect_error zero-bytes.png "empty file"
expect_error truncated.png "truncated"
expect_error truncated.jpg "truncated"
expect_error text.png "not an image"
expect_error huge-30000x30000.png "30000x30000"
expect_error dangling.png "No such file"
expect_error directory.png "is a directory"
expect_error missing.png "No such file"
if [[ $unreadable_expected -eq 1 ]]; then expect_error unreadable.png "Permission denied"; fi

# Grayscale, RGBA, CMYK and 16-bit images score like their 8-bit RGB conversions would: finite,
# and two identical pictures in different containers score alike.
"$RD_PYTHON" - mixed.jsonl <<'PY'
import json, math, sys
for r in map(json.loads, open(sys.argv[1], encoding="utf-8")):
    if "score" in r:
        assert math.isfinite(r["score"]), r
PY

# rd-map draws every odd but valid image at its own size and passes the error records on (exit 4).
set +e
"${as_user[@]}" "$RD_BIN_DIR/rd-map" -m m.rdm --range 0,2 --no-legend -o out/overlays mixed.jsonl > mapped.jsonl 2> map.err
rc=$?
set -e
assert_eq "$rc" "4" "rd-map exit status with error records among its input"
"$RD_PYTHON" - mapped.jsonl "$I/valid.txt" "$unreadable_expected" "$I/unreadable.png" <<'PY'
import json, sys
from PIL import Image
records = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8")]
valid = open(sys.argv[2], encoding="utf-8").read().splitlines()
if sys.argv[3] == "0":  # run as root: the mode-000 file was readable after all
    valid.append(sys.argv[4])
drawn = {r["path"]: r for r in records if "overlay" in r}
assert sorted(drawn) == sorted(valid), sorted(set(valid) ^ set(drawn))
for path, r in drawn.items():
    assert Image.open(r["overlay"]).size == (r["width"], r["height"]), (path, Image.open(r["overlay"]).size)
assert len(records) - len(drawn) == 20 - len(valid), len(records)
PY

# rd-report makes its page of the same records: every odd but valid image gets a picture (16-bit
# ones a thumbnail), the error records are counted (exit 4), and no name becomes markup.
if [[ -x $RD_BIN_DIR/rd-report ]]; then
  set +e
  "${as_user[@]}" "$RD_BIN_DIR/rd-report" -m m.rdm --gallery 40 -o out/report/index.html --json mixed.jsonl \
    > report.json 2> report.err
  rc=$?
  set -e
  assert_eq "$rc" "4" "rd-report exit status with error records among its input ($(cat report.err))"
  "$RD_PYTHON" - report.json mixed.jsonl out/report/index.html <<'PY'
import json, sys
summary = json.load(open(sys.argv[1]))
records = [json.loads(l) for l in open(sys.argv[2], encoding="utf-8")]
scored = sum("score" in r for r in records)
assert summary["counts"]["records"] == len(records), summary["counts"]
assert summary["counts"]["scored"] == scored and summary["counts"]["errors"] == len(records) - scored, summary["counts"]
assert summary["pictures"]["failed"] == 0 and summary["pictures"]["thumbnails"] >= 2, summary["pictures"]
page = open(sys.argv[3], encoding="utf-8").read()
assert page.count("<script") == 3, page.count("<script")
PY
else
  echo "skip: rd-report not built"
fi

# -0: NUL-separated paths, one with a newline, all scored.
"$RD_BIN_DIR/rd-score" -q -m m.rdm -0 - < "$I/valid0.txt" > nul.jsonl
assert_eq "$(grep -c '"score"' nul.jsonl)" "12" "NUL-separated paths scored"
assert_contains "$(cat nul.jsonl)" 'new\nline.png' "a newline in a path is escaped in JSON"

# An empty input list: nothing to do is not an error for a pipeline; no record, exit 0.
"$RD_BIN_DIR/rd-score" -m m.rdm - < /dev/null > empty.jsonl 2> empty.err
assert_eq "$(wc -c < empty.jsonl)" "0" "no records for no inputs"
assert_contains "$(cat empty.err)" "no inputs" "a note that nothing was given"

# The other tools: those that stream (apply, rd-map) write nothing and succeed; those that need
# data (rd-eval, rd-threshold fit, rd-train) stop with 2 and say there is nothing to work on.
mkdir -p emptydir
assert_exit 0 "$RD_BIN_DIR/rd-map" --range 0,1 -o out/empty-overlays - < /dev/null
assert_contains "$("$RD_BIN_DIR/rd-eval" - < /dev/null 2>&1 || true)" "no usable labelled records among 0 read" "rd-eval on nothing"
assert_exit 2 "$RD_BIN_DIR/rd-eval" - < /dev/null
assert_exit 2 "$RD_BIN_DIR/rd-threshold" fit --method sigma:3 - < /dev/null
assert_contains "$("$RD_BIN_DIR/rd-train" --weights none --backbone resnet18 --image-size 64 -o e.rdm emptydir 2>&1 || true)" \
  "no training images" "rd-train on an empty folder"
assert_exit 2 "$RD_BIN_DIR/rd-train" --weights none --backbone resnet18 --image-size 64 -o e.rdm emptydir

# Malformed record lines: rd-threshold, rd-eval and rd-map report them by line and go on.
R=corpus/records/malformed.jsonl
set +e
"$RD_BIN_DIR/rd-threshold" fit --method percentile:95 -o t.json "$R" > /dev/null 2> fit.err; fit_rc=$?
"$RD_BIN_DIR/rd-threshold" apply -t t.json --force "$R" > applied.jsonl 2> apply.err; apply_rc=$?
"$RD_BIN_DIR/rd-eval" "$R" > eval.json 2> eval.err; eval_rc=$?
set -e
assert_eq "$fit_rc" "4" "rd-threshold fit with bad lines"
assert_eq "$apply_rc" "4" "rd-threshold apply with bad lines"
assert_eq "$eval_rc" "4" "rd-eval with bad lines"
"$RD_PYTHON" - applied.jsonl eval.json corpus/records/expected.json <<'PY'
import json, sys
applied = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8")]
report = json.load(open(sys.argv[2]))
expected = json.load(open(sys.argv[3]))
decided = [r.get("path") for r in applied if "anomalous" in r]
assert decided == expected["decided_paths"], decided
errors = [r["error"] for r in applied if "error" in r]
assert [int(e.split(":")[1]) for e in errors] == expected["error_lines"], errors
assert len(applied) == len(decided) + len(errors) + expected["undecided"], applied
counts = report["counts"]
assert counts["normal"] + counts["anomalous"] == len(expected["decided_paths"]), counts
PY
for err in fit.err apply.err eval.err; do
  assert_contains "$(cat $err)" "$R:2:" "$err names the file and line of the first bad line"
done
assert_contains "$(cat eval.err)" "NaN" "a NaN score is named as such"
assert_exit 0 "$RD_BIN_DIR/rd-threshold" apply -t t.json --force - < /dev/null
assert_contains "$(cat eval.err)" "$R:4: invalid JSON: nested deeper than" "the 10 MB line is refused by its number"
if [[ -x $RD_BIN_DIR/rd-report ]]; then
  rc=0
  "$RD_BIN_DIR/rd-report" -q --json "$R" > report.json || rc=$?
  assert_eq "$rc" "4" "rd-report with bad lines"
  "$RD_PYTHON" - report.json corpus/records/expected.json <<'PY'
import json, sys
counts = json.load(open(sys.argv[1]))["counts"]
expected = json.load(open(sys.argv[2]))
assert counts["scored"] == len(expected["decided_paths"]), counts
assert counts["errors"] == len(expected["error_lines"]) + expected["undecided"], counts
PY
fi

# Bad model files: every tool that takes -m stops with exit 3 before reading any input, and names it.
head -c 4096 m.rdm > torn.rdm
"$RD_PYTHON" - m.rdm newer.rdm <<'PY'
import struct, sys
data = bytearray(open(sys.argv[1], "rb").read())
version_at = data.index(b"\x01\x00\x00\x00", 0, 16)  # the format version after the magic
data[version_at:version_at + 4] = struct.pack("<I", 99)
open(sys.argv[2], "wb").write(data)
PY
echo '{"path":"x.png","score":0.5}' > one.jsonl
for model in torn.rdm newer.rdm corpus/models/not-a-model.rdm corpus/models/empty.rdm absent.rdm; do
  for tool in "rd-score -m $model $I/plain.png" "rd-map -m $model -o maps one.jsonl" \
              "rd-threshold fit --method percentile:95 -m $model one.jsonl"; do
    set +e
    msg=$("$RD_BIN_DIR"/$tool 2>&1 > /dev/null); rc=$?
    set -e
    assert_eq "$rc" "3" "exit status of '$tool'"
    assert_contains "$msg" "$model" "'$tool' names the model"
  done
done
assert_contains "$("$RD_BIN_DIR/rd-score" -m newer.rdm "$I/plain.png" 2>&1 || true)" "newer" "newer format named"

# A threshold file for another model: refused (exit 2).
"$RD_BIN_DIR/rd-train" -q --weights none --backbone resnet18 --image-size 64 --epochs 1 --seed 3 \
  -o other.rdm "$I/plain.png" "$I/photo.jpg" > /dev/null
"$RD_BIN_DIR/rd-score" -q -m other.rdm "$I/plain.png" > other.jsonl
"$RD_BIN_DIR/rd-threshold" fit --method sigma:3 -o other-t.json other.jsonl
set +e
msg=$("$RD_BIN_DIR/rd-threshold" apply -t other-t.json <(grep '"score"' mixed.jsonl) 2>&1 > /dev/null); rc=$?
set -e
assert_eq "$rc" "2" "threshold of another model"
assert_contains "$msg" "other-t.json" "message names the threshold file"

# A closed stdout ends every record-writing tool quietly, status 0.
for tool in "rd-score -m m.rdm --batch-size 1 -" "rd-threshold apply -t t.json --force -" \
            "rd-map -m m.rdm --range 0,1 -o maps2 -"; do
  grep '"score"' mixed.jsonl | head -4 > recs.jsonl
  if [[ $tool == rd-score* ]]; then src=mixed.txt; else src=recs.jsonl; fi
  set +e
  "$RD_BIN_DIR"/$tool < $src 2> closed.err | head -n 1 > /dev/null
  rc=${PIPESTATUS[0]}
  set -e
  assert_eq "$rc" "0" "'$tool | head -1' status"
  assert_eq "$(grep -v -e 'warning' -e '^rd-score: cannot decode' closed.err || true)" "" "'$tool | head -1' stderr"
done
pass
