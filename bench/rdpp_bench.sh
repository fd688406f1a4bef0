#!/usr/bin/env bash
# RD++ against RD4AD, one run, same machine, same data (docs/rdpp.md):
#  1. seconds per epoch of rd-train --method rd4ad and rd++ for resnet18 and wide_resnet50_2 at
#     256 px on 16 generated images (batch 16, 2 epochs, cached teacher features, random teacher);
#  2. the demo category (resnet18, 128 px, 40 epochs, random teacher), three seeds of each method:
#     image AUROC, pixel AUROC and AUPRO of each model on the category's test set;
#  3. rd-score images/s of both methods' models (the same 16 images, batch 8, median of 3 runs).
# Writes JSON lines to stdout. PARTS (default "train quality score") picks the parts.
# Usage: [PARTS=...] bench/rdpp_bench.sh [BUILD_DIR] > bench/results/rdpp-DATE.jsonl
set -euo pipefail
bin=${1:-build}
work=$(mktemp -d /tmp/rd-rdpp-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT
export OMP_NUM_THREADS=2
py=/usr/bin/python3
mean_seconds() { $py -c "import json,sys; l=[json.loads(x) for x in open(sys.argv[1])]; print(sum(x['seconds'] for x in l)/len(l))" "$1"; }

parts=${PARTS:-train quality score}
has() { [[ " $parts " == *" $1 "* ]]; }

"$bin/rd-demo-data" --out "$work/big" --category tiles --size 256 --train 16 --test-good 0 --test-defect 0 > /dev/null
has train && for backbone in resnet18 wide_resnet50_2; do
  for method in rd4ad rd++; do
    log="$work/$backbone-$method.log"
    "$bin/rd-train" -q --weights none --backbone "$backbone" --image-size 256 --epochs 2 --batch-size 16 \
      --method "$method" --log "$log" -o "$work/m.rdm" "$work/big/tiles/train/good" > /dev/null
    echo "{\"what\": \"seconds_per_epoch\", \"backbone\": \"$backbone\", \"method\": \"$method\", \"images\": 16, \"image_size\": 256, \"seconds_per_epoch\": $(mean_seconds "$log")}"
  done
done

has quality && "$bin/rd-demo-data" --out "$work" --category tiles > /dev/null
has quality && for method in rd4ad rd++; do
  for seed in 1 2 3; do
    m="$work/$method-$seed.rdm"
    "$bin/rd-train" -q --weights none --backbone resnet18 --image-size 128 --epochs 40 --seed "$seed" \
      --method "$method" --log "$work/$method-$seed.log" -o "$m" "$work/tiles" > /dev/null
    "$bin/rd-score" -q -m "$m" --dataset "$work/tiles" --maps "$work/maps-$method-$seed" > "$work/s.jsonl"
    metrics=$("$bin/rd-eval" < "$work/s.jsonl")
    $py -c "import json,sys; m=json.loads(sys.argv[1]); print(json.dumps({'what': 'demo_quality', 'method': sys.argv[2], 'seed': int(sys.argv[3]), 'image_auroc': m['image_auroc'], 'pixel_auroc': m['pixel_auroc'], 'aupro': m['aupro'], 'seconds_per_epoch': float(sys.argv[4])}))" \
      "$metrics" "$method" "$seed" "$(mean_seconds "$work/$method-$seed.log")"
  done
done

has score && for backbone in resnet18 wide_resnet50_2; do
  for method in rd4ad rd++; do
    m="$work/score-$backbone-$method.rdm"
    "$bin/rd-train" -q --weights none --backbone "$backbone" --image-size 256 --epochs 0 --method "$method" \
      -o "$m" "$work/big/tiles/train/good" > /dev/null
    $py - "$bin/rd-score" "$m" "$work/big/tiles/train/good" "$backbone" "$method" <<'PY'
import json, subprocess, sys, time
score, model, images, backbone, method = sys.argv[1:]
runs = []
for _ in range(3):
    t0 = time.perf_counter()
    subprocess.run([score, "-q", "-m", model, "--batch-size", "8", images], check=True, stdout=subprocess.DEVNULL)
    runs.append(time.perf_counter() - t0)
print(json.dumps({"what": "score_images_per_second", "backbone": backbone, "method": method, "images": 16,
                  "image_size": 256, "batch": 8, "images_per_second": 16 / sorted(runs)[1]}))
PY
  done
done
