#!/usr/bin/env bash
# rd-export: onnxruntime (onnxruntime-node) runs the exported file on the same preprocessed
# images and gives rd-score's scores and maps to 1e-4, for resnet18 and wide_resnet50_2, trained
# here and imported from the paper's code, and an RD++ model (projection: instance norm and leaky
# ReLU) imported from the official RD++ code; fp16 within 1e-2 and the same ranking; --no-map
# features give the map an independent torch/scipy head computes; the ONNX checker (Python's)
# accepts every file; metadata; errors name the file and leave an old output untouched.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib.sh"
cd "$TEST_TMP"
B=$RD_BIN_DIR
F=$RD_FIXTURES/model
PY=${RD_PYTHON:-/usr/bin/python3}

"$B/rd-demo-data" -o demo --size 64 --train 8 --test-good 4 --test-defect 2 >/dev/null
find demo/tiles/test -name '*.png' | sort >images.txt
"$B/rd-train" -q --weights none --backbone resnet18 --image-size 64 --epochs 3 --batch-size 4 \
  --val demo/tiles/train/good -o r18.rdm demo/tiles/train/good >/dev/null
"$B/rd-train" -q --weights "$F/resnet18_zip.pth" --backbone resnet18 --image-size 64 \
  --import-reference "$F/resnet18_reference.pth" -o r18ref.rdm >/dev/null
"$B/rd-train" -q --weights "$F/resnet18_zip.pth" --backbone resnet18 --image-size 64 --method rd++ \
  --import-reference "$F/resnet18_rdpp_reference.pth" -o r18pp.rdm >/dev/null

# --- usage and file errors (no runtime needed)
expect_error() {  # expect_error STATUS NEEDLE ARGS...: exit status and a message naming the cause
  local want=$1 needle=$2 rc=0
  shift 2
  "$B/rd-export" "$@" >out.txt 2>err.txt || rc=$?
  [[ $rc == "$want" ]] || fail "rd-export $*: exit $rc, want $want ($(cat err.txt))"
  assert_contains "$(cat err.txt)" "$needle" "rd-export $*"
}
expect_error 2 "--output" -m r18.rdm
expect_error 2 "model" -o x.onnx
expect_error 2 "opsets 13 to 17" -m r18.rdm -o x.onnx --opset 12
expect_error 2 "fp32 or fp16" -m r18.rdm -o x.onnx --precision int8
expect_error 2 "topk" -m r18.rdm -o x.onnx --reduce top3
expect_error 3 "no/such/dir/x.onnx" -m r18.rdm -o no/such/dir/x.onnx
head -c 100000 r18.rdm >truncated.rdm
echo "old" >kept.onnx
expect_error 3 "truncated.rdm" -m truncated.rdm -o kept.onnx
assert_eq "$(cat kept.onnx)" "old" "a failed export leaves the old output"
# A full disk mid-write: the error names the output, the old file stays, no temporary is left.
rc=0
(trap "" XFSZ; ulimit -f 2000; exec "$B/rd-export" -q -m r18.rdm -o kept.onnx) 2>err.txt || rc=$?
[[ $rc == 3 ]] || fail "export onto a full disk: exit $rc, want 3"
assert_contains "$(cat err.txt)" "kept.onnx" "full-disk message"
assert_eq "$(cat kept.onnx)" "old" "a failed export leaves the old output"
assert_eq "$(ls -a | grep -c 'kept.onnx.')" "0" "temporary files left behind"
[[ ! -e x.onnx ]] || fail "a refused export wrote x.onnx"

# --- the exports: fp32 of every model, fp16, features, another head
"$B/rd-train" -q --weights none --backbone wide_resnet50_2 --image-size 64 --epochs 1 --batch-size 8 \
  -o w50.rdm demo/tiles/train/good >/dev/null
"$B/rd-train" -q --weights "$F/wide_resnet50_2_zip.pth" --backbone wide_resnet50_2 --image-size 64 \
  --import-reference "$F/wide_resnet50_2_reference.pth" -o w50ref.rdm >/dev/null
"$B/rd-export" -m r18.rdm -o r18.onnx >r18.json
assert_contains "$(cat r18.json)" '"outputs":"score,map"' "summary line"
"$B/rd-export" -q -m r18.rdm -o r18h.onnx --precision fp16 >/dev/null
"$B/rd-export" -q -m r18ref.rdm -o r18ref.onnx --opset 13 >/dev/null
"$B/rd-export" -q -m r18ref.rdm -o r18ref_mul.onnx --map-mode mul --reduce topk:50 >/dev/null
"$B/rd-export" -q -m r18ref.rdm -o r18ref_feat.onnx --no-map >/dev/null
"$B/rd-export" -q -m r18pp.rdm -o r18pp.onnx >/dev/null
"$B/rd-export" -q -m r18pp.rdm -o r18pph.onnx --precision fp16 >/dev/null

# The same images in the network's layout, preprocessed as the man page tells a consumer to
# (PIL, the metadata's mean/std); the demo images are 64 px, so no resizing.
"$PY" - r18.onnx r18h.onnx r18ref.onnx r18ref_mul.onnx r18ref_feat.onnx r18pp.onnx r18pph.onnx <<'PY'
import json, sys
import numpy as np, onnx
from PIL import Image
for f in sys.argv[1:]:
    onnx.checker.check_model(onnx.load(f), full_check=True)
meta = {p.key: p.value for p in onnx.load(sys.argv[1], load_external_data=False).metadata_props}
assert meta["rd.image_size"] == "64" and meta["rd.backbone"] == "resnet18", meta
assert json.loads(meta["rd.mean"]) == [0.485, 0.456, 0.406], meta["rd.mean"]
assert json.loads(meta["rd.validation"])["count"] == 8 and len(json.loads(meta["rd.validation"])["scores"]) == 8
assert "paths" not in json.loads(meta["rd.validation"])
assert meta["rd.reduce"] == "max" and meta["rd.map_mode"] == "add" and meta["rd.precision"] == "fp32"
json.dump(meta, open("meta.json", "w"))
mean, std = np.array(json.loads(meta["rd.mean"]), np.float32), np.array(json.loads(meta["rd.std"]), np.float32)
xs = []
for path in open("images.txt").read().split("\n")[:-1]:
    x = np.asarray(Image.open(path).convert("RGB"), np.float32) / 255
    xs.append(((x - mean) / std).transpose(2, 0, 1))
np.save("inputs.npy", np.ascontiguousarray(np.stack(xs), dtype=np.float32))
PY

# rd-score's records and maps, the reference for every runtime comparison.
score() {  # score MODEL NAME [rd-score options]
  local model=$1 name=$2
  shift 2
  "$B/rd-score" -q -m "$model" --maps "maps_$name" "$@" $(cat images.txt) >"rd_$name.jsonl"
}
score r18.rdm r18
score r18ref.rdm r18ref
score r18ref.rdm r18ref_mul --map-mode mul --reduce topk:50
score r18pp.rdm r18pp
model_id=$(sed -n 's/.*"model":"\([0-9a-f]*\)".*/\1/p' rd_r18.jsonl | head -1)
assert_contains "$(cat meta.json)" "\"rd.model_id\": \"$model_id\"" "metadata model id"

# --- onnxruntime (skipped from here, saying why, where npm cannot install it)
source "$here/onnxruntime.sh"
run_ort() { node "$here/onnx_run.js" "$1" inputs.npy "$2" "${3:-4}" >/dev/null; }  # batches of 4: 4, 4, 2

# compare NAME ORT_DIR TOLERANCE [ranking]: ORT's score/map against rd-score's.
compare() {
  "$PY" - "$@" <<'PY'
import json, sys
import numpy as np
name, out, tol = sys.argv[1], sys.argv[2], float(sys.argv[3])
recs = [json.loads(l) for l in open(f"rd_{name}.jsonl")]
want = np.array([r["score"] for r in recs])
got = np.load(f"{out}/score.npy").astype(np.float64)
maps = np.load(f"{out}/map.npy")
assert got.shape == want.shape and maps.shape == (len(recs), 1, 64, 64), (got.shape, maps.shape)
ds = np.abs(got - want).max()
dm = max(np.abs(maps[i, 0] - np.load(r["map"])).max() for i, r in enumerate(recs))
assert ds <= tol and dm <= tol, f"{out}: largest score difference {ds}, map difference {dm} (tolerance {tol})"
if len(sys.argv) > 4:
    assert (np.argsort(got) == np.argsort(want)).all(), f"{out}: ranking differs: {got} vs {want}"
print(f"{out}: score {ds:.2e}, map {dm:.2e}")
PY
}
run_ort r18.onnx ort_r18 && compare r18 ort_r18 1e-4
run_ort r18.onnx ort_r18_b1 1 && compare r18 ort_r18_b1 1e-4
run_ort r18h.onnx ort_r18h && compare r18 ort_r18h 1e-2 ranking
run_ort r18ref.onnx ort_r18ref && compare r18ref ort_r18ref 1e-4
run_ort r18ref_mul.onnx ort_r18ref_mul && compare r18ref_mul ort_r18ref_mul 1e-4
run_ort r18pp.onnx ort_r18pp && compare r18pp ort_r18pp 1e-4
run_ort r18pph.onnx ort_r18pph && compare r18pp ort_r18pph 1e-2 ranking

# --no-map: the six features, turned into the map by torch and scipy (the paper's head).
run_ort r18ref_feat.onnx ort_feat
"$PY" - <<'PY'
import json
import numpy as np, torch
import torch.nn.functional as F
from scipy.ndimage import gaussian_filter
recs = [json.loads(l) for l in open("rd_r18ref.jsonl")]
total = 0
for k in (1, 2, 3):
    t = torch.from_numpy(np.load(f"ort_feat/teacher_{k}.npy"))
    s = torch.from_numpy(np.load(f"ort_feat/student_{k}.npy"))
    assert t.shape[1] == 32 << k and t.shape[2] == 64 >> (k + 1), t.shape
    a = 1 - F.cosine_similarity(t, s, dim=1).unsqueeze(1)
    total = total + F.interpolate(a, size=64, mode="bilinear", align_corners=True)
for i, r in enumerate(recs):
    m = gaussian_filter(total[i, 0].numpy().astype(np.float64), sigma=4)
    d = np.abs(m - np.load(r["map"])).max()
    assert d <= 1e-4 and abs(m.max() - r["score"]) <= 1e-4, (i, d, m.max(), r["score"])
PY

# wide_resnet50_2, trained and imported (one at a time: each file is ~430 MB).
for name in w50 w50ref; do
  "$B/rd-export" -q -m "$name.rdm" -o "$name.onnx" >/dev/null
  "$PY" -c "import onnx, sys; onnx.checker.check_model(sys.argv[1], full_check=True)" "$name.onnx"
  score "$name.rdm" "$name"
  run_ort "$name.onnx" "ort_$name" && compare "$name" "ort_$name" 1e-4
  rm -f "$name.onnx" "$name.rdm"
done
pass
