"""Writes .npy files with numpy itself, so the C++ reader is tested against the real format.

Usage: make_npy.py OUT_DIR   (files go to OUT_DIR/npy/)
"""
import os
import sys

import numpy as np
from numpy.lib import format as npy_format

out = os.path.join(sys.argv[1], "npy")
os.makedirs(out, exist_ok=True)

# Values that show both the order and the conversion: element [i, j] = 10*i + j + 0.5.
grid = np.array([[10 * i + j + 0.5 for j in range(4)] for i in range(3)])

np.save(os.path.join(out, "f4_3x4.npy"), grid.astype("<f4"))
np.save(os.path.join(out, "f8_3x4.npy"), grid.astype("<f8"))
np.save(os.path.join(out, "i8_3x4.npy"), np.floor(grid).astype("<i8"))
np.save(os.path.join(out, "u1_3x4.npy"), np.floor(grid).astype("|u1"))
np.save(os.path.join(out, "b1_3x4.npy"), np.floor(grid).astype(np.int64) % 2 == 1)
np.save(os.path.join(out, "f4_3x4_fortran.npy"), np.asfortranarray(grid.astype("<f4")))
# A 3-D Fortran array: element [i, j, k] = 100*i + 10*j + k.
cube = np.fromfunction(lambda i, j, k: 100 * i + 10 * j + k, (2, 3, 4)).astype("<f4")
np.save(os.path.join(out, "f4_2x3x4_fortran.npy"), np.asfortranarray(cube))
np.save(os.path.join(out, "f4_scalar.npy"), np.array(7.25, dtype="<f4"))
np.save(os.path.join(out, "f4_0x5.npy"), np.zeros((0, 5), dtype="<f4"))
np.save(os.path.join(out, "f4_vector.npy"), np.arange(5, dtype="<f4"))
for version in [(2, 0), (3, 0)]:
    with open(os.path.join(out, "f4_3x4_v%d.npy" % version[0]), "wb") as f:
        npy_format.write_array(f, grid.astype("<f4"), version=version)

# Files the reader must refuse.
np.save(os.path.join(out, "f4_big_endian.npy"), grid.astype(">f4"))
np.save(os.path.join(out, "i4_3x4.npy"), np.floor(grid).astype("<i4"))
np.save(os.path.join(out, "object.npy"), np.array([{"a": 1}], dtype=object), allow_pickle=True)
with open(os.path.join(out, "f4_3x4.npy"), "rb") as f:
    whole = f.read()
with open(os.path.join(out, "truncated.npy"), "wb") as f:
    f.write(whole[:-5])
