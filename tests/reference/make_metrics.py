#!/usr/bin/python3
"""Writes the expected values of rd's metrics and thresholds, computed by scikit-learn, numpy
and independent implementations of the AUPRO definitions, for tests/unit/eval/*metrics_test.cpp and
threshold_test.cpp.

Usage: /usr/bin/python3 tests/reference/make_metrics.py OUT_DIR
Writes OUT_DIR/metrics_image.json, metrics_pixel.json, metrics_threshold.json. Deterministic.
"""
import json
import os
import sys

import numpy as np
from scipy import ndimage
from sklearn import metrics

# numpy 2 (Debian 13) renamed trapz to trapezoid; numpy 1.24 (Debian 12) has only trapz.
trapezoid = getattr(np, "trapezoid", None) or np.trapz

RNG = np.random.default_rng(20240501)
EIGHT_CONNECTED = np.ones((3, 3), dtype=int)


def f1_max(labels, scores):
    """Best F1 on sklearn's PR curve; lowest threshold among (near-)equal maxima."""
    precision, recall, thresholds = metrics.precision_recall_curve(labels, scores)
    p, r = precision[:-1], recall[:-1]  # The last point (P=1, R=0) has no threshold.
    with np.errstate(invalid="ignore", divide="ignore"):
        f1 = np.where(p + r > 0, 2 * p * r / (p + r), 0.0)
    best = int(np.flatnonzero(f1 >= f1.max() - 1e-12)[0])  # thresholds increase
    return {"f1": f1[best], "threshold": thresholds[best], "precision": p[best],
            "recall": r[best]}


def image_case(name, scores, labels):
    scores = [float(s) for s in scores]
    labels = [int(v) for v in labels]
    fpr, tpr, thr = metrics.roc_curve(labels, scores, drop_intermediate=False)
    precision, recall, pr_thr = metrics.precision_recall_curve(labels, scores)
    return {
        "name": name, "scores": scores, "labels": labels,
        "roc_auc": metrics.roc_auc_score(labels, scores),
        "average_precision": metrics.average_precision_score(labels, scores),
        "f1": f1_max(labels, scores),
        # sklearn 1.2 starts the ROC with threshold max+1, later versions with inf: drop it.
        "roc": {"fpr": fpr[1:].tolist(), "tpr": tpr[1:].tolist(), "thresholds": thr[1:].tolist()},
        # Highest threshold first, as rd returns it, without the (R=0, P=1) end point.
        "pr": {"recall": recall[-2::-1].tolist(), "precision": precision[-2::-1].tolist(),
               "thresholds": pr_thr[::-1].tolist()},
    }


def image_cases():
    cases = [
        image_case("ties", [0.1, 0.4, 0.35, 0.8, 0.4, 0.4, 0.1, 0.9], [0, 0, 1, 1, 1, 0, 1, 1]),
        image_case("all_equal", [0.5] * 7, [0, 1, 0, 0, 1, 1, 0]),
        image_case("integers_many_ties", RNG.integers(0, 4, 40), RNG.integers(0, 2, 40)),
    ]
    for n, positive_rate, decimals in [(10, 0.5, 3), (57, 0.3, 1), (300, 0.1, 2), (2000, 0.05, 3)]:
        labels = (RNG.random(n) < positive_rate).astype(int)
        labels[0], labels[1] = 0, 1  # both classes, whatever the draw
        scores = RNG.normal(0, 1, n) + 1.2 * labels
        cases.append(image_case(f"random_{n}", np.round(scores, decimals), labels))
    return cases


def threshold_cases():
    cases = []
    for name, scores in [("small", [3.0, 1.0, 2.0, 2.0, 5.0]),
                         ("ties", np.round(RNG.normal(0, 1, 50), 1)),
                         ("random", RNG.gamma(2.0, 1.5, 333))]:
        s = np.asarray(scores, dtype=np.float64)
        case = {"name": name, "scores": s.tolist(),
                "percentile": [[p, np.percentile(s, p)] for p in [0, 1, 25, 50, 90, 99, 99.5, 100]],
                "sigma": [[k, s.mean() + k * s.std()] for k in [0, 1, 3, -0.5]],
                "fpr": []}
        for f in [0, 0.01, 0.05, 0.2, 0.5, 0.99]:
            # From the definition, by brute force: the smallest t (just above some score) at
            # which the flagged fraction (score >= t) is at most f.
            candidates = sorted(np.nextafter(v, np.inf) for v in set(s.tolist()))
            t = next(c for c in candidates if np.mean(s >= c) <= f)
            case["fpr"].append([f, t])
        cases.append(case)
    return cases


def regions_of(masks):
    """Global 1-based region id per pixel (0 = normal), 8-connected components per mask."""
    ids, offset = [], 0
    for mask in masks:
        labelled, count = ndimage.label(mask, structure=EIGHT_CONNECTED)
        labelled[labelled > 0] += offset
        offset += count
        ids.append(labelled.ravel())
    return np.concatenate(ids), offset


def aupro_mvtec(maps, masks, limit=0.3):
    """MVTec AD AUPRO from its definition, brute force over every distinct score."""
    scores = np.concatenate([m.ravel() for m in maps]).astype(np.float64)
    region, count = regions_of(masks)
    normal = region == 0
    areas = np.bincount(region, minlength=count + 1)[1:]
    xs, ys = [0.0], [0.0]
    for t in np.unique(scores)[::-1]:
        positive = scores >= t
        xs.append(np.mean(positive[normal]))
        covered = np.bincount(region[positive], minlength=count + 1)[1:]
        ys.append(np.mean(covered / areas))
    xs, ys = np.array(xs + [1.0]), np.array(ys + [1.0])
    j = int(np.searchsorted(xs, limit, side="right"))  # first point beyond the limit
    area = trapezoid(ys[:j], xs[:j])
    if xs[j - 1] < limit:
        y_limit = ys[j - 1] + (ys[j] - ys[j - 1]) * (limit - xs[j - 1]) / (xs[j] - xs[j - 1])
        area += (limit - xs[j - 1]) * (y_limit + ys[j - 1]) / 2
    return area / limit


def aupro_rd4ad(maps, masks):
    """The RD4AD paper's PRO: per anomalous image, 200 thresholds, FPR < 0.3 rescaled, mean."""
    values = []
    for amap, mask in zip(maps, masks):
        if mask.sum() == 0:
            continue
        amap = amap.astype(np.float64)
        labelled, count = ndimage.label(mask, structure=EIGHT_CONNECTED)
        lo, hi = amap.min(), amap.max()
        pros, fprs = [], []
        for th in np.arange(lo, hi, (hi - lo) / 200):
            positive = amap > th
            pros.append(np.mean([positive[labelled == r].mean() for r in range(1, count + 1)]))
            fprs.append(np.logical_and(mask == 0, positive).sum() / (mask == 0).sum())
        fprs, pros = np.array(fprs), np.array(pros)
        keep = fprs < 0.3
        values.append(metrics.auc(fprs[keep] / fprs[keep].max(), pros[keep]))
    return float(np.mean(values))


def blob_masks(shape, count, anomalous):
    masks = []
    for i in range(count):
        if i not in anomalous:
            masks.append(np.zeros(shape, dtype=np.uint8))
            continue
        noise = ndimage.gaussian_filter(RNG.random(shape), 2.0)
        masks.append((noise > np.quantile(noise, 0.85)).astype(np.uint8))
    return masks


def noisy_maps(masks, decimals=None):
    maps = []
    for mask in masks:
        m = ndimage.gaussian_filter(RNG.random(mask.shape) + 0.8 * mask, 1.0)
        maps.append((np.round(m, decimals) if decimals else m).astype(np.float32))
    return maps


def pixel_case(name, maps, masks):
    scores = np.concatenate([m.ravel() for m in maps]).astype(np.float64)
    truth = np.concatenate([m.ravel() for m in masks]).astype(int)
    return {
        "name": name,
        "images": [{"height": m.shape[0], "width": m.shape[1],
                    "map": [float(v) for v in m.ravel()], "mask": k.ravel().tolist()}
                   for m, k in zip(maps, masks)],
        "regions": regions_of(masks)[1],
        "pixel_auroc": metrics.roc_auc_score(truth, scores),
        "pixel_average_precision": metrics.average_precision_score(truth, scores),
        "pixel_f1": f1_max(truth, scores),
        "aupro": aupro_mvtec(maps, masks, 0.3),
        "aupro_limit_1": aupro_mvtec(maps, masks, 1.0),
        "aupro_rd4ad": aupro_rd4ad(maps, masks),
    }


def pixel_cases():
    masks = blob_masks((24, 32), 6, anomalous={1, 2, 4, 5})
    cases = [pixel_case("random", noisy_maps(masks), masks),
             pixel_case("ties", noisy_maps(masks, decimals=1), masks)]
    sizes = [(16, 20), (20, 16), (9, 30)]
    masks = [blob_masks(s, 1, anomalous={0})[0] for s in sizes]
    cases.append(pixel_case("mixed_sizes", noisy_maps(masks, decimals=2), masks))
    return cases


def write(path, cases):
    with open(path, "w") as f:
        json.dump({"generator": "tests/reference/make_metrics.py", "cases": cases}, f,
                  default=float)


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: make_metrics.py OUT_DIR")
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    write(os.path.join(out, "metrics_image.json"), image_cases())
    write(os.path.join(out, "metrics_threshold.json"), threshold_cases())
    write(os.path.join(out, "metrics_pixel.json"), pixel_cases())


if __name__ == "__main__":
    main()
