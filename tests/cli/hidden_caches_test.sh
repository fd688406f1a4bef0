#!/usr/bin/env bash
# On a CPU that hides its cache sizes (many cloud VMs), rd must score and train without crashing
# and with the same numbers (issue 29: oneDNN 3.6's sum divides by the L1 size there). The
# machine is made to hide them with tests/tools/hide_cpu_caches.cpp (CPUID faulting, LD_PRELOAD);
# RD_ONEDNN_SUM=off forces the same path without it. Every precision the CPU runs is checked.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$TEST_TMP"
shim=$RD_BIN_DIR/tests/libhide_cpu_caches.so
[[ -f $shim ]] || fail "the shim was not built: $shim"
# ASan wants its runtime first in the library list; the shim is preloaded before it.
export ASAN_OPTIONS="${ASAN_OPTIONS:-}:verify_asan_link_order=0"
hidden() { LD_PRELOAD=$shim "$@"; }
if ! hidden true 2>/dev/null; then
  echo "SKIP ($TEST_NAME): this kernel or hypervisor offers no CPUID faulting (no cpuid_fault in /proc/cpuinfo)"
  exit 77
fi

/usr/bin/python3 - <<'PY'
import os, numpy as np
from PIL import Image
rng = np.random.default_rng(3)
os.makedirs("imgs", exist_ok=True)
for i in range(6):
    a = (rng.random((48, 48, 3)) * 60 + 100).astype(np.uint8)
    if i >= 4: a[10:20, 10:20] = 255
    Image.fromarray(a).save(f"imgs/im{i}.png")
PY
# Training (fp32, and bf16 where the CPU runs it) under hidden caches.
hidden "$RD_BIN_DIR/rd-train" -q --weights none --backbone resnet18 --image-size 64 --epochs 1 --batch-size 4 \
  --seed 1 -o m.rdm imgs >/dev/null || fail "rd-train under hidden caches"
# The shim hides the caches: rd's own check says so (-v) and picks the path outside oneDNN's sum.
said=$(hidden "$RD_BIN_DIR/rd-score" -v -m m.rdm imgs/im0.png 2>&1 >/dev/null)
assert_contains "$said" "residuals added outside oneDNN" "rd-score -v under hidden caches"
precisions=(fp32)
if "$RD_BIN_DIR/rd-score" -q -m m.rdm --precision bf16 imgs/im0.png >/dev/null 2>&1; then
  precisions+=(bf16)
  hidden "$RD_BIN_DIR/rd-train" -q --weights none --backbone resnet18 --image-size 64 --epochs 1 --batch-size 4 \
    --precision bf16 -o bf16.rdm imgs >/dev/null || fail "rd-train --precision bf16 under hidden caches"
fi
"$RD_BIN_DIR/rd-score" -q -m m.rdm --precision int8 imgs/im0.png >/dev/null 2>&1 && precisions+=(int8)

# Scores: the oneDNN-sum path (default here), the forced dense addition, and hidden caches agree.
same_scores() {
  /usr/bin/python3 - "$1" "$2" <<'PY'
import json, sys
a, b = ([json.loads(l)["score"] for l in open(f)] for f in sys.argv[1:3])
assert len(a) == len(b) == 6, (len(a), len(b))
worst = max(abs(x - y) / max(abs(x), 1e-12) for x, y in zip(a, b))
sys.exit(0 if worst <= 1e-5 else f"scores differ by {worst:.3g} (relative)")
PY
}
for p in "${precisions[@]}"; do
  "$RD_BIN_DIR/rd-score" -q -m m.rdm --precision "$p" --batch-size 4 imgs > "sum-$p.jsonl"
  RD_ONEDNN_SUM=off "$RD_BIN_DIR/rd-score" -q -m m.rdm --precision "$p" --batch-size 4 imgs > "off-$p.jsonl"
  hidden "$RD_BIN_DIR/rd-score" -q -m m.rdm --precision "$p" --batch-size 4 imgs > "hidden-$p.jsonl" ||
    fail "rd-score --precision $p under hidden caches"
  same_scores "sum-$p.jsonl" "off-$p.jsonl" || fail "$p: RD_ONEDNN_SUM=off changes the scores"
  same_scores "sum-$p.jsonl" "hidden-$p.jsonl" || fail "$p: hidden caches change the scores"
done
# rd-map computes maps with the same network.
hidden "$RD_BIN_DIR/rd-map" -q -m m.rdm --range 0,1 --out overlays sum-fp32.jsonl >/dev/null || fail "rd-map -m under hidden caches"
assert_eq "$(ls overlays | wc -l)" "6" "overlays drawn under hidden caches"
assert_exit 2 env RD_ONEDNN_SUM=maybe "$RD_BIN_DIR/rd-score" -q -m m.rdm imgs/im0.png
echo "checked: ${precisions[*]}"
pass
