"""SegNet (Badrinarayanan, Kendall, Cipolla 2017, TPAMI, arXiv:1511.00561).

Encoder: the 13 convolutional layers of VGG16, each 3x3 conv + BN + ReLU, in five stages
(2, 2, 3, 3, 3 layers; 64, 128, 256, 512, 512 channels), each stage ending in a 2x2 stride-2
max-pool
that keeps its indices. Decoder: the mirror image; each stage max-unpools with the indices of the
matching encoder pool, then applies 3x3 conv + BN + ReLU layers; the last layer is a plain 3x3 conv
to the classes (SegNet's ``conv1_1_D``), whose output goes to the softmax.

Parameters: 29.45M for 12 classes, as the ENet paper's 29.46M.

Where it departs from the paper, and why:

* Inputs of any size: each unpool restores the exact size its pool saw (``output_size``), so
  480x360, 640x360 and odd sizes work with no padding (the Caffe original needs sizes that pool
  cleanly). At least 32 pixels per side are needed for five pools.
* No ImageNet initialisation: the encoder starts from PyTorch's default init, since nothing can be
  downloaded; load a checkpoint for trained weights.
"""

from __future__ import annotations

import torch
from torch import nn

from models.registry import register_model

VGG16_STAGES: tuple[tuple[int, ...], ...] = (
    (64, 64),
    (128, 128),
    (256, 256, 256),
    (512, 512, 512),
    (512, 512, 512),
)
# Output widths of the decoder's layers, stage by stage; the final 0 stands for the classes.
DECODER_STAGES: tuple[tuple[int, ...], ...] = (
    (512, 512, 512),
    (512, 512, 256),
    (256, 256, 128),
    (128, 64),
    (64, 0),
)


def _conv_bn_relu(cin: int, cout: int) -> list[nn.Module]:
    return [nn.Conv2d(cin, cout, 3, padding=1), nn.BatchNorm2d(cout), nn.ReLU(inplace=True)]


class SegNet(nn.Module):
    """SegNet with a VGG16-BN encoder and a mirrored decoder with max-unpooling."""

    divisor = 1
    min_size = 32

    def __init__(self, num_classes: int, in_channels: int = 3):
        super().__init__()
        if num_classes < 1:
            raise ValueError(f"num_classes must be at least 1, got {num_classes}")
        self.num_classes = num_classes

        encoder = []
        cin = in_channels
        for widths in VGG16_STAGES:
            layers: list[nn.Module] = []
            for cout in widths:
                layers += _conv_bn_relu(cin, cout)
                cin = cout
            encoder.append(nn.Sequential(*layers))
        self.encoder = nn.ModuleList(encoder)

        # Decoder stage i mirrors encoder stage 4 - i; its last layer narrows to the width of the
        # stage below, and the very last layer is a plain conv to the classes.
        decoder = []
        cin = VGG16_STAGES[-1][-1]
        for i, widths in enumerate(DECODER_STAGES):
            last_stage = i == len(DECODER_STAGES) - 1
            layers = []
            for j, cout in enumerate(widths):
                if last_stage and j == len(widths) - 1:
                    layers.append(nn.Conv2d(cin, num_classes, 3, padding=1))
                else:
                    layers += _conv_bn_relu(cin, cout)
                cin = cout
            decoder.append(nn.Sequential(*layers))
        self.decoder = nn.ModuleList(decoder)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h, w = x.shape[-2:]
        if min(h, w) < self.min_size:
            raise ValueError(
                f"SegNet needs inputs of at least {self.min_size}x{self.min_size} pixels "
                f"(five 2x2 poolings), got {w}x{h}"
            )
        saved = []
        for stage in self.encoder:
            x = stage(x)
            size = (x.shape[-2], x.shape[-1])
            x, indices = nn.functional.max_pool2d(x, 2, stride=2, return_indices=True)
            saved.append((indices, size))
        for stage, (indices, size) in zip(self.decoder, reversed(saved)):
            x = stage(nn.functional.max_unpool2d(x, indices, (2, 2), (2, 2), output_size=size))
        return x


@register_model(
    "segnet",
    family="heavy",
    description="SegNet: VGG16-BN encoder, mirrored decoder upsampling with max-pooling indices",
    paper="Badrinarayanan, Kendall, Cipolla 2017, SegNet: A Deep Convolutional Encoder-Decoder "
    "Architecture for Image Segmentation, TPAMI, arXiv:1511.00561",
    min_size=SegNet.min_size,
    notes="written here; 29.45M parameters; any input size (unpools restore each exact size)",
)
def segnet(num_classes: int, **kwargs) -> SegNet:
    return SegNet(num_classes, **kwargs)
