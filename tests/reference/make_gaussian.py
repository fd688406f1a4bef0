"""Writes a fixed map and scipy.ndimage.gaussian_filter(sigma=4) of it (float64), as .npy.

Usage: /usr/bin/python3 make_gaussian.py OUT_DIR
"""
import os
import sys

import numpy as np
import scipy.ndimage

out = os.path.join(sys.argv[1], "gaussian")
os.makedirs(out, exist_ok=True)
rng = np.random.default_rng(4)
for name, shape in (("square", (64, 64)), ("small", (9, 23))):
    m = rng.random(shape).astype(np.float32)
    m[shape[0] // 2, shape[1] // 3] = 5.0  # a spike near the middle, and one on the border
    m[0, -1] = 3.0
    np.save(os.path.join(out, f"{name}_input.npy"), m)
    np.save(os.path.join(out, f"{name}_sigma4.npy"), scipy.ndimage.gaussian_filter(m.astype(np.float64), sigma=4))
