"""Evaluate a segmenter on a dataset split: one confusion matrix over the whole split.

One protocol on every path (``run``, ``eval``, ``eval --checkpoint``, the val pass of training):
the model sees each frame at the size the dataset stores it (CamVid: 480x360, as the ENet paper
scores it), whatever size it was trained at, and its class map is compared with the label at that
same size. The metrics record that size as ``inference_size`` (WIDTHxHEIGHT). The split is
decoded once into memory (:mod:`bench.batches`) and scored on the model's device; nothing here
draws from a global random generator, so scoring never moves a training's random stream.
"""

from __future__ import annotations

import contextlib

import torch
import torch.nn.functional as F
from torch import nn
from tqdm import tqdm

from bench.batches import MemorySplit, load_split, scoring_batches
from bench.measure.accuracy import ConfusionMatrix


def autocast(device: str, amp: str | None):
    """The autocast context for ``amp`` ('bf16', 'fp16' or None/'off') on ``device``."""
    if not amp or amp == "off":
        return contextlib.nullcontext()
    dtype = {"bf16": torch.bfloat16, "fp16": torch.float16}[amp]
    return torch.autocast(torch.device(device).type, dtype=dtype)


@torch.inference_mode()
def predict(
    model: nn.Module,
    images: torch.Tensor,
    out_hw: tuple[int, int] | None = None,
    amp: str | None = None,
    channels_last: bool = False,
) -> torch.Tensor:
    """Class map N x H x W for normalised images N x 3 x H x W (logits resized to ``out_hw`` if
    given and different)."""
    x = images.contiguous(memory_format=torch.channels_last) if channels_last else images
    with autocast(str(images.device), amp):
        logits = model(x)
    if out_hw is not None and tuple(logits.shape[-2:]) != tuple(out_hw):
        logits = F.interpolate(logits.float(), size=out_hw, mode="bilinear", align_corners=False)
    return logits.argmax(1)


def evaluate(
    model: nn.Module,
    data,
    *,
    device: str = "cpu",
    batch_size: int = 4,
    desc: str = "eval",
    on_prediction=None,
    progress: bool = True,
    amp: str | None = None,
    channels_last: bool = False,
) -> dict:
    """Metrics of ``model`` on ``data`` (a dataset, or a :class:`MemorySplit` already loaded).

    ``on_prediction(index, class_map)``, if given, sees every item's prediction (a numpy ``HxW``
    array), for saving a few of them."""
    split = data if isinstance(data, MemorySplit) else load_split(data, device)
    spec = split.spec
    cm = ConfusionMatrix(spec.num_classes, spec.ignore_index)
    was_training = model.training
    model.eval().to(device)
    batches = scoring_batches(split, batch_size)
    total = -(-len(split) // batch_size)
    for images, labels, first in tqdm(
        batches, total=total, desc=desc, unit="batch", leave=False, disable=not progress
    ):
        images, labels = images.to(device), labels.to(device)
        pred = predict(model, images, tuple(labels.shape[-2:]), amp, channels_last)
        cm.update(labels, pred)
        if on_prediction is not None:
            for j, p in enumerate(pred.cpu().numpy()):
                on_prediction(first + j, p)
    model.train(was_training)
    metrics = cm.compute(spec.classes)
    width, height = split.size
    metrics["inference_size"] = f"{width}x{height}"
    metrics["images"] = len(split)
    return metrics
