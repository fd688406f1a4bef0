#!/usr/bin/env bash
# rd-map as a user runs it: overlays at the original size, records re-emitted with "overlay",
# a fixed colour scale from a threshold file, bad records as error records with exit 4.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$TEST_TMP"
RD_MAP="$RD_BIN_DIR/rd-map"

/usr/bin/python3 - <<'PY'
import os, numpy as np
from PIL import Image
rng = np.random.default_rng(0)
for d in ("line1", "line2", "normal"):
    os.makedirs(d, exist_ok=True)
a = (rng.random((72, 96, 3)) * 60 + 100).astype(np.uint8)
Image.fromarray(a).save("line1/000.png")
Image.fromarray(a[:, ::-1].copy()).save("line2/000.png")     # same file name, other folder
Image.fromarray((rng.random((50, 70)) * 65535).astype(np.uint16)).save("gray16.png")
m = np.full((64, 64), 0.1, np.float32)
m[8:24, 40:56] = 0.9                                          # hot block: x 60..84, y 9..27 at 96x72
np.save("hot.npy", m)
np.save("cold.npy", np.full((64, 64), 0.1, np.float32))
np.save("cube.npy", np.zeros((2, 64, 64), np.float32))
mask = np.zeros((72, 96), np.uint8); mask[9:27, 60:84] = 255
Image.fromarray(mask).save("mask.png")
for i in range(5):                                            # normal maps for a pixel threshold
    np.save(f"normal/{i}.npy", (0.1 + 0.05 * rng.random((64, 64))).astype(np.float32))
PY
printf 'hello' > text.png

# A pixel threshold file: fitted by rd-threshold when it is built, else written by hand.
if [[ -x "$RD_BIN_DIR/rd-threshold" ]]; then
  for i in 0 1 2 3 4; do printf '{"path":"line1/000.png","score":0.2,"map":"normal/%s.npy"}\n' $i; done > normal.jsonl
  "$RD_BIN_DIR/rd-threshold" fit -q --pixel --method percentile:100 -o t.json normal.jsonl
else
  echo '{"kind":"rd-threshold","version":1,"method":"percentile:100","value":0.15,"count":5,"model":null,"pixel":true,"created":"2026-01-01T00:00:00Z"}' > t.json
fi
assert_contains "$(cat t.json)" '"pixel":true' "pixel threshold file"

cat > good.jsonl <<'EOF'
{"path":"line1/000.png","score":0.9,"map":"hot.npy","mask":"mask.png","anomalous":true,"threshold":0.5,"camera":"A"}
{"path":"line2/000.png","score":0.1,"map":"cold.npy","anomalous":false,"threshold":0.5}
{"path":"gray16.png","score":0.9,"map":"hot.npy"}
EOF

# Records come back in order with "overlay" added and every other field kept.
"$RD_MAP" -q -t t.json -o out good.jsonl > good.out
assert_eq "$(wc -l < good.out)" "3" "one record per input"
assert_contains "$(head -1 good.out)" '"camera":"A","overlay":"out/000_' "passthrough fields, then overlay"
/usr/bin/python3 - good.out <<'PY' || fail "overlays: see above"
import json, sys
from PIL import Image
recs = [json.loads(l) for l in open(sys.argv[1])]
names = [r["overlay"] for r in recs]
assert len(set(names)) == 3, f"overlay names collide: {names}"
for r in recs:
    src, out = Image.open(r["path"]), Image.open(r["overlay"])
    assert out.mode == "RGB", out.mode
    # The image area has the original size; the legend band lies below it (and the canvas is
    # widened for images too narrow for a legible legend).
    assert out.width >= src.width and out.height > src.height, (r, out.size, src.size)
PY

# --no-legend: exactly the original size; --alpha 1 --range 0,1: the colour map's own colours.
"$RD_MAP" -q --no-legend --alpha 1 --range 0,1 -o bare good.jsonl > bare.out
/usr/bin/python3 - bare.out <<'PY' || fail "bare overlays: see above"
import json, sys
from PIL import Image
for line in open(sys.argv[1]):
    r = json.loads(line)
    src, out = Image.open(r["path"]), Image.open(r["overlay"]).convert("RGB")
    assert out.size == src.size, (out.size, src.size)
first = json.loads(open(sys.argv[1]).readline())
out = Image.open(first["overlay"]).convert("RGB")
hot, cold = out.getpixel((72, 18)), out.getpixel((10, 60))
assert hot[0] > 150 and hot[2] < 60, f"0.9 of the scale should be red in jet, got {hot}"
assert cold[2] > 150 and cold[0] < 60, f"0.1 of the scale should be blue in jet, got {cold}"
PY

# Alpha 0: the image's own pixels, except the contours.
"$RD_MAP" -q --no-legend --alpha 0 --range 0,1 -o alpha0 < <(sed -n 2p good.jsonl) > alpha0.out
/usr/bin/python3 - alpha0.out <<'PY' || fail "alpha 0 changed the image"
import json, sys
import numpy as np
from PIL import Image
r = json.loads(open(sys.argv[1]).readline())
assert (np.asarray(Image.open(r["overlay"]).convert("RGB")) == np.asarray(Image.open(r["path"]).convert("RGB"))).all()
PY

# The threshold file drives the scale: 0 to twice the threshold, the threshold mid-scale; a
# lower threshold makes the same map hotter.
t=$(/usr/bin/python3 -c 'import json; print(json.load(open("t.json"))["value"])')
"$RD_MAP" -v --no-legend -t t.json -o scale1 < <(sed -n 2p good.jsonl) > /dev/null 2> scale1.err
assert_contains "$(cat scale1.err)" "colour scale 0 to " "scale message"
assert_contains "$(cat scale1.err)" "pixel threshold $t from 't.json'" "threshold named"
echo '{"kind":"rd-threshold","version":1,"method":"percentile:99","value":0.06,"count":5,"model":null,"pixel":true,"created":"2026-01-01T00:00:00Z"}' > low.json
"$RD_MAP" -q --no-legend -t low.json -o scale2 < <(sed -n 2p good.jsonl) > /dev/null
/usr/bin/python3 - <<'PY' || fail "a lower threshold should make the same map hotter"
import glob
from PIL import Image
a = Image.open(glob.glob("scale1/*.png")[0]).convert("RGB").getpixel((30, 40))
b = Image.open(glob.glob("scale2/*.png")[0]).convert("RGB").getpixel((30, 40))
assert b[0] > a[0] + 60 and b[2] + 60 < a[2], (a, b)
PY

# No threshold, statistics or range: a usage error that says which option to give.
set +e
"$RD_MAP" -o none good.jsonl > /dev/null 2> none.err
rc=$?
set -e
assert_eq "$rc" "2" "exit status without a colour scale"
assert_contains "$(cat none.err)" "rd-map: no colour scale: give -t FILE" "message names the options"
assert_contains "$(cat none.err)" "--range LO,HI" "message names --range"
echo '{"kind":"rd-threshold","version":1,"method":"percentile:99","value":0.5,"count":5,"model":null,"pixel":false,"created":"2026-01-01T00:00:00Z"}' > image.json
assert_exit 2 "$RD_MAP" -t image.json -o none good.jsonl
assert_exit 2 "$RD_MAP" -t t.json --colormap hot -o none good.jsonl
assert_exit 2 "$RD_MAP" -t t.json --alpha 2 -o none good.jsonl
assert_exit 2 "$RD_MAP" -t t.json good.jsonl
assert_exit 0 "$RD_MAP" --normalize per-image -o perimage good.jsonl

# Bad records: error records naming the file and the cause, the rest still drawn, exit 4.
cat > bad.jsonl <<'EOF'
{"path":"missing.png","map":"hot.npy"}
{"path":"text.png","map":"hot.npy"}
{"path":"line1/000.png"}
{"path":"line1/000.png","map":"gone.npy"}
{"path":"line1/000.png","map":"cube.npy"}
{"path":"up.png","error":"cannot decode 'up.png': upstream"}
{"path":"line2/000.png","map":"cold.npy"}
EOF
set +e
"$RD_MAP" -t t.json -o badout bad.jsonl > bad.out 2> bad.err
rc=$?
set -e
assert_eq "$rc" "4" "exit status with failed records"
assert_eq "$(wc -l < bad.out)" "7" "every record comes back"
assert_eq "$(grep -c '"error"' bad.out)" "6" "error records"
assert_eq "$(grep -c '"overlay"' bad.out)" "1" "the good record is drawn"
assert_contains "$(sed -n 1p bad.out)" "cannot decode 'missing.png'" "missing image"
assert_contains "$(sed -n 2p bad.out)" "cannot decode 'text.png': not an image" "not an image"
assert_contains "$(sed -n 3p bad.out)" 'has no \"map\"; give -m MODEL' "map missing without a model"
assert_contains "$(sed -n 4p bad.out)" "gone.npy" "unreadable map named"
assert_contains "$(sed -n 5p bad.out)" "'cube.npy' has shape (2, 64, 64)" "map that is not 2-D"
assert_eq "$(sed -n 6p bad.out)" "$(sed -n 6p bad.jsonl)" "upstream error record passes through unchanged"
assert_contains "$(cat bad.err)" "rd-map: cannot decode 'missing.png'" "stderr names the file"

# JPEG output, and the side-by-side panel.
"$RD_MAP" -q -t t.json --format jpg --quality 80 -o jpg < <(head -1 good.jsonl) > jpg.out
assert_contains "$(cat jpg.out)" '.jpg"}' "jpg overlay name"
assert_eq "$(head -c 3 jpg/*.jpg | od -An -tx1 | tr -d ' \n')" "ffd8ff" "JPEG file"
"$RD_MAP" -q -t t.json --panel -o panel < <(head -1 good.jsonl) > /dev/null
/usr/bin/python3 -c 'import glob; from PIL import Image; w = Image.open(glob.glob("panel/*.png")[0]).width; assert w > 3 * 96, w' ||
  fail "panel with a mask should be three images wide"

# A closed pipe ends quietly.
assert_exit 0 bash -c "set -o pipefail; cat good.jsonl good.jsonl good.jsonl | '$RD_MAP' -q -t t.json -o pipe | head -1"

# --mvtec-ad2: the submission MVTec's checker reads (tifffile, as check_and_prepare_data_for_upload.py
# does): float16 maps at the image's size (the record's width/height, else the decoded image's),
# 0/255 PNGs at the threshold, in anomaly_images[_thresholded]/<object>/<test set>/<stem>.
mkdir -p ad2/can/test_private ad2/can/test_private_mixed
cp line1/000.png ad2/can/test_private/000_regular.png
cp line1/000.png ad2/can/test_private_mixed/000_mixed.png
printf '%s\n' '{"path":"ad2/can/test_private/000_regular.png","score":0.9,"map":"hot.npy","width":96,"height":72}' \
  '{"path":"ad2/can/test_private_mixed/000_mixed.png","score":0.1,"map":"cold.npy"}' \
  '{"path":"line1/000.png","score":0.1,"map":"cold.npy"}' > ad2.jsonl
rc=0
"$RD_MAP" -q -t t.json --mvtec-ad2 sub ad2.jsonl > ad2.out 2> ad2.err || rc=$?
assert_eq "$rc" 4 "a record outside an MVTec AD 2 test set fails, the others are written"
assert_contains "$(cat ad2.err)" "'line1/000.png' is not an image of an MVTec AD 2 test set" "the bad record named"
assert_contains "$(sed -n 1p ad2.out)" '"submission":"sub/anomaly_images/can/test_private/000_regular.tiff"' "record says where"
t=$(/usr/bin/python3 -c 'import json; print(json.load(open("t.json"))["value"])')
/usr/bin/python3 - "$t" <<'PY' || fail "the MVTec AD 2 submission is not what the checker reads"
import sys, numpy as np, tifffile
from PIL import Image
t = float(sys.argv[1])
for name, hot in (("can/test_private/000_regular", True), ("can/test_private_mixed/000_mixed", False)):
    m = tifffile.imread(f"sub/anomaly_images/{name}.tiff")
    assert m.dtype == np.float16 and m.shape == (72, 96), (name, m.dtype, m.shape)
    b = np.asarray(Image.open(f"sub/anomaly_images_thresholded/{name}.png"))
    assert b.dtype == np.uint8 and b.shape == (72, 96) and set(np.unique(b)) <= {0, 255}, (name, np.unique(b))
    assert ((m.astype(np.float32) >= t) == (b == 255)).mean() > 0.99, name  # float16 rounding aside
    assert (b == 255).any() == hot and abs(float(m.max()) - (0.9 if hot else 0.1)) < 1e-3, name
PY
assert_exit 2 "$RD_MAP" --mvtec-ad2 sub --range 0,1 ad2.jsonl  # a range is no pixel threshold
assert_exit 2 "$RD_MAP" --mvtec-ad2 sub -o x -t t.json ad2.jsonl

# With a model: maps computed for records without one, the scale from its validation statistics.
if [[ -x "$RD_BIN_DIR/rd-train" && -x "$RD_BIN_DIR/rd-score" ]]; then
  mkdir -p train val
  /usr/bin/python3 -c "
import numpy as np
from PIL import Image
rng = np.random.default_rng(1)
for d, n in (('train', 6), ('val', 3)):
    for i in range(n):
        Image.fromarray((rng.random((64, 64, 3)) * 40 + 100).astype(np.uint8)).save(f'{d}/{i}.png')
"
  "$RD_BIN_DIR/rd-train" -q --weights none --backbone resnet18 --image-size 64 --epochs 1 --batch-size 4 \
    --val val -o m.rdm train > /dev/null
  "$RD_BIN_DIR/rd-score" -q -m m.rdm --maps maps line1/000.png > scored.jsonl
  "$RD_MAP" -q -m m.rdm -o modelout scored.jsonl > scored.out
  assert_contains "$(cat scored.out)" '"overlay":"modelout/000_' "scored record drawn with the model's scale"
  printf '{"path":"line2/000.png"}\n' | "$RD_MAP" -q -m m.rdm -o modelout > computed.out
  assert_contains "$(cat computed.out)" '"overlay":"modelout/000_' "map computed by the model"
  assert_exit 3 "$RD_MAP" -m text.png -o modelout good.jsonl
  assert_exit 3 "$RD_MAP" -m missing.rdm -o modelout good.jsonl
fi

pass
