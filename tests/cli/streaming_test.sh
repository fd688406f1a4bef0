#!/usr/bin/env bash
# Line-side scoring (issue 30): rd-score never waits for more input while it holds an image it
# could score. Through a FIFO that stays open, one path is written at a time and its record
# must come out before the next is written — for an untiled model with --batch-size 8, and for a
# tiled model whose tile count per image (4) is not a multiple of the batch (3). Then SIGTERM
# while the pipe is open ends rd-score with 143 and every record it started.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$TEST_TMP"
bin=$RD_BIN_DIR
/usr/bin/python3 - <<'PY'
import os, numpy as np
from PIL import Image
rng = np.random.default_rng(7)
os.makedirs("imgs", exist_ok=True)
for i in range(4):
    Image.fromarray((rng.random((128, 128, 3)) * 60 + 100).astype(np.uint8)).save(f"imgs/im{i}.png")
PY
"$bin/rd-train" -q --weights none --backbone resnet18 --image-size 64 --epochs 1 -o plain.rdm imgs >/dev/null
"$bin/rd-train" -q --weights none --backbone resnet18 --tile 64 --epochs 1 -o tiled.rdm imgs >/dev/null

# wait_for_lines FILE N: up to 60 s (slow sanitizer builds) for FILE to hold N lines.
wait_for_lines() {
  for _ in $(seq 600); do
    (( $(wc -l < "$1") >= $2 )) && return 0
    kill -0 "$pid" 2>/dev/null || return 1
    sleep 0.1
  done
  return 1
}

# feed MODEL BATCH: rd-score reads a FIFO that this test holds open; each path's record must
# arrive before the next path is written.
feed() {
  local model=$1 batch=$2 out=$1.jsonl
  rm -f paths && mkfifo paths
  "$bin/rd-score" -q -m "$model" --batch-size "$batch" - < paths > "$out" &
  pid=$!
  exec 3> paths
  for i in 0 1 2; do
    echo "imgs/im$i.png" >&3
    wait_for_lines "$out" $((i + 1)) || fail "$model: no record for image $i while the input stayed open"
  done
  exec 3>&-
  wait "$pid" || fail "$model: rd-score exited with $?"
  assert_eq "$(wc -l < "$out")" "3" "$model: one record per image"
  assert_eq "$(grep -c '"score"' "$out")" "3" "$model: three scores"
}
feed plain.rdm 8
feed tiled.rdm 3
# The same scores as from a plain list (the batches only differ in size).
"$bin/rd-score" -q -m tiled.rdm --batch-size 3 imgs/im0.png imgs/im1.png imgs/im2.png > list.jsonl
/usr/bin/python3 - <<'PY' || fail "scores from the FIFO differ from a list's"
import json
a = [json.loads(l)["score"] for l in open("tiled.rdm.jsonl")]
b = [json.loads(l)["score"] for l in open("list.jsonl")]
assert all(abs(x - y) <= 1e-5 * max(1, abs(y)) for x, y in zip(a, b)), (a, b)
PY

# SIGTERM while waiting for input: exit 143 promptly, with the records already scored.
rm -f paths && mkfifo paths
"$bin/rd-score" -q -m plain.rdm - < paths > term.jsonl &
pid=$!
exec 3> paths
echo imgs/im0.png >&3
wait_for_lines term.jsonl 1 || fail "no record before SIGTERM"
kill -TERM "$pid"
for _ in $(seq 300); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$pid" 2>/dev/null; then kill -9 "$pid"; fail "rd-score still runs 30 s after SIGTERM"; fi
rc=0
wait "$pid" || rc=$?
exec 3>&-
assert_eq "$rc" "143" "rd-score's status after SIGTERM while waiting for input"
assert_eq "$(wc -l < term.jsonl)" "1" "records before SIGTERM"
pass
