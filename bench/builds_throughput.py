"""Two builds of rd-score side by side: throughput on a fast input (a file list) and start-up, per
backbone and precision, runs alternating between the builds. Writes JSON (stdout and --out).

    /usr/bin/python3 bench/builds_throughput.py OLD_BIN_DIR NEW_BIN_DIR --out result.json

Throughput is the difference method (time for 2N images minus time for N, over N), so start-up
cancels out; start-up is the wall time of scoring one image. Models have random weights (rd-train
--weights none, 1 epoch): speed does not depend on them. Run on a quiet machine.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time

import numpy as np
from PIL import Image

p = argparse.ArgumentParser()
p.add_argument("old")
p.add_argument("new")
p.add_argument("--out")
p.add_argument("--work", default="/tmp/rd-builds-bench")
p.add_argument("--backbones", default="resnet18,wide_resnet50_2")
p.add_argument("--precisions", default="fp32,bf16,int8")
p.add_argument("--batch", type=int, default=8)
p.add_argument("--reps", type=int, default=3)
p.add_argument("--n", default="resnet18:48,wide_resnet50_2:16", help="N per backbone")
args = p.parse_args()
os.makedirs(args.work, exist_ok=True)
env = dict(os.environ, OPENBLAS_NUM_THREADS="1")


def images(count):
    d = os.path.join(args.work, "images")
    os.makedirs(d, exist_ok=True)
    rng = np.random.default_rng(0)
    paths = []
    for i in range(count):
        path = os.path.join(d, f"{i:04d}.png")
        if not os.path.exists(path):
            Image.fromarray((rng.random((256, 256, 3)) * 255).astype(np.uint8)).save(path)
        paths.append(path)
    return paths


def model(backbone):
    path = os.path.join(args.work, f"{backbone}.rdm")
    if not os.path.exists(path):
        subprocess.run([os.path.join(args.new, "rd-train"), "-q", "--weights", "none", "--backbone", backbone,
                        "--epochs", "1", "-o", path] + images(2), check=True, stdout=subprocess.DEVNULL, env=env)
    return path


def timed(bin_dir, model_path, precision, paths):
    start = time.perf_counter()
    subprocess.run([os.path.join(bin_dir, "rd-score"), "-q", "-m", model_path, "--precision", precision,
                    "--batch-size", str(args.batch), "--threads", "2", "-"], input="\n".join(paths) + "\n",
                   text=True, check=True, stdout=subprocess.DEVNULL, env=env)
    return time.perf_counter() - start


def supported(precision, model_path):
    r = subprocess.run([os.path.join(args.new, "rd-score"), "-q", "-m", model_path, "--precision", precision,
                        images(1)[0]], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    return r.returncode == 0


n_of = dict(x.split(":") for x in args.n.split(","))
result = {"old": os.path.abspath(args.old), "new": os.path.abspath(args.new), "batch": args.batch,
          "reps": args.reps, "rows": []}
for backbone in args.backbones.split(","):
    m = model(backbone)
    n = int(n_of.get(backbone, 16))
    paths = images(2 * n)
    for precision in args.precisions.split(","):
        if not supported(precision, m):
            print(f"{backbone} {precision}: not run natively here, skipped", file=sys.stderr)
            continue
        times = {side: {"n": [], "2n": [], "one": []} for side in ("old", "new")}
        timed(args.new, m, precision, paths[:1])  # page cache warm
        for _ in range(args.reps):
            for side in ("old", "new"):
                b = getattr(args, side)
                times[side]["one"].append(timed(b, m, precision, paths[:1]))
                times[side]["n"].append(timed(b, m, precision, paths[:n]))
                times[side]["2n"].append(timed(b, m, precision, paths[: 2 * n]))
        row = {"backbone": backbone, "precision": precision, "n": n}
        for side in ("old", "new"):
            t = times[side]
            per_image = (statistics.median(t["2n"]) - statistics.median(t["n"])) / n
            row[side] = {"images_per_second": 1 / per_image, "start_to_end_one_image_s": min(t["one"]),
                         "seconds_n": t["n"], "seconds_2n": t["2n"]}
        row["new_over_old_throughput"] = row["new"]["images_per_second"] / row["old"]["images_per_second"]
        row["old_over_new_one_image_time"] = row["old"]["start_to_end_one_image_s"] / row["new"]["start_to_end_one_image_s"]
        print(f"{backbone} {precision}: old {row['old']['images_per_second']:.2f} new "
              f"{row['new']['images_per_second']:.2f} img/s ({row['new_over_old_throughput']:.3f}x); one image "
              f"{row['old']['start_to_end_one_image_s']:.2f} -> {row['new']['start_to_end_one_image_s']:.2f} s",
              file=sys.stderr)
        result["rows"].append(row)
text = json.dumps(result, indent=2)
print(text)
if args.out:
    with open(args.out, "w") as f:
        f.write(text + "\n")
