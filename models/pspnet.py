"""PSPNet (Zhao, Shi, Qi, Wang, Jia 2017, arXiv:1612.01105): a dilated ResNet-101 and the
pyramid pooling module, with the head of the authors' network (pspnet101 prototxt).

Architecture (input 3 x H x W, H and W multiples of 8, output C x H x W)::

    encoder   ResNet-101, layer3 and layer4 dilated (2, 4) instead of strided: 2048 x H/8
    pyramid   for each bin size 1, 2, 3, 6: adaptive average pooling to bin x bin, 1x1 conv to
              2048/4 = 512 channels, BN, ReLU, bilinear upsampling to H/8; concatenated with
              the features: 2048 + 4 x 512 = 4096 channels
    head      3x3 conv 4096 -> 512, BN, ReLU, dropout 0.1, 1x1 conv -> C, bilinear x8

Model card: where this implementation departs from the paper, and why
--------------------------------------------------------------------
* Stem: the encoder is smp's ResNet-101 (torchvision's layers) with its 7x7 stride-2 stem; the
  authors' ResNet-101 has a deep stem of three 3x3 convolutions (64, 64, 128 channels), so its
  layer1 takes 128 channels instead of 64. No pretrained weights exist here for either (nothing
  is downloaded), so the stem is the standard one.
* No auxiliary head: the paper trains with a second loss (weight 0.4) on a small head over
  layer3; the suite trains every model with the same single-loss recipe, so it is not built.
  At inference the paper's network does not use it either.
* BatchNorm everywhere, as the paper, including after the 1x1 convolution of the 1x1 bin: a
  training batch needs more than one image per process (the paper trains with 16).
* Parameters for 11 classes: 42.50M (encoder) + 4 x 1.05M (pyramid) + 18.88M (3x3 head) +
  5.6K (classifier) = 65.58M; the paper states none for this network.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import cast

import torch
import torch.nn.functional as F
from torch import nn

from models.backbones import conv_bn_relu, init_head, resnet_encoder
from models.registry import register_model

BINS = (1, 2, 3, 6)


class PyramidPooling(nn.Module):
    """Average pooling to each bin size, 1x1 conv to in/len(bins) channels, upsampled and
    concatenated with the input."""

    def __init__(self, channels: int, bins=BINS):
        super().__init__()
        reduced = channels // len(bins)
        self.stages = nn.ModuleList(
            nn.Sequential(nn.AdaptiveAvgPool2d(b), conv_bn_relu(channels, reduced, kernel=1))
            for b in bins
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        size = x.shape[-2:]
        return torch.cat(
            [x]
            + [
                F.interpolate(stage(x), size=size, mode="bilinear", align_corners=False)
                for stage in self.stages
            ],
            dim=1,
        )


class PSPNet(nn.Module):
    def __init__(self, num_classes: int, encoder: str = "resnet101", dropout: float = 0.1):
        super().__init__()
        self.encoder = resnet_encoder(encoder, output_stride=8)
        # smp's encoder: the widths of its features (a list of ints)
        channels = cast(Sequence[int], self.encoder.out_channels)[-1]
        self.pyramid = PyramidPooling(channels)
        self.head = nn.Sequential(
            conv_bn_relu(2 * channels, 512), nn.Dropout2d(dropout), nn.Conv2d(512, num_classes, 1)
        )
        init_head(self.pyramid)
        init_head(self.head)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        features = self.encoder(x)[-1]
        logits = self.head(self.pyramid(features))
        return F.interpolate(logits, size=x.shape[-2:], mode="bilinear", align_corners=False)


@register_model(
    "pspnet",
    family="heavy",
    description="PSPNet: dilated ResNet-101 (output stride 8), pyramid pooling (bins 1, 2, 3, "
    "6), the authors' 3x3 head",
    paper="Zhao, Shi, Qi, Wang, Jia 2017, Pyramid Scene Parsing Network, CVPR, arXiv:1612.01105",
    input_divisor=8,
    notes="the paper's pyramid and head (3x3 conv 4096->512, BN, ReLU, dropout 0.1, 1x1 "
    "classifier) on smp's ResNet-101 dilated to output stride 8; departs in the 7x7 stem "
    "(the authors' has three 3x3 convs) and has no auxiliary training head (one recipe "
    "for every model); 65.58M parameters for 11 classes (card: models/pspnet.py)",
)
def pspnet(num_classes: int, **kwargs):
    return PSPNet(num_classes, **kwargs)
