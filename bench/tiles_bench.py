"""Tiled models on large images: images/s, tiles/s and peak RSS of rd-score for 2048 and 4096 px
images, resnet18 and wide_resnet50_2, 256 px tiles; beside it the same model scoring 256 px
images untiled (tiles/s of a tiled run against images/s of an untiled one is the cost of cutting,
stitching and smoothing at full resolution). Peak RSS is taken for N and for 2N images: it must
not grow with the count. Writes JSON (stdout, and --out FILE); see bench/README.md.
Run by /usr/bin/python3 (numpy and PIL only).
"""
import argparse
import json
import os
import resource
import subprocess
import time

import numpy as np
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
p = argparse.ArgumentParser()
p.add_argument("--bin", default=os.path.join(HERE, "..", "build"))
p.add_argument("--work", default="/tmp/rd-tiles-bench")
p.add_argument("--out")
p.add_argument("--threads", type=int, default=2)
p.add_argument("--backbones", default="resnet18,wide_resnet50_2")
p.add_argument("--sides", default="2048,4096")
p.add_argument("--tile", type=int, default=256)
p.add_argument("--batch", type=int, default=8)
p.add_argument("--n", default="resnet18:2,wide_resnet50_2:1",
               help="BACKBONE:N, images per tiled run (and 2N for the difference)")
p.add_argument("--reps", type=int, default=3, help="repetitions of the untiled runs (median)")
args = p.parse_args()
os.makedirs(args.work, exist_ok=True)
env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS=str(args.threads))


def image(side, i):
    """A smooth random texture with grain, so PNG decoding costs what a camera image costs."""
    path = os.path.join(args.work, f"img{side}_{i}.png")
    if not os.path.exists(path):
        rng = np.random.default_rng(side + i)
        base = rng.random((side // 32, side // 32, 3))
        img = np.kron(base, np.ones((32, 32, 1))) * 120 + rng.random((side, side, 3)) * 60 + 40
        Image.fromarray(img.astype(np.uint8)).save(path)
    return path


def median(values):
    return sorted(values)[len(values) // 2]


def run(cmd, inputs):
    """Seconds and this child's peak RSS (MiB) of one run, from wait4."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd + ["-"], stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, env=env)
    proc.stdin.write("".join(p + "\n" for p in inputs).encode())
    proc.stdin.close()
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - t0
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"failed: {' '.join(cmd)}")
    return seconds, usage.ru_maxrss / 1024


def model(backbone, tiled):
    path = os.path.join(args.work, f"{backbone}-{'tiled' if tiled else 'plain'}.rdm")
    if not os.path.exists(path):
        size = ["--tile", str(args.tile)] if tiled else ["--image-size", str(args.tile)]
        subprocess.run([f"{args.bin}/rd-train", "-q", "--weights", "none", "--backbone", backbone, "--epochs", "0",
                        "--threads", str(args.threads), *size, "-o", path, image(512, 0)],
                       check=True, stdout=subprocess.DEVNULL, env=env)
    return path


counts = {k: int(v) for k, v in (x.split(":") for x in args.n.split(","))}
results = {"threads": args.threads, "tile": args.tile, "batch": args.batch, "n": counts, "runs": []}
for backbone in args.backbones.split(","):
    score = [f"{args.bin}/rd-score", "-q", "--threads", str(args.threads), "--batch-size", str(args.batch)]
    # Untiled reference: 256 px images, so every input is one network pass.
    plain = score + ["-m", model(backbone, False)]
    # As many network passes as the tiles of N 2048 px images: a few seconds, so that start-up
    # (model loading, oneDNN's first primitives) is small beside the difference.
    n = counts.get(backbone, 1)
    small = [image(args.tile, i) for i in range(16)] * (4 * n)
    rates = []
    for _ in range(args.reps):
        t1, _ = run(plain, small)
        t2, _ = run(plain, small * 2)
        rates.append(len(small) / (t2 - t1))
    results["runs"].append({"backbone": backbone, "side": args.tile, "tiled": False,
                            "images_per_second": median(rates), "all": rates})
    print(json.dumps(results["runs"][-1]), flush=True)
    tiled = score + ["-m", model(backbone, True)]
    for side in map(int, args.sides.split(",")):
        n = counts.get(backbone, 1)
        imgs = [image(side, i) for i in range(n)]
        tiles = (side // args.tile) ** 2
        # Repeated where a run is short; one run of the largest (minutes for wide_resnet50_2).
        reps = args.reps if tiles * n <= 200 else 1
        per, rss1, rss2 = [], 0, 0
        for _ in range(reps):
            t1, rss1 = run(tiled, imgs)
            t2, rss2 = run(tiled, imgs * 2)
            per.append((t2 - t1) / n)
        per_image = median(per)
        results["runs"].append({"backbone": backbone, "side": side, "tiled": True, "tiles_per_image": tiles,
                                "images_per_second": 1 / per_image, "tiles_per_second": tiles / per_image,
                                "seconds_per_image": per,
                                "peak_rss_mib": {str(n): round(rss1), str(2 * n): round(rss2)}})
        print(json.dumps(results["runs"][-1]), flush=True)

for r in results["runs"]:
    if r["tiled"]:
        base = next(x for x in results["runs"] if x["backbone"] == r["backbone"] and not x["tiled"])
        r["tiles_per_second_vs_untiled_images_per_second"] = r["tiles_per_second"] / base["images_per_second"]
out = json.dumps(results, indent=1)
print(out)
if args.out:
    with open(args.out, "w") as f:
        f.write(out + "\n")
