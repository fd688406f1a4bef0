"""rd-score (fp32, bf16) against onnxruntime running the rd-export file of the same model, side by
side, same threads, 256 px. Writes JSON (stdout, and --out FILE). Run by /usr/bin/python3 with
NODE_PATH pointing at onnxruntime-node (tests/cli/onnxruntime.sh installs it); see bench/README.md.

rd-score is timed by the difference method (2N images minus N, from 512 px PNGs it decodes and
resizes itself, so start-up and model loading cancel); onnxruntime gets its input tensor ready in
memory and is timed around session.run only. Both favour onnxruntime: rd-score's numbers include
decoding on the same two cores.
"""
import argparse
import json
import os
import subprocess
import sys
import time

import numpy as np
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
p = argparse.ArgumentParser()
p.add_argument("--bin", default=os.path.join(HERE, "..", "build"))
p.add_argument("--work", default="/tmp/rd-onnx-bench")
p.add_argument("--out")
p.add_argument("--threads", type=int, default=2)
p.add_argument("--backbones", default="resnet18,wide_resnet50_2")
p.add_argument("--batches", default="1,8")
p.add_argument("--reps", type=int, default=3)
p.add_argument("--small-n", type=int, default=48)
p.add_argument("--large-n", type=int, default=16)
p.add_argument("--image-side", type=int, default=512, help="the PNGs rd-score decodes; 256: no resizing")
args = p.parse_args()
os.makedirs(args.work, exist_ok=True)
env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS=str(args.threads))


def run(cmd, stdin=None, stdout=subprocess.DEVNULL):
    return subprocess.run(cmd, check=True, env=env, stdin=stdin, stdout=stdout, stderr=subprocess.PIPE, text=True)


def images(n=32, side=args.image_side):
    rng = np.random.default_rng(0)
    paths = []
    for i in range(n):
        path = os.path.join(args.work, f"img{side}-{i:03d}.png")
        if not os.path.exists(path):
            a = rng.random((side, side, 3)) * 120 + 60
            Image.fromarray(a.astype(np.uint8)).save(path)
        paths.append(path)
    return paths


def rd_seconds(model, precision, batch, lst):
    start = time.perf_counter()
    with open(lst) as stdin:
        run([f"{args.bin}/rd-score", "-q", "-m", model, "--batch-size", str(batch), "--threads", str(args.threads),
             "--precision", precision, "-"], stdin=stdin)
    return time.perf_counter() - start


paths = images()
report = {"threads": args.threads, "model_side": 256, "image_side": args.image_side, "results": []}
for backbone in args.backbones.split(","):
    model = os.path.join(args.work, f"{backbone}.rdm")
    onnx = os.path.join(args.work, f"{backbone}.onnx")
    run([f"{args.bin}/rd-train", "-q", "--weights", "none", "--backbone", backbone, "--image-size", "256",
         "--epochs", "0", "-o", model, *paths[:2]])
    run([f"{args.bin}/rd-export", "-q", "-m", model, "-o", onnx])
    n = args.small_n if backbone == "resnet18" else args.large_n
    lists = {}
    for count in (n, 2 * n):
        lists[count] = os.path.join(args.work, f"list{count}.txt")
        with open(lists[count], "w") as f:
            f.writelines(paths[i % len(paths)] + "\n" for i in range(count))
    for batch in [int(b) for b in args.batches.split(",")]:
        row = {"backbone": backbone, "batch": batch, "images": n, "reps": args.reps}
        for precision in ("fp32", "bf16"):
            t = {c: float(np.median([rd_seconds(model, precision, batch, lists[c]) for _ in range(args.reps)]))
                 for c in (n, 2 * n)}
            row[f"rd_{precision}_images_per_second"] = n / max(t[2 * n] - t[n], 1e-9)
        ort = []
        for _ in range(args.reps):
            out = run(["node", os.path.join(HERE, "onnx_time.js"), onnx, "256", str(batch), str(n), str(args.threads)],
                      stdout=subprocess.PIPE).stdout
            r = json.loads(out)
            ort.append(r["images"] / r["seconds"])
        row["onnxruntime_images_per_second"] = float(np.median(ort))
        for precision in ("fp32", "bf16"):
            row[f"rd_{precision}_over_onnxruntime"] = row[f"rd_{precision}_images_per_second"] / row["onnxruntime_images_per_second"]
        report["results"].append(row)
        print(json.dumps(row), file=sys.stderr)
    os.remove(onnx)
report["onnxruntime"] = json.load(open(os.path.join(os.environ.get("NODE_PATH", ""), "onnxruntime-node", "package.json")))["version"]
text = json.dumps(report, indent=2)
print(text)
if args.out:
    with open(args.out, "w") as f:
        f.write(text + "\n")
