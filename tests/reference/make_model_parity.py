"""Writes parity fixtures for the model: torchvision teachers and a reference-code RD network.

Usage: /usr/bin/python3 make_model_parity.py OUT_DIR

For every backbone: a torchvision state dict with random weights and random BatchNorm
statistics (so BN is not the identity), saved with torch.save in both formats (zip and legacy),
plus an input and the torchvision layer1..layer3 features.
For resnet18 and wide_resnet50_2: a checkpoint in the paper's format ({'bn': ..., 'decoder': ...},
including the unused conv4/bn4), and the decoder outputs, the raw anomaly map and the
scipy-smoothed map that the paper's pipeline computes from them; and an RD++ checkpoint
({'proj': ..., 'bn': ..., 'decoder': ...}) with the projection's outputs and the maps of the RD++
code's inference (teacher -> projection -> OCBE -> decoder, map against the teacher).

The OCBE and decoder below are written from the paper's description and the reference code's
parameter names; they are an independent Python computation of the same architecture.
"""
import os
import sys

import torch
import torchvision

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from rd_reference import (BACKBONES, OCBE, Decoder, Projection, randomise_bn, raw_map,  # noqa: E402
                          smooth_and_score, teacher_features)

OUT = os.path.join(sys.argv[1], "model")
os.makedirs(OUT, exist_ok=True)
SIZE = 64
torch.manual_seed(7)


def without_layer4(state):
    return {k: v for k, v in state.items() if not k.startswith(("layer4.", "fc."))}


with torch.no_grad():
    for name, (block, layers, width, ocbe_blocks) in BACKBONES.items():
        teacher = getattr(torchvision.models, name)().eval()
        randomise_bn(teacher)
        state = teacher.state_dict()
        if name != "resnet18":
            state = without_layer4(state)  # keeps fixtures small; resnet18's full file tests that layer4/fc are ignored
        torch.save(state, os.path.join(OUT, f"{name}_zip.pth"))
        torch.save(state, os.path.join(OUT, f"{name}_legacy.pth"), _use_new_zipfile_serialization=False)
        x = torch.randn(2, 3, SIZE, SIZE)
        feats = teacher_features(teacher, x)
        out = {"input": x, "f1": feats[0], "f2": feats[1], "f3": feats[2]}
        if name in ("resnet18", "wide_resnet50_2"):
            ocbe = OCBE(block, ocbe_blocks, width).eval()
            decoder = Decoder(block, layers, width).eval()
            randomise_bn(ocbe)
            randomise_bn(decoder)
            torch.save({"bn": ocbe.state_dict(), "decoder": decoder.state_dict()},
                       os.path.join(OUT, f"{name}_reference.pth"))
            student = decoder(ocbe(feats))
            raw = raw_map(feats, student, SIZE).numpy()
            smooth, score = smooth_and_score(raw)
            out.update({"d1": student[0], "d2": student[1], "d3": student[2], "raw_map": torch.from_numpy(raw),
                        "smooth_map": torch.from_numpy(smooth), "score": torch.from_numpy(score)})
            proj = Projection(block.expansion).eval()
            torch.save({"proj": proj.state_dict(), "bn": ocbe.state_dict(), "decoder": decoder.state_dict()},
                       os.path.join(OUT, f"{name}_rdpp_reference.pth"))
            projected = proj(feats)
            student = decoder(ocbe(projected))
            raw = raw_map(feats, student, SIZE).numpy()
            smooth, score = smooth_and_score(raw)
            out.update({"p1": projected[0], "p2": projected[1], "p3": projected[2],
                        "pp_raw_map": torch.from_numpy(raw), "pp_smooth_map": torch.from_numpy(smooth),
                        "pp_score": torch.from_numpy(score)})
        torch.save(out, os.path.join(OUT, f"{name}_expected.pth"))
print("model parity fixtures in", OUT)
