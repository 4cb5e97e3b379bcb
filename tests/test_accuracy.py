"""The confusion-matrix metrics against a brute-force reference on random inputs."""

import math

import numpy as np
import pytest
import torch

from bench.measure.accuracy import ConfusionMatrix


def brute_force(targets, preds, n, ignore):
    """Per-class IoU and accuracy by counting pixels one class at a time, over all images."""
    t = np.concatenate([x.ravel() for x in targets])
    p = np.concatenate([x.ravel() for x in preds])
    keep = t != ignore
    t, p = t[keep], p[keep]
    ious, accs, freqs = [], [], []
    for c in range(n):
        inter = np.sum((t == c) & (p == c))
        union = np.sum((t == c) | (p == c))
        ious.append(inter / union if union else math.nan)
        accs.append(inter / np.sum(t == c) if np.sum(t == c) else math.nan)
        freqs.append(np.sum(t == c) / t.size)
    return {
        "miou": np.nanmean(ious),
        "class_avg_acc": np.nanmean(accs),
        "global_acc": np.mean(t == p),
        "per_class_iou": ious,
        "fwiou": sum(f * (0 if math.isnan(i) else i) for f, i in zip(freqs, ious)),
    }


@pytest.mark.parametrize("seed", range(5))
def test_matches_brute_force_with_void_and_missing_classes(seed):
    rng = np.random.default_rng(seed)
    n, ignore = 7, 255
    targets, preds = [], []
    for _ in range(4):  # several images of different sizes, accumulated into one matrix
        h, w = rng.integers(5, 30, size=2)
        t = rng.choice([0, 1, 2, 4, 255], size=(h, w))  # classes 3, 5, 6 never occur ...
        p = rng.choice([0, 1, 2, 3, 4], size=(h, w))  # ... 3 is predicted, 5 and 6 never
        targets.append(t)
        preds.append(p)
    cm = ConfusionMatrix(n, ignore)
    for t, p in zip(targets, preds):
        cm.update(torch.from_numpy(t), torch.from_numpy(p))
    got = cm.compute()
    ref = brute_force(targets, preds, n, ignore)
    for key in ["miou", "class_avg_acc", "global_acc", "fwiou"]:
        assert got[key] == pytest.approx(ref[key], abs=1e-12), key
    got_iou = list(got["per_class_iou"].values())
    for g, r in zip(got_iou, ref["per_class_iou"]):
        assert (math.isnan(g) and math.isnan(r)) or g == pytest.approx(r)
    assert got["per_class_iou"]["3"] == 0.0  # predicted but absent: IoU 0, counted
    assert math.isnan(got["per_class_iou"]["5"])  # neither: left out of the mean


def test_one_matrix_over_the_split_is_not_a_mean_of_images():
    cm = ConfusionMatrix(2)
    cm.update(torch.zeros(1, 10, dtype=torch.long), torch.zeros(1, 10, dtype=torch.long))
    cm.update(torch.tensor([[1]]), torch.tensor([[0]]))
    # Per image: mIoU 1.0 and 0.0 -> mean 0.5. Over the split: class 0 IoU 10/11, class 1 0.
    assert cm.compute()["miou"] == pytest.approx((10 / 11 + 0) / 2)


def test_perfect_prediction_and_names():
    t = torch.randint(0, 3, (2, 8, 8))
    cm = ConfusionMatrix(3, ignore_index=3)
    cm.update(t, t.clone())
    r = cm.compute(["a", "b", "c"])
    assert r["miou"] == r["global_acc"] == r["class_avg_acc"] == 1.0
    assert set(r["per_class_iou"]) == {"a", "b", "c"} and r["pixels"] == 128


def test_bad_inputs_are_refused():
    cm = ConfusionMatrix(3, ignore_index=255)
    with pytest.raises(ValueError, match="outside 0..2"):
        cm.update(torch.tensor([5]), torch.tensor([0]))
    with pytest.raises(ValueError, match="differ in shape"):
        cm.update(torch.zeros(2, 2), torch.zeros(4))
    with pytest.raises(ValueError, match="predicted"):
        cm.update(torch.tensor([0]), torch.tensor([7]))
    cm.update(torch.tensor([255, 1]), torch.tensor([0, 1]))  # void is ignored
    assert cm.compute()["pixels"] == 1
