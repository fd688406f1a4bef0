#!/usr/bin/env bash
# The scripts in examples/: every one parses (bash -n, and shellcheck where installed), refuses bad
# arguments with exit 2, and runs in miniature on a tiny generated category with a tiny random
# model — for real where that takes seconds (CI gate, cron, GNU parallel, Slurm tasks run as plain
# bash), with DRY_RUN=1 where the real thing takes hours (MVTec AD, Fashion-MNIST), plus a
# miniature real run of those too. Parts whose tool is missing (rd-threshold, rd-eval, rd-report,
# GNU parallel, jq) are skipped with a message.
set -euo pipefail
source "$(dirname "$0")/lib.sh"  # TEST_TMP (removed on exit), fail, pass, assert_*
src=${RD_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
ex=$src/examples
py=${RD_PYTHON:-python3}
export RD_BIN=$RD_BIN_DIR
cd "$TEST_TMP"

skip() { echo "SKIP ($TEST_NAME): $*"; }
have() { [[ -x $RD_BIN_DIR/$1 ]]; }
# Records of a JSON-lines file, one path a line, sorted; fails on a line that is not a record.
paths_of() {
  "$py" -c 'import json, sys; print("\n".join(sorted(json.loads(l)["path"] for l in open(sys.argv[1]))))' "$1" ||
    fail "'$1' is not JSON lines"
}
# same_records A B WHAT: the same paths, once each, with the same scores up to float rounding (the
# thread count changes the order of additions).
same_records() {
  "$py" - "$1" "$2" <<'PY' || fail "$3"
import json, sys
a, b = ([json.loads(l) for l in open(f)] for f in sys.argv[1:3])
ka, kb = ({r["path"]: r for r in x} for x in (a, b))
assert len(ka) == len(a) and len(kb) == len(b), "a path twice"
assert ka.keys() == kb.keys(), (sorted(ka), sorted(kb))
for p in ka:
    assert abs(ka[p]["score"] - kb[p]["score"]) <= 1e-5 * abs(kb[p]["score"]), (p, ka[p], kb[p])
PY
}

# --- Every script parses; shellcheck finds nothing of warning level.
mapfile -d '' scripts < <(find "$ex" \( -name '*.sh' -o -name '*.sbatch' \) -print0)
((${#scripts[@]} >= 8)) || fail "expected the example scripts, found ${#scripts[@]}"
for f in "${scripts[@]}"; do
  bash -n "$f" || fail "syntax error in $f"
  [[ $f == *.sbatch || -x $f ]] || fail "$f is not executable"
done
if command -v shellcheck >/dev/null; then
  shellcheck -S warning "${scripts[@]}" || fail "shellcheck warnings"
else
  skip "shellcheck not installed"
fi
if "$py" -c 'import yaml' 2>/dev/null; then
  "$py" -c 'import sys, yaml; [yaml.safe_load(open(f)) for f in sys.argv[1:]]' "$ex"/ci/*.yml || fail "CI YAML does not parse"
fi
for f in mvtec.sh mpdd.sh mvtec-ad2.sh visa.sh mvtec-loco.sh btad.sh novelty.sh parallel.sh cron/nightly-score.sh watch/watch-score.sh \
         ci/check-images.sh slurm/score-array.sbatch slurm/train-array.sbatch; do
  assert_exit 2 bash "$ex/$f"
  assert_exit 2 bash "$ex/$f" --no-such-option a b c
done

# --- A tiny category and model (resnet18, random teacher, 64 px, one epoch).
"$RD_BIN_DIR/rd-demo-data" --out data --category tiles --size 64 --train 4 --test-good 2 --test-defect 1 >/dev/null
"$RD_BIN_DIR/rd-train" -q --weights none --backbone resnet18 --image-size 64 --epochs 1 --batch-size 4 \
  -o m.rdm data/tiles >/dev/null
tiny=(--backbone resnet18 --weights none --image-size 64 --epochs 1)
find data/tiles/test -name '*.png' | sort > test-paths.txt
"$RD_BIN_DIR/rd-score" -q -m m.rdm data/tiles/test > reference.jsonl

# Thresholds that pass everything (far above the scores) and fail everything (the lowest score).
if have rd-threshold; then
  "$RD_BIN_DIR/rd-score" -q -m m.rdm data/tiles/train/good > good.jsonl
  "$RD_BIN_DIR/rd-threshold" fit -q -m m.rdm --method sigma:1000 -o pass.json good.jsonl
  "$RD_BIN_DIR/rd-threshold" fit -q -m m.rdm --method percentile:0 -o fail.json reference.jsonl
fi

# --- ci/check-images.sh: the exit status tells normal (0), anomalous (1), unreadable (4), fatal (3).
if have rd-threshold; then
  check=$ex/ci/check-images.sh
  rc=0; "$check" -m m.rdm -t pass.json -o ci.jsonl data/tiles/test/good > ci.out 2>&1 || rc=$?
  assert_eq "$rc" 0 "check-images on normal images"
  assert_contains "$(cat ci.out)" "2 record(s), 0 anomalous, 0 failed" "check-images summary"
  assert_eq "$(wc -l < ci.jsonl)" 2 "check-images keeps the records"
  rc=0; "$check" -m m.rdm -t fail.json data/tiles/test > ci.out 2>&1 || rc=$?
  assert_eq "$rc" 1 "check-images with anomalous images"
  assert_contains "$(cat ci.out)" "5 anomalous image(s):" "anomalous count"
  assert_contains "$(cat ci.out)" '"path":"data/tiles/test/hole/000.png"' "anomalous records printed"
  rc=0; "$check" -m m.rdm -t pass.json data/tiles/test/good missing.png > ci.out 2>&1 || rc=$?
  assert_eq "$rc" 4 "check-images with an unreadable image"
  assert_contains "$(cat ci.out)" "1 image(s) could not be scored:" "failed image listed"
  head -c 1000 m.rdm > torn.rdm
  assert_exit 3 "$check" -m torn.rdm -t pass.json data/tiles/test/good
  if have rd-report; then
    rc=0; "$check" -m m.rdm -t fail.json --report ci-report.html data/tiles/test > ci.out 2>&1 || rc=$?
    assert_eq "$rc" 1 "check-images --report keeps the gate's status"
    assert_contains "$(cat ci.out)" "check-images: report in ci-report.html" "check-images --report"
    grep -q 'src="data:image/jpeg;base64,' ci-report.html || fail "check-images --report: pictures not embedded"
  else
    skip "rd-report not built: ci/check-images.sh --report not run"
  fi
else
  skip "rd-threshold not built: ci/check-images.sh not run"
fi

# --- cron/nightly-score.sh: only new images, torn line dropped, dated log, lock, shards.
nightly=$ex/cron/nightly-score.sh
mkdir in
cp data/tiles/test/good/000.png data/tiles/test/good/001.png in/
"$nightly" -m m.rdm in night || fail "nightly run 1"
log=night/logs/nightly-$(date +%F).log
assert_contains "$(cat "$log")" "done: 2 new records (0 with an error), status 0" "first night's log"
cp data/tiles/test/hole/000.png in/hole.png
printf '{"path":"in/hole.png","sco' >> night/scores.jsonl  # killed while writing
"$nightly" -m m.rdm in night || fail "nightly run 2"
assert_contains "$(cat "$log")" "dropping the torn last line" "torn line noticed"
assert_contains "$(cat "$log")" "done: 1 new records" "second night scores only the new image"
assert_eq "$(paths_of night/scores.jsonl)" "$(printf 'in/000.png\nin/001.png\nin/hole.png')" "one record per image"
# A run that finds the lock held (the previous night still busy) skips and exits 0.
exec 8> night/scores.jsonl.lock
flock -n 8 || fail "cannot take the test's lock"
cp data/tiles/test/stain/000.png in/stain.png
"$nightly" -m m.rdm in night 8>&- || fail "nightly run while locked"
exec 8>&-
assert_contains "$(cat "$log")" "skipping tonight" "locked run skipped"
assert_eq "$(wc -l < night/scores.jsonl)" 3 "locked run wrote nothing"
if have rd-threshold; then
  "$nightly" -m m.rdm -t fail.json in night || fail "nightly run with a threshold"
  assert_contains "$(cat "night/anomalies-$(date +%F).jsonl")" '"path":"in/stain.png"' "tonight's anomalies"
  assert_eq "$(wc -l < "night/anomalies-$(date +%F).jsonl")" 1 "only tonight's anomalies"
else
  skip "rd-threshold not built: nightly-score.sh -t not run"
fi
"$nightly" --shard 1/2 -m m.rdm data/tiles/test shards || fail "nightly shard 1/2"
"$nightly" --shard 2/2 -m m.rdm data/tiles/test shards || fail "nightly shard 2/2"
[[ -f shards/logs/nightly.1-of-2-$(date +%F).log ]] || fail "shard log file"
cat shards/scores.1-of-2.jsonl shards/scores.2-of-2.jsonl > shards.jsonl
assert_eq "$(paths_of shards.jsonl)" "$(cat test-paths.txt)" "nightly shards cover every image once"
assert_exit 2 "$nightly" --shard 3 -m m.rdm in night
if have rd-report; then
  "$nightly" -m m.rdm --report night-report in night2 || fail "nightly run with --report"
  [[ -f night-report/$(date +%F)/index.html && -L night-report/latest ]] || fail "nightly --report: no page or latest link"
  assert_contains "$(cat "night2/logs/nightly-$(date +%F).log")" "report: night-report/$(date +%F)/index.html (drift: " \
    "nightly --report logs the page and the drift verdict"
else
  skip "rd-report not built: nightly-score.sh --report not run"
fi

# --- parallel.sh: the dry run shows the sharded command and the merge; a real run if installed.
out=$(DRY_RUN=1 "$ex/parallel.sh" -m m.rdm -o par -n 3 data/tiles/test)
assert_contains "$out" "parallel -q --jobs 3" "parallel command"
assert_contains "$out" "--shard \{\}/3" "one shard per job"
assert_contains "$out" "::: 1 2 3" "shard numbers"
assert_contains "$out" "cat par/shard-1-of-3.jsonl par/shard-2-of-3.jsonl par/shard-3-of-3.jsonl > par/scores.jsonl" "merge"
out=$(DRY_RUN=1 "$ex/parallel.sh" -m m.rdm -o par -S 'node1,user@node2' data/tiles/test)
assert_contains "$out" "--sshlogin node1\,user@node2 --basefile m.rdm" "ssh hosts"
assert_contains "$out" "::: 1 2" "one shard per host"
if command -v parallel >/dev/null && parallel --version 2>/dev/null | grep -q 'GNU parallel'; then
  "$ex/parallel.sh" -m m.rdm -o par -n 3 -j 2 data/tiles/test 2>/dev/null || fail "parallel.sh"
  same_records par/scores.jsonl reference.jsonl "parallel shards merge to the unsharded scores"
  assert_exit 1 "$ex/parallel.sh" -m missing.rdm -o par-bad -n 2 data/tiles/test
  # An unreadable image: its shard still counts as done, and the merged file has its error record.
  assert_exit 4 "$ex/parallel.sh" -m m.rdm -o par-4 -n 2 data/tiles/test/good missing.png
  assert_contains "$(cat par-4/scores.jsonl)" '"path":"missing.png","error"' "error record merged"
  # The --sshlogin path, with ':' (GNU parallel's name for this machine, no ssh).
  "$ex/parallel.sh" -m m.rdm -o par-ssh -S : -n 2 data/tiles/test 2>/dev/null || fail "parallel.sh -S :"
  same_records par-ssh/scores.jsonl reference.jsonl "parallel over --sshlogin"
else
  skip "GNU parallel not installed: parallel.sh only dry-run"
fi

# --- slurm/score-array.sbatch, run as Slurm would run each task of --array=1-2.
for k in 1 2; do
  SLURM_ARRAY_TASK_ID=$k SLURM_ARRAY_TASK_MAX=2 SLURM_CPUS_PER_TASK=1 \
    bash "$ex/slurm/score-array.sbatch" m.rdm slurm data/tiles/test -- -q || fail "score-array task $k"
done
SLURM_ARRAY_TASK_ID=1 SLURM_ARRAY_TASK_MAX=2 bash "$ex/slurm/score-array.sbatch" m.rdm slurm data/tiles/test -- -q ||
  fail "score-array task 1 again"  # a requeued task: --resume, nothing twice
cat slurm/shard-*-of-2.jsonl > slurm.jsonl
same_records slurm.jsonl reference.jsonl "array shards merge to the unsharded scores"
SLURM_ARRAY_TASK_ID=3 SHARDS=10 bash "$ex/slurm/score-array.sbatch" m.rdm slurm10 data/tiles/test -- -q ||
  fail "score-array task 3 of 10"
[[ -f slurm10/shard-03-of-10.jsonl ]] || fail "shard number zero-padded for the glob's order"
assert_exit 2 env SLURM_ARRAY_TASK_ID=3 SLURM_ARRAY_TASK_MAX=2 bash "$ex/slurm/score-array.sbatch" m.rdm s data/tiles/test

# --- slurm/train-array.sbatch: SIGTERM before the time limit leaves a checkpoint (exit 143).
SLURM_ARRAY_TASK_ID=0 bash "$ex/slurm/train-array.sbatch" data stop -- "${tiny[@]:0:6}" --epochs 100000 -q 2> stop.err &
task=$!
for _ in $(seq 600); do [[ -s stop/tiles/train-log.jsonl ]] && break; sleep 0.1; done
[[ -s stop/tiles/train-log.jsonl ]] || fail "train-array did not start training"
kill -TERM "$task"
rc=0; wait "$task" || rc=$?
assert_eq "$rc" 143 "train-array stopped by SIGTERM ($(cat stop.err))"
[[ -s stop/tiles/model.rdm.ckpt ]] || fail "train-array left no checkpoint"
assert_exit 2 env SLURM_ARRAY_TASK_ID=1 bash "$ex/slurm/train-array.sbatch" data stop

# --- mvtec.sh: the dry run has the paper's defaults for every category.
mkdir -p mv/bottle/train/good mv/cable/train/good mv/license
out=$(DRY_RUN=1 RD_BIN=/opt/rd/bin "$ex/mvtec.sh" mv mvout 2>/dev/null)
assert_eq "$(grep -c '^/opt/rd/bin/rd-train --backbone wide_resnet50_2 --weights auto --image-size 256 --epochs 200 ' <<<"$out")" 2 \
  "one paper-default training per category"
assert_contains "$out" "/opt/rd/bin/rd-score -m mvout/cable/model.rdm --dataset mv/cable --maps mvout/cable/maps > mvout/cable/scores.jsonl" "scoring"
assert_contains "$out" "/opt/rd/bin/rd-eval --by defect --pro-mode mvtec < mvout/bottle/scores.jsonl > mvout/bottle/metrics.json" "evaluation"
[[ $out != *license* ]] || fail "a folder without train/good is not a category"
[[ ! -e mvout ]] || fail "the dry run wrote files"
out=$(DRY_RUN=1 "$ex/mvtec.sh" mv mvout --categories cable --epochs 3 --no-pixel -- --batch-size 2 2>/dev/null)
assert_contains "$out" "--epochs 3 --checkpoint-every 10 --log mvout/cable/train-log.jsonl --batch-size 2 -o" "options"
[[ $out != *bottle* && $out != *--maps* ]] || fail "--categories and --no-pixel"
# The other benchmarks: the same protocol with --layout, on each layout's category folders.
mkdir -p visa/candle/Data/Images visa/split_csv btad/01/train/ok btad/license ad2/can/train/good ad2/can/test_public \
  loco/pushpins/train/good loco/pushpins/test/logical_anomalies
out=$(DRY_RUN=1 "$ex/visa.sh" visa vout 2>/dev/null)
assert_contains "$out" "--layout visa -o vout/candle/model.rdm visa/candle" "VisA training"
assert_contains "$out" "rd-score -m vout/candle/model.rdm --dataset visa/candle --layout visa --maps" "VisA scoring"
[[ $out != *split_csv* ]] || fail "split_csv is not a VisA category"
out=$(DRY_RUN=1 "$ex/btad.sh" btad bout 2>/dev/null)
assert_contains "$out" "--dataset btad/01 --layout btad" "BTAD scoring"
[[ $out != *license* ]] || fail "a folder without train/ok is not a BTAD category"
assert_contains "$(DRY_RUN=1 "$ex/mvtec-ad2.sh" ad2 aout 2>/dev/null)" "--dataset ad2/can --layout mvtec-ad2" "MVTec AD 2"
assert_contains "$(DRY_RUN=1 "$ex/mvtec-loco.sh" loco lout 2>/dev/null)" "--dataset loco/pushpins --layout mvtec-loco" "LOCO"
assert_exit 2 "$ex/mvtec.sh" --layout kolektor visa vout

if have rd-eval && command -v jq >/dev/null; then
  "$ex/mvtec.sh" data mvreal "${tiny[@]}" > mvtec.out 2> mvtec.err || fail "mvtec.sh: $(cat mvtec.err)"
  assert_contains "$(cat mvtec.out)" "| tiles | " "results table"
  assert_contains "$(cat mvtec.out)" "| **mean** | " "mean row"
  jq -e '.tiles.image_auroc and .tiles.by_defect.hole' mvreal/results.json >/dev/null || fail "merged results.json"
  # A second run finds every step done and only merges; likewise after train-array.sbatch.
  touch -d '2001-01-01' mvreal/tiles/model.rdm
  "$ex/mvtec.sh" data mvreal "${tiny[@]}" > /dev/null 2>&1 || fail "mvtec.sh rerun"
  [[ $(date -r mvreal/tiles/model.rdm +%Y) == 2001 ]] || fail "mvtec.sh retrained a finished category"
  SLURM_ARRAY_TASK_ID=0 bash "$ex/slurm/train-array.sbatch" data array -- "${tiny[@]}" -q 2>/dev/null ||
    fail "train-array task"
  [[ -s array/tiles/metrics.json ]] || fail "train-array wrote no metrics"
  "$ex/mvtec.sh" data array > array.out 2>/dev/null || fail "mvtec.sh after train-array"
  assert_contains "$(cat array.out)" "| tiles | " "table of the array's results"
else
  skip "rd-eval or jq missing: mvtec.sh and train-array.sbatch not run for real"
fi

# --- novelty.sh on a fake Fashion-MNIST (IDX files, one gzipped) of 3 images per class.
mkdir idx
"$py" - <<'PY'
import gzip, struct
def write(path, dims, data):
    head = struct.pack(">HBB", 0, 8, len(dims)) + struct.pack(">" + "I" * len(dims), *dims)
    with (gzip.open if path.endswith(".gz") else open)(path, "wb") as f:
        f.write(head + bytes(data))
for split in ("train", "t10k"):
    labels = [i % 10 for i in range(30)]
    write(f"idx/{split}-images-idx3-ubyte.gz", (30, 28, 28),
          [(l * 25 + (p * 7) % 13) for l in labels for p in range(28 * 28)])
    write(f"idx/{split}-labels-idx1-ubyte", (30,), labels)
PY
novelty=$ex/novelty.sh
out=$(RD_BIN="" DRY_RUN=1 "$novelty" nov --data idx 2>/dev/null)
assert_eq "$(grep -c '^rd-train --backbone wide_resnet50_2 --weights auto --image-size 256 --epochs 200 ' <<<"$out")" 10 \
  "one paper-default training per class"
assert_contains "$out" "rd-score -m nov/class-9-ankle_boot/model.rdm --dataset nov/class-9-ankle_boot/data > nov/class-9-ankle_boot/scores.jsonl" "scoring"
[[ ! -e nov ]] || fail "the dry run wrote files"
rc=0; "$novelty" nov --data no-such-dir > nov.err 2>&1 || rc=$?
assert_eq "$rc" 2 "novelty.sh without the data"
assert_contains "$(cat nov.err)" "apt-get install dataset-fashion-mnist" "points to the Debian package"
"$novelty" nov --data idx --limit 2 --prepare-only 2>/dev/null || fail "novelty.sh --prepare-only"
assert_eq "$(find -L nov/class-3-dress/data/train/good -name '*.png' | wc -l)" 2 "train/good: the class's images, --limit 2"
assert_eq "$(find -L nov/class-3-dress/data/test -name '*.png' | wc -l)" 20 "test: 2 normal and 2 of each other class"
assert_eq "$(LC_ALL=C ls nov/class-3-dress/data/test | tr '\n' ' ')" \
  "ankle_boot bag coat good pullover sandal shirt sneaker trouser tshirt_top " "test folders: good and the other classes"
if have rd-eval && command -v jq >/dev/null; then
  "$novelty" nov --data idx --limit 2 --classes 3 "${tiny[@]}" > nov.out 2> nov.err || fail "novelty.sh: $(cat nov.err)"
  assert_contains "$(cat nov.out)" "| 3-dress | " "novelty table"
  jq -e '.["3-dress"].by_defect.trouser.image_auroc' nov/results.json >/dev/null || fail "novelty results.json"
else
  skip "rd-eval or jq missing: novelty.sh not run for real"
fi

pass
