"""Parameter counts: total, trainable, and used (taking part in the forward pass)."""

from __future__ import annotations

import torch
from torch import nn


def count_parameters(model: nn.Module) -> int:
    """Number of parameter elements, each shared tensor counted once."""
    return sum(p.numel() for p in _unique(model.parameters()))


def _unique(params):
    seen = set()
    for p in params:
        if id(p) not in seen:
            seen.add(id(p))
            yield p


def used_parameters(model: nn.Module, example: torch.Tensor) -> int:
    """Parameter elements that the forward pass on ``example`` depends on.

    Runs one forward and backward pass (in eval mode, so BatchNorm statistics do not move) and
    counts the parameters that receive a gradient. A parameter that never takes part, such as the
    encoder stages that smp's default PSPNet builds but never runs, gets none.
    """
    was_training = model.training
    saved = {id(p): p.grad for p in model.parameters()}
    flags = {id(p): p.requires_grad for p in model.parameters()}
    try:
        model.eval()
        for p in model.parameters():
            p.grad = None
            p.requires_grad_(True)
        with torch.enable_grad():
            out = model(example)
            out = out if isinstance(out, torch.Tensor) else out[0]
            out.float().sum().backward()
        return sum(p.numel() for p in _unique(model.parameters()) if p.grad is not None)
    finally:
        for p in model.parameters():
            p.grad = saved[id(p)]
            p.requires_grad_(flags[id(p)])
        model.train(was_training)


def parameter_report(model: nn.Module, example: torch.Tensor) -> dict:
    """Total, trainable and used parameters, and the model's size in MiB at fp16 (as the paper)."""
    total = count_parameters(model)
    return {
        "params": total,
        "params_trainable": sum(p.numel() for p in _unique(model.parameters()) if p.requires_grad),
        "params_used": used_parameters(model, example),
        "size_mib_fp16": total * 2 / 2**20,
    }
