"""Writes RD++ loss fixtures: the Sinkhorn divergence, the reconstruction and contrast losses.

Usage: /usr/bin/python3 make_rdpp_losses.py OUT_DIR

The Sinkhorn values are an independent computation: plain alternating log-domain Sinkhorn
iterations in float64 at the final epsilon (no annealing, no symmetric averaging), run to
convergence, giving OT_eps(a, b) = <a, f> + <b, g> and the debiased
S = OT(a, b) - OT(a, a) / 2 - OT(b, b) / 2 with cost |x - y|^2 / 2 (geomloss's for p = 2).
The cosine losses are torch's own CosineSimilarity and CosineEmbeddingLoss, as the official code.
"""
import os
import sys

import numpy as np
import torch
from scipy.special import logsumexp

OUT = os.path.join(sys.argv[1], "rdpp")
os.makedirs(OUT, exist_ok=True)
rng = np.random.default_rng(11)
EPS = 0.05 ** 2


def ot_eps(x, y):
    c = 0.5 * ((x[:, None, :] - y[None, :, :]) ** 2).sum(-1)
    la, lb = np.full(len(x), -np.log(len(x))), np.full(len(y), -np.log(len(y)))
    f, g = np.zeros(len(x)), np.zeros(len(y))
    for _ in range(200000):
        f_new = -EPS * logsumexp(lb[None, :] + g[None, :] / EPS - c / EPS, axis=1)
        g_new = -EPS * logsumexp(la[:, None] + f_new[:, None] / EPS - c / EPS, axis=0)
        done = max(abs(f_new - f).max(), abs(g_new - g).max()) < 1e-13
        f, g = f_new, g_new
        if done:
            break
    return np.exp(la) @ f + np.exp(lb) @ g


def divergence(x, y):
    return ot_eps(x, y) - 0.5 * ot_eps(x, x) - 0.5 * ot_eps(y, y)


out = {}
# Points a few blurs apart, so that the transport plan is neither uniform nor a permutation.
x = rng.uniform(0, 0.2, (5, 3))
y = rng.uniform(0.05, 0.25, (6, 3))
out.update({"x": torch.from_numpy(x), "y": torch.from_numpy(y), "xy": torch.tensor([divergence(x, y)])})
# Rows of a softmax over many features, as RD++ feeds them, against another batch's.
rows = torch.softmax(torch.from_numpy(rng.normal(0, 3, (4, 300))), 1).numpy()
other = torch.softmax(torch.from_numpy(rng.normal(0, 3, (4, 300))), 1).numpy()
out.update({"rows": torch.from_numpy(rows), "other": torch.from_numpy(other),
            "rows_other": torch.tensor([divergence(rows, other)])})

a = torch.from_numpy(rng.normal(0, 1, (3, 8, 4, 4))).float()
b = (a + torch.from_numpy(rng.normal(0, 0.8, (3, 8, 4, 4))).float())
recon = torch.mean(1 - torch.nn.CosineSimilarity()(a, b))
con = torch.nn.CosineEmbeddingLoss(margin=-0.5)(a.view(3, -1), b.view(3, -1), torch.ones(3))
out.update({"a": a, "b": b, "recon": recon.reshape(1), "con": con.reshape(1)})
torch.save(out, os.path.join(OUT, "losses.pth"))
print("RD++ loss fixtures in", OUT, {k: float(v[0]) for k, v in out.items() if v.numel() == 1})
