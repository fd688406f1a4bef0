#!/usr/bin/env bash
# rd-train fp32 and bf16 against the paper's training loop (bench/paper_train_loop.py), one run,
# same backbone, size, images, batch and threads. rd-train caches the teacher's features in its
# first epoch (DESIGN §3); the paper's loop runs the teacher on every step. Steady seconds per
# image = mean of epochs 3.. (the first two run slower in every variant). Writes JSON to stdout.
# Usage: bench/train_speed_bench.sh [BUILD_DIR] [BACKBONE] [SIZE] [IMAGES] [EPOCHS] > result.json
set -euo pipefail
bin=${1:-build} backbone=${2:-wide_resnet50_2} size=${3:-256} images=${4:-8} epochs=${5:-6}
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d /tmp/rd-train-speed.XXXXXX)
trap 'rm -rf "$work"' EXIT
export OPENBLAS_NUM_THREADS=1
"$bin/rd-demo-data" --out "$work" --category tiles --size "$size" --train "$images" > /dev/null
for precision in fp32 bf16; do
  "$bin/rd-train" -q --weights none --backbone "$backbone" --image-size "$size" --batch-size "$images" \
    --epochs "$epochs" --threads 2 --precision "$precision" --log "$work/$precision.log" \
    -o "$work/$precision.rdm" "$work/tiles" > /dev/null
done
/usr/bin/python3 "$here/paper_train_loop.py" "$backbone" "$size" "$images" "$images" "$epochs" 2 > "$work/paper-fp32.json"
/usr/bin/python3 "$here/paper_train_loop.py" "$backbone" "$size" "$images" "$images" "$epochs" 2 bf16 > "$work/paper-bf16.json"
/usr/bin/python3 - "$work" "$backbone" "$size" "$images" "$epochs" <<'PY'
import json, platform, sys
work, backbone, size, images, epochs = sys.argv[1], sys.argv[2], *map(int, sys.argv[3:6])
def steady(seconds):
    tail = seconds[2:] or seconds
    return sum(tail) / len(tail) / images
runs = {}
for p in ("fp32", "bf16"):
    log = [json.loads(l) for l in open(f"{work}/{p}.log")]
    secs = [r["seconds"] for r in log]
    runs[f"rd_{p}"] = {"epoch_seconds": secs, "losses": [r["loss"] for r in log], "steady_seconds_per_image": steady(secs)}
    paper = json.load(open(f"{work}/paper-{p}.json"))
    runs[f"paper_{p}"] = {"epoch_seconds": paper["epoch_seconds"], "losses": paper["losses"],
                          "steady_seconds_per_image": steady(paper["epoch_seconds"])}
s = {k: v["steady_seconds_per_image"] for k, v in runs.items()}
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), platform.machine())
print(json.dumps({"backbone": backbone, "size": size, "images": images, "batch": images, "epochs": epochs,
                  "threads": 2, "cpu": cpu, "runs": runs,
                  "ratios": {"rd_bf16_over_rd_fp32": s["rd_fp32"] / s["rd_bf16"],
                             "rd_fp32_over_paper_fp32": s["paper_fp32"] / s["rd_fp32"],
                             "rd_bf16_over_paper_fp32": s["paper_fp32"] / s["rd_bf16"],
                             "paper_bf16_over_paper_fp32": s["paper_fp32"] / s["paper_bf16"]}}, indent=1))
PY
