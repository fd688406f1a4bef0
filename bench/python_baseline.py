"""What the paper's PyTorch code does at test time, on a list of images: the baseline rd-score is
compared against. Run by /usr/bin/python3 (Debian's torch). Not part of the tests.

Usage: python_baseline.py BACKBONE TEACHER.pth REFERENCE.pth LIST BATCH THREADS OUT.jsonl

PIL decode + convert('RGB'), torchvision Resize((256, 256)) / ToTensor / Normalize, the torchvision
teacher run through layer4 (the reference computes it and drops it), eager OCBE and decoder, the
map in numpy, scipy.ndimage.gaussian_filter(sigma=4) in float64, score = max. Prints the seconds
spent in the scoring loop (model construction excluded) on stderr as JSON.
"""
import json
import os
import sys
import time

import torch
import torchvision
from PIL import Image
from torchvision import transforms

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "reference"))
from rd_reference import BACKBONES, OCBE, Decoder, raw_map, smooth_and_score, teacher_features  # noqa: E402

backbone, teacher_path, reference_path, list_path, batch, threads, out_path = sys.argv[1:8]
batch, threads, size = int(batch), int(threads), 256
torch.set_num_threads(threads)
block, layers, width, ocbe_blocks = BACKBONES[backbone]
teacher = getattr(torchvision.models, backbone)()
teacher.load_state_dict(torch.load(teacher_path), strict=False)
ckpt = torch.load(reference_path)
bn, decoder = OCBE(block, ocbe_blocks, width), Decoder(block, layers, width)
bn.load_state_dict(ckpt["bn"])
decoder.load_state_dict(ckpt["decoder"])
for m in (teacher, bn, decoder):
    m.eval()
transform = transforms.Compose([
    transforms.Resize((size, size)), transforms.ToTensor(),
    transforms.Normalize(mean=[0.485, 0.456, 0.406], std=[0.229, 0.224, 0.225])])
paths = [line.rstrip("\n") for line in open(list_path) if line.strip()]

start = time.perf_counter()
with open(out_path, "w") as out, torch.no_grad():
    for i in range(0, len(paths), batch):
        chunk = paths[i:i + batch]
        x = torch.stack([transform(Image.open(p).convert("RGB")) for p in chunk])
        feats = teacher_features(teacher, x, with_layer4=True)
        raw = raw_map(feats, decoder(bn(feats)), size).numpy()
        _, scores = smooth_and_score(raw)
        for p, s in zip(chunk, scores):
            out.write(json.dumps({"path": p, "score": float(s)}) + "\n")
print(json.dumps({"seconds": time.perf_counter() - start, "images": len(paths)}), file=sys.stderr)
