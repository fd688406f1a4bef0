#!/usr/bin/env bash
# Faults and kills (issue 6): kill -9 of rd-train at many moments leaves the old or a new model and
# checkpoint, never a torn file, and --resume from what is left ends like an uninterrupted run;
# kill -9 of rd-score then --resume gives each input exactly once; a loss that turns NaN stops
# with a message and keeps the last checkpoint; a full disk (simulated with `ulimit -f`, which
# fails writes the way ENOSPC does) keeps the old model and every record already written.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$TEST_TMP"
train=("$RD_BIN_DIR/rd-train" -q --weights none --backbone resnet18 --image-size 64 --batch-size 4)

"$RD_PYTHON" - <<'PY'
import os, numpy as np
from PIL import Image
rng = np.random.default_rng(9)
os.makedirs("good", exist_ok=True)
for i in range(8):
    Image.fromarray((rng.random((64, 64, 3)) * 100 + 80).astype(np.uint8)).save(f"good/{i}.png")
os.makedirs("stream", exist_ok=True)
for i in range(40):
    Image.fromarray((rng.random((48, 48, 3)) * 100 + 80).astype(np.uint8)).save(f"stream/{i:02d}.png")
PY

# loads FILE: rd-score accepts it as a model (checkpoints are models with optimizer state).
loads() { "$RD_BIN_DIR/rd-score" -q -m "$1" good/0.png > /dev/null 2>&1; }

"${train[@]}" --epochs 1 --seed 1 -o model.rdm good > /dev/null
cp model.rdm old.rdm

# kill -9 at many moments of a run that checkpoints every epoch and then replaces model.rdm.
for delay in 0.2 0.7 1.2 1.6 2.0 2.4 2.8 3.3 4.0 5.0; do
  "${train[@]}" --epochs 8 --seed 2 --checkpoint-every 1 -o model.rdm good > /dev/null 2>&1 &
  pid=$!
  sleep "$delay"
  kill -9 $pid 2> /dev/null || true
  wait $pid 2> /dev/null || true
  if ! cmp -s model.rdm old.rdm; then
    loads model.rdm || fail "model.rdm torn by kill -9 after ${delay}s"
    cp model.rdm old.rdm  # the run finished: the new model is the one to keep from now on
  fi
  if [[ -e model.rdm.ckpt ]]; then loads model.rdm.ckpt || fail "checkpoint torn by kill -9 after ${delay}s"; fi
done

# --resume from the checkpoint a kill -9 left ends with the weights of an uninterrupted run.
"${train[@]}" --epochs 6 --seed 4 -o straight.rdm good > /dev/null
rm -f resumed.rdm.ckpt
"${train[@]}" --epochs 6 --seed 4 --checkpoint-every 1 --log killed.jsonl -o resumed.rdm good > /dev/null &
pid=$!
for _ in $(seq 600); do [[ $(cat killed.jsonl 2> /dev/null | wc -l) -ge 2 ]] && break; sleep 0.05; done
kill -9 $pid 2> /dev/null || true
wait $pid 2> /dev/null || true
if [[ -e resumed.rdm.ckpt ]]; then
  "$RD_BIN_DIR/rd-train" -q --resume resumed.rdm.ckpt -o resumed.rdm good > /dev/null
else
  echo "note: no checkpoint yet when killed; training again" >&2
  "${train[@]}" --epochs 6 --seed 4 -o resumed.rdm good > /dev/null
fi
"$RD_BIN_DIR/rd-score" -q -m straight.rdm good > a.jsonl
"$RD_BIN_DIR/rd-score" -q -m resumed.rdm good > b.jsonl
assert_eq "$(sed 's/"model":"[0-9a-f]*"//' b.jsonl)" "$(sed 's/"model":"[0-9a-f]*"//' a.jsonl)" \
  "resumed after kill -9 scores like the uninterrupted model"

# kill -9 of rd-score mid-stream, twice, then --resume: each input exactly once, every line whole.
ls stream/*.png > list.txt
: > out.jsonl
for wait_lines in 4 15; do
  "$RD_BIN_DIR/rd-score" -q -m model.rdm --batch-size 2 --resume out.jsonl - < list.txt >> out.jsonl &
  pid=$!
  for _ in $(seq 600); do [[ $(wc -l < out.jsonl) -ge $wait_lines ]] && break; sleep 0.02; done
  kill -9 $pid 2> /dev/null || true
  wait $pid 2> /dev/null || true
done
[[ $(wc -l < out.jsonl) -lt 40 ]] || echo "note: rd-score finished before the kill" >&2
"$RD_BIN_DIR/rd-score" -q -m model.rdm --batch-size 2 --resume out.jsonl - < list.txt >> out.jsonl
"$RD_PYTHON" - out.jsonl list.txt <<'PY'
import collections, json, sys
paths = [json.loads(line)["path"] for line in open(sys.argv[1])]  # every line parses
want = open(sys.argv[2]).read().split()
count = collections.Counter(paths)
assert sorted(count) == sorted(want) and set(count.values()) == {1}, count
PY

# A loss that becomes NaN: status 3, a message that says so, the last good checkpoint kept.
# (--lr 1e6 does not diverge here: BatchNorm renormalises and the cosine loss is bounded;
# 1e30 overflows float32 in the second epoch.)
rm -f nan.rdm nan.rdm.ckpt
set +e
mkdir -p four && cp good/[0-3].png four/   # one step per epoch: the first epoch ends before NaN
msg=$("${train[@]}" --epochs 30 --lr 1e30 --checkpoint-every 1 -o nan.rdm four 2>&1 > /dev/null); rc=$?
set -e
if [[ $msg != *"at epoch 1 "* ]]; then
  [[ -e nan.rdm.ckpt ]] || fail "no checkpoint from the epochs before the loss diverged: $msg"
fi
assert_eq "$rc" "3" "exit status when the loss becomes NaN"
assert_contains "$msg" "the loss became" "message names the cause"
[[ ! -e nan.rdm ]] || fail "a diverged model was written"
if [[ -e nan.rdm.ckpt ]]; then loads nan.rdm.ckpt || fail "last checkpoint before NaN does not load"; fi

# Full disk while writing the model: status 3, the cause named, the old model intact, no temp left.
cp model.rdm keep.rdm
rm -f ./*.tmp.*  # left by the kill -9 runs above, as documented
set +e
msg=$(trap '' XFSZ; ulimit -f 64; "${train[@]}" --epochs 1 --seed 5 -o model.rdm good 2>&1 > /dev/null); rc=$?
set -e
assert_eq "$rc" "3" "exit status when the model cannot be written"
assert_contains "$msg" "model.rdm" "message names the model file"
assert_contains "$msg" "File too large" "message names the cause"
cmp -s model.rdm keep.rdm || fail "old model changed by a failed write"
assert_eq "$(ls | grep -c '\.tmp\.' || true)" "0" "temporary files removed"

# Full disk while writing maps: status 3 naming the map, records already written are whole lines.
set +e
msg=$(trap "" XFSZ; ulimit -f 8; "$RD_BIN_DIR/rd-score" -q -m model.rdm --batch-size 2 --maps maps stream \
  2>&1 > maps.jsonl); rc=$?
set -e
assert_eq "$rc" "3" "exit status when a map cannot be written"
assert_contains "$msg" "maps/" "message names the map file"
"$RD_PYTHON" - maps.jsonl <<'PY'
import json, os, sys
for line in open(sys.argv[1]):
    r = json.loads(line)
    assert os.path.getsize(r["map"]) > 0, r
PY

# Full disk on stdout: status 3 and the cause.
set +e
msg=$("$RD_BIN_DIR/rd-score" -q -m model.rdm stream 2>&1 > /dev/full); rc=$?
set -e
assert_eq "$rc" "3" "exit status when stdout is full"
assert_contains "$msg" "No space left on device" "cause of a full stdout"
pass
