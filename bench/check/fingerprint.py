"""Deterministic numerical fingerprints: what a system computes, in a few robust numbers.

A deep model's fingerprint is taken from its logits on a fixed seeded input, with fixed seeded
weights and BatchNorm statistics calibrated on a seeded batch (the way the efficiency pass builds
models: :func:`bench.efficiency.build`), on one thread: the mean, the standard deviation and the
1, 10, 50, 90 and 99% quantiles of all logits, and the histogram of the argmax classes (fractions
of pixels). A classical method's fingerprint is taken from its partition of a fixed synthetic
image: the number of regions, the fraction of neighbouring pixel pairs that lie in different
regions (boundary), the largest region's share of the image and the median region's share.

Comparison (:func:`compare_fingerprints`): each statistic's deviation is relative to a scale,
and the largest deviation must stay within the ``fingerprint`` tolerance (default 1e-3). For
logits the scale is the baseline's standard deviation of the logits (the mean and the median are
near 0, so a deviation relative to themselves would mean nothing); the argmax histogram
deviates by its total variation (the fraction of pixels that changed class at least). For a
partition each number is relative to itself.

Why 1e-3: float noise between thread counts, BLAS kernels and CPUs moves these statistics by
about 1e-6 of the logits' spread (summation order only); a changed activation (ReLU to
LeakyReLU(0.01) or GELU), a changed initialisation or a changed layer moves them by 1e-2 and more.
1e-3 sits in the middle of the three orders of magnitude between the two, on a log scale.
"""

from __future__ import annotations

import math

import numpy as np
import torch

QUANTILES = {"q01": 0.01, "q10": 0.10, "q50": 0.50, "q90": 0.90, "q99": 0.99}
LOGIT_STATS = ("mean", "std", *QUANTILES)
PARTITION_STATS = ("regions", "boundary", "largest", "median_region")


def logits_fingerprint(logits: torch.Tensor) -> dict:
    """The fingerprint of a 1xCxHxW (or CxHxW) tensor of logits."""
    x = logits.detach().float().cpu()
    if x.dim() == 3:
        x = x.unsqueeze(0)
    a = x.numpy().astype(np.float64).ravel()
    qs = np.quantile(a, list(QUANTILES.values()))
    classes = x.argmax(1).flatten()
    hist = torch.bincount(classes, minlength=x.shape[1]).double() / classes.numel()
    return {
        "kind": "logits",
        "shape": list(x.shape),
        "mean": float(a.mean()),
        "std": float(a.std()),
        **{k: float(q) for k, q in zip(QUANTILES, qs)},
        "argmax_hist": [round(float(p), 8) for p in hist],
    }


def partition_fingerprint(regions: np.ndarray) -> dict:
    """The fingerprint of an HxW partition (region ids)."""
    r = np.asarray(regions)
    _, sizes = np.unique(r, return_counts=True)
    pairs = r[:, 1:].size + r[1:].size
    different = np.count_nonzero(r[:, 1:] != r[:, :-1]) + np.count_nonzero(r[1:] != r[:-1])
    return {
        "kind": "partition",
        "shape": list(r.shape),
        "regions": int(sizes.size),
        "boundary": float(different / pairs) if pairs else 0.0,
        "largest": float(sizes.max() / r.size),
        "median_region": float(np.median(sizes) / r.size),
    }


def compare_fingerprints(base: dict, now: dict) -> tuple[float, str]:
    """(largest relative deviation, the statistic that has it) between two fingerprints;
    ``inf`` when they are not comparable at all (another kind of output or shape)."""
    if base.get("kind") != now.get("kind") or base.get("shape") != now.get("shape"):
        return (
            float("inf"),
            f"output {now.get('kind')} {now.get('shape')} (was "
            f"{base.get('kind')} {base.get('shape')})",
        )
    devs: dict[str, float] = {}
    if base["kind"] == "logits":
        scale = max(abs(base["std"]), 1e-12)
        for k in LOGIT_STATS:
            devs[k] = abs(now[k] - base[k]) / scale
        p, q = np.asarray(base["argmax_hist"]), np.asarray(now["argmax_hist"])
        devs["argmax_hist"] = (
            0.5 * float(np.abs(p - q).sum()) if p.shape == q.shape else float("inf")
        )
    else:
        for k in PARTITION_STATS:
            devs[k] = abs(now[k] - base[k]) / max(abs(base[k]), 1e-12)
    devs = {k: v if math.isfinite(v) else math.inf for k, v in devs.items()}  # NaN: changed
    worst = max(devs, key=lambda k: devs[k])
    return devs[worst], worst
