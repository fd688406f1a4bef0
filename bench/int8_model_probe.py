"""Would int8 pay for the whole RD network? Run by /usr/bin/python3 (Debian's torch):

  bench/int8_model_probe.py MODEL.rdm CATEGORY_DIR [--time-backbones resnet18,wide_resnet50_2]

Accuracy: an rd model (teacher, OCBE, decoder read from the .rdm file) in PyTorch, scored on the
category's test images in fp32, in bf16 (CPU autocast) and in int8 (PyTorch's static
post-training quantisation through FX, 'onednn' engine: per-channel weights, per-tensor for the
transposed convolutions; activation ranges from histogram observers over the category's training
images, as rd-train would calibrate),
map and score in fp32 (1 - cos per scale, bilinear, Gaussian sigma 4, max). Reports image AUROC,
pixel AUROC (where ground-truth masks exist) and the Spearman correlation of image scores against
fp32: issue 12's bar is 0.005 and 0.995.
Speed: the whole network (teacher layer1-3, OCBE, decoder) at 256 px, batch 8, 2 threads, random
weights, fp32 eager, bf16 under CPU autocast (oneDNN; transposed convolutions stay fp32 there)
and int8 (FX), images/s of the network alone. JSON on stdout.
int8 is tried whole and in three mixes (VARIANTS): the blocks that produce the six compared
features left in float, the teacher alone in int8, the student alone in int8.
"""
import argparse
import copy
import glob
import json
import os
import struct
import sys

import numpy as np
import torch
import torch.nn as nn
import torchvision
from PIL import Image
from scipy.stats import spearmanr
from sklearn.metrics import roc_auc_score
from torch.ao.quantization import HistogramObserver, QConfig, default_weight_observer, get_default_qconfig_mapping
from torch.ao.quantization.quantize_fx import convert_fx, prepare_fx

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [HERE, os.path.join(HERE, "..", "tests", "reference")]
from rd_reference import BACKBONES, OCBE, Decoder, raw_map, smooth_and_score, teacher_features  # noqa: E402
from timing import timed  # noqa: E402

DTYPES = {"float32": np.float32, "float64": np.float64, "int64": np.int64, "int32": np.int32}


def read_rdm(path):
    data = open(path, "rb").read()
    (header_size,) = struct.unpack_from("<Q", data, 16)
    header = json.loads(data[24:24 + header_size])
    base = (24 + header_size + 63) // 64 * 64
    tensors = {}
    for t in header["tensors"]:
        a = np.frombuffer(data, DTYPES[t["dtype"]], t["nbytes"] // np.dtype(DTYPES[t["dtype"]]).itemsize, base + t["offset"])
        tensors[t["name"]] = torch.from_numpy(a.reshape(t["shape"]).copy())
    return header["meta"], tensors


class Network(nn.Module):
    def __init__(self, backbone):
        super().__init__()
        block, layers, width, ocbe_blocks = BACKBONES[backbone]
        self.teacher = getattr(torchvision.models, backbone)()
        self.bn, self.decoder = OCBE(block, ocbe_blocks, width), Decoder(block, layers, width)

    def forward(self, x):
        t = teacher_features(self.teacher, x)
        return t + self.decoder(self.bn(t))


def load(part, tensors, prefix):
    state = {k[len(prefix):]: v for k, v in tensors.items() if k.startswith(prefix)}
    missing, _ = part.load_state_dict(state, strict=False)
    missing = [m for m in missing if not m.endswith("num_batches_tracked") and not m.startswith(("fc.", "layer4.", "conv4.", "bn4."))]
    assert not missing, f"{prefix}: not in the model file: {missing[:5]}"


def last_blocks(net):
    """The blocks whose outputs are the six compared features: the last of each stage."""
    return [f"{part}.layer{i}.{len(getattr(getattr(net, part), f'layer{i}')) - 1}"
            for part in ("teacher", "decoder") for i in (1, 2, 3)]


# Which parts stay in float, by variant: all int8; the six feature-producing blocks in float;
# only the teacher in int8; only the student (OCBE and decoder) in int8.
VARIANTS = {
    "int8": lambda net: [],
    "int8_feature_blocks_float": last_blocks,
    "int8_teacher_only": lambda net: ["bn", "decoder"],
    "int8_student_only": lambda net: ["teacher"],
}


def quantise(net, calibration, keep=(), batch=8):
    torch.backends.quantized.engine = "onednn"
    mapping = get_default_qconfig_mapping("onednn")
    # PyTorch 1.13 has no per-channel weights for transposed convolutions: per-tensor there.
    per_tensor = QConfig(activation=HistogramObserver.with_args(reduce_range=False), weight=default_weight_observer)
    mapping.set_object_type(nn.ConvTranspose2d, per_tensor)
    for name in keep:
        mapping.set_module_name(name, None)
    q = prepare_fx(net, mapping, (calibration[:1],))
    with torch.no_grad():
        for i in range(0, len(calibration), batch):
            q(calibration[i:i + batch])
    return convert_fx(q)


def scores_of(run, x, size, batch=8):
    out_scores, out_maps = [], []
    with torch.no_grad():
        for i in range(0, len(x), batch):
            f = [t.float() for t in run(x[i:i + batch])]
            maps, s = smooth_and_score(raw_map(f[:3], f[3:], size).numpy())
            out_scores += list(s)
            out_maps += list(maps)
    return np.array(out_scores), np.stack(out_maps)


def accuracy(model_path, category):
    meta, tensors = read_rdm(model_path)
    backbone, size = meta["backbone"], int(meta["image_size"])
    net = Network(backbone).eval()
    load(net.teacher, tensors, "teacher.")
    load(net.bn, tensors, "bn.")
    load(net.decoder, tensors, "decoder.")
    mean, std = np.array([0.485, 0.456, 0.406]), np.array([0.229, 0.224, 0.225])

    def image(p):
        a = np.asarray(Image.open(p).convert("RGB").resize((size, size), Image.BILINEAR), np.float32) / 255
        return torch.from_numpy(((a - mean) / std).transpose(2, 0, 1).astype(np.float32))

    train = sorted(glob.glob(f"{category}/train/good/*.png"))
    test = sorted(glob.glob(f"{category}/test/*/*.png"))
    labels = np.array([0 if "/good/" in p else 1 for p in test])
    masks = []
    for p in test:
        kind, name = p.split("/")[-2], os.path.splitext(os.path.basename(p))[0]
        m = f"{category}/ground_truth/{kind}/{name}_mask.png"
        if kind == "good" or not os.path.exists(m):
            masks.append(np.zeros((size, size), bool) if kind == "good" else None)
        else:
            masks.append(np.asarray(Image.open(m).convert("L").resize((size, size), Image.NEAREST)) > 127)
    x_train, x_test = torch.stack([image(p) for p in train]), torch.stack([image(p) for p in test])
    runs = {"fp32": net}

    def bf16(x):
        with torch.autocast("cpu", torch.bfloat16):
            return net(x)
    runs["bf16"] = bf16
    for variant, keep in VARIANTS.items():
        runs[variant] = quantise(copy.deepcopy(net), x_train, keep(net))
    result = {"model": model_path, "backbone": backbone, "image_size": size,
              "train_images": len(train), "test_images": len(test)}
    ref = None
    for name, run in runs.items():
        s, maps = scores_of(run, x_test, size)
        row = {"image_auroc": roc_auc_score(labels, s)}
        if all(m is not None for m in masks):
            row["pixel_auroc"] = roc_auc_score(np.concatenate([m.ravel() for m in masks]), maps.ravel())
        if ref is None:
            ref = s
        else:
            row["spearman_vs_fp32"] = spearmanr(ref, s)[0]
            row["max_relative_score_difference"] = float(np.max(np.abs(s - ref) / np.abs(ref)))
        result[name] = row
    return result


def speed(backbone, batch=8, size=256):
    torch.manual_seed(0)
    net = Network(backbone).eval()
    x = torch.randn(batch, 3, size, size)
    row = {"backbone": backbone, "batch": batch, "size": size}
    with torch.no_grad():
        row["fp32_images_per_second"] = batch / timed(lambda: net(x))

        def bf16():
            with torch.autocast("cpu", torch.bfloat16):
                return net(x)
        row["bf16_images_per_second"] = batch / timed(bf16)
        calibration = torch.randn(16, 3, size, size)
        for variant, keep in VARIANTS.items():
            q = quantise(copy.deepcopy(net), calibration, keep(net))
            row[f"{variant}_images_per_second"] = batch / timed(lambda: q(x))
            row[f"{variant}_over_bf16"] = row[f"{variant}_images_per_second"] / row["bf16_images_per_second"]
            row[f"{variant}_over_fp32"] = row[f"{variant}_images_per_second"] / row["fp32_images_per_second"]
    return row


p = argparse.ArgumentParser()
p.add_argument("model")
p.add_argument("category")
p.add_argument("--time-backbones", default="resnet18,wide_resnet50_2")
a = p.parse_args()
torch.set_num_threads(2)
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "")
flags = next((l.split(":", 1)[1].split() for l in open("/proc/cpuinfo") if l.startswith("flags")), [])
out = {"cpu": cpu, "cpu_flags": sorted(f for f in flags if f in ("avx512_bf16", "avx512_vnni", "amx_bf16", "amx_int8")),
       "accuracy": accuracy(a.model, a.category), "speed": []}
print(json.dumps(out["accuracy"]), file=sys.stderr)
for b in filter(None, a.time_backbones.split(",")):
    out["speed"].append(speed(b))
    print(json.dumps(out["speed"][-1]), file=sys.stderr)
print(json.dumps(out, indent=1))
