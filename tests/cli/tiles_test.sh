#!/usr/bin/env bash
# Tiles as a user runs them (docs/tiles.md): on generated 1024 px tile
# floors with ~10 px holes, a tiled resnet18 (128 px tiles, full resolution) finds the holes —
# maps that peak on them, scores that separate them from normal images — where a model of the
# same data resized to 256 px does not. Then: --val statistics from stitched maps, rd-map and
# rd-eval at full resolution, shards, resume, refusals and error records.
set -euo pipefail
source "$(dirname "$0")/lib.sh"  # TEST_TMP (removed on exit), fail, pass, assert_*
cd "$TEST_TMP"
py=${RD_PYTHON:-/usr/bin/python3}
bin=$RD_BIN_DIR
train=("$bin/rd-train" -q --weights none --backbone resnet18 --seed 1)

# --zoom 0.5: the texture and defects drawn at half their 128 px size, so a 1024 px image shows
# 64 floor tiles of 16 px and a hole is ~10 px across (2.5 px after resizing to 256).
"$bin/rd-demo-data" --out . --size 1024 --zoom 0.5 --train 3 --test-good 4 --test-defect 4 --seed 5 > /dev/null
holes() { find tiles/test/good tiles/test/hole -name '*.png' | sort | "$py" -c '
import json, sys
for p in sys.stdin.read().split():
    d = p.split("/")[2]
    r = {"path": p, "label": int(d != "good"), "defect": d}
    if d != "good": r["mask"] = "tiles/ground_truth/hole/" + p.split("/")[3][:-4] + "_mask.png"
    print(json.dumps(r))'; }
holes > test.jsonl

summary=$("${train[@]}" --tile 128 --epochs 8 --batch-size 8 --val tiles/test/good -o tiled.rdm tiles)
assert_contains "$summary" '"tiles":192' "3 images of 8x8 tiles"
"${train[@]}" --image-size 256 --epochs 16 --batch-size 1 -o resized.rdm tiles > /dev/null

"$bin/rd-score" -q -m tiled.rdm --batch-size 6 --maps maps-tiled < test.jsonl > tiled.jsonl
"$bin/rd-score" -q -m resized.rdm --maps maps-resized < test.jsonl > resized.jsonl
"$bin/rd-eval" < tiled.jsonl > tiled-eval.json
"$bin/rd-eval" < resized.jsonl > resized-eval.json
"$py" - <<'PY' || fail "tiled against resized (above)"
import json
import numpy as np
from PIL import Image

def peaks(records):
    """Distance in map pixels from each hole map's maximum to the hole."""
    out = []
    for r in records:
        if r["label"] != 1:
            continue
        m = np.load(r["map"])
        mask = Image.open(r["mask"])
        if mask.size != m.shape[::-1]:
            mask = mask.resize(m.shape[::-1], Image.NEAREST)
        ys, xs = np.nonzero(np.array(mask))
        y, x = np.unravel_index(m.argmax(), m.shape)
        out.append(float(np.sqrt(((ys - y) ** 2 + (xs - x) ** 2).min())))
    return out

t = [json.loads(l) for l in open("tiled.jsonl")]
r = [json.loads(l) for l in open("resized.jsonl")]
assert all(np.load(x["map"]).shape == (1024, 1024) for x in t), "tiled maps are at full resolution"
assert all(np.load(x["map"]).shape == (256, 256) for x in r)
te, re = json.load(open("tiled-eval.json")), json.load(open("resized-eval.json"))
pt, pr = peaks(t), peaks(r)
print(f"image AUROC tiled {te['image_auroc']:.3f} resized {re['image_auroc']:.3f}; "
      f"pixel AUROC {te['pixel_auroc']:.3f} / {re['pixel_auroc']:.3f}; "
      f"peak-to-hole distance (map px) tiled {pt} resized {pr}")
assert te["image_auroc"] >= 0.875, "the tiled model separates holes from normal images"
assert re["image_auroc"] <= 0.75, "the resized model does not"
assert sum(d <= 8 for d in pt) >= 3, "tiled maps peak within 8 px of the hole"
assert sum(d <= 2 for d in pr) <= 1, "resized maps peak elsewhere"
assert te["pixel_auroc"] > re["pixel_auroc"] + 0.1
PY

# --val was scored on stitched maps: its scores are rd-score's scores of the same images.
grep '"defect":"good"' tiled.jsonl > val.jsonl
"$py" - <<'PY' || fail "--val statistics of a tiled model"
import json, struct
def meta(path):
    b = open(path, "rb").read()
    n = struct.unpack("<Q", b[16:24])[0]
    return json.loads(b[24:24 + n])["meta"]
m = meta("tiled.rdm")
assert m["tiling"] == {"size": 128, "stride": 128, "scale": 1.0}, m["tiling"]
v = m["validation"]
got = {json.loads(l)["path"]: json.loads(l)["score"] for l in open("val.jsonl")}
assert sorted(v["paths"]) == sorted(got), (v["paths"], list(got))
for p, s in zip(v["paths"], v["scores"]):
    assert abs(s - got[p]) < 1e-6, (p, s, got[p])
PY
head -c 12 tiled.rdm | tail -c 4 | od -An -tu4 | grep -qw 2 || fail "a tiled model is format version 2"

# rd-map draws at the image's size, from saved maps and from maps it computes with the model.
"$bin/rd-map" -q -m tiled.rdm --out over < tiled.jsonl > over.jsonl
sed 's/,"map":"[^"]*"//' tiled.jsonl | head -2 | "$bin/rd-map" -q -m tiled.rdm --out computed > computed.jsonl
"$py" - <<'PY' || fail "rd-map on a tiled model"
import json
from PIL import Image
for f in ("over.jsonl", "computed.jsonl"):
    for l in open(f):
        r = json.loads(l)
        w, h = Image.open(r["overlay"]).size  # the image, with the colour bar below it
        assert w == 1024 and 1024 < h < 1200, (f, r["overlay"], w, h)
a = [json.loads(l)["overlay"] for l in open("over.jsonl")][:2]
b = [json.loads(l)["overlay"] for l in open("computed.jsonl")]
import numpy as np
for x, y in zip(a, b):
    d = np.abs(np.asarray(Image.open(x), float) - np.asarray(Image.open(y), float)).max()
    assert d <= 1, (x, y, d)  # the same map, computed twice
PY

# Shards split the images, not the tiles: the two halves are the whole run.
head -5 test.jsonl > five.jsonl
"$bin/rd-score" -q -m tiled.rdm --shard 1/2 < five.jsonl > s1.jsonl
"$bin/rd-score" -q -m tiled.rdm --shard 2/2 < five.jsonl > s2.jsonl
[[ -s s1.jsonl && -s s2.jsonl ]] || fail "both shards have images"
assert_eq "$(cat s1.jsonl s2.jsonl | sort)" "$(head -5 tiled.jsonl | sed 's/,"map":"[^"]*"//' | sort)" "shards of a tiled model"

# Errors: a too-small image and a missing one are error records; the rest are scored (exit 4).
"$py" -c 'from PIL import Image; Image.new("RGB", (1024, 100)).save("thin.png")'
rc=0; "$bin/rd-score" -q -m tiled.rdm tiles/test/good/000.png thin.png nope.png tiles/test/good/001.png > err.jsonl || rc=$?
assert_eq "$rc" "4" "exit status with bad inputs"
assert_eq "$(grep -c '"score"' err.jsonl)" "2" "the good images are scored"
assert_contains "$(sed -n 2p err.jsonl)" "image is 1024x100, smaller than the model's 128 px tile" "too small"
assert_contains "$(sed -n 3p err.jsonl)" '"path":"nope.png"' "records stay in input order"

# Training: --tile-scale, overlap, a too-small image skipped with a warning, resume == uninterrupted.
small=("$bin/rd-train" --weights none --backbone resnet18 --seed 1 --tile 64,48 --tile-scale 0.25 --epochs 2 --batch-size 16)
cp thin.png tiles/train/good/zz-thin.png
rc=0; out=$("${small[@]}" -o a.rdm tiles 2>err.txt) || rc=$?
assert_eq "$rc" "4" "a training image smaller than a tile"
assert_contains "$(cat err.txt)" "zz-thin.png': image is 256x25 after scaling by 0.25, smaller than the model's 64 px tile" "warning"
assert_contains "$out" '"tiles":75' "3 images of 256 px: 5x5 tiles each"
rm tiles/train/good/zz-thin.png
"${small[@]}" -q --checkpoint-every 1 -o b.rdm tiles > /dev/null  # b.rdm.ckpt: after epoch 1
"$bin/rd-train" -q --resume b.rdm.ckpt -o c.rdm tiles > /dev/null
assert_exit 2 "$bin/rd-train" -q --resume b.rdm.ckpt --tile 128 -o d.rdm tiles  # not the checkpoint's tiling
"$bin/rd-score" -q -m b.rdm tiles/test/hole > b.jsonl
"$bin/rd-score" -q -m c.rdm tiles/test/hole > c.jsonl
assert_eq "$(sed 's/"model":"[0-9a-f]*"//' c.jsonl)" "$(sed 's/"model":"[0-9a-f]*"//' b.jsonl)" "resumed tiled training"

# Refusals: bad --tile values, --tile-scale alone, --image-size that is not the tile, rd-export.
assert_exit 2 "${train[@]}" --tile 100 -o x.rdm tiles
assert_exit 2 "${train[@]}" --tile 128,200 -o x.rdm tiles
assert_exit 2 "${train[@]}" --tile-scale 0.5 -o x.rdm tiles
assert_exit 2 "${train[@]}" --tile 128 --image-size 256 -o x.rdm tiles
rc=0; msg=$("$bin/rd-export" -m tiled.rdm -o x.onnx 2>&1) || rc=$?
assert_eq "$rc" "2" "rd-export of a tiled model"
assert_contains "$msg" "is a tiled model" "rd-export says why"
pass
