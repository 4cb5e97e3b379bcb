"""DeepLabv3+ (Chen, Zhu, Papandreou, Schroff, Adam 2018, arXiv:1802.02611) with the paper's
ResNet-101 encoder at output stride 16.

Architecture (input 3 x H x W, H and W multiples of 16, output C x H x W)::

    encoder   ResNet-101, layer4 dilated (2) instead of strided: 2048 x H/16
    ASPP      1x1 conv; 3x3 convs with rates 6, 12, 18; image pooling (global average, 1x1
              conv, upsampled); each 256 channels with BN and ReLU; concatenated (1280) and
              projected by a 1x1 conv to 256, BN, ReLU
    decoder   layer1's features (256 x H/4) reduced by a 1x1 conv to 48 (BN, ReLU); the ASPP
              output upsampled x4 (bilinear) and concatenated (304); two 3x3 convs to 256 (BN,
              ReLU); a 1x1 conv to C; bilinear x4

Model card: where this implementation departs from the paper, and why
--------------------------------------------------------------------
* Encoder: smp's ResNet-101 (torchvision's layers) with no pretrained weights (nothing is
  downloaded). The paper's best model uses a modified Xception with atrous separable
  convolutions; its ResNet-101 results (Table 3) use plain convolutions in ASPP and decoder,
  which is what this builds.
* No multi-grid in layer4 and no dropout: the paper does not use them for DeepLabv3+ with
  ResNet-101 at output stride 16 in its main tables.
* The image-pooling branch has BatchNorm on a 1x1 map: a training batch needs more than one
  image per process.
* Parameters for 11 classes: 42.50M (encoder) + 15.54M (ASPP) + 1.30M (decoder) + 2.8K
  (classifier) = 59.34M; the paper states none.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import cast

import torch
import torch.nn.functional as F
from torch import nn

from models.backbones import conv_bn_relu, init_head, resnet_encoder
from models.registry import register_model

RATES = (6, 12, 18)


class ASPP(nn.Module):
    def __init__(self, cin: int, cout: int = 256, rates=RATES):
        super().__init__()
        self.branches = nn.ModuleList(
            [conv_bn_relu(cin, cout, kernel=1)]
            + [conv_bn_relu(cin, cout, kernel=3, dilation=r) for r in rates]
        )
        self.image_pool = nn.Sequential(nn.AdaptiveAvgPool2d(1), conv_bn_relu(cin, cout, kernel=1))
        self.project = conv_bn_relu((len(rates) + 2) * cout, cout, kernel=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        pooled = F.interpolate(
            self.image_pool(x), size=x.shape[-2:], mode="bilinear", align_corners=False
        )
        return self.project(torch.cat([b(x) for b in self.branches] + [pooled], dim=1))


class DeepLabV3Plus(nn.Module):
    def __init__(self, num_classes: int, encoder: str = "resnet101"):
        super().__init__()
        self.encoder = resnet_encoder(encoder, output_stride=16)
        # smp's encoder: the widths of its features (a list of ints)
        channels = cast(Sequence[int], self.encoder.out_channels)
        self.aspp = ASPP(channels[-1])
        self.low = conv_bn_relu(channels[2], 48, kernel=1)
        self.decoder = nn.Sequential(conv_bn_relu(256 + 48, 256), conv_bn_relu(256, 256))
        self.classifier = nn.Conv2d(256, num_classes, 1)
        for part in (self.aspp, self.low, self.decoder, self.classifier):
            init_head(part)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        features = self.encoder(x)
        low = self.low(features[2])
        high = F.interpolate(
            self.aspp(features[-1]), size=low.shape[-2:], mode="bilinear", align_corners=False
        )
        logits = self.classifier(self.decoder(torch.cat([high, low], dim=1)))
        return F.interpolate(logits, size=x.shape[-2:], mode="bilinear", align_corners=False)


@register_model(
    "deeplabv3plus",
    family="heavy",
    description="DeepLabv3+: ResNet-101 at output stride 16, ASPP (rates 6, 12, 18, image "
    "pooling), decoder with two 3x3 convs",
    paper="Chen, Zhu, Papandreou, Schroff, Adam 2018, Encoder-Decoder with Atrous Separable "
    "Convolution for Semantic Image Segmentation, ECCV, arXiv:1802.02611",
    input_divisor=16,
    notes="the paper's ResNet-101 variant: ASPP of 256 channels and its 1x1 projection, "
    "48-channel low-level projection from layer1, two 3x3 convs of 256, x4 upsampling; "
    "plain (not separable) convs as the paper's ResNet-101 results; 59.34M parameters "
    "for 11 classes (card: models/deeplabv3plus.py)",
)
def deeplabv3plus(num_classes: int, **kwargs):
    return DeepLabV3Plus(num_classes, **kwargs)
