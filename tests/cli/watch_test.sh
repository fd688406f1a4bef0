#!/usr/bin/env bash
# The watch-folder recipe (examples/watch/watch-score.sh) end to end with a real inotifywait and a
# tiny model: an image that was there before the start is scored; images copied (or renamed) into
# the folder one at a time each get a record before the next lands; a file still being written is
# not claimed until its writer closes it; a reused file name gets a second record; non-images and
# hidden files are left alone; a file that is not an image gets an error record and goes to failed/; SIGTERM ends it with 143 and nothing in hand; a restart scores what
# landed while it was down and finishes a killed run's leftovers (an image already logged is only
# moved, one not logged is scored, a torn log line is dropped) without a duplicate record; SIGTERM
# to the whole process group (as systemd sends by default) right after an image lands loses and
# duplicates nothing either; every image ends in passed/, rejected/ or failed/ as its record says.
set -euo pipefail
source "$(dirname "$0")/lib.sh"  # TEST_TMP (removed on exit), fail, pass, assert_*
src=${RD_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
recipe=$src/examples/watch/watch-score.sh
py=${RD_PYTHON:-/usr/bin/python3}
if ! command -v inotifywait >/dev/null; then
  echo "SKIP ($TEST_NAME): inotifywait not installed (Debian package inotify-tools: scripts/install-deps.sh --test)"
  exit 77
fi
export RD_BIN=$RD_BIN_DIR
cd "$TEST_TMP"

"$py" - <<'PY'
import os, numpy as np
from PIL import Image
rng = np.random.default_rng(7)
os.makedirs("train", exist_ok=True)
for i in range(4):
    Image.fromarray((rng.random((128, 128, 3)) * 60 + 100).astype(np.uint8)).save(f"train/im{i}.png")
Image.fromarray((rng.random((128, 128, 3)) * 60 + 100).astype(np.uint8)).save("a.png")
stripes = np.zeros((128, 128, 3), np.uint8)
stripes[::8] = 255
Image.fromarray(stripes).save("b.png")
PY
"$RD_BIN_DIR/rd-train" -q --weights none --backbone resnet18 --image-size 64 --epochs 1 -o m.rdm train >/dev/null
# A threshold halfway between the two images' scores: the higher one is rejected, the other passes.
"$RD_BIN_DIR/rd-score" -q -m m.rdm a.png b.png > ab.jsonl
"$RD_BIN_DIR/rd-threshold" fit -q -m m.rdm --method percentile:50 -o thr.json ab.jsonl
"$py" - <<'PY' || fail "the two test images score alike: $(cat ab.jsonl)"
import json, shutil
a, b = (json.loads(l)["score"] for l in open("ab.jsonl"))
assert abs(a - b) > 1e-3 * max(a, b), (a, b)
shutil.copy("a.png" if a < b else "b.png", "pass.png")
shutil.copy("b.png" if a < b else "a.png", "reject.png")
PY

mkdir in
state=$TEST_TMP/state
# On any failure: no recipe (each runs in its own process group) or writer outlives the test.
pid="" writer=""
cleanup() {
  [[ -n $writer ]] && kill "$writer" 2>/dev/null
  [[ -n $pid ]] && kill -KILL -- "-$pid" 2>/dev/null
  rm -rf "$TEST_TMP"
}
trap cleanup EXIT
log_lines() { cat "$state"/log/*.jsonl 2>/dev/null | wc -l; }
# start: the recipe in the background, its stderr in watchN.err.
runs=0
start() {
  runs=$((runs + 1))
  setsid "$recipe" -m m.rdm -t thr.json --settle 1 in "$state" 2>"watch$runs.err" &
  pid=$!
  for _ in $(seq 600); do
    grep -qs 'watch-score: watching' "watch$runs.err" && return 0
    kill -0 "$pid" 2>/dev/null || fail "the recipe exited at start: $(cat "watch$runs.err" 2>/dev/null)"
    sleep 0.1
  done
  fail "the recipe did not start watching within 60 s: $(cat "watch$runs.err")"
}
# wait_for_records N WHAT: up to 60 s (sanitizer builds are slow) for the logs to hold N records.
wait_for_records() {
  for _ in $(seq 600); do
    (($(log_lines) >= $1)) && return 0
    kill -0 "$pid" 2>/dev/null || fail "the recipe exited while waiting for $2: $(cat "watch$runs.err")"
    sleep 0.1
  done
  fail "no record for $2 within 60 s ($(log_lines) records; $(cat "watch$runs.err"))"
}
# stop [GROUP]: SIGTERM to the recipe (with "group": to its process group), which must end
# with 143 within 60 s.
stop() {
  kill -TERM -- "${1:+-}$pid"
  for _ in $(seq 600); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$pid" 2>/dev/null; then kill -KILL "$pid"; fail "the recipe still runs 60 s after SIGTERM"; fi
  local rc=0
  wait "$pid" || rc=$?
  assert_eq "$rc" 143 "the recipe's status after SIGTERM ($(cat "watch$runs.err"))"
  pid=""
}

# --- First start: an image that landed before it is scored.
cp pass.png "in/before start.png"
touch -d '-1 min' "in/before start.png"
start
wait_for_records 1 "the image there before the start"

# --- One image at a time, each record before the next lands; a rename into the folder counts.
cp pass.png "in/cam 1.png"
wait_for_records 2 "a copied image"
cp reject.png "in/cam 2.png"
wait_for_records 3 "a second copied image"
cp pass.png moved.png
mv moved.png in/moved.png
wait_for_records 4 "an image renamed into the folder"

# --- A file written in two halves with a pause between them: not claimed while open.
"$py" - <<'PY' &
import os, time
data = open("reject.png", "rb").read()
with open("in/slow.png", "wb") as f:
    f.write(data[: len(data) // 2])
    f.flush()
    open("half-written", "w").close()
    for _ in range(2400):
        if os.path.exists("go-on"):
            break
        time.sleep(0.05)
    f.write(data[len(data) // 2 :])
PY
writer=$!
for _ in $(seq 600); do [[ -e half-written ]] && break; sleep 0.1; done
[[ -e half-written ]] || fail "the slow writer did not start"
sleep 2
assert_eq "$(log_lines)" 4 "records while a file is half written"
[[ -e in/slow.png ]] || fail "a half-written file was claimed before its writer closed it"
touch go-on
wait "$writer"
writer=""
wait_for_records 5 "the slowly written image, once closed"

# --- The camera reuses a name: a second record, not a skip. Non-images and hidden files stay.
printf 'notes\n' > in/notes.txt
cp pass.png in/.hidden.png
cp pass.png "in/cam 1.png"
wait_for_records 6 "a reused file name"
[[ -e in/notes.txt && -e in/.hidden.png ]] || fail "a non-image or a hidden file was claimed"
assert_eq "$(cat "$state"/log/*.jsonl | grep -c -- '-cam 1.png"')" 2 "records of the twice-used name 'cam 1.png'"
printf 'not an image\n' > in/bad.png
wait_for_records 7 "a file that is not an image"

# --- SIGTERM: 143, nothing left half done.
stop
assert_eq "$(find "$state/work" -type f | wc -l)" 0 "images left in work/ after SIGTERM"

# --- While it is down: an image lands; a killed run left an image whose record was logged but
# which was not moved, one claimed but never scored, and a torn last log line.
cp reject.png "in/while down.png"
logged=$(find "$state/passed" -name '*-cam 1.png' | sort | head -n 1)
mv "$logged" "$state/work/"
cp pass.png "$state/work/$(date +%s%6N)-claimed.png"
printf '{"path":"%s/passed/17' "$state" >> "$state/log/$(date +%F).jsonl"
start
wait_for_records 9 "the image that landed while the recipe was down and the unscored leftover"
sleep 1
assert_eq "$(log_lines)" 9 "records after the restart (no duplicate of the logged leftover)"
assert_contains "$(cat "watch$runs.err")" "dropping the torn last line" "the restart's messages"
assert_contains "$(cat "watch$runs.err")" "1 already logged, 1 to score again" "the restart's messages"
[[ -e $state/passed/$(basename "$logged") ]] || fail "the logged leftover was not moved to passed/"

# --- SIGTERM to every process at once, just after an image lands (it may be waiting, claimed,
# or scored): the next start gives it exactly one record.
cp pass.png in/last.png
stop group
start
wait_for_records 10 "the image that landed just before a SIGTERM to the process group"
sleep 1
stop

# --- Every record names a file where its decision put it, once; every image has one record.
"$py" - "$state" <<'PY' || fail "the log and the folders disagree"
import json, os, sys, glob
state = sys.argv[1]
records = [json.loads(l) for f in sorted(glob.glob(f"{state}/log/*.jsonl")) for l in open(f)]
paths = [r["path"] for r in records]
assert len(paths) == len(set(paths)) == 10, paths
for r in records:
    if "error" in r:
        folder = "failed"
    else:
        folder = "rejected" if r["anomalous"] else "passed"
    assert os.path.dirname(r["path"]) == f"{state}/{folder}", r
    assert os.path.isfile(r["path"]), r
files = sorted(glob.glob(f"{state}/passed/*") + glob.glob(f"{state}/rejected/*") + glob.glob(f"{state}/failed/*"))
assert files == sorted(paths), (files, paths)
names = sorted(os.path.basename(p).split("-", 1)[1] for p in glob.glob(f"{state}/rejected/*"))
assert names == ["cam 2.png", "slow.png", "while down.png"], names
failed = [os.path.basename(p).split("-", 1)[1] for p in glob.glob(f"{state}/failed/*")]
assert failed == ["bad.png"], failed
assert not os.listdir(f"{state}/work"), os.listdir(f"{state}/work")
PY
pass
