"""A fixed reference workload: the yardstick that `bench check` divides latencies by.

A machine twice as slow (or twice as loaded) makes a model and this workload both slower, so
their ratio stays; a model that became twice as slow doubles it. The network is a small fully
convolutional net of the kind the suite measures (3x3 convolutions, batch norm, ReLU, stride-2
downsampling and a bilinear upsampling back), with weights fixed by a seed. Never change it:
baselines store ratios to it under ``REFERENCE_NAME``; a new design needs a new name.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import nn

REFERENCE_NAME = "refnet-v1"


class ReferenceNet(nn.Module):
    def __init__(self, width: int = 32):
        super().__init__()
        layers: list[nn.Module] = []
        channels = [3, width // 2, width, width, 2 * width, 2 * width]
        for i, (a, b) in enumerate(zip(channels, channels[1:])):
            layers += [
                nn.Conv2d(a, b, 3, stride=2 if i in (0, 2, 3) else 1, padding=1, bias=False),
                nn.BatchNorm2d(b),
                nn.ReLU(inplace=True),
            ]
        self.features = nn.Sequential(*layers)
        self.head = nn.Conv2d(channels[-1], 12, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.interpolate(
            self.head(self.features(x)), size=x.shape[-2:], mode="bilinear", align_corners=False
        )


def reference_workload(width: int, height: int, seed: int = 0) -> Callable[[], torch.Tensor]:
    """A forward pass of :class:`ReferenceNet` on a fixed 1x3xHxW CPU input, ready to time."""
    gen = torch.Generator().manual_seed(seed)
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        net = ReferenceNet().eval()
    x = torch.randn(1, 3, height, width, generator=gen)

    def fn() -> torch.Tensor:
        with torch.inference_mode():
            return net(x)

    return fn
