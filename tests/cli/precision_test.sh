#!/usr/bin/env bash
# --precision as a user runs it (README "Precision"): bf16 scores of the same model against fp32
# on the demo category (128 px) and a 256 px generated texture set — image and pixel AUROC within
# 0.005, Spearman correlation of the image scores >= 0.999 — records that say "precision",
# thresholds bound to their precision, rd-map computing maps in bf16, and the refusals: a CPU
# (or a oneDNN ISA cap) without native bf16, and int8. Skips the bf16 runs, saying why, on a CPU
# without avx512_bf16/amx_bf16; the refusals are checked everywhere.
set -euo pipefail
source "$(dirname "$0")/lib.sh"  # TEST_TMP (removed on exit), fail, pass, assert_*
cd "$TEST_TMP"
py=${RD_PYTHON:-/usr/bin/python3}
score=("$RD_BIN_DIR/rd-score" -q --batch-size 4)

# 40 and 36 test images: on fewer, one swap of two nearly equal normal scores is below 0.999.
# wood has 12 normal and 24 defective images: one normal/defective pair swapped moves the image
# AUROC by 1/288 = 0.0035, under the 0.005 bar (with 8 normal images one swap was 0.0052 and
# failed the bar on its own).
# Models trained this long separate their scores enough; after 5 epochs at 256 px, bf16 swaps
# a few nearly equal normal scores (Spearman 0.998).
"$RD_BIN_DIR/rd-demo-data" --out . --category tiles --train 16 --test-good 10 --test-defect 10 > /dev/null
"$RD_BIN_DIR/rd-demo-data" --out . --category wood --size 256 --train 8 --test-good 12 --test-defect 8 > /dev/null
"$RD_BIN_DIR/rd-train" -q --weights none --backbone resnet18 --image-size 128 --epochs 20 --seed 1 -o tiles.rdm tiles > /dev/null
"$RD_BIN_DIR/rd-train" -q --weights none --backbone resnet18 --image-size 256 --epochs 15 --seed 1 -o wood.rdm wood > /dev/null

# Refusals that hold on every CPU: int8 (not shipped), an unknown name, and bf16 under a oneDNN
# ISA cap below native bf16 (exit 2, naming the missing instruction set).
msg=$("${score[@]}" -m tiles.rdm --precision int8 tiles/test/good/000.png 2>&1) && fail "int8 was accepted"
assert_contains "$msg" "int8 is not available" "int8 refusal"
assert_exit 2 "${score[@]}" -m tiles.rdm --precision fp16 tiles/test/good/000.png
rc=0; msg=$(DNNL_MAX_CPU_ISA=AVX2 "${score[@]}" -m tiles.rdm --precision bf16 tiles/test/good/000.png 2>&1) || rc=$?
assert_eq "$rc" "2" "bf16 under an AVX2 cap: exit status"
assert_contains "$msg" "avx512_bf16 or amx_bf16" "bf16 under an AVX2 cap names the instruction set"
DNNL_MAX_CPU_ISA=AVX2 "${score[@]}" -m tiles.rdm --precision auto tiles/test/good/000.png > capped.jsonl
[[ $(cat capped.jsonl) != *'"precision"'* ]] || fail "auto under an AVX2 cap is not fp32"
rc=0; DNNL_MAX_CPU_ISA=AVX2 "$RD_BIN_DIR/rd-map" -q -m tiles.rdm --precision bf16 -o o < /dev/null || rc=$?
assert_eq "$rc" "2" "rd-map refuses bf16 before drawing"
train=("$RD_BIN_DIR/rd-train" -q --weights none --backbone resnet18 --image-size 64 --epochs 1 -o x.rdm tiles)
assert_exit 2 "${train[@]}" --precision auto
rc=0; msg=$(DNNL_MAX_CPU_ISA=AVX2 "${train[@]}" --precision bf16 2>&1) || rc=$?
assert_eq "$rc" "2" "rd-train bf16 under an AVX2 cap"
assert_contains "$msg" "avx512_bf16" "rd-train bf16 under an AVX2 cap names the instruction set"

if ! grep -qwE 'avx512_bf16|amx_bf16' /proc/cpuinfo; then
  echo "SKIP (precision_test): bf16 accuracy: this CPU lacks avx512_bf16 and amx_bf16"
  pass
  exit 0
fi

for set in tiles wood; do
  "${score[@]}" -m $set.rdm --dataset $set --maps m32-$set > $set-fp32.jsonl
  "${score[@]}" -m $set.rdm --dataset $set --maps m16-$set --precision bf16 > $set-bf16.jsonl
  "$RD_BIN_DIR/rd-eval" < $set-fp32.jsonl > $set-fp32-eval.json
  "$RD_BIN_DIR/rd-eval" < $set-bf16.jsonl > $set-bf16-eval.json
  "$py" - $set <<'PY' || fail "bf16 against fp32 on $set (above)"
import json, sys
from scipy.stats import spearmanr
s = sys.argv[1]
a = [json.loads(l) for l in open(f"{s}-fp32.jsonl")]
b = [json.loads(l) for l in open(f"{s}-bf16.jsonl")]
assert [r["path"] for r in a] == [r["path"] for r in b], "same records in the same order"
assert all("precision" not in r for r in a), "fp32 records carry no precision"
assert all(r["precision"] == "bf16" for r in b), "bf16 records say so"
rho = spearmanr([r["score"] for r in a], [r["score"] for r in b]).correlation
ea, eb = json.load(open(f"{s}-fp32-eval.json")), json.load(open(f"{s}-bf16-eval.json"))
print(f"{s}: spearman {rho:.5f}, image AUROC {ea['image_auroc']:.4f} -> {eb['image_auroc']:.4f}, "
      f"pixel AUROC {ea['pixel_auroc']:.4f} -> {eb['pixel_auroc']:.4f}")
assert rho >= 0.999, f"spearman {rho}"
assert abs(ea["image_auroc"] - eb["image_auroc"]) <= 0.005
assert abs(ea["pixel_auroc"] - eb["pixel_auroc"]) <= 0.005
PY
done

# auto picks bf16 on this CPU.
"${score[@]}" -m tiles.rdm --precision auto tiles/test/good/000.png > auto.jsonl
assert_contains "$(cat auto.jsonl)" '"precision":"bf16"' "auto on a bf16 CPU"

# Thresholds are bound to the precision they were fitted at, as to the model.
"$RD_BIN_DIR/rd-threshold" fit --method f1 -o t32.json < tiles-fp32.jsonl
assert_eq "$("$py" -c 'import json; print(json.load(open("t32.json"))["precision"])')" "fp32" "fp32 threshold file"
rc=0; msg=$("$RD_BIN_DIR/rd-threshold" apply -t t32.json < tiles-bf16.jsonl 2>&1 > /dev/null) || rc=$?
assert_eq "$rc" "2" "an fp32 threshold on bf16 records"
assert_contains "$msg" "scored at bf16, but threshold file 't32.json' was fitted on fp32 scores" "message"
"$RD_BIN_DIR/rd-threshold" apply --force -t t32.json < tiles-bf16.jsonl > forced.jsonl 2> forced.err
assert_eq "$(grep -c '"anomalous"' forced.jsonl)" "$(wc -l < tiles-bf16.jsonl)" "--force decides every record"
assert_contains "$(cat forced.err)" "applied anyway (--force)" "--force warns"
"$RD_BIN_DIR/rd-threshold" fit --method f1 -o t16.json < tiles-bf16.jsonl
"$RD_BIN_DIR/rd-threshold" apply -t t16.json < tiles-bf16.jsonl > /dev/null
assert_exit 2 "$RD_BIN_DIR/rd-threshold" fit --method f1 tiles-fp32.jsonl tiles-bf16.jsonl

# rd-map computes maps in bf16 for records without one.
grep -h '"defect":"stain"' tiles-bf16.jsonl | "$py" -c '
import json, sys
for l in sys.stdin:
    r = json.loads(l); r.pop("map"); print(json.dumps(r))' > nomap.jsonl
"$RD_BIN_DIR/rd-map" -q -m tiles.rdm --precision bf16 --range 0,2 -o overlays < nomap.jsonl > drawn.jsonl
assert_eq "$(grep -c '"overlay"' drawn.jsonl)" "$(wc -l < nomap.jsonl)" "rd-map drew every record in bf16"
pass
