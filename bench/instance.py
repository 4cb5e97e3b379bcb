"""An instance model (Mask R-CNN) trained and scored inside a semantic benchmark: things-only.

Instances for training come from the semantic labels: each connected component (8-connected) of
a thing class is one instance, with its mask and box. CamVid's SegNet layout has no instance
ids, so objects of one class that touch (a row of parked cars, a group of pedestrians) become one
instance; the detector learns those merged blobs, which makes its task harder and its masks
coarser than with true instances. Stuff classes (road, sky, ...) are never instances.

The score is *things-only*: one confusion matrix over "not a thing" plus the thing classes,
where every pixel of a stuff class counts as "not a thing" and void pixels are ignored; the
row's ``miou`` is the mean IoU of the thing classes alone (the "not a thing" IoU is reported
beside it, not in the mean). It is not comparable with the other models' mIoU over all classes,
and every row and the report say so (``protocol`` = ``things-only``).
"""

from __future__ import annotations

import math
import time

import numpy as np
import torch
from scipy import ndimage
from tqdm import tqdm

from bench.measure.accuracy import ConfusionMatrix

THINGS_ONLY = "things-only"
PROTOCOL_NOTE = (
    "things-only: IoU of the thing classes, every other class counted as 'not a thing'; "
    "trained on instances made from the labels' connected components (CamVid's SegNet layout "
    "has no instance ids: touching objects of a class are one instance)"
)
MIN_PIXELS = 16  # smaller components are not trained on (still scored)
_EIGHT = np.ones((3, 3), bool)


def instance_targets(label: torch.Tensor, things: tuple[int, ...]) -> dict:
    """Mask R-CNN training targets from a semantic label (``HxW`` class ids): each 8-connected
    component of a thing class of at least ``MIN_PIXELS`` pixels is an instance. Labels are
    1-based indices into ``things`` (0 is the detector's background)."""
    lab = label.numpy() if isinstance(label, torch.Tensor) else np.asarray(label)
    boxes, labels, masks = [], [], []
    for k, c in enumerate(things):
        comp, n = ndimage.label(lab == c, structure=_EIGHT)
        for j, sl in enumerate(ndimage.find_objects(comp), start=1):
            if sl is None:
                continue
            mask = comp == j
            if mask.sum() < MIN_PIXELS:
                continue
            boxes.append([sl[1].start, sl[0].start, sl[1].stop, sl[0].stop])
            labels.append(k + 1)
            masks.append(mask)
    h, w = lab.shape
    none = torch.zeros((0, h, w), dtype=torch.bool)
    return {
        "boxes": torch.tensor(boxes, dtype=torch.float32).reshape(-1, 4),
        "labels": torch.tensor(labels, dtype=torch.int64),
        "masks": torch.from_numpy(np.stack(masks)) if masks else none,
    }


def things_map(label: torch.Tensor, things: tuple[int, ...], ignore_index: int | None):
    """A semantic label as things-only ids: 0 = not a thing, k + 1 = ``things[k]``, void kept."""
    out = torch.zeros_like(label)
    for k, c in enumerate(things):
        out[label == c] = k + 1
    if ignore_index is not None:
        out[label == ignore_index] = ignore_index
    return out


def predicted_things(scores: torch.Tensor, things: tuple[int, ...]) -> torch.Tensor:
    """``N x C x H x W`` pasted scores as things-only ids (0 where no instance lies)."""
    thing_scores = scores[:, list(things)]
    best, idx = thing_scores.max(dim=1)
    return torch.where(best > 0, idx + 1, torch.zeros_like(idx))


def train_instance_model(model, train_ds, profile, seed: int = 0, progress: bool = True) -> dict:
    """Train ``model`` (``models.maskrcnn.InstanceAsSemantic``) on ``train_ds`` with the
    profile's epochs, images per epoch and batch: SGD, lr 0.01 with warm-up over the first 50
    steps, momentum 0.9, weight decay 1e-4 (the paper's schedule shortened to the budget)."""
    torch.manual_seed(seed)
    params = [p for p in model.parameters() if p.requires_grad]
    optim = torch.optim.SGD(params, lr=0.01, momentum=0.9, weight_decay=1e-4)
    per_epoch = min(len(train_ds), profile.images_per_epoch or len(train_ds))
    steps_per_epoch = math.ceil(per_epoch / profile.batch_size)
    model.train()
    t0, step, losses, instances = time.perf_counter(), 0, [], 0
    total = profile.epochs * steps_per_epoch
    bar = tqdm(total=total, desc="maskrcnn train", unit="step", disable=not progress, leave=False)
    for epoch in range(profile.epochs):
        order = np.random.default_rng((seed, epoch)).permutation(len(train_ds))[:per_epoch]
        for s in range(steps_per_epoch):
            batch = [
                train_ds[int(i)] for i in order[s * profile.batch_size :][: profile.batch_size]
            ]
            images = torch.stack([b[0] for b in batch])
            targets = [instance_targets(b[1], model.things) for b in batch]
            instances += sum(len(t["labels"]) for t in targets)
            for g in optim.param_groups:
                g["lr"] = 0.01 * min(1.0, (step + 1) / 50)
            loss = sum(model(images, targets).values())
            optim.zero_grad()
            loss.backward()
            optim.step()
            losses.append(float(loss))
            step += 1
            bar.update(1)
            bar.set_postfix(loss=f"{losses[-1]:.3f}")
    bar.close()
    model.eval()
    return {
        "train_seconds": time.perf_counter() - t0,
        "train_steps": step,
        "train_instances": instances,
        "final_loss": losses[-1] if losses else None,
    }


def evaluate_things_only(model, test_ds, progress: bool = True, on_prediction=None) -> dict:
    """Things-only metrics of ``model`` on ``test_ds`` (see the module docstring)."""
    spec, things = test_ds.spec, model.things
    names = ["not a thing", *(spec.classes[c] for c in things)]
    cm = ConfusionMatrix(len(names), spec.ignore_index)
    model.eval()
    for i in tqdm(range(len(test_ds)), desc="maskrcnn test", disable=not progress, leave=False):
        image, label = test_ds[i]
        with torch.inference_mode():
            pred = predicted_things(model(image[None]), things)[0]
        cm.update(things_map(label, things, spec.ignore_index), pred)
        if on_prediction is not None:  # as dataset class ids; "not a thing" as void
            void = spec.ignore_index if spec.ignore_index is not None else 0
            table = torch.tensor((void, *things))
            on_prediction(i, table[pred].numpy())
    out = cm.compute(names)
    thing_iou = [out["per_class_iou"][n] for n in names[1:]]
    out["not_a_thing_iou"] = out["per_class_iou"]["not a thing"]
    out["miou"] = float(np.nanmean(thing_iou)) if np.isfinite(thing_iou).any() else float("nan")
    out["images"] = len(test_ds)
    out["protocol_note"] = PROTOCOL_NOTE
    return out
