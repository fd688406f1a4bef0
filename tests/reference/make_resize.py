"""Writes random 8-bit images and Pillow's BILINEAR resizes of them (what torchvision's Resize
does to PIL images), as PNG pairs. Usage: /usr/bin/python3 make_resize.py OUT_DIR
"""
import os
import sys

import numpy as np
from PIL import Image

out = os.path.join(sys.argv[1], "resize")
os.makedirs(out, exist_ok=True)
rng = np.random.default_rng(11)
cases = [("shrink", (300, 512), (256, 256)), ("odd", (37, 53), (64, 64)), ("grow", (100, 90), (256, 256)),
         ("wide", (40, 500), (64, 64)), ("width_only", (64, 200), (64, 64))]
for name, (h, w), (oh, ow) in cases:
    a = (rng.random((h, w, 3)) * 256).astype(np.uint8)
    a[: h // 2, : w // 3] = 250  # flat areas and hard edges next to noise
    img = Image.fromarray(a)
    img.save(os.path.join(out, f"{name}_in.png"))
    img.resize((ow, oh), Image.BILINEAR).save(os.path.join(out, f"{name}_out.png"))
