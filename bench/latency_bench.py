"""Line-side latency of rd-score: how long after a path is written to rd-score's stdin its record
comes out, when images arrive one at a time at a steady rate below rd-score's throughput (a
camera beside the line, piped from inotifywait). Writes JSON (stdout, and --out FILE). Run by
/usr/bin/python3; see bench/README.md.

For each backbone and precision (fp32, and bf16 and int8 where `rd-score --precision X` runs on
this CPU), in one rd-score process reading a pipe:
  - start-up: exec to the first record, the first path written at exec (also measured alone, best
    and median of --startup-reps fresh processes, warm page cache);
  - service time: --probe images fed one at a time, each written once the previous record is out
    (closed loop); the median is what one image costs rd-score at batch 1;
  - latency: --records images fed open loop at a steady --load times the rate the service time
    allows (default 0.5: the feeder waits for nothing, so queueing is included), each latency =
    time the record line was read - time its path was written; p50, p90, p99, max.
Beside them, onnxruntime (onnxruntime-node, as bench/onnx_bench.py runs it) on the rd-export file
of the same model, batch 1, input already in memory: the network alone, no decoding, no map file.
The models are trained here with --weights none for one epoch on generated images: weights do not
change the time.
"""
import argparse
import json
import os
import subprocess
import sys
import threading
import time

import numpy as np
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
p = argparse.ArgumentParser()
p.add_argument("--bin", default=os.path.join(HERE, "..", "build"))
p.add_argument("--work", default="/tmp/rd-latency-bench")
p.add_argument("--out")
p.add_argument("--threads", type=int, default=2)
p.add_argument("--backbones", default="resnet18,wide_resnet50_2")
p.add_argument("--precisions", default="fp32,bf16,int8", help="those rd-score refuses on this CPU are skipped")
p.add_argument("--records", type=int, default=200, help="open-loop records per setting (>= 200 for a p99)")
p.add_argument("--load", type=float, default=0.5, help="feed rate as a fraction of 1 / service time")
p.add_argument("--rate", type=float, help="a fixed feed rate in images/s instead of --load")
p.add_argument("--probe", type=int, default=10, help="closed-loop images that measure the service time")
p.add_argument("--startup-reps", type=int, default=3)
p.add_argument("--image-side", type=int, default=256, help="side of the generated PNGs (the models are 256 px)")
p.add_argument("--ort-images", type=int, default=50, help="onnxruntime batch-1 runs (0: skip onnxruntime)")
p.add_argument("--node-path", default=os.environ.get("NODE_PATH") or os.path.expanduser(
    "~/.cache/rd-tests/onnxruntime-node-1.30.0/node_modules"))
args = p.parse_args()
os.makedirs(args.work, exist_ok=True)
tools = os.path.abspath(args.bin)


def log(*a):
    print("latency_bench:", *a, file=sys.stderr, flush=True)


def make_images(n=16):
    rng = np.random.default_rng(0)
    paths = []
    for i in range(n):
        path = os.path.join(args.work, f"img{args.image_side}-{i:02d}.png")
        if not os.path.exists(path):
            side = args.image_side
            base = rng.random((side // 16, side // 16, 3))
            img = np.kron(base, np.ones((16, 16, 1))) * 120 + rng.random((side, side, 3)) * 60 + 40
            Image.fromarray(img.astype(np.uint8)).save(path)
        paths.append(path)
    return paths


def tool(name, *a, **kw):
    return subprocess.run([os.path.join(tools, name), *a], check=True, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True, **kw)


class Scorer:
    """One rd-score reading paths from a pipe; a thread stamps each record line as it is read."""

    def __init__(self, model, precision):
        self.times = []
        self.lines = []
        self.arrived = threading.Condition()
        self.started = time.perf_counter()
        self.proc = subprocess.Popen(
            [os.path.join(tools, "rd-score"), "-q", "-m", model, "--precision", precision,
             "--threads", str(args.threads), "-"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, bufsize=0)
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        for line in self.proc.stdout:
            t = time.perf_counter()
            with self.arrived:
                self.times.append(t)
                self.lines.append(line)
                self.arrived.notify_all()

    def write(self, path):
        self.proc.stdin.write(path.encode() + b"\n")
        return time.perf_counter()

    def wait_for(self, n, timeout=300):
        with self.arrived:
            if not self.arrived.wait_for(lambda: len(self.times) >= n or self.proc.poll() is not None, timeout):
                raise RuntimeError(f"no record {n} within {timeout} s")
            if len(self.times) < n:
                raise RuntimeError(f"rd-score exited {self.proc.returncode}: {self.proc.stderr.read().decode()}")

    def close(self):
        self.proc.stdin.close()
        rc = self.proc.wait()
        self.reader.join()
        if rc != 0:
            raise RuntimeError(f"rd-score exited {rc}: {self.proc.stderr.read().decode()}")
        for line in self.lines:
            if b'"score"' not in line:
                raise RuntimeError(f"not a score record: {line!r}")


def startup(model, precision, image):
    """Seconds from exec to the first record, the path written at once."""
    s = Scorer(model, precision)
    s.write(image)
    s.wait_for(1)
    t = s.times[0] - s.started
    s.close()
    return t


def pct(xs, q):
    return float(np.percentile(xs, q))


def measure(model, precision, images):
    row = {"precision": precision}
    starts = [startup(model, precision, images[0]) for _ in range(args.startup_reps)]
    row["startup_s"] = {"best": min(starts), "median": float(np.median(starts)), "all": starts}
    s = Scorer(model, precision)
    s.write(images[0])
    s.wait_for(1)
    row["first_record_s"] = s.times[0] - s.started
    # Closed loop: the cost of one image when rd-score is idle.
    service = []
    for i in range(args.probe):
        t = s.write(images[(i + 1) % len(images)])
        s.wait_for(i + 2)
        service.append(s.times[i + 1] - t)
    row["service_s"] = float(np.median(service))
    rate = args.rate or args.load / row["service_s"]
    row["rate_per_s"] = rate
    # Open loop at a steady rate: each path written on its schedule, whatever came out.
    first = len(s.times)
    written = []
    t0 = time.perf_counter() + 0.2
    for i in range(args.records):
        delay = t0 + i / rate - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        written.append(s.write(images[i % len(images)]))
    s.wait_for(first + args.records)
    s.close()
    lat = [(s.times[first + i] - written[i]) * 1e3 for i in range(args.records)]
    lateness = [(written[i] - (t0 + i / rate)) * 1e3 for i in range(args.records)]
    row["records"] = args.records
    row["latency_ms"] = {"p50": pct(lat, 50), "p90": pct(lat, 90), "p99": pct(lat, 99), "max": max(lat),
                         "mean": float(np.mean(lat))}
    row["feeder_late_ms_p99"] = pct(lateness, 99)  # how far the feeder itself slipped off its schedule
    return row


def onnxruntime_batch1_ms(onnx):
    env = dict(os.environ, NODE_PATH=args.node_path)
    out = subprocess.run(["node", os.path.join(HERE, "onnx_time.js"), onnx, "256", "1", str(args.ort_images),
                          str(args.threads)], check=True, stdout=subprocess.PIPE, text=True, env=env).stdout
    r = json.loads(out)
    return r["seconds"] / r["images"] * 1e3


flags = set(open("/proc/cpuinfo").read().split())
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
report = {"rd_score": tool("rd-score", "--version").stdout.strip(), "cpu": cpu,
          "cpu_flags": sorted(flags & {"avx512_bf16", "amx_bf16", "avx512_vnni", "avx_vnni", "amx_int8"}),
          "threads": args.threads, "image_side": args.image_side, "model_side": 256,
          "load": None if args.rate else args.load, "rate": args.rate, "results": [], "skipped": []}
have_ort = args.ort_images > 0 and os.path.isdir(os.path.join(args.node_path, "onnxruntime-node"))
if args.ort_images > 0 and not have_ort:
    report["skipped"].append(f"onnxruntime: onnxruntime-node not found under {args.node_path} "
                             "(tests/cli/onnxruntime.sh installs it)")
images = make_images()
for backbone in args.backbones.split(","):
    model = os.path.join(args.work, f"{backbone}.rdm")
    if not os.path.exists(model):
        log(f"training {backbone} (random teacher, 1 epoch)")
        tool("rd-train", "-q", "--weights", "none", "--backbone", backbone, "--image-size", "256", "--epochs", "1",
             "--threads", str(args.threads), "-o", model, *images[:4])
    ort_ms = None
    if have_ort:
        onnx = os.path.join(args.work, f"{backbone}.onnx")
        tool("rd-export", "-q", "-m", model, "-o", onnx)
        ort_ms = onnxruntime_batch1_ms(onnx)
        os.remove(onnx)
    rows = []
    for precision in args.precisions.split(","):
        probe = subprocess.run([os.path.join(tools, "rd-score"), "-q", "-m", model, "--precision", precision,
                                images[0]], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        if probe.returncode != 0:
            report["skipped"].append(f"{backbone} {precision}: {probe.stderr.strip()}")
            continue
        log(f"{backbone} {precision}")
        row = {"backbone": backbone, **measure(model, precision, images), "onnxruntime_batch1_ms": ort_ms}
        rows.append(row)
        log(json.dumps(row))
    base = next((r for r in rows if r["precision"] == "fp32"), None)
    for r in rows:
        r["ratios"] = {}
        if base:
            r["ratios"]["p50_over_fp32"] = r["latency_ms"]["p50"] / base["latency_ms"]["p50"]
            r["ratios"]["startup_over_fp32"] = r["startup_s"]["best"] / base["startup_s"]["best"]
        if ort_ms:
            r["ratios"]["p50_over_onnxruntime_batch1"] = r["latency_ms"]["p50"] / ort_ms
    report["results"] += rows
text = json.dumps(report, indent=2)
print(text)
if args.out:
    with open(args.out, "w") as f:
        f.write(text + "\n")
