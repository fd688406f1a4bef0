"""The paper's training loop (official main.py), timed: Run by /usr/bin/python3 (Debian's torch).

Usage: paper_train_loop.py BACKBONE SIZE IMAGES BATCH EPOCHS THREADS [bf16]

A torchvision teacher in eval mode run on every step (the official code has no feature cache), the
OCBE and decoder in train mode, Adam(lr 0.005, betas (0.5, 0.999)) over both, the loss
sum over scales of mean(1 - cos) of flattened features; random images already in memory (no
decoding: that favours this loop). With "bf16" the step runs under torch.autocast('cpu',
torch.bfloat16), which is not what the paper does. Prints JSON with the seconds of every epoch.
"""
import json
import os
import sys
import time

import torch
import torch.nn.functional as F
import torchvision

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "reference"))
from rd_reference import BACKBONES, OCBE, Decoder, teacher_features  # noqa: E402

backbone, size, images, batch, epochs, threads = sys.argv[1], *map(int, sys.argv[2:7])
bf16 = len(sys.argv) > 7 and sys.argv[7] == "bf16"
torch.set_num_threads(threads)
torch.manual_seed(0)
block, layers, width, ocbe_blocks = BACKBONES[backbone]
teacher = getattr(torchvision.models, backbone)().eval()
bn, decoder = OCBE(block, ocbe_blocks, width), Decoder(block, layers, width)
bn.train()
decoder.train()
opt = torch.optim.Adam(list(decoder.parameters()) + list(bn.parameters()), lr=0.005, betas=(0.5, 0.999))
data = torch.randn(images, 3, size, size)


def loss_function(a, b):
    return sum(torch.mean(1 - F.cosine_similarity(x.view(x.shape[0], -1), y.view(y.shape[0], -1))) for x, y in zip(a, b))


seconds, losses = [], []
for epoch in range(epochs):
    start = time.perf_counter()
    for i in range(0, images, batch):
        x = data[i:i + batch]
        with torch.autocast("cpu", torch.bfloat16, enabled=bf16):
            with torch.no_grad():
                inputs = teacher_features(teacher, x)
            outputs = decoder(bn(inputs))
            loss = loss_function([t.float() for t in inputs], [s.float() for s in outputs])
        opt.zero_grad()
        loss.backward()
        opt.step()
    seconds.append(time.perf_counter() - start)
    losses.append(float(loss))
print(json.dumps({"backbone": backbone, "size": size, "images": images, "batch": batch, "bf16": bf16,
                  "epoch_seconds": seconds, "losses": losses}))
