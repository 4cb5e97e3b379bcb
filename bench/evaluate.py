"""Evaluate a segmenter on a dataset split: one confusion matrix over the whole split.

Images go in at the size the model was trained at (``input_size``); logits are resized back to
the label's own resolution (bilinear) before the arg-max, so every split is scored at its native
resolution whatever the training profile.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.data import DataLoader
from tqdm import tqdm

from bench.measure.accuracy import ConfusionMatrix


@torch.inference_mode()
def predict(model: nn.Module, images: torch.Tensor, input_size: tuple[int, int] | None,
            out_hw: tuple[int, int]) -> torch.Tensor:
    """Class map N x H x W at ``out_hw`` for normalised images N x 3 x h x w."""
    x = images
    if input_size is not None and (x.shape[-1], x.shape[-2]) != tuple(input_size):
        x = F.interpolate(x, size=(input_size[1], input_size[0]), mode="bilinear",
                          align_corners=False)
    logits = model(x)
    if logits.shape[-2:] != out_hw:
        logits = F.interpolate(logits.float(), size=out_hw, mode="bilinear", align_corners=False)
    return logits.argmax(1)


def evaluate(model: nn.Module, dataset, *, device: str = "cpu", batch_size: int = 4,
             input_size: tuple[int, int] | None = None, desc: str = "eval",
             on_prediction=None, progress: bool = True) -> dict:
    """Metrics of ``model`` on ``dataset`` (an item is (image, label) at native size).
    ``on_prediction(index, class_map)``, if given, sees every item's prediction (a numpy
    ``HxW`` array), for saving a few of them."""
    spec = dataset.spec
    cm = ConfusionMatrix(spec.num_classes, spec.ignore_index)
    model = model.eval().to(device)
    # A plain DataLoader draws its base seed from the global torch RNG, so a val pass moves the
    # training's random stream (dropout). The committed reference trainings were made this way;
    # a dedicated generator (bench.datasets.make_loader) would be cleaner but changes them, so it
    # waits until the references are made again.
    loader = DataLoader(dataset, batch_size=batch_size, shuffle=False, num_workers=0)
    seen = 0
    for images, labels in tqdm(loader, desc=desc, unit="batch", leave=False,
                               disable=not progress):
        pred = predict(model, images.to(device), input_size, tuple(labels.shape[-2:])).cpu()
        cm.update(labels, pred)
        if on_prediction is not None:
            for j, p in enumerate(pred.numpy()):
                on_prediction(seen + j, p)
        seen += len(pred)
    return cm.compute(spec.classes)
