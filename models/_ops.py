"""Small tensor operations shared by the models written here and by the harness."""

from __future__ import annotations

import torch
import torch.nn.functional as F


def pad_to_multiple(x: torch.Tensor, multiple: int) -> tuple[torch.Tensor, tuple[int, int]]:
    """Zero-pad H and W of an NCHW tensor at the bottom and right up to a multiple.

    Returns the padded tensor and the original (H, W), so that the caller can crop back with
    ``out[..., :h, :w]``. A tensor already of the right size comes back unchanged (no copy).
    """
    h, w = x.shape[-2], x.shape[-1]
    pad_h = (-h) % multiple
    pad_w = (-w) % multiple
    if pad_h or pad_w:
        x = F.pad(x, (0, pad_w, 0, pad_h))
    return x, (h, w)
