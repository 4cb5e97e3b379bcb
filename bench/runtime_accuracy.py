"""The accuracy a deployment runtime keeps: one trained model scored on a split in every runtime,
beside eager PyTorch, so that "int8 ENet is N times faster and loses M points" is one table.

Each runtime is built for batch 1 at the split's stored size (CamVid: 480x360, as every score in
the suite) and scored by the same loop as eager (``bench.evaluate.evaluate``); int8 is
calibrated on training images at that size. ``miou_drift`` is the runtime's mIoU minus eager's,
in points of mIoU.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from bench.batches import MemorySplit, load_split
from bench.evaluate import evaluate
from bench.runtimes import AsModule, build

CALIBRATION_IMAGES = 16


def calibration_from(dataset, count: int = CALIBRATION_IMAGES) -> list[torch.Tensor]:
    """``count`` items of ``dataset`` spread over it, normalised, as batches of one."""
    from classical.classifier import spread_indices

    return [dataset[i][0][None] for i in spread_indices(len(dataset), count)]


def runtime_accuracy(
    model: nn.Module,
    test,
    runtimes: Sequence[str],
    calibration: list[torch.Tensor] | None = None,
    progress: bool = True,
    device: str = "cpu",
) -> list[dict]:
    """One row per runtime: ``evaluate``'s metrics of ``model`` (on ``device``) run by that
    runtime on ``test`` (a dataset or a loaded split), its build time, and its mIoU drift from
    eager (in points)."""
    split = test if isinstance(test, MemorySplit) else load_split(test)
    width, height = split.size
    x = torch.zeros(1, 3, height, width, device=device)
    rows = []
    for runtime in runtimes:
        built = build(runtime, model.to(device), x, calibration)
        metrics = evaluate(
            AsModule(built),
            split,
            batch_size=1,
            desc=f"{runtime}",
            progress=progress,
            device=device,
        )
        rows.append(
            {"runtime": runtime, "build_s": built.build_s, "runtime_notes": built.notes, **metrics}
        )
    eager = next((r["miou"] for r in rows if r["runtime"] == "eager"), None)
    for r in rows:
        r["miou_drift"] = 100 * (r["miou"] - eager) if eager is not None else None
    return rows
