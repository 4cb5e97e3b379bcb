"""Backbones built from maintained libraries, with no pretrained weights (nothing is downloaded;
a user's own checkpoint is loaded by the harness)."""

from __future__ import annotations

from torch import nn


def resnet_encoder(name: str = "resnet101", output_stride: int = 8) -> nn.Module:
    """smp's ResNet encoder (torchvision's ResNet layers: 7x7 stem, bottleneck blocks), with the
    last stages dilated instead of strided down to ``output_stride`` (8 or 16). Calling it on
    x gives the features of every stage: [x, stem (64, /2), layer1 (256, /4), layer2 (512, /8),
    layer3 (1024, /os or /16), layer4 (2048, /os)] for ResNet-50/101."""
    import segmentation_models_pytorch as smp  # slow to import: only when a model is built

    return smp.encoders.get_encoder(
        name, in_channels=3, depth=5, weights=None, output_stride=output_stride
    )


def conv_bn_relu(cin: int, cout: int, kernel: int = 3, dilation: int = 1) -> nn.Sequential:
    """Convolution (no bias: BN follows), BatchNorm, ReLU; 'same' padding."""
    return nn.Sequential(
        nn.Conv2d(
            cin, cout, kernel, padding=dilation * (kernel // 2), dilation=dilation, bias=False
        ),
        nn.BatchNorm2d(cout),
        nn.ReLU(inplace=True),
    )


def init_head(module: nn.Module) -> None:
    """He-normal convolutions (fan in, ReLU), zero biases, BatchNorm 1 and 0: the usual
    initialisation of segmentation heads trained from scratch."""
    for m in module.modules():
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
            nn.init.kaiming_normal_(m.weight, mode="fan_in", nonlinearity="relu")
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, nn.BatchNorm2d):
            nn.init.ones_(m.weight)
            nn.init.zeros_(m.bias)
