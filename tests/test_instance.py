"""Mask R-CNN inside a semantic benchmark: instances from labels, pasting in score order, the
things-only score against a brute-force reference, no download."""

import numpy as np
import pytest
import torch

import models
from bench.instance import (
    evaluate_things_only,
    instance_targets,
    predicted_things,
    things_map,
)
from models.maskrcnn import InstanceAsSemantic


def test_registered_as_the_instance_family_with_torchvisions_network():
    info = models.get_system("maskrcnn")
    assert info.family == "instance" and "arXiv:1703.06870" in info.paper
    net = models.create_model("maskrcnn", 11)
    assert net.things == (8, 9, 10)  # CamVid's Car, Pedestrian, Bicyclist
    # torchvision documents 44,401,393 parameters for 91 COCO classes with frozen BatchNorm
    # (affine values as buffers); without weights its ResNet-50 has trainable BatchNorm.
    coco = models.create_model("maskrcnn", 91, things=tuple(range(1, 91)))
    bn = sum(
        p.numel()
        for m in coco.net.backbone.body.modules()
        if isinstance(m, torch.nn.BatchNorm2d)
        for p in m.parameters()
    )
    assert sum(p.numel() for p in coco.parameters()) - bn == 44_401_393
    with pytest.raises(ValueError, match="thing classes"):
        models.create_model("maskrcnn", 5)


def test_no_weights_are_downloaded(monkeypatch):
    def refuse(*a, **k):
        raise AssertionError("a download was attempted")

    monkeypatch.setattr(torch.hub, "load_state_dict_from_url", refuse)
    models.create_model("maskrcnn", 11)


def test_instances_are_connected_components_of_thing_classes():
    label = torch.zeros(40, 60, dtype=torch.int64)  # class 0 (Sky) everywhere
    label[5:15, 5:20] = 8  # a car
    label[20:30, 30:50] = 8  # another car, not touching
    label[2:12, 40:46] = 9  # a pedestrian
    label[35:37, 0:3] = 8  # 6 pixels: too small to train on
    label[0:3, 0:3] = 11  # void
    t = instance_targets(label, (8, 9, 10))
    assert t["labels"].tolist() == [1, 1, 2]
    assert t["boxes"].tolist() == [[5, 5, 20, 15], [30, 20, 50, 30], [40, 2, 46, 12]]
    assert t["masks"].shape == (3, 40, 60) and t["masks"][0].sum() == 150
    empty = instance_targets(torch.zeros(8, 8, dtype=torch.int64), (8, 9, 10))
    assert empty["boxes"].shape == (0, 4) and empty["masks"].shape == (0, 8, 8)


def _fake_detector(detections):
    net = models.create_model("maskrcnn", 11).eval()
    net.instances = lambda x, targets=None: detections
    return net


def test_masks_are_pasted_in_ascending_score_order():
    masks = torch.zeros(2, 1, 8, 8)
    masks[0, 0, :, :6] = 0.9  # a car, score 0.8
    masks[1, 0, :, 3:] = 0.9  # a pedestrian over it, score 0.6: the car wins the overlap
    det = {"scores": torch.tensor([0.8, 0.6]), "labels": torch.tensor([1, 2]), "masks": masks}
    out = _fake_detector([det])(torch.zeros(1, 3, 8, 8))
    assert out.shape == (1, 11, 8, 8)
    classes = predicted_things(out, (8, 9, 10))[0]
    assert (classes[:, :6] == 1).all() and (classes[:, 6:] == 2).all()
    assert out[0, 8, 0, 0] == pytest.approx(0.8) and out[0, 9, 0, 7] == pytest.approx(0.6)


class _Split:
    def __init__(self, labels):
        from bench.datasets.catalog import DATASETS

        self.spec, self.labels = DATASETS["camvid"], labels

    def __len__(self):
        return len(self.labels)

    def __getitem__(self, i):
        return torch.zeros(3, *self.labels[i].shape), self.labels[i]


def test_things_only_score_matches_a_brute_force_count():
    rng = np.random.default_rng(0)
    labels = [torch.from_numpy(rng.integers(0, 12, (16, 20))) for _ in range(3)]
    preds = [torch.from_numpy(rng.integers(0, 4, (16, 20))) for _ in range(3)]  # things ids
    net = models.create_model("maskrcnn", 11).eval()
    calls = iter(preds)

    def paste(x):
        p = next(calls)
        out = torch.zeros(1, 11, *p.shape)
        for k, c in enumerate((8, 9, 10)):
            out[0, c][p == k + 1] = 1.0
        return out

    net.forward = paste
    got = evaluate_things_only(net, _Split(labels), progress=False)
    ious = []
    for k, c in enumerate((8, 9, 10)):
        tp = fp = fn = 0
        for lab, p in zip(labels, preds):
            valid = lab != 11
            t, q = (lab == c) & valid, (p == k + 1) & valid
            tp += int((t & q).sum())
            fp += int((~t & q).sum())
            fn += int((t & ~q).sum())
        ious.append(tp / (tp + fp + fn))
    assert got["miou"] == pytest.approx(np.mean(ious))
    assert got["per_class_iou"]["Car"] == pytest.approx(ious[0])
    assert "things-only" in got["protocol_note"]
    mapped = things_map(labels[0], (8, 9, 10), 11)
    assert set(mapped.unique().tolist()) <= {0, 1, 2, 3, 11}


def test_trains_on_targets_and_calibrates_without_them():
    from models.calibrate import calibrate_bn

    torch.manual_seed(0)
    net = models.create_model("maskrcnn", 11)
    label = torch.zeros(64, 96, dtype=torch.int64)
    label[10:40, 20:60] = 8
    losses = net.train()(torch.randn(1, 3, 64, 96), [instance_targets(label, net.things)])
    assert {"loss_classifier", "loss_mask", "loss_box_reg"} <= set(losses)
    calibrated = calibrate_bn(net, torch.randn(2, 3, 64, 96))
    assert not calibrated.training
    assert isinstance(calibrated, InstanceAsSemantic)
