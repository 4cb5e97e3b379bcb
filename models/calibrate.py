"""BatchNorm statistics for a randomly initialised network, so that it behaves as a trained one
does when timed or exported."""

from __future__ import annotations

import torch
from torch import nn


def calibrate_bn(model: nn.Module, x: torch.Tensor) -> nn.Module:
    """Give BatchNorm real running statistics from ``x``, then return the model in eval mode.

    Randomly initialised deep ResNets in eval mode (running mean 0, variance 1) let activations
    grow layer after layer until fp16 overflows (inf and NaN logits, and timings of a path no
    trained model takes); a network with calibrated statistics behaves as a trained one does,
    which is what precision, timing and export checks must look at."""
    for m in model.modules():
        if isinstance(m, nn.modules.batchnorm._BatchNorm):
            m.reset_running_stats()
            m.momentum = None  # cumulative average
    model.train()
    with torch.no_grad():
        model(x)
    return model.eval()
