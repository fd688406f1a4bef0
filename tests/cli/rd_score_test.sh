#!/usr/bin/env bash
# rd-score as a user runs it: order, shards, resume, bad inputs, stdin forms, closed pipes.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$TEST_TMP"

/usr/bin/python3 - <<'PY'
import os, numpy as np
from PIL import Image
rng = np.random.default_rng(0)
os.makedirs("imgs/sub", exist_ok=True)
for i in range(9):
    a = (rng.random((40 + i, 60, 3)) * 80 + 90).astype(np.uint8)
    Image.fromarray(a).save(f"imgs/{'sub/' if i % 3 == 0 else ''}im{i}.png")
Image.fromarray(a).save("imgs/with space é.png")
Image.fromarray(a).save("imgs/new\nline.png")
PY
"$RD_BIN_DIR/rd-train" -q --weights none --backbone resnet18 --image-size 64 --epochs 1 --batch-size 4 -o m.rdm imgs >/dev/null

# Order equals input order, whatever the batching and decoding threads.
find imgs -name '*.png' ! -name '*line*' | sort -r > list.txt
"$RD_BIN_DIR/rd-score" -q -m m.rdm --batch-size 2 --workers 3 - < list.txt > all.jsonl
/usr/bin/python3 -c "import json,sys; print('\n'.join(json.loads(l)['path'] for l in open('all.jsonl')))" > order.txt
assert_eq "$(cat list.txt)" "$(cat order.txt)" "output order"
assert_eq "$(wc -l < all.jsonl)" "10" "one record per input"

# Shards: every input in exactly one of 1/3, 2/3, 3/3, with the same scores.
for k in 1 2 3; do "$RD_BIN_DIR/rd-score" -q -m m.rdm --shard $k/3 - < list.txt > shard$k.jsonl; done
assert_eq "$(cat shard*.jsonl | sort)" "$(sort all.jsonl)" "union of shards equals the unsharded output"
for k in 1 2 3; do [[ -s shard$k.jsonl ]] || fail "shard $k is empty"; done

# Resume after a partial run: each path exactly once.
head -n 4 all.jsonl > partial.jsonl
"$RD_BIN_DIR/rd-score" -q -m m.rdm --resume partial.jsonl - < list.txt >> partial.jsonl
assert_eq "$(sort partial.jsonl)" "$(sort all.jsonl)" "resume completes the output without repeats"

# JSON lines on stdin keep their fields; NUL-separated names may contain newlines.
printf '{"path":"imgs/im1.png","camera":"A","label":0}\n' | "$RD_BIN_DIR/rd-score" -q -m m.rdm > json.jsonl
assert_contains "$(cat json.jsonl)" '"camera":"A"' "passthrough field"
assert_contains "$(cat json.jsonl)" '"label":0' "passthrough label"
printf 'imgs/new\nline.png\0' | "$RD_BIN_DIR/rd-score" -q -m m.rdm -0 > nul.jsonl
assert_contains "$(cat nul.jsonl)" '"path":"imgs/new\nline.png","score"' "NUL-separated name with a newline"

# Bad inputs: error records, the good ones still scored, exit 4.
printf 'hello' > text.png
: > empty.png
mkdir -p dir.png
set +e
"$RD_BIN_DIR/rd-score" -q -m m.rdm imgs/im1.png text.png empty.png missing.png dir.png imgs/im2.png > mixed.jsonl 2> mixed.err
rc=$?
set -e
assert_eq "$rc" "4" "exit status with failed inputs"
assert_eq "$(grep -c '"score"' mixed.jsonl)" "2" "good inputs scored"
assert_eq "$(grep -c '"error"' mixed.jsonl)" "4" "bad inputs reported"
assert_contains "$(cat mixed.jsonl)" "cannot decode 'text.png': not an image" "message names file and cause"
assert_contains "$(cat mixed.jsonl)" "cannot decode 'dir.png': is a directory" "directory named like an image"

# Model problems: exit 3 before any input is read; no model option: exit 2.
head -c 1000 m.rdm > torn.rdm
assert_exit 3 "$RD_BIN_DIR/rd-score" -m torn.rdm imgs/im1.png
assert_exit 3 "$RD_BIN_DIR/rd-score" -m nowhere.rdm imgs/im1.png
assert_exit 2 "$RD_BIN_DIR/rd-score" imgs/im1.png
assert_contains "$("$RD_BIN_DIR/rd-score" -m torn.rdm imgs/im1.png 2>&1 || true)" "torn.rdm" "message names the model"

# A closed pipe ends quietly.
"$RD_BIN_DIR/rd-score" -m m.rdm --batch-size 1 - < list.txt 2> pipe.err | head -n 1 > /dev/null
assert_eq "$(grep -v 'warning: --weights' pipe.err || true)" "" "nothing on stderr after | head"

# --dataset alone does not read stdin (cron and CI may leave an open pipe there).
mkdir -p cat/test/good cat/test/bad && cp imgs/im1.png cat/test/good/ && cp imgs/im2.png cat/test/bad/
echo "not/a/path.png" | "$RD_BIN_DIR/rd-score" -q -m m.rdm --dataset cat > ds.jsonl
assert_eq "$(wc -l < ds.jsonl)" "2" "only the dataset's images"
assert_contains "$(cat ds.jsonl)" '"label":1,"defect":"bad"' "dataset labels"

# Other layouts from the folder alone, said with -v: MVTec AD 2's private set unlabelled
# (--split), a VisA category with its split file one level up, and a clear error for a folder
# that is none of them.
mkdir -p ad2/test_public/good ad2/test_private v/candle/Data/Images/Normal v/split_csv
cp imgs/im1.png ad2/test_public/good/000_good.png && cp imgs/im2.png ad2/test_private/000_regular.png
cp imgs/im1.png v/candle/Data/Images/Normal/0000.JPG
printf 'object,split,label,image,mask\ncandle,test,normal,candle/Data/Images/Normal/0000.JPG,\n' > v/split_csv/1cls.csv
"$RD_BIN_DIR/rd-score" -v -m m.rdm --dataset ad2 --split test_private > ad2.jsonl 2> ad2.err
assert_contains "$(cat ad2.err)" "dataset 'ad2': MVTec AD 2 layout, 1 images from test_private/ (unlabelled)" "layout said"
/usr/bin/python3 -c 'import json; r = json.loads(open("ad2.jsonl").read()); assert not {"label", "defect", "mask"} & set(r), r' ||
  fail "a private MVTec AD 2 record has no label"
assert_contains "$("$RD_BIN_DIR/rd-score" -q -m m.rdm --dataset v/candle)" '"label":0,"defect":"good"' "VisA labels"
assert_exit 2 "$RD_BIN_DIR/rd-score" -m m.rdm --dataset imgs
assert_contains "$("$RD_BIN_DIR/rd-score" -m m.rdm --dataset imgs 2>&1 || true)" "is not a dataset layout rd knows" "what was expected"
assert_exit 2 "$RD_BIN_DIR/rd-score" -m m.rdm --dataset cat --split test_private
assert_exit 2 "$RD_BIN_DIR/rd-score" -m m.rdm --layout visa imgs/im1.png

# Maps: numpy loads them at the model's resolution.
"$RD_BIN_DIR/rd-score" -q -m m.rdm --maps maps imgs/im1.png imgs/sub/im0.png > maps.jsonl
/usr/bin/python3 - <<'PY'
import json, numpy as np
for line in open("maps.jsonl"):
    r = json.loads(line)
    m = np.load(r["map"])
    assert m.shape == (64, 64) and m.dtype == np.float32, m.shape
    assert abs(float(m.max()) - r["score"]) < 1e-6, (m.max(), r["score"])
PY
pass
