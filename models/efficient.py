"""Modern efficient baselines from the libraries the suite already uses, with random weights.

Model card: where these builds depart from their papers
------------------------------------------------------
Common to both: random initialisation. The papers start from ImageNet-trained encoders (nothing
is downloaded here: ``encoder_weights=None``, ``weights_backbone=None``); a user's own checkpoint
can be given to the harness instead. Any input size (the harness pads to ``input_divisor``).

* segformer (Xie et al. 2021, NeurIPS): smp's ``Segformer`` with the MiT-B0 encoder (four
  stages of efficient self-attention with overlapping patch merging, Mix-FFN) and the all-MLP
  decoder at width 256, as the paper's B0. Parameters: 3.753M for ADE20K's 150 classes, within
  1.3% of the paper's 3.8M (Table 1: encoder 3.4M, decoder 0.4M; the test checks 2%); 3.717M
  for CamVid's 11 classes. smp's decoder is the paper's all-MLP design (a linear layer per
  stage to 256 channels, upsampling to H/4, concatenation, a 1x1 fusion with BatchNorm and ReLU,
  a 1x1 classifier); smp upsamples the H/4 logits to the input size. smp's MiT needs H and W to
  be multiples of 32 (the harness pads).
* lraspp (Howard et al. 2019, ICCV, section 6.4): torchvision's LR-ASPP head on MobileNetV3-Large
  with the last stage dilated (output stride 16), the head's 1x1 and pooled-gate branches at H/16
  and the low-level H/8 features. Parameters: 3.222M for 21 classes, as torchvision documents
  for this architecture (its COCO-VOC weights: 3,221,538); the paper's segmentation table reports
  its networks with the last stage's channels halved (its "RF2"), which torchvision's default
  does not do, so the paper's count is not this network's. Any input size.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from models.registry import Capabilities, register_model


class MainOutput(nn.Module):
    """A torchvision segmentation model returning only its ``"out"`` logits as a tensor."""

    def __init__(self, model: nn.Module):
        super().__init__()
        self.model = model

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.model(x)["out"]


@register_model(
    "segformer",
    family="real-time",
    description="SegFormer-B0: MiT-B0 hierarchical transformer encoder, all-MLP decoder (smp)",
    paper="Xie, Wang, Yu, Anandkumar, Alvarez, Luo 2021, SegFormer: Simple and Efficient Design "
    "for Semantic Segmentation with Transformers, NeurIPS, arXiv:2105.15203",
    input_divisor=32,
    capabilities=Capabilities(half=True, compile=True, onnx=True),
    notes="smp Segformer(mit_b0), decoder width 256, random init (the paper's encoder is "
    "ImageNet-trained); 3.75M parameters for 150 classes, the paper's 3.8M "
    "(card: models/efficient.py)",
)
def segformer(num_classes: int, **kwargs: Any) -> nn.Module:
    import segmentation_models_pytorch as smp  # slow to import: only when a model is built

    kwargs.setdefault("encoder_name", "mit_b0")
    return smp.Segformer(encoder_weights=None, classes=num_classes, **kwargs)


@register_model(
    "lraspp",
    family="real-time",
    description="LR-ASPP on MobileNetV3-Large: lite reduced atrous spatial pyramid pooling head "
    "(torchvision)",
    paper="Howard et al. 2019, Searching for MobileNetV3, ICCV, arXiv:1905.02244 (section 6.4, "
    "LR-ASPP)",
    input_divisor=1,
    capabilities=Capabilities(half=True, compile=True, onnx=True),
    notes="torchvision lraspp_mobilenet_v3_large(weights=None, weights_backbone=None), output "
    "stride 16, no halved last stage (the paper's RF2); 3.22M parameters for 21 classes "
    "(card: models/efficient.py)",
)
def lraspp(num_classes: int, **kwargs: Any) -> nn.Module:
    from torchvision.models.segmentation import lraspp_mobilenet_v3_large

    net = lraspp_mobilenet_v3_large(
        weights=None, weights_backbone=None, num_classes=num_classes, **kwargs
    )
    return MainOutput(net)
