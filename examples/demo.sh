#!/usr/bin/env bash
# The whole job, end to end, on generated data: install the Debian packages, build, make a
# synthetic MVTec-style category (tiles with scratches, stains and holes), train, score, fit
# thresholds, draw overlays and evaluate. About 3 minutes on 2 cores after the build.
#
# This demo uses --weights none: the teacher is a RANDOM ResNet, not an ImageNet one, because
# pretrained weights cannot be downloaded here. It still finds these synthetic defects; for real
# inspection use --weights auto (see docs/install.md, "Real ImageNet weights").
#
# Usage: examples/demo.sh [OUT_DIR]   (default: demo/)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build --target rd-train rd-score rd-threshold rd-map rd-eval rd-demo-data
export PATH="$PWD/build:$PATH"

out=${1:-demo}
rm -rf "$out"
mkdir -p "$out"
say() { printf '\n== %s\n' "$*" >&2; }

say "making the demo data in $out/data (training, test with masks) and $out/val (normal validation images)"
rd-demo-data --out "$out/data" --category tiles
rd-demo-data --out "$out/val" --category tiles --seed 2 --train 16 --test-good 0 --test-defect 0

say "training (resnet18, random teacher, 128 px)"
rd-train --weights none --backbone resnet18 --image-size 128 --epochs 40 \
  --val "$out/val/tiles/train/good" --log "$out/train-log.jsonl" -o "$out/tiles.rdm" "$out/data/tiles" > "$out/train-summary.json"

say "fitting thresholds from the validation statistics stored in the model"
rd-threshold fit -m "$out/tiles.rdm" --from-model --method sigma:3 -o "$out/threshold.json"
rd-threshold fit -m "$out/tiles.rdm" --from-model --pixel --method percentile:99.5 -o "$out/pixel-threshold.json"

say "scoring the test images, deciding pass/fail"
rd-score -m "$out/tiles.rdm" --dataset "$out/data/tiles" --maps "$out/maps" |
  rd-threshold apply -t "$out/threshold.json" > "$out/scores.jsonl"

say "drawing overlays"
rd-map -m "$out/tiles.rdm" -t "$out/pixel-threshold.json" --out "$out/overlays" < "$out/scores.jsonl" > "$out/overlays.jsonl"

say "evaluating"
rd-eval --curves "$out/curves" < "$out/scores.jsonl" > "$out/metrics.json"
rd-eval --format table --by defect < "$out/scores.jsonl" >&2

cat >&2 <<MSG

Done.
  model:       $out/tiles.rdm
  records:     $out/scores.jsonl (one per test image: score, anomalous, map, label, defect)
  overlays:    $out/overlays/ (one PNG per test image; contours: white = above the pixel threshold, magenta = ground truth)
  metrics:     $out/metrics.json, curves in $out/curves/
MSG
