"""FRRN A (Pohlen, Hermans, Mathias, Leibe 2017, Full-Resolution Residual Networks for Semantic
Segmentation in Street Scenes, CVPR, arXiv:1611.08323), written here from the paper's section 3
and Table 1.

Two streams run side by side. The *residual stream* (32 channels) stays at the input's full
resolution and only ever receives additions; the *pooling stream* goes down and back up like an
encoder-decoder. They meet in full-resolution residual units (FRRUs)::

    FRRU(N, scale s):  z' = conv3x3-BN-ReLU -> conv3x3-BN-ReLU (N channels)
                            applied to concat(z, maxpool_s(y))          (pooling stream, H/s)
                       y' = y + upsample_s(conv1x1(z'))                 (residual stream, 32 ch, H)

FRRN A (Table 1), input 3 x H x W, H and W multiples of 16::

    conv5x5 48 - BN - ReLU, 3 x RU 48                     full resolution
    split: residual stream = conv1x1 32 of that
    max pool, 3 x FRRU 96 (/2),  max pool, 4 x FRRU 192 (/4)
    max pool, 2 x FRRU 384 (/8), max pool, 2 x FRRU 384 (/16)
    unpool, 2 x FRRU 192 (/8),   unpool, 2 x FRRU 192 (/4)
    unpool, 2 x FRRU 96 (/2),    unpool
    concat(pooling stream, residual stream), 3 x RU 48, conv1x1 -> C

An RU is ResNet's basic unit: conv3x3-BN-ReLU-conv3x3-BN plus the identity.

Model card: where this implementation departs from the paper, and why
--------------------------------------------------------------------
* The join before the last three RUs: the table concatenates the streams (96 + 32 channels)
  and then lists RUs of 48 channels, which need 48 inputs; a 1x1 convolution (BN, ReLU) from
  128 to 48 channels makes the join, the smallest layer that fits (6k parameters).
* Unpooling and the residual branches' upscaling are nearest-neighbour x2 / x s. The paper says
  "unpooling" without the kind; bilinear would have the same parameters.
* No bias in convolutions followed by BatchNorm; the 1x1 residual-branch convolutions keep
  theirs (no BN follows them).
* Parameters: 17.71M for 19 classes, the paper's 17.7M for FRRN A. The test
  (``tests/test_efficient_models.py``) checks it within 1% and layer by layer.
* The paper trains with bootstrapped cross-entropy on 256x512 (FRRN A) Cityscapes crops; the
  suite trains every model with the same recipe.
* He-normal initialisation (fan in), BatchNorm 1 and 0 (the paper does not say).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from models.backbones import conv_bn_relu, init_head
from models.registry import register_model

RESIDUAL = 32  # channels of the residual stream
#: The pooling stream of FRRN A: (FRRUs, channels, scale) per stage, encoder then decoder.
ENCODER = ((3, 96, 2), (4, 192, 4), (2, 384, 8), (2, 384, 16))
DECODER = ((2, 192, 8), (2, 192, 4), (2, 96, 2))


class RU(nn.Module):
    """Residual unit: conv3x3-BN-ReLU-conv3x3-BN plus the identity."""

    def __init__(self, channels: int):
        super().__init__()
        self.body = nn.Sequential(
            conv_bn_relu(channels, channels),
            nn.Conv2d(channels, channels, 3, padding=1, bias=False),
            nn.BatchNorm2d(channels),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.body(x)


class FRRU(nn.Module):
    """Full-resolution residual unit at ``scale``: (pooling z, residual y) -> (z', y')."""

    def __init__(self, cin: int, cout: int, scale: int):
        super().__init__()
        self.scale = scale
        self.convs = nn.Sequential(conv_bn_relu(cin + RESIDUAL, cout), conv_bn_relu(cout, cout))
        self.to_residual = nn.Conv2d(cout, RESIDUAL, 1)

    def forward(self, z: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        s = self.scale
        z = self.convs(torch.cat([z, F.max_pool2d(y, s, s)], dim=1))
        return z, y + F.interpolate(self.to_residual(z), scale_factor=s, mode="nearest")


class FRRN(nn.Module):
    def __init__(self, num_classes: int, in_channels: int = 3, encoder=ENCODER, decoder=DECODER):
        super().__init__()
        self.stem = nn.Sequential(
            nn.Conv2d(in_channels, 48, 5, padding=2, bias=False),
            nn.BatchNorm2d(48),
            nn.ReLU(inplace=True),
            *(RU(48) for _ in range(3)),
        )
        self.split = nn.Conv2d(48, RESIDUAL, 1)
        self.stages = nn.ModuleList()
        self.scales: list[int] = []  # scale of each stage, to pool or unpool before it
        channels = 48
        for count, width, scale in (*encoder, *decoder):
            units = []
            for _ in range(count):
                units.append(FRRU(channels, width, scale))
                channels = width
            self.stages.append(nn.ModuleList(units))
            self.scales.append(scale)
        self.join = conv_bn_relu(channels + RESIDUAL, 48, kernel=1)
        self.tail = nn.Sequential(*(RU(48) for _ in range(3)))
        self.classifier = nn.Conv2d(48, num_classes, 1)
        init_head(self)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        z = self.stem(x)
        y = self.split(z)
        scale = 1
        for stage, s in zip(self.stages, self.scales):
            if s > scale:
                z = F.max_pool2d(z, s // scale, s // scale)
            else:
                z = F.interpolate(z, scale_factor=scale // s, mode="nearest")
            scale = s
            for unit in stage:  # type: ignore[attr-defined]  # (a ModuleList)
                z, y = unit(z, y)
        z = F.interpolate(z, scale_factor=scale, mode="nearest")
        return self.classifier(self.tail(self.join(torch.cat([z, y], dim=1))))


@register_model(
    "frrn",
    family="heavy",
    description="FRRN A: a full-resolution residual stream beside a pooling stream, joined by "
    "full-resolution residual units (the paper's network, written here)",
    paper="Pohlen, Hermans, Mathias, Leibe 2017, Full-Resolution Residual Networks for Semantic "
    "Segmentation in Street Scenes, CVPR, arXiv:1611.08323",
    input_divisor=16,
    notes="FRRN A of the paper's Table 1: residual stream of 32 channels, pooling stream 48-384 "
    "channels down to H/16, nearest unpooling, a 1x1 join the table leaves implicit; 17.71M "
    "parameters for 19 classes, the paper's 17.7M (card: models/frrn.py)",
)
def frrn(num_classes: int, **kwargs) -> nn.Module:
    return FRRN(num_classes, **kwargs)
