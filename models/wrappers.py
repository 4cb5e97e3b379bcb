"""Let any model take inputs of any size: pad to its divisor, run, crop the logits back."""

from __future__ import annotations

import torch
from torch import nn

from models._ops import pad_to_multiple


class AnySize(nn.Module):
    """Wraps a model whose H and W must be multiples of ``divisor``.

    Pads the input with zeros at the bottom and right (the input is normalised, so zero is the mean
    colour), runs the model, and crops the output back to the input's size. ``run_size(h, w)``
    says what size the model actually sees, for the results.
    """

    def __init__(self, model: nn.Module, divisor: int):
        super().__init__()
        if divisor < 1:
            raise ValueError(f"divisor must be at least 1, got {divisor}")
        self.model = model
        self.divisor = divisor

    def run_size(self, height: int, width: int) -> tuple[int, int]:
        d = self.divisor
        return -(-height // d) * d, -(-width // d) * d

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x, (h, w) = pad_to_multiple(x, self.divisor)
        return self.model(x)[..., :h, :w]


def any_size(model: nn.Module, divisor: int) -> nn.Module:
    """``model`` itself when it takes any size already (divisor 1), else
    ``AnySize(model, divisor)``."""
    return model if divisor == 1 else AnySize(model, divisor)
