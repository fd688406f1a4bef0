"""Builds the hostile-input corpus of issue 6 in DIR, at test time (run by /usr/bin/python3).

    make_corpus.py DIR

DIR/images/  files a camera or a colleague may leave in a folder. valid.txt lists those every tool
             must accept (odd but valid images), invalid.txt those that must give an error record
             naming the file; a path with a newline is listed in valid0.txt (NUL-separated) only.
DIR/records/ JSON-lines files: malformed.jsonl mixes good records with every kind of bad line;
             expected.json says which lines are good.
DIR/models/  not-a-model.rdm (a PNG renamed) and empty.rdm. Torn and newer-version model
             files are made by the tests from a model they train.

Nothing here needs a network or real weights; images are small except wide.png (5000x300) and
the 30000x30000 PNG, whose header lies (the file is a few hundred bytes).
"""
import json
import os
import struct
import sys
import zlib

import numpy as np
from PIL import Image

root = os.path.abspath(sys.argv[1])  # the lists hold absolute paths
images = os.path.join(root, "images")
records = os.path.join(root, "records")
models = os.path.join(root, "models")
for d in (images, records, models):
    os.makedirs(d, exist_ok=True)
rng = np.random.default_rng(6)


def rgb(h, w):
    return (rng.random((h, w, 3)) * 120 + 60).astype(np.uint8)


def png_chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def png_bytes(width, height, bit_depth, colour_type, rows):
    """A PNG written by hand: PIL cannot write 16-bit RGB, and the lying header needs raw chunks."""
    ihdr = struct.pack(">IIBBBBB", width, height, bit_depth, colour_type, 0, 0, 0)
    body = png_chunk(b"IHDR", ihdr)
    if rows is not None:
        body += png_chunk(b"IDAT", zlib.compress(b"".join(b"\x00" + r for r in rows)))
    return b"\x89PNG\r\n\x1a\n" + body + png_chunk(b"IEND", b"")


def path(name):
    return os.path.join(images, name)


valid, invalid = [], []

# Odd but valid: every tool scores these.
Image.fromarray(rgb(48, 64)).save(path("plain.png"))
Image.fromarray(rgb(48, 64)).save(path("photo.jpg"), quality=90)
Image.fromarray(rgb(40, 40)[:, :, 0]).save(path("gray.png"))
Image.fromarray(np.dstack([rgb(40, 40), np.full((40, 40), 200, np.uint8)])).save(path("rgba.png"))
Image.fromarray(rgb(40, 40)).convert("CMYK").save(path("cmyk.jpg"), quality=90)
Image.fromarray((rng.random((40, 40)) * 60000).astype(np.uint16)).save(path("gray16.png"))
rgb16 = (rng.random((32, 32, 3)) * 65535).astype(">u2")
with open(path("rgb16.png"), "wb") as f:
    f.write(png_bytes(32, 32, 16, 2, [row.tobytes() for row in rgb16]))
Image.fromarray(rgb(1, 1)).save(path("tiny-1x1.png"))
Image.fromarray(rgb(300, 5000)).save(path("wide-5000x300.png"))
Image.fromarray(rgb(40, 40)).save(path("with space.png"))
Image.fromarray(rgb(40, 40)).save(path("non-ascii-\u00e9t\u00e9-\u753b\u50cf.png"))
valid += ["plain.png", "photo.jpg", "gray.png", "rgba.png", "cmyk.jpg", "gray16.png", "rgb16.png",
          "tiny-1x1.png", "wide-5000x300.png", "with space.png", "non-ascii-\u00e9t\u00e9-\u753b\u50cf.png"]
Image.fromarray(rgb(40, 40)).save(path("new\nline.png"))  # only reachable with -0

# Invalid: each gives an error record that names it; the cause is checked by the tests.
good_png = open(path("plain.png"), "rb").read()
good_jpg = open(path("photo.jpg"), "rb").read()
open(path("zero-bytes.png"), "wb").close()
open(path("truncated.png"), "wb").write(good_png[: len(good_png) // 2])
open(path("truncated.jpg"), "wb").write(good_jpg[: len(good_jpg) // 2])
open(path("text.png"), "w").write("this is a text file named like an image\n")
open(path("huge-30000x30000.png"), "wb").write(png_bytes(30000, 30000, 8, 2, None))
os.symlink("nowhere/at/all.png", path("dangling.png"))
os.makedirs(path("directory.png"), exist_ok=True)
open(path("unreadable.png"), "wb").write(good_png)
os.chmod(path("unreadable.png"), 0)
invalid += ["zero-bytes.png", "truncated.png", "truncated.jpg", "text.png", "huge-30000x30000.png",
            "dangling.png", "directory.png", "unreadable.png", "missing.png"]

with open(os.path.join(images, "valid.txt"), "w") as f:
    f.writelines(path(n) + "\n" for n in valid)
with open(os.path.join(images, "invalid.txt"), "w") as f:
    f.writelines(path(n) + "\n" for n in invalid)
with open(os.path.join(images, "valid0.txt"), "wb") as f:
    f.write(b"".join(os.fsencode(path(n)) + b"\0" for n in valid + ["new\nline.png"]))

# Records: good lines interleaved with every kind of bad one.
good = [{"path": f"img{i}.png", "score": s, "label": i % 2} for i, s in enumerate([0.1, 0.9, 0.2, 0.8, 0.3, 0.7])]
bad = [
    b'{"path": "bad-utf8-\xff\xfe.png", "score": 0.5, "label": 1}',
    b'{"path": "ten-megabytes.png", "score": 0.5, "label": 1, "junk": ' + b"[" * (10 * 1024 * 1024),
    b'{"path": "string-score.png", "score": "0.5", "label": 0}',
    b'{"score": 0.5, "label": 1}',
    b'{"path": "nan.png", "score": NaN, "label": 0}',
    b'{"path": "inf.png", "score": Infinity, "label": 1}',
    b'{"path": "cut.png", "sco',
    b"[1, 2, 3]",
]
lines = []
for i, g in enumerate(good):
    lines.append(json.dumps(g).encode())
    if i < len(bad):
        lines.append(bad[i])
lines += bad[len(good):]
with open(os.path.join(records, "malformed.jsonl"), "wb") as f:
    f.write(b"\n".join(lines) + b"\n")
# What rd-threshold apply makes of them: a decision for every line with a numeric score (the
# record without "path" too: deciding needs no image), an error record for the six broken lines,
# and the JSON array passed through undecided (a line that is not an object is a path).
decided = [g["path"] for g in good[:4]] + [None] + [g["path"] for g in good[4:]]
with open(os.path.join(records, "expected.json"), "w") as f:
    json.dump({"decided_paths": decided, "error_lines": [2, 4, 6, 10, 12, 13], "undecided": 1}, f)

open(os.path.join(models, "not-a-model.rdm"), "wb").write(good_png)
open(os.path.join(models, "empty.rdm"), "wb").close()
print(f"corpus in {root}: {len(valid)} valid, {len(invalid)} invalid images, {len(bad)} bad record lines")
