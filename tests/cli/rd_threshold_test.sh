#!/usr/bin/env bash
# rd-threshold as a user runs it: fit values equal numpy/sklearn's; the model comes from -m or the
# records; fits from a model's stored validation statistics; fit | apply round trips through pipes
# with records passed through unchanged; --fail-on-anomaly exits 0/1; another model's threshold is
# refused (exit 2) unless --force; error records pass through (exit 4); a closed pipe ends quietly.
set -euo pipefail
source "$(dirname "$0")/lib.sh"  # TEST_TMP (removed on exit), fail, pass, assert_*
py="${RD_PYTHON:-/usr/bin/python3}"
export RD_REFERENCE_DIR
RD_REFERENCE_DIR="$(cd "$(dirname "$0")/../reference" && pwd)"
tool="$RD_BIN_DIR/rd-threshold"
cd "$TEST_TMP"

# Model files (the .rdm container with metadata only, written here as lib/io/model_file.cpp
# does), validation and test records, anomaly maps. Prints the two model ids.
read -r model_id other_id < <("$py" - <<'PY'
import json, os, struct, numpy as np

def hash64(b):  # lib/io/model_file.cpp
    m = (1 << 64) - 1
    h, i = 0xcbf29ce484222325 ^ len(b), 0
    while i + 8 <= len(b):
        h = ((h ^ int.from_bytes(b[i:i + 8], "little")) * 0x100000001b3) & m
        h ^= h >> 29
        i += 8
    for c in b[i:]:
        h = ((h ^ c) * 0x100000001b3) & m
    h ^= h >> 33
    h = (h * 0xff51afd7ed558ccd) & m
    return h ^ (h >> 33)

def write_model(path, meta):
    header = json.dumps({"meta": meta, "tensors": []}).encode()
    data = b"\x89RDM\r\n\x1a\n" + struct.pack("<IIQ", 1, 0, len(header)) + header
    data += b"\0" * (-len(data) % 64)
    digest = hash64(data)
    open(path, "wb").write(data + struct.pack("<Q", digest))
    return f"{digest:016x}"

rng = np.random.default_rng(3)
val = np.round(rng.gamma(2.0, 1.0, 200), 3)
pixels = rng.gamma(2.0, 0.5, 5000)
quantiles = {f"{q}": float(np.percentile(pixels, q * 100)) for q in (0.5, 0.9, 0.95, 0.99, 0.995)}
stats = {"count": 5000, "mean": float(pixels.mean()), "std": float(pixels.std()), "min": float(pixels.min()),
         "max": float(pixels.max()), "quantiles": quantiles}
model = write_model("m.rdm", {"backbone": "resnet18", "validation": {"scores": val.tolist(), "pixel": stats}})
other = write_model("other.rdm", {"backbone": "resnet18"})
json.dump({"val": val.tolist(), "pixel": stats}, open("model_stats.json", "w"))

with open("val.jsonl", "w") as f:
    for i, s in enumerate(val):
        f.write(json.dumps({"path": f"val/{i}.png", "score": float(s), "model": model}) + "\n")
os.makedirs("maps", exist_ok=True)
labels = (rng.random(120) < 0.4).astype(int)
labels[:2] = [0, 1]
with open("test.jsonl", "w") as f:
    for i, y in enumerate(labels):
        amap = (rng.gamma(2.0, 0.5, (8, 10)) + 1.5 * y * (rng.random((8, 10)) < 0.2)).astype(np.float32)
        mask = ((amap > 2.5) & (y == 1)).astype(np.uint8) * 255
        np.save(f"maps/{i}.npy", amap)
        rec = {"path": f"test/{i}.png", "camera": "left", "score": float(np.round(rng.normal(y, 1), 2)),
               "label": int(y), "map": f"maps/{i}.npy", "model": model, "zeta": [1, {"b": 2, "a": 1}]}
        if y:
            from PIL import Image
            Image.fromarray(mask).save(f"maps/{i}_mask.png")
            rec["mask"] = f"maps/{i}_mask.png"
        f.write(json.dumps(rec) + "\n")
print(model, other)
PY
)
[[ ${#model_id} -eq 16 && ${#other_id} -eq 16 ]] || fail "model ids: [$model_id] [$other_id]"

# value FILE: the threshold file's value; check EXPR: a Python assertion over `t` (the file).
value() { "$py" -c "import json,sys; print(repr(json.load(open(sys.argv[1]))['value']))" "$1"; }
check() { "$py" -c "import json,sys; t = json.load(open(sys.argv[1])); $2" "$1" || fail "$3"; }
# expect FILE PYTHON_EXPR WHAT: the file's value equals the expression (numpy as np, the records
# as val and test, tests/reference/make_metrics.py as ref); checked together by verify_expected.
expect() { printf '%s\t%s\t%s\n' "$1" "$2" "$3" >> expected.tsv; }
verify_expected() {
  "$py" - <<'PY' || fail "fitted values differ from numpy/sklearn"
import json, os, sys, numpy as np
from PIL import Image
sys.path.insert(0, os.environ["RD_REFERENCE_DIR"])
import make_metrics as ref
val = [json.loads(l) for l in open("val.jsonl")]
test = [json.loads(l) for l in open("test.jsonl")]
for line in open("expected.tsv"):
    path, expr, what = line.rstrip("\n").split("\t")
    got, want = json.load(open(path))["value"], eval(expr)
    if abs(got - want) > 1e-9 * max(1, abs(want)):
        sys.exit(f"{what}: got {got!r}, want {want!r}")
PY
}

# Fit on records: numpy's percentile and population std, the fpr rule, sklearn's F1-max.
"$tool" fit --method percentile:99 < val.jsonl > p99.json
expect p99.json "np.percentile([r['score'] for r in val], 99)" "percentile:99"
check p99.json "assert t['kind'] == 'rd-threshold' and t['method'] == 'percentile:99' and t['count'] == 200 and not t['pixel']" "percentile file"
check p99.json "assert t['model'] == {'id': '$model_id'}, t['model']" "model id taken from the records"
"$tool" fit --method sigma:3 -o s3.json val.jsonl
expect s3.json "np.mean([r['score'] for r in val]) + 3 * np.std([r['score'] for r in val])" "sigma:3"
"$tool" fit --method fpr:0.05 val.jsonl > fpr.json
"$py" -c "
import json; t = json.load(open('fpr.json'))['value']
s = [json.loads(l)['score'] for l in open('val.jsonl')]
assert sum(x >= t for x in s) <= 10 and sum(x >= max(x for x in s if x < t) for x in s) > 10, t
" || fail "fpr:0.05 flags at most 5% and no lower threshold does"
"$tool" fit --method f1 -m m.rdm test.jsonl > f1.json
expect f1.json "ref.f1_max([r['label'] for r in test], [r['score'] for r in test])['threshold']" "f1"
check f1.json "assert t['model']['id'] == '$model_id' and t['count'] == 120" "f1 model id from -m"
# percentile/sigma/fpr use the normal records of labelled input
"$tool" fit --method percentile:90 test.jsonl > p90.json
expect p90.json "np.percentile([r['score'] for r in test if r['label'] == 0], 90)" "percentile on normal records"

# Pixel thresholds on the records' maps (and masks for f1).
"$tool" fit --pixel --method percentile:99.5 test.jsonl > pix.json
expect pix.json "np.percentile(np.concatenate([np.load(r['map']).ravel() for r in test if r['label'] == 0]).astype(np.float64), 99.5)" "pixel percentile"
check pix.json "assert t['pixel'] is True" "pixel flag"
assert_exit 2 "$tool" apply -t pix.json test.jsonl
"$tool" fit --pixel --method f1 test.jsonl > pixf1.json
expect pixf1.json "ref.f1_max(np.concatenate([(np.array(Image.open(r['mask'])) > 127).ravel() if r['label'] else np.zeros(80, bool) for r in test]).astype(int), np.concatenate([np.load(r['map']).ravel() for r in test]).astype(np.float64))['threshold']" "pixel f1"

# From the model's stored validation statistics.
"$tool" fit -m m.rdm --from-model --method percentile:99.5 > fm.json
expect fm.json "np.percentile(json.load(open('model_stats.json'))['val'], 99.5)" "percentile from the model"
check fm.json "assert t['model']['id'] == '$model_id' and t['count'] == 200" "model id and count from the model"
"$tool" fit -m m.rdm --from-model --pixel --method percentile:99 > fmp.json
expect fmp.json "json.load(open('model_stats.json'))['pixel']['quantiles']['0.99']" "pixel percentile from the model"
"$tool" fit -m m.rdm --from-model --pixel --method sigma:2 > fms.json
expect fms.json "(lambda p: p['mean'] + 2 * p['std'])(json.load(open('model_stats.json'))['pixel'])" "pixel sigma from the model"
rc=0
"$tool" fit -m m.rdm --from-model --pixel --method percentile:97 2> err.txt || rc=$?
assert_eq "$rc" 2 "pixel percentile the model does not store"
assert_contains "$(cat err.txt)" "stores pixel percentiles 50, 90, 95, 99, 99.5" "stored quantiles named"
rc=0
"$tool" fit -m other.rdm --from-model --method percentile:99 2> err.txt || rc=$?
assert_eq "$rc" 2 "model without validation scores"
assert_contains "$(cat err.txt)" "has no validation scores; train with --val" "no validation message"
assert_exit 2 "$tool" fit -m m.rdm --from-model --method f1
assert_exit 2 "$tool" fit --from-model --method percentile:99
assert_exit 3 "$tool" fit -m missing.rdm --method percentile:99 val.jsonl
printf 'not a model at all' > junk.rdm
assert_exit 3 "$tool" fit -m junk.rdm --method percentile:99 val.jsonl

# Model checks while fitting: -m must agree with the records, and records with each other.
rc=0
"$tool" fit -m other.rdm --method percentile:99 val.jsonl 2> err.txt || rc=$?
assert_eq "$rc" 2 "-m of another model than the records"
assert_contains "$(cat err.txt)" "record is from model '$model_id', but -m names model '$other_id'" "mismatch message"
(cat val.jsonl; sed "s/$model_id/$other_id/" val.jsonl) > mixed.jsonl
assert_exit 2 "$tool" fit --method percentile:99 mixed.jsonl
grep -v '"label": 1' test.jsonl > normal_only.jsonl
assert_exit 2 "$tool" fit --method f1 normal_only.jsonl  # a single class
assert_exit 2 "$tool" fit --method percentile:101 val.jsonl
assert_exit 2 "$tool" fit val.jsonl
assert_exit 2 "$tool"
assert_exit 2 "$tool" tune
assert_exit 2 "$tool" apply test.jsonl  # no -t
assert_exit 2 "$tool" apply -t missing.json test.jsonl
echo "{}" > corrupt.json
assert_exit 3 "$tool" apply -t corrupt.json test.jsonl
assert_exit 0 "$tool" fit --help
verify_expected

# Round trip through pipes: every field passes through in order; anomalous = score >= value.
"$tool" fit --method percentile:60 < val.jsonl | cat > t.json
cat test.jsonl | "$tool" apply -t t.json | cat > applied.jsonl
"$py" - <<'PY' || fail "apply output"
import json
t = json.load(open("t.json"))["value"]
ins = [json.loads(l) for l in open("test.jsonl")]
outs = [json.loads(l) for l in open("applied.jsonl")]
assert len(ins) == len(outs)
for a, b in zip(ins, outs):
    assert list(b) == list(a) + ["anomalous", "threshold"], list(b)
    assert all(b[k] == a[k] for k in a) and b["zeta"] == [1, {"b": 2, "a": 1}]
    assert list(b["zeta"][1]) == ["b", "a"]  # nested order kept too
    assert b["anomalous"] == (a["score"] >= t) and b["threshold"] == t
assert any(b["anomalous"] for b in outs) and not all(b["anomalous"] for b in outs)
PY
"$tool" apply -t t.json applied.jsonl > twice.jsonl
assert_eq "$(cat twice.jsonl)" "$(cat applied.jsonl)" "applying twice changes nothing"

# --fail-on-anomaly: 1 after writing every record when one is anomalous, else 0.
rc=0
"$tool" apply -t t.json --fail-on-anomaly test.jsonl > gate.jsonl 2> gate.err || rc=$?
assert_eq "$rc" 1 "--fail-on-anomaly with anomalies"
assert_eq "$(wc -l < gate.jsonl)" 120 "all records written before exit 1"
assert_contains "$(cat gate.err)" "records are anomalous" "gate message"
"$py" -c "
import json; s = [json.loads(l)['score'] for l in open('test.jsonl')]
t = json.load(open('t.json')); t['value'] = max(s) + 1; json.dump(t, open('high.json', 'w'))"
assert_exit 0 "$tool" apply -t high.json --fail-on-anomaly test.jsonl
assert_exit 0 "$tool" apply -t t.json test.jsonl

# Another model's threshold: refused with exit 2 unless --force.
sed "s/$model_id/$other_id/" test.jsonl > foreign.jsonl
rc=0
"$tool" apply -t t.json foreign.jsonl > /dev/null 2> err.txt || rc=$?
assert_eq "$rc" 2 "threshold of another model"
assert_contains "$(cat err.txt)" "was fitted for model '$model_id'" "foreign model message"
assert_contains "$(cat err.txt)" "--force" "foreign model hint"
assert_exit 2 "$tool" apply -t t.json -m other.rdm test.jsonl
assert_exit 0 "$tool" apply -t t.json -m m.rdm test.jsonl
"$tool" apply -t t.json --force foreign.jsonl > forced.jsonl 2> /dev/null
assert_eq "$(grep -c '"threshold"' forced.jsonl)" 120 "--force applies to every record"
assert_exit 0 "$tool" apply -t t.json -m other.rdm --force test.jsonl

# Error records and records without a score pass through unchanged; a bad line becomes an error record.
printf '{"path":"x.png","error":"cannot decode","model":"%s"}\n{"path":"y.png"}\n{"path":\n' "$model_id" > odd.jsonl
rc=0
"$tool" apply -t t.json odd.jsonl > odd.out 2> odd.err || rc=$?
assert_eq "$rc" 4 "exit status with error records"
assert_eq "$(sed -n 1p odd.out)" "{\"path\":\"x.png\",\"error\":\"cannot decode\",\"model\":\"$model_id\"}" "error record untouched"
assert_eq "$(sed -n 2p odd.out)" '{"path":"y.png"}' "record without score untouched"
assert_contains "$(sed -n 3p odd.out)" '{"error":"odd.jsonl:3: invalid JSON' "bad line as an error record"

# A closed stdout ends quietly, with status 0.
cp test.jsonl many.jsonl
for i in 1 2 3 4 5 6 7 8; do cat many.jsonl many.jsonl > double.jsonl && mv double.jsonl many.jsonl; done
rc=0
"$tool" apply -t t.json many.jsonl 2> pipe.err | head -n 1 > /dev/null || rc=$?
assert_eq "$rc" 0 "closed pipe"
assert_eq "$(cat pipe.err)" "" "no message for a closed pipe"

pass
