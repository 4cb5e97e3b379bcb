"""ENet's real-time peers, built from the maintained package pytorchcv (0.0.74).

Each builder wraps one of pytorchcv's constructors (``pytorchcv.models.<module>.<constructor>``)
with ``pretrained=False`` (pytorchcv's weight loaders are never called: nothing is downloaded,
``tests/test_realtime_models.py`` checks it), ``fixed_size=False`` (the size comes from the input)
and ``aux=False`` (``forward`` returns only the main logits, N x C x H x W, in train mode too). The
networks need H and W to be multiples of ``input_divisor``; the harness's ``AnySize`` wrapper pads
and crops (``models/wrappers.py``). Parameter counts below are pytorchcv's networks for 19 classes
(Cityscapes, where every one of these papers reports its results).

Model card: where the package's models depart from their papers
----------------------------------------------------------------
Common to all: random initialisation (no ImageNet pre-training for the few papers that use it), no
auxiliary heads or losses, and any input size instead of the papers' fixed training crops.
"Unconfirmed" marks a paper count that could not be checked against the paper's text here: the
test pins the package's exact count instead, so that a silent change is caught.

* erfnet (Romera et al. 2018, T-ITS): ENet-style downsamplers, non-bottleneck-1D blocks (3x1 and
  1x3 convolutions, dilated 2-16 in the encoder), transposed-convolution decoder. 2.064M
  parameters; the paper's count is unconfirmed.
* espnetc (Mehta et al. 2018, ECCV): pytorchcv ships ESPNet-C, the paper's encoder-only variant
  (ESP modules, a 1x1 classifier at H/8, bilinear x8), not the full ESPNet with its decoder (the
  paper's 0.364M). 0.211M parameters; the paper's ESPNet-C count is unconfirmed. Any input size.
* cgnet (Wu et al. 2018, TIP): CGNet_M3N21 (context-guided blocks). 0.496M parameters; the paper
  says "less than 0.5M" (abstract). Any input size.
* contextnet (Poudel et al. 2018, BMVC): a full-resolution shallow branch and a deep branch on
  the input downsampled x4, fused at H/8. 0.877M parameters; the paper's count is unconfirmed.
  The deep branch divides its quarter-size input by 8 again: H and W must be multiples of 32.
* fastscnn (Poudel et al. 2019, BMVC): learning-to-downsample, global feature extractor with
  pyramid pooling, fusion, classifier. pytorchcv's auxiliary head is disabled. 1.138M
  parameters; the paper's count is unconfirmed (a secondary summary quotes 1.11M). Any input
  size. The pyramid pooling's 1x1 branch has BatchNorm: training needs batches of 2 or more.
* lednet (Wang et al. 2019, ICIP): split-shuffle residual encoder, attention pyramid decoder.
  0.923M parameters; the paper says "less than 1M" (abstract); its exact count is unconfirmed.
  The attention pyramid halves the H/8 features three times and doubles them back: H and W must
  be multiples of 64. Its global pooling branch has BatchNorm: training needs batches of 2+.
* dabnet (Li, Kim 2019, BMVC): depth-wise asymmetric bottlenecks. 0.757M parameters, as the
  paper's "0.76 million" (abstract).
* edanet (Lo et al. 2019, ACM MM Asia): dense modules of asymmetric convolutions, no decoder
  (1x1 classifier at H/8, bilinear x8). 0.689M parameters; the paper's count is unconfirmed.
* fpenet (Liu, Yin 2019, BMVC): feature pyramid encoding blocks, mutual embedding upsampling.
  0.115M parameters, 3.5x fewer than the paper's "0.4M" (abstract): the package's network does
  not reproduce the paper's count and the cause was not found; its accuracy may differ.
* esnet (Wang, Zhou, Wu 2019, PRCV): factorised and parallel factorised convolution units in a
  symmetric encoder-decoder. 1.661M parameters; the paper says "nearly 1.6M" (abstract).
* sqnet (Treml et al. 2016, NIPS MLITS workshop): SqueezeNet-like fire-module encoder, parallel
  dilated convolutions, refinement decoder; random init where the paper starts from an
  ImageNet-trained SqueezeNet. 16.26M parameters; the paper gives no parameter count. H and W
  must be multiples of 16.

Not registered: pytorchcv's SINet (a portrait network whose Cityscapes variant's count is
unconfirmed; H and W must be multiples of 128; its checks cost the most test time), ICNet (a
ResNet-50 variant with 47.5M parameters, far from the paper's compressed PSPNet) and BiSeNet (a
ResNet-18 face-parsing model, whose ``fixed_size=False`` path fails in pytorchcv 0.0.74).

Capabilities (half and bfloat16, ``torch.compile(fullgraph=True)`` with no graph break, ONNX export
that onnxruntime agrees with) were each measured for every model; all of them hold.
"""

from __future__ import annotations

import importlib
from typing import Any

from torch import nn

from models.registry import Capabilities, register_model

#: Measured for every model here (tests/test_models.py checks each claim).
ALL = Capabilities(half=True, compile=True, onnx=True)
#: Options every builder sets; a caller may not override them.
FIXED_OPTIONS = {"pretrained": False, "aux": False, "fixed_size": False}


def pytorchcv_model(module: str, constructor: str, num_classes: int, **kwargs: Any) -> nn.Module:
    """pytorchcv's ``pytorchcv.models.<module>.<constructor>`` for ``num_classes`` classes, with
    random weights, the input's own size and the main logits only (``FIXED_OPTIONS``); other
    keyword arguments (``in_channels``, ...) go to the constructor."""
    clash = sorted(set(kwargs) & set(FIXED_OPTIONS))
    if clash:
        raise ValueError(f"the real-time peers are built with {FIXED_OPTIONS}; got {clash}")
    build = getattr(importlib.import_module(f"pytorchcv.models.{module}"), constructor)
    return build(num_classes=num_classes, **FIXED_OPTIONS, **kwargs)


CARD = " (card: models/realtime.py)"


@register_model(
    "erfnet",
    family="real-time",
    description="ERFNet: encoder-decoder of factorised (3x1, 1x3) residual blocks, dilated in "
    "the encoder (pytorchcv)",
    paper="Romera, Alvarez, Bergasa, Arroyo 2018, ERFNet: Efficient Residual Factorized ConvNet "
    "for Real-Time Semantic Segmentation, IEEE T-ITS 19(1)",
    input_divisor=8,
    min_size=1,
    capabilities=ALL,
    notes="pytorchcv's erfnet_cityscapes, random init; 2.06M parameters for 19 classes (the "
    "paper's count unconfirmed)" + CARD,
)
def erfnet(num_classes: int, **kwargs: Any) -> nn.Module:
    return pytorchcv_model("erfnet", "erfnet_cityscapes", num_classes, **kwargs)


@register_model(
    "espnetc",
    family="real-time",
    description="ESPNet-C: ESPNet's encoder of efficient spatial pyramid modules, 1x1 classifier "
    "at H/8, bilinear x8 (pytorchcv)",
    paper="Mehta, Rastegari, Caspi, Shapiro, Hajishirzi 2018, ESPNet: Efficient Spatial Pyramid "
    "of Dilated Convolutions for Semantic Segmentation, ECCV, arXiv:1803.06815",
    input_divisor=1,
    min_size=1,
    capabilities=ALL,
    notes="pytorchcv's espcnet_cityscapes: the paper's encoder-only ESPNet-C, not the full "
    "ESPNet (0.364M); 0.21M parameters for 19 classes (unconfirmed)" + CARD,
)
def espnetc(num_classes: int, **kwargs: Any) -> nn.Module:
    return pytorchcv_model("espcnet", "espcnet_cityscapes", num_classes, **kwargs)


@register_model(
    "cgnet",
    family="real-time",
    description="CGNet: context-guided blocks (local, surrounding and global context) in all "
    "stages (pytorchcv)",
    paper="Wu, Tang, Zhang, Cao, Zhang 2018, CGNet: A Light-weight Context Guided Network for "
    "Semantic Segmentation, IEEE TIP, arXiv:1811.08201",
    input_divisor=1,
    min_size=1,
    capabilities=ALL,
    notes="pytorchcv's cgnet_cityscapes (M3N21); 0.496M parameters for 19 classes, as the "
    "paper's 'less than 0.5M'" + CARD,
)
def cgnet(num_classes: int, **kwargs: Any) -> nn.Module:
    return pytorchcv_model("cgnet", "cgnet_cityscapes", num_classes, **kwargs)


@register_model(
    "contextnet",
    family="real-time",
    description="ContextNet: shallow full-resolution branch fused with a deep branch on the "
    "input at 1/4 (pytorchcv)",
    paper="Poudel, Bonde, Liwicki, Zach 2018, ContextNet: Exploring Context and Detail for "
    "Semantic Segmentation in Real-time, BMVC, arXiv:1805.04554",
    input_divisor=32,
    min_size=1,
    capabilities=ALL,
    notes="pytorchcv's ctxnet_cityscapes without its auxiliary head; 0.88M parameters for 19 "
    "classes (the paper's count unconfirmed)" + CARD,
)
def contextnet(num_classes: int, **kwargs: Any) -> nn.Module:
    return pytorchcv_model("contextnet", "ctxnet_cityscapes", num_classes, **kwargs)


@register_model(
    "fastscnn",
    family="real-time",
    description="Fast-SCNN: learning to downsample, global feature extractor with pyramid "
    "pooling, feature fusion (pytorchcv)",
    paper="Poudel, Liwicki, Cipolla 2019, Fast-SCNN: Fast Semantic Segmentation Network, BMVC, "
    "arXiv:1902.04502",
    input_divisor=1,
    min_size=1,
    capabilities=ALL,
    notes="pytorchcv's fastscnn_cityscapes without its auxiliary head; 1.14M parameters for 19 "
    "classes (the paper's count unconfirmed); training needs batches of 2+" + CARD,
)
def fastscnn(num_classes: int, **kwargs: Any) -> nn.Module:
    return pytorchcv_model("fastscnn", "fastscnn_cityscapes", num_classes, **kwargs)


@register_model(
    "lednet",
    family="real-time",
    description="LEDNet: split-shuffle residual encoder, attention pyramid decoder (pytorchcv)",
    paper="Wang, Zhou, Liu, Xiong, Gao, Wu, Latecki 2019, LEDNet: A Lightweight Encoder-Decoder "
    "Network for Real-Time Semantic Segmentation, ICIP, arXiv:1905.02423",
    input_divisor=64,
    min_size=1,
    capabilities=ALL,
    notes="pytorchcv's lednet_cityscapes; 0.92M parameters for 19 classes, within the paper's "
    "'less than 1M'; training needs batches of 2+" + CARD,
)
def lednet(num_classes: int, **kwargs: Any) -> nn.Module:
    return pytorchcv_model("lednet", "lednet_cityscapes", num_classes, **kwargs)


@register_model(
    "dabnet",
    family="real-time",
    description="DABNet: depth-wise asymmetric bottlenecks with dilation, classifier at H/8 "
    "(pytorchcv)",
    paper="Li, Kim 2019, DABNet: Depth-wise Asymmetric Bottleneck for Real-time Semantic "
    "Segmentation, BMVC, arXiv:1907.11357",
    input_divisor=8,
    min_size=1,
    capabilities=ALL,
    notes="pytorchcv's dabnet_cityscapes; 0.757M parameters for 19 classes, as the paper's "
    "0.76M" + CARD,
)
def dabnet(num_classes: int, **kwargs: Any) -> nn.Module:
    return pytorchcv_model("dabnet", "dabnet_cityscapes", num_classes, **kwargs)


@register_model(
    "edanet",
    family="real-time",
    description="EDANet: dense modules of asymmetric (and dilated) convolutions, no decoder "
    "(pytorchcv)",
    paper="Lo et al. 2019, Efficient Dense Modules of Asymmetric Convolution for "
    "Real-Time Semantic Segmentation, ACM MM Asia, arXiv:1809.06323",
    input_divisor=8,
    min_size=1,
    capabilities=ALL,
    notes="pytorchcv's edanet_cityscapes; 0.69M parameters for 19 classes (the paper's count "
    "unconfirmed)" + CARD,
)
def edanet(num_classes: int, **kwargs: Any) -> nn.Module:
    return pytorchcv_model("edanet", "edanet_cityscapes", num_classes, **kwargs)


@register_model(
    "fpenet",
    family="real-time",
    description="FPENet: feature pyramid encoding blocks, mutual embedding upsampling (pytorchcv)",
    paper="Liu, Yin 2019, Feature Pyramid Encoding Network for Real-time Semantic Segmentation, "
    "BMVC, arXiv:1909.08599",
    input_divisor=8,
    min_size=1,
    capabilities=ALL,
    notes="pytorchcv's fpenet_cityscapes; 0.115M parameters for 19 classes, 3.5x fewer than the "
    "paper's 0.4M (a departure whose cause is unknown)" + CARD,
)
def fpenet(num_classes: int, **kwargs: Any) -> nn.Module:
    return pytorchcv_model("fpenet", "fpenet_cityscapes", num_classes, **kwargs)


@register_model(
    "esnet",
    family="real-time",
    description="ESNet: symmetric encoder-decoder of factorised and parallel factorised "
    "convolution units (pytorchcv)",
    paper="Wang, Zhou, Wu 2019, ESNet: An Efficient Symmetric Network for Real-time Semantic "
    "Segmentation, PRCV, arXiv:1906.09826",
    input_divisor=8,
    min_size=1,
    capabilities=ALL,
    notes="pytorchcv's esnet_cityscapes; 1.66M parameters for 19 classes, the paper's 'nearly "
    "1.6M'" + CARD,
)
def esnet(num_classes: int, **kwargs: Any) -> nn.Module:
    return pytorchcv_model("esnet", "esnet_cityscapes", num_classes, **kwargs)


@register_model(
    "sqnet",
    family="real-time",
    description="SQNet: SqueezeNet-like fire-module encoder, parallel dilated convolutions, "
    "refinement decoder (pytorchcv)",
    paper="Treml et al. 2016, Speeding up Semantic Segmentation for Autonomous Driving, NIPS "
    "MLITS workshop, openreview S1uHiFyyg",
    input_divisor=16,
    min_size=1,
    capabilities=ALL,
    notes="pytorchcv's sqnet_cityscapes, random init (the paper's encoder is ImageNet-trained); "
    "16.26M parameters for 19 classes (the paper gives no count)" + CARD,
)
def sqnet(num_classes: int, **kwargs: Any) -> nn.Module:
    return pytorchcv_model("sqnet", "sqnet_cityscapes", num_classes, **kwargs)
