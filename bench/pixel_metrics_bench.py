#!/usr/bin/env python3
"""rd-eval's pixel metrics at scale: time and peak RSS, exact (every pixel held) against streamed.

Writes records whose maps (float32 .npy, SIDE x SIDE) and masks (PNG) repeat a few distinct files,
so a billion pixels cost rd-eval a billion pixel reads but the disk only a few hundred MB. Runs
  - at --compare-pixels: rd-eval --exact-pixels <all> (the exact path) and --exact-pixels 0
    (streamed), and the largest difference between their metrics;
  - at --pixels: the streamed path only (the exact one would hold ~10 bytes per pixel).
Each run's peak RSS is the child's own (os.wait4). Not a test: nothing here asserts.

usage: pixel_metrics_bench.py [--rd-eval build/rd-eval] [--pixels 1e9] [--compare-pixels 1e8]
                              [--side 2048] [--work DIR] [--out results/pixel-metrics-DATE.json]
"""
import argparse
import datetime
import json
import os
import platform
import subprocess
import sys
import tempfile
import time

import numpy as np
from PIL import Image

DISTINCT = 16  # distinct map/mask files; records cycle through them


def make_files(work, side, rng):
    """Maps like rd's: low-frequency structure and pixel noise, raised where the mask is set but
    overlapping the normal pixels' scores, so that the metrics are far from 1 and the bins where
    both classes meet must be refined."""
    files = []
    for i in range(DISTINCT):
        coarse = rng.random((side // 64, side // 64)).astype(np.float32)
        amap = np.kron(coarse, np.ones((64, 64), np.float32)) * 0.3
        amap += rng.normal(0, 0.05, (side, side)).astype(np.float32)
        mask = np.zeros((side, side), np.uint8)
        if i % 2:  # half the images anomalous, a few rectangles each
            for _ in range(3):
                y, x = rng.integers(0, side - 200, 2)
                h, w = rng.integers(20, 200, 2)
                mask[y:y + h, x:x + w] = 255
            amap += (mask > 0) * np.float32(0.15)
        np.save(os.path.join(work, f"map{i}.npy"), amap)
        Image.fromarray(mask).save(os.path.join(work, f"mask{i}.png"))
        files.append(i)
    return files


def write_records(work, name, pixels, side):
    n = max(2, int(round(pixels / (side * side))))
    path = os.path.join(work, name)
    with open(path, "w") as f:
        for r in range(n):
            i = r % DISTINCT
            rec = {"path": f"img{r}.png", "score": float(r % 7), "label": i % 2,
                   "map": os.path.join(work, f"map{i}.npy")}
            if i % 2:
                rec["mask"] = os.path.join(work, f"mask{i}.png")
            f.write(json.dumps(rec) + "\n")
    return path, n * side * side


def run(rd_eval, records, exact_pixels):
    start = time.monotonic()
    p = subprocess.Popen([rd_eval, "-q", "--exact-pixels", str(exact_pixels), records],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out, err = p.stdout.read(), p.stderr.read()
    _, status, usage = os.wait4(p.pid, 0)
    seconds = time.monotonic() - start
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"rd-eval failed: {err.decode()}")
    report = json.loads(out)
    streamed = report.get("pixel_streamed", {})
    return {"mode": "streamed" if streamed else "exact", "seconds": round(seconds, 2),
            "peak_rss_mb": round(usage.ru_maxrss / 1024, 1), "passes": streamed.get("passes", 1),
            "error_bound": streamed.get("error_bound", 0.0), "pixel_auroc": report["pixel_auroc"],
            "aupro": report["aupro"], "pixel_average_precision": report["pixel_average_precision"]}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rd-eval", default="build/rd-eval")
    ap.add_argument("--pixels", type=float, default=1e9)
    ap.add_argument("--compare-pixels", type=float, default=1e8)
    ap.add_argument("--side", type=int, default=2048)
    ap.add_argument("--work", default=None, help="scratch folder (default: a temporary one)")
    ap.add_argument("--out", default=f"bench/results/pixel-metrics-{datetime.date.today()}.json")
    args = ap.parse_args()

    with tempfile.TemporaryDirectory(dir=args.work) as work:
        make_files(work, args.side, np.random.default_rng(0))
        runs = []
        small, small_pixels = write_records(work, "small.jsonl", args.compare_pixels, args.side)
        exact = dict(run(args.rd_eval, small, 1 << 62), pixels=small_pixels)
        streamed = dict(run(args.rd_eval, small, 0), pixels=small_pixels)
        runs += [exact, streamed]
        largest_difference = max(abs(exact[k] - streamed[k])
                                 for k in ("pixel_auroc", "aupro", "pixel_average_precision"))
        big, big_pixels = write_records(work, "big.jsonl", args.pixels, args.side)
        runs.append(dict(run(args.rd_eval, big, 0), pixels=big_pixels))
    result = {"script": "bench/pixel_metrics_bench.py", "date": str(datetime.date.today()),
              "cpu": platform.processor() or platform.machine(), "cpus": os.cpu_count(),
              "side": args.side, "runs": runs,
              "exact_vs_streamed_largest_difference": largest_difference}
    os.makedirs(os.path.dirname(args.out) or ".", exist_ok=True)
    with open(args.out, "w") as f:
        json.dump(result, f, indent=1)
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
