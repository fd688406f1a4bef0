#!/usr/bin/env bash
# rd-train as a user runs it: summary and log lines, weights auto/PATH, bad images, SIGTERM and resume.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$TEST_TMP"
train=("$RD_BIN_DIR/rd-train" --backbone resnet18 --image-size 64 --batch-size 4)

/usr/bin/python3 - <<'PY'
import os, numpy as np
from PIL import Image
rng = np.random.default_rng(1)
os.makedirs("cat/train/good", exist_ok=True)
for i in range(8):
    Image.fromarray((rng.random((70, 70, 3)) * 100 + 80).astype(np.uint8)).save(f"cat/train/good/{i}.png")
PY

# An MVTec category trains on train/good; stdout has one summary line, the log one line per epoch.
"${train[@]}" -q --weights none --epochs 2 --log log.jsonl -o m.rdm cat > summary.json
assert_contains "$(cat summary.json)" '"images":8' "summary counts the training images"
assert_eq "$(wc -l < log.jsonl)" "2" "one log line per epoch"
assert_contains "$(head -1 log.jsonl)" '"epoch":1' "log line"
"$RD_BIN_DIR/rd-score" -q -m m.rdm cat/train/good/0.png > /dev/null

# --weights: a torchvision file by path or from $TORCH_HOME; a clear error when absent.
mkdir -p th/hub/checkpoints
cp "$RD_FIXTURES/model/resnet18_legacy.pth" th/hub/checkpoints/resnet18-f37072fd.pth
TORCH_HOME=$PWD/th "${train[@]}" -q --weights auto --epochs 1 -o auto.rdm cat > /dev/null
"${train[@]}" -q --weights "$RD_FIXTURES/model/resnet18_zip.pth" --epochs 1 -o path.rdm cat > /dev/null
set +e
msg=$(TORCH_HOME=$PWD/nowhere RD_OFFLINE=1 "${train[@]}" --weights auto --epochs 1 -o x.rdm cat 2>&1 >/dev/null); rc=$?
set -e
assert_eq "$rc" "2" "missing auto weights offline is a usage error"
assert_contains "$msg" "https://download.pytorch.org/models/resnet18-f37072fd.pth" "message gives the URL"
set +e
msg=$("${train[@]}" --weights "$RD_FIXTURES/model/resnet50_zip.pth" --epochs 1 -o x.rdm cat 2>&1 >/dev/null); rc=$?
set -e
assert_eq "$rc" "3" "checkpoint of another backbone"
assert_contains "$msg" "expected [64, 64, 3, 3]" "message names the shapes"
assert_exit 2 "${train[@]}" --weights none --epochs 1 cat
assert_exit 2 "${train[@]}" --weights none --epochs 1 --val cat -o v.rdm cat
# The layout is said; --layout overrides detection and says what it missed.
assert_contains "$("${train[@]}" --weights none --epochs 1 -o lay.rdm cat 2>&1 >/dev/null)" \
  "rd-train: 'cat': MVTec AD layout, 8 training images from train/good/" "layout in the log"
assert_contains "$("${train[@]}" --weights none --epochs 1 --layout btad -o lay.rdm cat 2>&1 || true)" \
  "'cat' is laid out as BTAD but has no train/ok/" "forced layout"
assert_exit 2 "${train[@]}" --weights none --epochs 1 --device bogus -o v.rdm cat

# A bad image is skipped with a message; the model is still written; exit 4.
mkdir -p mixed && cp cat/train/good/*.png mixed/ && printf 'junk' > mixed/bad.png
set +e
"${train[@]}" --weights none --epochs 1 -o mixed.rdm mixed > /dev/null 2> mixed.err; rc=$?
set -e
assert_eq "$rc" "4" "exit status with a bad training image"
assert_contains "$(cat mixed.err)" "cannot decode 'mixed/bad.png'" "bad image named"
[[ -s mixed.rdm ]] || fail "model not written"

# SIGTERM: finish the step, write a checkpoint, exit 143; --resume ends like an uninterrupted run.
"${train[@]}" -q --weights none --epochs 6 --seed 9 -o straight.rdm cat > /dev/null
"${train[@]}" -q --weights none --epochs 6 --seed 9 --log killed.jsonl -o resumed.rdm cat > /dev/null &
pid=$!
for _ in $(seq 600); do [[ -s killed.jsonl ]] && break; sleep 0.1; done
kill -TERM $pid
set +e; wait $pid; rc=$?; set -e
if [[ $rc -eq 0 ]]; then echo "note: training finished before the signal arrived" >&2; else
  assert_eq "$rc" "143" "exit status after SIGTERM"
  [[ -s resumed.rdm.ckpt ]] || fail "no checkpoint after SIGTERM"
  "$RD_BIN_DIR/rd-train" -q --resume resumed.rdm.ckpt -o resumed.rdm cat > /dev/null
fi
"$RD_BIN_DIR/rd-score" -q -m straight.rdm cat/train/good > a.jsonl
"$RD_BIN_DIR/rd-score" -q -m resumed.rdm cat/train/good > b.jsonl
assert_eq "$(sed 's/"model":"[0-9a-f]*"//' b.jsonl)" "$(sed 's/"model":"[0-9a-f]*"//' a.jsonl)" "resumed model scores like the uninterrupted one"
pass
