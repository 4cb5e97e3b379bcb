"""UNet, PSPNet and DeepLabv3+ built with segmentation-models-pytorch (smp).

Each builder configures smp as close to the original paper as smp allows, always with
``encoder_weights=None`` (nothing is downloaded; pass ``checkpoint=`` to a harness command for
trained weights). ``encoder=`` swaps the backbone, e.g. ``create_model("pspnet", 11,
encoder="resnet50")``.
"""
from __future__ import annotations

from models.registry import register_model


def _smp():
    # Imported on first build: smp pulls in timm and huggingface_hub, slow to import.
    import segmentation_models_pytorch as smp

    return smp


@register_model(
    "unet",
    description="U-Net: contracting VGG-style path, expanding path with skip connections (smp)",
    paper="Ronneberger, Fischer, Brox 2015, U-Net: Convolutional Networks for Biomedical Image "
          "Segmentation, MICCAI, arXiv:1505.04597",
    input_divisor=16,
    notes="smp Unet, VGG13-BN encoder (two 3x3 conv+BN+ReLU per level, as the paper), 4 "
          "poolings (output stride 16), decoder widths 512-256-128-64; differs from the paper in "
          "BN, 512 (not 1024) channels at the bottom, nearest upsampling + conv instead of "
          "up-convolution, and padded convs; 24.3M parameters (paper: 31.0M)",
)
def unet(num_classes: int, encoder: str = "vgg13_bn", **kwargs):
    return _smp().Unet(encoder_name=encoder, encoder_weights=None, encoder_depth=4,
                       decoder_channels=(512, 256, 128, 64), classes=num_classes, **kwargs)


@register_model(
    "pspnet",
    description="PSPNet: dilated ResNet with a pyramid pooling module (bins 1, 2, 3, 6) (smp)",
    paper="Zhao, Shi, Qi, Wang, Jia 2017, Pyramid Scene Parsing Network, CVPR, arXiv:1612.01105",
    input_divisor=8,
    notes="smp PSPNet configured as the paper: ResNet-101 with all 5 stages, dilated to output "
          "stride 8, pyramid pooling to 512 channels, x8 bilinear upsampling (smp's default runs "
          "only 3 encoder stages at stride 8, leaving most of ResNet unused); differs in the 7x7 "
          "stem (the paper's ResNet has a 3-conv stem) and in having no auxiliary loss head",
)
def pspnet(num_classes: int, encoder: str = "resnet101", **kwargs):
    return _smp().PSPNet(encoder_name=encoder, encoder_weights=None, encoder_depth=5,
                         output_stride=8, upsampling=8, psp_out_channels=512,
                         classes=num_classes, **kwargs)


@register_model(
    "deeplabv3plus",
    description="DeepLabv3+: dilated ResNet, ASPP (rates 6, 12, 18), light decoder (smp)",
    paper="Chen, Zhu, Papandreou, Schroff, Adam 2018, Encoder-Decoder with Atrous Separable "
          "Convolution for Semantic Image Segmentation, ECCV, arXiv:1802.02611",
    input_divisor=16,
    notes="smp DeepLabV3Plus as the paper's ResNet-101 variant: output stride 16, ASPP rates "
          "6/12/18 with 256 channels and image pooling, 48-channel low-level projection, x4 "
          "upsampling; smp's decoder has one separable 3x3 conv block where the paper has two",
)
def deeplabv3plus(num_classes: int, encoder: str = "resnet101", **kwargs):
    return _smp().DeepLabV3Plus(encoder_name=encoder, encoder_weights=None,
                                encoder_output_stride=16, decoder_atrous_rates=(6, 12, 18),
                                decoder_aspp_separable=False, decoder_channels=256,
                                classes=num_classes, **kwargs)
