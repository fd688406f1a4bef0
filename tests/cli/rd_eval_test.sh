#!/usr/bin/env bash
# rd-eval as a user runs it: metrics equal scikit-learn's and independent AUPRO implementations on
# generated records, maps and masks; --by defect; the four formats; --curves files; skipped records
# counted; a single class is exit 2; unreadable maps skip their record (exit 4).
set -euo pipefail
source "$(dirname "$0")/lib.sh"  # TEST_TMP (removed on exit), fail, pass, assert_*
py="${RD_PYTHON:-/usr/bin/python3}"
export RD_REFERENCE_DIR
RD_REFERENCE_DIR="$(cd "$(dirname "$0")/../reference" && pwd)"
eval_tool="$RD_BIN_DIR/rd-eval"
cd "$TEST_TMP"

# Records, maps and masks. Masks come as 8-bit 0/255, as 8-bit 0 and small class values (VisA's
# masks: any non-zero pixel is anomalous), 16-bit, and at twice the map size in 2x2 blocks (any
# nearest-neighbour resize gives the map size).
"$py" - <<'PY'
import json, os, numpy as np
from PIL import Image
from scipy import ndimage
rng = np.random.default_rng(7)
os.makedirs("maps", exist_ok=True)
os.makedirs("masks", exist_ok=True)
h, w = 24, 32
records = []
kinds = ["good"] * 6 + ["crack"] * 4 + ["hole"] * 3
for i, defect in enumerate(kinds):
    mask = np.zeros((h, w), np.uint8)
    if defect != "good":
        noise = ndimage.gaussian_filter(rng.random((h, w)), 2.0)
        mask = (noise > np.quantile(noise, 0.88)).astype(np.uint8)
    amap = ndimage.gaussian_filter(rng.random((h, w)) + 0.7 * mask, 1.0)
    if i % 2:
        amap = np.round(amap, 2)  # ties
    amap = amap.astype(np.float32)
    np.save(f"maps/{i}.npy", amap if i != 3 else amap[None, None])  # 1x1xHxW works too
    rec = {"path": f"test/{defect}/{i}.png", "score": float(np.round(amap.max() + rng.normal(0, 0.2), 2)),
           "label": int(defect != "good"), "defect": defect, "map": f"maps/{i}.npy"}
    if defect != "good" or i == 0:  # a normal record may carry an empty mask
        style = i % 4
        if style == 0:
            img = Image.fromarray(mask * 255)
        elif style == 1:
            img = Image.fromarray((mask * (1 + i % 3)).astype(np.uint8))
        elif style == 2:
            img = Image.fromarray((mask.astype(np.uint16) * 65535).astype(np.uint16))
        else:
            img = Image.fromarray(np.kron(mask, np.ones((2, 2), np.uint8)) * 255)
        img.save(f"masks/{i}.png")
        rec["mask"] = f"masks/{i}.png"
    records.append(rec)
    np.save(f"truth_{i}.npy", mask)
with open("records.jsonl", "w") as f:
    for r in records:
        f.write(json.dumps(r) + "\n")
with open("extra.jsonl", "w") as f:  # counted, never scored
    f.write(json.dumps({"path": "test/crack/x.png", "label": 1, "defect": "crack", "error": "cannot decode"}) + "\n")
    f.write(json.dumps({"path": "u.png", "score": 0.5}) + "\n")
    f.write(json.dumps({"path": "n.png", "score": 0.5, "label": None}) + "\n")
PY

# The expected values: sklearn and the independent implementations in tests/reference.
"$py" - <<'PY'
import json, os, sys, numpy as np
from sklearn import metrics
sys.path.insert(0, os.environ["RD_REFERENCE_DIR"])
import make_metrics as ref
recs = [json.loads(l) for l in open("records.jsonl")]
def group(rs):
    labels = [r["label"] for r in rs]
    scores = [r["score"] for r in rs]
    maps = [np.load(r["map"]).reshape(24, 32) for r in rs]
    masks = [np.load("truth_%s.npy" % r["map"].split("/")[1].split(".")[0]) for r in rs]
    pixels = np.concatenate([m.ravel() for m in maps]).astype(np.float64)
    truth = np.concatenate([m.ravel() for m in masks])
    f1 = ref.f1_max(labels, scores)
    return {"image_auroc": metrics.roc_auc_score(labels, scores),
            "average_precision": metrics.average_precision_score(labels, scores),
            "f1_max": {"value": f1["f1"], "threshold": f1["threshold"],
                       "precision": f1["precision"], "recall": f1["recall"]},
            "pixel_auroc": metrics.roc_auc_score(truth, pixels),
            "pixel_average_precision": metrics.average_precision_score(truth, pixels),
            "aupro": ref.aupro_mvtec(maps, masks, 0.3),
            "aupro_limit_1": ref.aupro_mvtec(maps, masks, 1.0),
            "aupro_rd4ad": ref.aupro_rd4ad(maps, masks),
            "normal": labels.count(0), "anomalous": labels.count(1)}
expected = {"all": group(recs)}
for d in ["crack", "hole"]:
    expected[d] = group([r for r in recs if r["label"] == 0 or r["defect"] == d])
fpr, tpr, _ = metrics.roc_curve([r["label"] for r in recs], [r["score"] for r in recs], drop_intermediate=False)
expected["roc"] = {"fpr": fpr[1:].tolist(), "tpr": tpr[1:].tolist()}
json.dump(expected, open("expected.json", "w"), default=float)
PY

# compare OUTPUT.json MODE [TOLERANCE]: every metric within 1e-9 (or TOLERANCE) of the expected value.
compare() {
  "$py" - "$1" "$2" "${3:-1e-9}" <<'PY' || fail "metrics differ from sklearn/reference ($2)"
import json, sys
got, mode, tolerance = json.load(open(sys.argv[1])), sys.argv[2], float(sys.argv[3])
want = json.load(open("expected.json"))
def check(g, w, name):
    pairs = [("image_auroc", w["image_auroc"]), ("average_precision", w["average_precision"])]
    pairs += [("f1_max." + k, w["f1_max"][k]) for k in ("value", "threshold", "precision", "recall")]
    if mode != "image":
        pairs += [("pixel_auroc", w["pixel_auroc"]), ("pixel_average_precision", w["pixel_average_precision"]),
                  ("aupro", w["aupro_rd4ad" if mode == "rd4ad" else "aupro_limit_1" if mode == "limit1" else "aupro"])]
    for key, value in pairs:
        v = g
        for part in key.split("."):
            v = v[part]
        if abs(v - value) > (tolerance if key.startswith(("pixel", "aupro")) else 1e-9):
            sys.exit(f"{name} {key}: got {v!r}, want {value!r}")
    assert g["counts"]["normal"] == w["normal"] and g["counts"]["anomalous"] == w["anomalous"], name
    if mode == "image":
        assert "pixel_auroc" not in g and "aupro" not in g, name
check(got, want["all"], "all")
for d, g in got.get("by_defect", {}).items():
    check(g, want[d], d)
PY
}

# JSON (default): image and pixel metrics of all records, and per defect.
"$eval_tool" --by defect records.jsonl > out.json
compare out.json mvtec
"$py" -c "
import json; j = json.load(open('out.json'))
assert list(j['by_defect']) == ['crack', 'hole'], j['by_defect'].keys()
c = j['counts']; assert (c['records'], c['skipped_error'], c['skipped_unlabelled']) == (13, 0, 0), c
assert c['pixel_images'] == 13 and c['regions'] > 7, c
assert j['pro_mode'] == 'mvtec' and j['fpr_limit'] == 0.3
" || fail "JSON structure"
assert_exit 0 "$eval_tool" records.jsonl

# Stdin, the paper's PRO, another FPR limit, image metrics only.
"$eval_tool" --pro-mode rd4ad --by defect < records.jsonl > rd4ad.json
compare rd4ad.json rd4ad
"$eval_tool" --fpr-limit 1 records.jsonl > limit1.json
compare limit1.json limit1

# Past --exact-pixels the pixel metrics stream over the map files: within 1e-4 of the same values.
"$eval_tool" --exact-pixels 0 --by defect records.jsonl > streamed.json
compare streamed.json mvtec 1e-4
"$py" -c "
import json; j = json.load(open('streamed.json'))
s = j['pixel_streamed']; assert s['passes'] >= 2 and s['error_bound'] < 1e-4, s
assert 'pixel_streamed' not in json.load(open('out.json'))
" || fail "streamed pixel metrics not reported as such"
assert_contains "$("$eval_tool" --exact-pixels 0 -f table records.jsonl)" "streamed in" "table footer says streamed"
"$eval_tool" --no-pixel --by defect - < records.jsonl > image.json
compare image.json image

# Many ties and no maps (the one-class novelty protocol has no masks): image metrics only.
"$py" -c "
import json, numpy as np
rng = np.random.default_rng(11)
with open('ties.jsonl', 'w') as f:
    for i in range(600):
        y = int(rng.random() < 0.3)
        f.write(json.dumps({'path': f'{i}.png', 'score': int(rng.integers(0, 5) + y), 'label': y}) + '\n')
"
"$eval_tool" ties.jsonl > ties.json
"$py" - <<'PY' || fail "image metrics with ties differ from sklearn"
import json, os, sys
from sklearn import metrics
sys.path.insert(0, os.environ["RD_REFERENCE_DIR"])
import make_metrics as ref
recs = [json.loads(l) for l in open("ties.jsonl")]
y, s = [r["label"] for r in recs], [r["score"] for r in recs]
got = json.load(open("ties.json"))
f1 = ref.f1_max(y, s)
for key, want in [("image_auroc", metrics.roc_auc_score(y, s)), ("average_precision", metrics.average_precision_score(y, s))]:
    assert abs(got[key] - want) < 1e-9, (key, got[key], want)
assert abs(got["f1_max"]["value"] - f1["f1"]) < 1e-9 and got["f1_max"]["threshold"] == f1["threshold"]
assert "pixel_auroc" not in got and "pixel_images" not in got["counts"]
PY

# Skipped records are counted, not scored, and not silently dropped: exit 4 for the error record.
printf '{"score": 0.3, "label": 2}\n{"score": 0.3,\n' > bad.jsonl
rc=0
"$eval_tool" records.jsonl extra.jsonl bad.jsonl > skipped.json 2> skipped.err || rc=$?
assert_eq "$rc" 4 "exit status with skipped error records"
compare skipped.json mvtec
"$py" -c "
import json; c = json.load(open('skipped.json'))['counts']
assert (c['records'], c['normal'], c['anomalous'], c['skipped_error'], c['skipped_unlabelled']) == (18, 6, 7, 3, 2), c
" || fail "skipped counts"
assert_contains "$(cat skipped.err)" 'bad.jsonl:1: "label" must be 0, 1 or null; record skipped' "bad label warning"
assert_contains "$(cat skipped.err)" 'bad.jsonl:2: ' "bad line warning"
assert_contains "$(cat skipped.err)" '1 records carry an "error"' "upstream error summary"

# A map that cannot be read skips its record (in image and pixel metrics alike), with its name.
sed 's#maps/5.npy#maps/missing.npy#' records.jsonl > missing.jsonl
rc=0
"$eval_tool" missing.jsonl > missing.json 2> missing.err || rc=$?
assert_eq "$rc" 4 "exit status with an unreadable map"
assert_contains "$(cat missing.err)" "maps/missing.npy" "unreadable map named"
"$py" -c "
import json; c = json.load(open('missing.json'))['counts']
assert (c['normal'], c['skipped_error'], c['pixel_images']) == (5, 1, 12), c
" || fail "unreadable map counts"

# Single class: a clear error and exit 2, never NaN.
grep '"label": 0' records.jsonl > normal_only.jsonl
rc=0
"$eval_tool" normal_only.jsonl > single.out 2> single.err || rc=$?
assert_eq "$rc" 2 "exit status with a single class"
assert_eq "$(cat single.out)" "" "no output for a single class"
assert_contains "$(cat single.err)" "rd-eval: cannot evaluate: all 6 labelled records are normal" "single-class message"
assert_exit 2 "$eval_tool" extra.jsonl
assert_exit 2 "$eval_tool" --format xml records.jsonl
assert_exit 2 "$eval_tool" --by camera records.jsonl
assert_exit 2 "$eval_tool" --fpr-limit 0 records.jsonl
assert_exit 2 "$eval_tool" --pro-mode rd4ad --fpr-limit 0.2 records.jsonl
assert_exit 2 "$eval_tool" no-such-file.jsonl

# Formats: table, markdown and CSV carry the same groups and numbers.
table=$("$eval_tool" -f table --by defect records.jsonl)
assert_contains "$table" "group" "table header"
assert_contains "$table" "crack" "table row"
assert_contains "$table" "13 records: 6 normal, 7 anomalous" "table footer"
markdown=$("$eval_tool" --format markdown --by defect records.jsonl)
assert_contains "$markdown" "| group | normal | anomalous | image_auroc |" "markdown header"
assert_contains "$markdown" "| hole | 6 | 3 |" "markdown row"
"$eval_tool" -f csv --by defect records.jsonl > out.csv
"$py" -c "
import csv, json
rows = list(csv.DictReader(open('out.csv')))
j = json.load(open('out.json'))
assert [r['group'] for r in rows] == ['all', 'crack', 'hole'], rows
for r in rows:
    g = j if r['group'] == 'all' else j['by_defect'][r['group']]
    for key, value in [('image_auroc', g['image_auroc']), ('aupro', g['aupro']), ('f1_threshold', g['f1_max']['threshold'])]:
        assert float(r[key]) == value, (r['group'], key, r[key], value)
assert rows[0]['skipped_error'] == '0' and rows[1]['skipped_error'] == ''
" || fail "CSV rows"

# Curves: CSV files that match sklearn's ROC, and PNG plots that PIL opens.
"$eval_tool" --curves curves records.jsonl > /dev/null
for f in roc pr pixel_roc pro; do
  [[ -s curves/$f.csv && -s curves/$f.png ]] || fail "missing curves/$f.csv or .png"
done
"$py" -c "
import csv, json
from PIL import Image
for f in ['roc', 'pr', 'pixel_roc', 'pro']:
    im = Image.open(f'curves/{f}.png'); im.load()
    assert im.size == (640, 520) and im.mode == 'RGB', (f, im.size, im.mode)
rows = list(csv.reader(open('curves/roc.csv')))
assert rows[0] == ['fpr', 'tpr', 'threshold'] and rows[1] == ['0', '0', 'inf'], rows[:2]
want = json.load(open('expected.json'))['roc']
assert [float(r[0]) for r in rows[2:]] == want['fpr'] and [float(r[1]) for r in rows[2:]] == want['tpr']
pro = list(csv.reader(open('curves/pro.csv')))
assert pro[0] == ['fpr', 'pro', 'threshold'] and float(pro[-1][0]) == 1.0 and float(pro[-1][1]) == 1.0
" || fail "curve files"

# A closed stdout ends quietly.
rc=0
"$eval_tool" -f csv records.jsonl 2> pipe.err | head -c 1 > /dev/null || rc=$?
assert_eq "$rc" 0 "closed pipe"
assert_eq "$(cat pipe.err)" "" "no message for a closed pipe"

pass
