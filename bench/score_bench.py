"""rd-score against the paper's PyTorch pipeline, side by side on the same images, weights,
threads and BLAS. Writes JSON (stdout, and --out FILE). Run by /usr/bin/python3; see bench/README.md.

Throughput is measured by the difference method: the time for 2N images minus the time for N
images, so model loading and start-up cancel out for both sides. Each count runs --reps times and
the median is used: this 2-core virtual machine's timings vary by tens of percent between runs.
"""
import argparse
import json
import os
import subprocess
import sys
import time

import numpy as np
import torch
import torchvision
from PIL import Image
from scipy.stats import spearmanr

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "reference"))
from rd_reference import BACKBONES, OCBE, Decoder, randomise_bn  # noqa: E402

p = argparse.ArgumentParser()
p.add_argument("--bin", default=os.path.join(HERE, "..", "build"))
p.add_argument("--work", default="/tmp/rd-bench")
p.add_argument("--out")
p.add_argument("--threads", type=int, default=2)
p.add_argument("--backbones", default="resnet18,wide_resnet50_2")
p.add_argument("--batches", default="1,8")
p.add_argument("--precisions", help="rd-score --precision values to compare (default: fp32 and what the CPU "
               "runs natively of bf16 and int8)")
p.add_argument("--rss-images", type=int, default=1000)
p.add_argument("--reps", type=int, default=3)
p.add_argument("--small-n", type=int, default=48, help="N for resnet18/34")
p.add_argument("--large-n", type=int, default=12, help="N for the bottleneck backbones")
args = p.parse_args()
if not args.precisions:
    flags = set(open("/proc/cpuinfo").read().split())
    args.precisions = ",".join(["fp32"] + (["bf16"] if flags & {"avx512_bf16", "amx_bf16"} else [])
                               + (["int8"] if flags & {"avx512_vnni", "avx_vnni", "amx_int8"} else []))
os.makedirs(args.work, exist_ok=True)
env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS=str(args.threads))


def make_images(n=32, side=512):
    rng = np.random.default_rng(0)
    paths = []
    for i in range(n):
        path = os.path.join(args.work, f"img{i:03d}.png")
        if not os.path.exists(path):
            base = rng.random((side // 16, side // 16, 3))
            img = np.kron(base, np.ones((16, 16, 1))) * 120 + rng.random((side, side, 3)) * 60 + 40
            Image.fromarray(img.astype(np.uint8)).save(path)
        paths.append(path)
    return paths


def write_list(name, paths, count):
    path = os.path.join(args.work, name)
    with open(path, "w") as f:
        f.writelines(paths[i % len(paths)] + "\n" for i in range(count))
    return path


def make_model(backbone):
    torch.manual_seed(0)
    block, layers, width, blocks = BACKBONES[backbone]
    teacher = getattr(torchvision.models, backbone)()
    bn, decoder = OCBE(block, blocks, width), Decoder(block, layers, width)
    for m in (teacher, bn, decoder):
        randomise_bn(m)
    t_path = os.path.join(args.work, f"{backbone}-teacher.pth")
    r_path = os.path.join(args.work, f"{backbone}-reference.pth")
    torch.save(teacher.state_dict(), t_path)
    torch.save({"bn": bn.state_dict(), "decoder": decoder.state_dict()}, r_path)
    model = os.path.join(args.work, f"{backbone}.rdm")
    # The bench images calibrate it for int8.
    subprocess.run([f"{args.bin}/rd-train", "-q", "--backbone", backbone, "--weights", t_path,
                    "--import-reference", r_path, "--image-size", "256", "-o", model] + images[:16],
                   check=True, env=env, stdout=subprocess.DEVNULL)
    return model, t_path, r_path


def timed(cmd, out_path, stdin_path=None):
    start = time.perf_counter()
    with open(out_path, "w") as out, open(stdin_path or os.devnull) as stdin:
        subprocess.run(cmd, check=True, env=env, stdin=stdin, stdout=out, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def scores(path):
    return [json.loads(line)["score"] for line in open(path)]


def conv_peak(dtype, reps=3):
    """The best GFLOP/s of a few large convolutions (3x3 and 1x1, batch 8) through oneDNN, the library
    both sides' convolutions run in, on the same threads: the machine's attainable peak for that
    precision (a plain GEMM through torch.mm would measure OpenBLAS instead, for fp32)."""
    torch.set_num_threads(args.threads)
    best = 0.0
    for n, c, side, k in [(8, 256, 64, 3), (8, 512, 32, 3), (8, 1024, 16, 1), (8, 256, 64, 1)]:
        x = torch.randn(n, c, side, side).to_mkldnn(dtype)
        w = torch._C._nn.mkldnn_reorder_conv2d_weight(torch.randn(c, c, k, k).to_mkldnn(dtype), [k // 2] * 2,
                                                      [1, 1], [1, 1], 1)
        conv = lambda: torch.mkldnn_convolution(x, w, None, [k // 2] * 2, [1, 1], [1, 1], 1)
        conv()
        t = time.perf_counter()
        for _ in range(reps):
            conv()
        best = max(best, 2 * n * c * c * side * side * k * k * reps / (time.perf_counter() - t) / 1e9)
    return best


# The network's work per 256 px image (layers 1-3, OCBE, decoder), counted from its convolutions.
GFLOP_PER_IMAGE = {"wide_resnet50_2": 60.9}

images = make_images()
report = {"threads": args.threads, "image_side": 512, "model_side": 256, "cpu": os.cpu_count(),
          "torch": torch.__version__, "results": [],
          "conv_peak_gflop_per_second": {"fp32": conv_peak(torch.float32), "bf16": conv_peak(torch.bfloat16)}}
print(json.dumps(report["conv_peak_gflop_per_second"]), file=sys.stderr)
for backbone in args.backbones.split(","):
    model, t_path, r_path = make_model(backbone)
    n = args.small_n if backbone in ("resnet18", "resnet34") else args.large_n
    for batch in [int(b) for b in args.batches.split(",")]:
        row = {"backbone": backbone, "batch": batch, "images": n, "reps": args.reps}
        sides = [f"rd-{p}" for p in args.precisions.split(",")] + ["python"]
        for side in sides:
            t = {}
            for count in (n, 2 * n):
                lst = write_list(f"list{count}.txt", images, count)
                out = os.path.join(args.work, f"{side}-{backbone}-{batch}-{count}.jsonl")
                if side.startswith("rd"):
                    cmd = [f"{args.bin}/rd-score", "-q", "-m", model, "--batch-size", str(batch),
                           "--threads", str(args.threads), "--precision", side[3:], "-"]
                else:
                    cmd = [sys.executable, os.path.join(HERE, "python_baseline.py"), backbone, t_path, r_path,
                           lst, str(batch), str(args.threads), out]
                rd_side = side.startswith("rd")
                t[count] = float(np.median([timed(cmd, out if rd_side else os.devnull, lst if rd_side else None)
                                            for _ in range(args.reps)]))
            row[f"{side.replace('-', '_')}_images_per_second"] = n / max(t[2 * n] - t[n], 1e-9)
        b = np.array(scores(os.path.join(args.work, f"python-{backbone}-{batch}-{2 * n}.jsonl")))
        for side in sides[:-1]:
            key = side.replace("-", "_")
            a = np.array(scores(os.path.join(args.work, f"{side}-{backbone}-{batch}-{2 * n}.jsonl")))
            row[f"{key}_max_score_difference"] = float(np.max(np.abs(a - b)))
            row[f"{key}_spearman"] = float(spearmanr(a, b).correlation)
            row[f"{key}_speedup"] = row[f"{key}_images_per_second"] / row["python_images_per_second"]
            if backbone in GFLOP_PER_IMAGE:
                row[f"{key}_gflop_per_second"] = row[f"{key}_images_per_second"] * GFLOP_PER_IMAGE[backbone]
        report["results"].append(row)
        print(json.dumps(row), file=sys.stderr)

# Memory stays flat in the number of images: peak RSS for few and for many.
model = os.path.join(args.work, "resnet18.rdm")
rss = {}
for count in (100, args.rss_images):
    lst = write_list(f"rss{count}.txt", images, count)
    with open(lst) as stdin:
        r = subprocess.run(["/usr/bin/time", "-f", "%M", f"{args.bin}/rd-score", "-q", "-m", model, "--batch-size",
                            "8", "--threads", str(args.threads), "-"], env=env, stdin=stdin,
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, check=True)
    rss[str(count)] = int(r.stderr.strip().splitlines()[-1]) * 1024
report["peak_rss_bytes_resnet18_batch8"] = rss
text = json.dumps(report, indent=2)
print(text)
if args.out:
    with open(args.out, "w") as f:
        f.write(text + "\n")
