#!/usr/bin/env bash
# rd-train fp32 against bf16 (mixed precision) on the demo category, three seeds each, the demo's
# settings (resnet18, 128 px, 40 epochs, random teacher): image AUROC and AUPRO of each model on
# the category's test set (scored in fp32), and the seconds per epoch. Writes JSON to stdout.
# Usage: bench/train_precision_bench.sh [BUILD_DIR] > bench/results/train-precision-DATE.json
set -euo pipefail
bin=${1:-build}
work=$(mktemp -d /tmp/rd-train-precision.XXXXXX)
trap 'rm -rf "$work"' EXIT
"$bin/rd-demo-data" --out "$work" --category tiles > /dev/null
echo "["
first=1
for precision in fp32 bf16; do
  for seed in 1 2 3; do
    m="$work/$precision-$seed.rdm"
    "$bin/rd-train" -q --weights none --backbone resnet18 --image-size 128 --epochs 40 --seed "$seed" \
      --precision "$precision" --log "$work/$precision-$seed.log" -o "$m" "$work/tiles" > /dev/null
    "$bin/rd-score" -q -m "$m" --dataset "$work/tiles" --maps "$work/maps-$precision-$seed" > "$work/s.jsonl"
    metrics=$("$bin/rd-eval" < "$work/s.jsonl")
    seconds=$(/usr/bin/python3 -c "import json,sys; l=[json.loads(x) for x in open(sys.argv[1])]; print(sum(x['seconds'] for x in l)/len(l))" "$work/$precision-$seed.log")
    ((first)) || echo ","
    first=0
    /usr/bin/python3 -c "import json,sys; m=json.loads(sys.argv[1]); print(json.dumps({'precision': sys.argv[2], 'seed': int(sys.argv[3]), 'image_auroc': m['image_auroc'], 'aupro': m['aupro'], 'pixel_auroc': m['pixel_auroc'], 'seconds_per_epoch': float(sys.argv[4])}))" "$metrics" "$precision" "$seed" "$seconds"
  done
done
echo "]"
