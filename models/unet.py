"""U-Net (Ronneberger, Fischer, Brox 2015, arXiv:1505.04597), written here from the paper's
Figure 1 and section 2.

Architecture (input 3 x H x W, H and W multiples of 16, output C x H x W)::

    contracting  two 3x3 conv + ReLU per level, 2x2/2 max-pool between levels:
                 64 (H) -> 128 (H/2) -> 256 (H/4) -> 512 (H/8) -> 1024 (H/16)
    expanding    per level: 2x2/2 up-convolution halving the channels, concatenation with the
                 contracting path's feature map of that level, two 3x3 conv + ReLU:
                 512 (H/8) -> 256 (H/4) -> 128 (H/2) -> 64 (H)
    head         1x1 conv -> C

23 convolutional layers (18 3x3, 4 up-convolutions, the 1x1), four skip connections, 31.03M
parameters for 2 classes (31.03M + 65 x classes).

Model card: where this implementation departs from the paper, and why
--------------------------------------------------------------------
* Padding: the paper's convolutions are unpadded ("valid"), so a 572x572 tile gives a 388x388
  map and the skips are cropped. Here every 3x3 convolution is padded by 1, so the output has
  the input's size (a benchmark compares every model on the same full frames) and nothing is
  cropped. The layers and their parameters are the paper's.
* BatchNorm: none, as the paper (2015, before BN was common in U-Nets). ``batch_norm=True``
  adds BN after every 3x3 convolution (the bias is then dropped), a common modern variant; the
  registered ``unet`` is the paper's, without BN.
* Dropout: the paper says "drop-out layers at the end of the contracting path"; the authors'
  Caffe model applies dropout 0.5 to the last two levels' outputs (the 512 and 1024 maps), which
  is what this does (active in training only).
* Initialisation: the paper's Gaussian with standard deviation sqrt(2/N), N the inputs of a
  node (He normal, fan in); zero biases.
* The paper's weighted loss (pixel-wise weights emphasising borders between touching cells)
  belongs to its microscopy data; the suite trains every model with the same recipe.
"""

from __future__ import annotations

import torch
from torch import nn

from models.backbones import init_head
from models.registry import register_model

WIDTHS = (64, 128, 256, 512, 1024)


def double_conv(cin: int, cout: int, batch_norm: bool) -> nn.Sequential:
    """Two 3x3 convolutions, each followed by ReLU (and BN first, if asked)."""
    layers: list[nn.Module] = []
    for a, b in ((cin, cout), (cout, cout)):
        layers.append(nn.Conv2d(a, b, 3, padding=1, bias=not batch_norm))
        if batch_norm:
            layers.append(nn.BatchNorm2d(b))
        layers.append(nn.ReLU(inplace=True))
    return nn.Sequential(*layers)


class UNet(nn.Module):
    def __init__(
        self,
        num_classes: int,
        in_channels: int = 3,
        widths=WIDTHS,
        batch_norm: bool = False,
        dropout: float = 0.5,
    ):
        super().__init__()
        ins = (in_channels, *widths[:-1])
        self.down = nn.ModuleList(double_conv(a, b, batch_norm) for a, b in zip(ins, widths))
        self.pool = nn.MaxPool2d(2)
        self.drop = nn.Dropout(dropout)
        rev = widths[::-1]  # 1024, 512, 256, 128, 64
        self.up = nn.ModuleList(nn.ConvTranspose2d(a, b, 2, stride=2) for a, b in zip(rev, rev[1:]))
        self.dec = nn.ModuleList(double_conv(2 * b, b, batch_norm) for b in rev[1:])
        self.head = nn.Conv2d(widths[0], num_classes, 1)
        init_head(self)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        skips = []
        last = len(self.down) - 1
        for level, block in enumerate(self.down):
            x = block(x)
            if level >= last - 1:  # the end of the contracting path: the two deepest levels
                x = self.drop(x)
            if level < last:
                skips.append(x)
                x = self.pool(x)
        for up, dec, skip in zip(self.up, self.dec, reversed(skips)):
            x = dec(torch.cat([skip, up(x)], dim=1))
        return self.head(x)


@register_model(
    "unet",
    family="heavy",
    description="U-Net: contracting path, expanding path of up-convolutions with four skip "
    "connections (the paper's network, written here)",
    paper="Ronneberger, Fischer, Brox 2015, U-Net: Convolutional Networks for Biomedical Image "
    "Segmentation, MICCAI, arXiv:1505.04597",
    input_divisor=16,
    notes="the paper's 23 convolutions, widths 64-1024, 2x2 up-convolutions, 1x1 head, dropout "
    "0.5 at the end of the contracting path, He init, no BatchNorm; departs in padding "
    "the 3x3 convs (output size = input size, no cropping); 31.03M parameters for 2 "
    "classes, as the paper's network (card: models/unet.py)",
)
def unet(num_classes: int, **kwargs):
    return UNet(num_classes, **kwargs)
