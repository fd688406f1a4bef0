#!/usr/bin/env bash
# RD++ as a user runs it (docs/rdpp.md): rd-train --method rd++ on a generated category, the
# per-epoch log with each loss term, the model file (format version 3, method rd++), and every
# other tool unchanged on the model: rd-score (shards, bf16 where the CPU has it), rd-threshold
# fit/apply, rd-map, rd-eval; resume; the refusals (--proj-lr without rd++, the wrong checkpoint).
set -euo pipefail
source "$(dirname "$0")/lib.sh"  # TEST_TMP (removed on exit), fail, pass, assert_*
cd "$TEST_TMP"
py=${RD_PYTHON:-/usr/bin/python3}
bin=$RD_BIN_DIR
F=$RD_FIXTURES/model

"$bin/rd-demo-data" --out demo --size 64 --train 10 --test-good 4 --test-defect 2 --seed 2 > /dev/null
train=("$bin/rd-train" -q --weights none --backbone resnet18 --image-size 64 --batch-size 4 --seed 4 --method rd++)
summary=$("${train[@]}" --epochs 3 --val demo/tiles/test/good --log log.jsonl -o pp.rdm demo/tiles/train/good)
assert_contains "$summary" '"epochs":3' "summary line"
"$py" - <<'PY' || fail "the training log (above)"
import json
lines = [json.loads(l) for l in open("log.jsonl")]
assert len(lines) == 3, lines
for l in lines:
    for k in ("loss_kd", "loss_ssot", "loss_recon", "loss_con"):
        assert k in l, (k, l)
    assert abs(l["loss_ssot"]) < 1e-5, l
    total = l["loss_kd"] + 0.2 * (l["loss_ssot"] + 0.01 * l["loss_recon"] + 0.1 * l["loss_con"]) / 1.11
    assert abs(total - l["loss"]) < 1e-6 * max(1, l["loss"]), (total, l)
assert lines[-1]["loss"] < lines[0]["loss"], "the loss falls"
PY
head -c 12 pp.rdm | tail -c 4 | od -An -tu4 | grep -qw 3 || fail "an RD++ model is format version 3"

# Every other tool, unchanged.
find demo/tiles/test -name '*.png' | sort > images.txt
"$bin/rd-score" -q -m pp.rdm --dataset demo/tiles --maps maps > scores.jsonl
assert_eq "$(wc -l < scores.jsonl)" "10" "one record per test image"
"$bin/rd-eval" < scores.jsonl > eval.json
assert_contains "$(cat eval.json)" '"image_auroc"' "rd-eval"
"$bin/rd-threshold" fit -m pp.rdm --from-model --method sigma:3 -o t.json > /dev/null
"$bin/rd-threshold" apply -t t.json < scores.jsonl > decided.jsonl
assert_contains "$(head -1 decided.jsonl)" '"anomalous"' "rd-threshold apply"
"$bin/rd-map" -q -m pp.rdm --out overlays < decided.jsonl > /dev/null
assert_eq "$(ls overlays | wc -l)" "10" "one overlay per record"
for i in 1 2; do "$bin/rd-score" -q -m pp.rdm --shard $i/2 $(cat images.txt) > shard$i.jsonl; done
"$py" - <<'PY' || fail "shards and the recomputed maps (above)"
import json
import numpy as np
whole = {json.loads(l)["path"].split("/")[-1] + json.loads(l)["path"].split("/")[-2]: json.loads(l) for l in open("scores.jsonl")}
parts = [json.loads(l) for f in ("shard1.jsonl", "shard2.jsonl") for l in open(f)]
assert len(parts) == 10
for r in parts:
    w = whole[r["path"].split("/")[-1] + r["path"].split("/")[-2]]
    assert r["score"] == w["score"], (r, w)
    assert abs(np.load(w["map"]).max() - w["score"]) < 1e-6
PY

if grep -qwE 'avx512_bf16|amx_bf16' /proc/cpuinfo; then
  "$bin/rd-score" -q -m pp.rdm --precision bf16 $(cat images.txt) > bf16.jsonl
  "$py" - <<'PY' || fail "bf16 scores of an RD++ model (above)"
import json
from scipy.stats import spearmanr
a = {json.loads(l)["path"]: json.loads(l)["score"] for l in open("scores.jsonl")}
b = [json.loads(l) for l in open("bf16.jsonl")]
assert all(r["precision"] == "bf16" for r in b)
# bf16 moves scores by ~1e-3; with 10 images, two fp32 scores closer than that may swap, and one
# adjacent swap costs 0.012 of Spearman. The accuracy bar itself is precision_test's, on more images.
worst = max(abs(r["score"] - a[r["path"]]) / abs(a[r["path"]]) for r in b)
assert worst < 5e-3, worst
rho = spearmanr([a[r["path"]] for r in b], [r["score"] for r in b]).correlation
assert rho >= 0.98, rho
print(f"rd++ bf16 against fp32: spearman {rho:.4f}, largest relative score change {worst:.1e}")
PY
else
  echo "SKIP (rdpp_test): bf16 scoring: this CPU lacks avx512_bf16 and amx_bf16"
fi

# Resumed from the checkpoint after epoch 2: the same model as the uninterrupted run above.
"${train[@]}" --epochs 3 --checkpoint-every 1 -o first.rdm demo/tiles/train/good > /dev/null
"$bin/rd-train" -q --resume first.rdm.ckpt -o resumed.rdm demo/tiles/train/good > /dev/null
strip() { sed 's/"model":"[0-9a-f]*"//'; }
"$bin/rd-score" -q -m resumed.rdm $(cat images.txt) | strip > resumed.jsonl
"$bin/rd-score" -q -m pp.rdm $(cat images.txt) | strip > straight.jsonl
cmp -s resumed.jsonl straight.jsonl || fail "a resumed RD++ run scores as the uninterrupted one"

# Tiles: noise and losses on 64 px tiles of 128 px images; the stitched map covers the image.
"$bin/rd-demo-data" --out big --size 128 --train 3 --test-good 1 --test-defect 1 --seed 3 > /dev/null
"${train[@]}" --tile 64 --epochs 1 -o tiled.rdm big/tiles/train/good > tiled.json
assert_contains "$(cat tiled.json)" '"tiles":12' "3 images of 2x2 tiles"
"$bin/rd-score" -q -m tiled.rdm --maps tiled-maps big/tiles/test/good/000.png > tiled.jsonl
"$py" -c "
import json, numpy as np
r = json.loads(open('tiled.jsonl').read())
assert np.load(r['map']).shape == (128, 128), r
" || fail "a tiled RD++ model scores at full resolution"

# Refusals, with the cause.
rc=0; msg=$("$bin/rd-train" -q --weights none --backbone resnet18 --image-size 64 --proj-lr 0.01 -o x.rdm demo/tiles/train/good 2>&1) || rc=$?
assert_eq "$rc" "2" "--proj-lr without rd++"
assert_contains "$msg" "--proj-lr needs --method rd++" "--proj-lr without rd++"
rc=0; msg=$("$bin/rd-train" -q --weights "$F/resnet18_zip.pth" --backbone resnet18 --image-size 64 \
  --import-reference "$F/resnet18_rdpp_reference.pth" -o x.rdm 2>&1) || rc=$?
assert_eq "$rc" "2" "an RD++ checkpoint without --method rd++"
assert_contains "$msg" "add --method rd++" "an RD++ checkpoint without --method rd++"
rc=0; msg=$("$bin/rd-train" -q --method rd4ad --resume first.rdm.ckpt -o x.rdm demo/tiles/train/good 2>&1) || rc=$?
assert_eq "$rc" "2" "--resume with another --method"
assert_contains "$msg" "the checkpoint was trained with --method rd++" "--resume with another --method"
rc=0; msg=$("$bin/rd-train" -q --method rdxx -o x.rdm demo/tiles/train/good 2>&1) || rc=$?
assert_eq "$rc" "2" "an unknown method"
assert_contains "$msg" "choose rd4ad or rd++" "an unknown method"
[[ ! -e x.rdm ]] || fail "a refused run wrote x.rdm"
pass
