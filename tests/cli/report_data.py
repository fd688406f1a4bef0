"""Data for tests/cli/rd_report_test.sh: models (metadata only), images, maps and score records.

Usage: report_data.py OUTDIR. Writes into OUTDIR (fixed seeds, so every run is the same):
  model.rdm, other.rdm   .rdm files with metadata and no tensors (rd-report reads only the
                         metadata); model.rdm has 200 validation scores ~ N(0.30, 0.02) and
                         validation pixel statistics; other.rdm is another model (another id)
  images/, maps/, masks/ 64x64 PNG images (hostile names among them, a TIFF and a 16-bit PNG),
                         float32 .npy maps, ground-truth masks
  normal.jsonl   60 records like the validation scores (3 anomalies, decided at threshold 0.36);
                 the five highest carry hostile names, one image is a TIFF, one a 16-bit PNG
  drifted.jsonl  the same 60 shifted by two validation standard deviations, and an error record
  few.jsonl      8 records
  labelled.jsonl records with label, defect and mask: 24 normal, 12 anomalous, one FP and one FN
  errors.jsonl   error records only
  threshold.json an image threshold file of model.rdm (0.36); other-threshold.json of other.rdm
  ids.json       {"model": id, "other": id}
"""
import json
import os
import struct
import sys

import numpy as np
from PIL import Image

M64 = (1 << 64) - 1


def digest(data: bytes) -> int:
    """rd's content digest (lib/io/model_file.cpp ContentDigest)."""
    h = 0xCBF29CE484222325 ^ len(data)
    words = len(data) // 8
    for w in struct.unpack_from("<%dQ" % words, data):
        h = ((h ^ w) * 0x100000001B3) & M64
        h ^= h >> 29
    for b in data[words * 8:]:
        h = ((h ^ b) * 0x100000001B3) & M64
    h ^= h >> 33
    h = (h * 0xFF51AFD7ED558CCD) & M64
    h ^= h >> 33
    return h


def write_model(path, meta):
    header = json.dumps({"meta": meta, "tensors": []}, separators=(",", ":")).encode()
    head = b"\x89RDM\r\n\x1a\n" + struct.pack("<IIQ", 1, 0, len(header)) + header
    head += b"\0" * (-len(head) % 64)
    d = digest(head)
    with open(path, "wb") as f:
        f.write(head + struct.pack("<Q", d))
    return "%016x" % d


def stats(values):
    v = np.asarray(values, np.float64)
    q = {str(p): float(np.percentile(v, p * 100)) for p in (0.5, 0.9, 0.95, 0.99, 0.995)}
    return {"count": len(v), "mean": float(v.mean()), "std": float(v.std()), "min": float(v.min()),
            "max": float(v.max()), "quantiles": q}


def main(out):
    rng = np.random.default_rng(31)
    os.chdir(out)
    for d in ("images", "maps", "masks", "images/<script>alert(1)<"):
        os.makedirs(d, exist_ok=True)
    val = rng.normal(0.30, 0.02, 200)
    meta = {"kind": "rd-model", "backbone": "resnet18", "method": "rd4ad", "image_size": 64,
            "validation": dict(stats(val), scores=[float(x) for x in val],
                               pixel=dict(stats(rng.gamma(2.0, 0.03, 5000)), sampled_every=16))}
    ids = {"model": write_model("model.rdm", meta)}
    ids["other"] = write_model("other.rdm", dict(meta, backbone="resnet34"))
    json.dump(ids, open("ids.json", "w"))
    for name, model in (("threshold.json", "model"), ("other-threshold.json", "other")):
        json.dump({"kind": "rd-threshold", "version": 1, "method": "percentile:99.9", "value": 0.36, "count": 200,
                   "model": {"id": ids[model]}, "pixel": False, "created": "2026-01-01T00:00:00Z"},
                  open(name, "w"))

    hostile = ["images/<script>alert(1)</script>.png", "images/a#1.png", "images/100%.png", "images/what?.png",
               "images/with space.png"]

    def image(path, anomalous, kind="png"):
        pixels = rng.integers(90, 160, (64, 64, 3)).astype(np.uint8)
        if anomalous:
            pixels[20:34, 30:44] = (230, 40, 40)
        if kind == "tiff":
            Image.fromarray(pixels).save(path, format="TIFF")
        elif kind == "png16":
            Image.fromarray((pixels[..., 0].astype(np.uint16) * 257)).save(path)
        else:
            Image.fromarray(pixels).save(path)

    def amap(path, anomalous):
        m = rng.gamma(2.0, 0.03, (64, 64)).astype(np.float32)
        if anomalous:
            m[20:34, 30:44] += 0.5
        np.save(path, m)

    def run(name, shift, error=False):
        recs = []
        scores = list(rng.normal(0.30 + shift, 0.02, 57)) + list(rng.normal(0.6, 0.05, 3))
        for i, s in enumerate(scores):
            anomalous = i >= 57
            if i >= 55:  # the highest scores carry the hostile names
                path = hostile[i - 55]
            elif i == 13:
                path = "images/t13.tiff"
            elif i == 11:
                path = "images/deep11.png"
            else:
                path = "images/%s_%02d.png" % (name, i)
            if not os.path.exists(path):
                image(path, anomalous, "tiff" if path.endswith(".tiff") else "png16" if "deep" in path else "png")
            if i >= 55:
                s = 0.45 + 0.05 * (i - 55)  # in the gallery, in a known order
            rec = {"path": path, "score": float(s), "width": 64, "height": 64, "model": ids["model"]}
            if i % 2 == 0 or i >= 55:
                rec["map"] = "maps/%s_%02d.npy" % (name, i)
                amap(rec["map"], anomalous)
            rec["anomalous"] = bool(s >= 0.36)
            rec["threshold"] = 0.36
            recs.append(rec)
        if error:
            recs.insert(5, {"path": "images/broken.png", "error": "cannot decode 'images/broken.png': not an image "
                                                                  "(12 bytes)", "model": ids["model"]})
        with open(name + ".jsonl", "w") as f:
            for r in recs:
                f.write(json.dumps(r) + "\n")

    run("normal", 0.0)
    run("drifted", 0.04, error=True)
    with open("few.jsonl", "w") as f:
        for s in rng.normal(0.5, 0.02, 8):
            f.write(json.dumps({"path": "images/normal_00.png", "score": float(s), "model": ids["model"]}) + "\n")
    with open("errors.jsonl", "w") as f:
        for i in range(3):
            f.write(json.dumps({"path": "images/gone_%d.png" % i, "error": "cannot read 'images/gone_%d.png': No such "
                                "file or directory" % i}) + "\n")

    # Labelled: normal ~ validation, anomalous higher; one normal above and one defect below the threshold.
    recs = []
    for i in range(36):
        label = int(i >= 24)
        defect = "good" if not label else ("crack" if i % 2 else "hole")
        path = "images/lab_%02d.png" % i
        image(path, label)
        s = rng.normal(0.30, 0.02) if not label else rng.normal(0.5, 0.05)
        if i == 3:
            s = 0.40  # false positive
        if i == 30:
            s = 0.33  # false negative
        rec = {"path": path, "score": float(s), "label": label, "defect": defect, "model": ids["model"],
               "map": "maps/lab_%02d.npy" % i}
        amap(rec["map"], label)
        if label:
            mask = np.zeros((64, 64), np.uint8)
            mask[20:34, 30:44] = 255
            rec["mask"] = "masks/lab_%02d.png" % i
            Image.fromarray(mask).save(rec["mask"])
        recs.append(rec)
    with open("labelled.jsonl", "w") as f:
        for r in recs:
            f.write(json.dumps(r) + "\n")


if __name__ == "__main__":
    main(sys.argv[1])
