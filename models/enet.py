"""ENet (Paszke, Chaurasia, Kim, Culurciello 2016, arXiv:1606.02147).

Written here from the paper's Table 1 and section 3 and from the authors' Torch reference code
(e-Lab/ENet-training, ``models/encoder.lua`` and ``models/decoder.lua``).

Architecture (input 3 x H x W, output C x H x W)::

    initial         3x3/2 conv (13 filters) || 2x2/2 max-pool  -> 16 x H/2,  BN, PReLU
    bottleneck1.0   downsampling                               -> 64 x H/4
    4 x bottleneck1.x                                          -> 64 x H/4
    bottleneck2.0   downsampling                               -> 128 x H/8
    2.1 regular, 2.2 dilated 2, 2.3 asymmetric 5, 2.4 dilated 4,
    2.5 regular, 2.6 dilated 8, 2.7 asymmetric 5, 2.8 dilated 16
    stage 3         stage 2 without bottleneck2.0
    bottleneck4.0   upsampling (unpool with 2.0's indices)     -> 64 x H/4
    4.1, 4.2 regular                                           -> 64 x H/4
    bottleneck5.0   upsampling (unpool with 1.0's indices)     -> 16 x H/2
    5.1 regular                                                -> 16 x H/2
    fullconv        2x2/2 transposed conv                      -> C x H

Bottleneck: a bias-free 1x1 projection to out/4 channels (2x2 stride 2 when downsampling), the main
convolution (3x3 regular, 3x3 dilated, or asymmetric 5x1 then 1x5), a bias-free 1x1 expansion, BN
after each convolution, per-channel PReLU in the encoder and ReLU in the decoder, spatial dropout
(p = 0.01 in stage 1, 0.1 after, none in the decoder) on the extension, and the activation once
more after the sum with the main branch. The main branch is the identity, max-pool with indices
plus zero channel padding when downsampling, and a bias-free 1x1 conv, BN and max-unpool with the
encoder's indices when upsampling (where the extension upsamples with a 3x3 stride-2 transposed
convolution). BatchNorm eps is 1e-3 as in the reference code.

Model card: where this implementation departs from the paper, and why
--------------------------------------------------------------------
* Parameter count: 0.364M for 12 classes (0.363M for 11), against the paper's "0.37M". The
  reference code builds the same layers; the paper rounds, and does not say what it counted.
* Biases follow the reference code, not a uniform rule: the initial 3x3 conv, the regular and
  dilated 3x3 convs, the second (1x5) conv of an asymmetric pair, the transposed convs and the
  final full conv have a bias; the 1x1 / 2x2 projections, expansions and the first (5x1) conv of
  an asymmetric pair do not.
* Inputs of any size: the paper assumes sizes divisible by 8. ``forward`` zero-pads H and W at the
  bottom/right up to a multiple of 8 and crops the logits back, so odd sizes such as 131x97 work.
  For sizes already divisible by 8 (all the paper's sizes) nothing is padded.
* ONNX: exports with PyTorch's default (torch.export-based) exporter, ``aten::max_unpool2d``
  becoming ONNX MaxUnpool; onnxruntime gives the same logits (tested). The legacy TorchScript
  exporter (``dynamo=False``) fails on max-unpooling with data-dependent output sizes. A
  scatter-based unpool would export with both, but it ran 14x slower than the native kernel on the
  CPU, which would bias every latency measurement against ENet, so the native op stays.
* The zero channel padding of the downsampling main branch is made with ``new_zeros`` on the
  input, so it has the input's dtype, device and batch: public ENets create it as a float32 CUDA
  tensor and crash after ``model.half()`` or on the CPU.
* Training details (two-stage encoder-then-decoder schedule, class weighting) belong to the
  trainer, not to this module; ``encode(x)`` gives the H/8 features for the paper's first stage
  (the trainer puts a 1x1 classifier on them), and ``ENet(encoder_only=True)`` is that network
  alone.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from models._ops import pad_to_multiple
from models.registry import register_model

BN_EPS = 1e-3


def _bn(channels: int) -> nn.BatchNorm2d:
    return nn.BatchNorm2d(channels, eps=BN_EPS)


def _act(channels: int, decoder: bool) -> nn.Module:
    return nn.ReLU(inplace=True) if decoder else nn.PReLU(channels)


class InitialBlock(nn.Module):
    """3x3 stride-2 conv with 13 filters, concatenated with a 2x2 max-pool of the input:
    16 channels."""

    def __init__(self, in_channels: int = 3, out_channels: int = 16):
        super().__init__()
        self.conv = nn.Conv2d(in_channels, out_channels - in_channels, 3, stride=2, padding=1)
        self.pool = nn.MaxPool2d(2, stride=2)
        self.bn = _bn(out_channels)
        self.act = nn.PReLU(out_channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.act(self.bn(torch.cat([self.conv(x), self.pool(x)], dim=1)))


class Bottleneck(nn.Module):
    """Encoder bottleneck: regular, dilated or asymmetric; optionally downsampling by 2.

    ``forward`` returns the output and, when downsampling, the max-pool indices for the decoder.
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        *,
        dilation: int = 1,
        asymmetric: int = 0,
        downsample: bool = False,
        dropout: float = 0.1,
    ):
        super().__init__()
        if asymmetric and dilation != 1:
            raise ValueError("a bottleneck is either dilated or asymmetric, not both")
        internal = out_channels // 4
        self.downsample = downsample
        self.extra_channels = out_channels - in_channels
        if self.extra_channels < 0:
            raise ValueError("an encoder bottleneck cannot reduce the channel count")
        if self.extra_channels and not downsample:
            raise ValueError("the channel count grows only in downsampling bottlenecks")

        k = 2 if downsample else 1
        if asymmetric:
            pad = asymmetric // 2
            main_conv: nn.Module = nn.Sequential(
                nn.Conv2d(internal, internal, (asymmetric, 1), padding=(pad, 0), bias=False),
                nn.Conv2d(internal, internal, (1, asymmetric), padding=(0, pad)),
            )
        else:
            main_conv = nn.Conv2d(internal, internal, 3, padding=dilation, dilation=dilation)
        self.ext = nn.Sequential(
            nn.Conv2d(in_channels, internal, k, stride=k, bias=False),
            _bn(internal),
            nn.PReLU(internal),
            main_conv,
            _bn(internal),
            nn.PReLU(internal),
            nn.Conv2d(internal, out_channels, 1, bias=False),
            _bn(out_channels),
            nn.Dropout2d(dropout),
        )
        self.act = nn.PReLU(out_channels)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
        indices = None
        main = x
        if self.downsample:
            main, indices = nn.functional.max_pool2d(x, 2, stride=2, return_indices=True)
            if self.extra_channels:
                n, _, h, w = main.shape
                zeros = main.new_zeros((n, self.extra_channels, h, w))
                main = torch.cat([main, zeros], dim=1)
        return self.act(main + self.ext(x)), indices


class UpsamplingBottleneck(nn.Module):
    """Decoder bottleneck with ReLU; when ``upsample``, it unpools with the encoder's indices."""

    def __init__(self, in_channels: int, out_channels: int, *, upsample: bool = False):
        super().__init__()
        internal = out_channels // 4
        self.upsample = upsample
        if upsample:
            middle: nn.Module = nn.ConvTranspose2d(
                internal, internal, 3, stride=2, padding=1, output_padding=1
            )
        else:
            middle = nn.Conv2d(internal, internal, 3, padding=1)
        self.ext = nn.Sequential(
            nn.Conv2d(in_channels, internal, 1, bias=False),
            _bn(internal),
            nn.ReLU(inplace=True),
            middle,
            _bn(internal),
            nn.ReLU(inplace=True),
            nn.Conv2d(internal, out_channels, 1, bias=False),
            _bn(out_channels),
        )
        if upsample or in_channels != out_channels:
            self.main: nn.Module = nn.Sequential(
                nn.Conv2d(in_channels, out_channels, 1, bias=False), _bn(out_channels)
            )
        else:
            self.main = nn.Identity()
        self.act = nn.ReLU(inplace=True)

    def forward(self, x: torch.Tensor, indices: torch.Tensor | None = None) -> torch.Tensor:
        main = self.main(x)
        if self.upsample:
            if indices is None:
                raise ValueError("an upsampling bottleneck needs the encoder's pooling indices")
            h, w = main.shape[-2] * 2, main.shape[-1] * 2
            main = nn.functional.max_unpool2d(main, indices, (2, 2), (2, 2), output_size=(h, w))
        return self.act(main + self.ext(x))


def _stage23(dropout: float) -> list[Bottleneck]:
    """Bottlenecks x.1 to x.8 of stages 2 and 3: regular, dilated 2, 4, 8, 16 and asymmetric 5."""
    kinds: list[dict[str, Any]] = [
        dict(),
        dict(dilation=2),
        dict(asymmetric=5),
        dict(dilation=4),
        dict(),
        dict(dilation=8),
        dict(asymmetric=5),
        dict(dilation=16),
    ]
    return [Bottleneck(128, 128, dropout=dropout, **kw) for kw in kinds]


class ENet(nn.Module):
    """ENet for ``num_classes`` classes. See the module docstring for the model card."""

    divisor = 8

    def __init__(self, num_classes: int, in_channels: int = 3, *, encoder_only: bool = False):
        super().__init__()
        if num_classes < 1:
            raise ValueError(f"num_classes must be at least 1, got {num_classes}")
        self.num_classes = num_classes
        self.encoder_only = encoder_only
        self.initial = InitialBlock(in_channels, 16)
        self.down1 = Bottleneck(16, 64, downsample=True, dropout=0.01)
        self.stage1 = nn.ModuleList(Bottleneck(64, 64, dropout=0.01) for _ in range(4))
        self.down2 = Bottleneck(64, 128, downsample=True, dropout=0.1)
        self.stage2 = nn.ModuleList(_stage23(0.1))
        self.stage3 = nn.ModuleList(_stage23(0.1))
        if encoder_only:
            self.classifier = nn.Conv2d(128, num_classes, 1)
            return
        self.up4 = UpsamplingBottleneck(128, 64, upsample=True)
        self.stage4 = nn.ModuleList(UpsamplingBottleneck(64, 64) for _ in range(2))
        self.up5 = UpsamplingBottleneck(64, 16, upsample=True)
        self.stage5 = nn.ModuleList([UpsamplingBottleneck(16, 16)])
        self.fullconv = nn.ConvTranspose2d(16, num_classes, 2, stride=2)

    def encode(self, x: torch.Tensor):
        """The encoder: H/8 features (128 channels) and the two pooling indices."""
        x = self.initial(x)
        x, idx1 = self.down1(x)
        for block in self.stage1:
            x, _ = block(x)
        x, idx2 = self.down2(x)
        for block in (*self.stage2, *self.stage3):
            x, _ = block(x)
        return x, idx1, idx2

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x, (h, w) = pad_to_multiple(x, self.divisor)
        x, idx1, idx2 = self.encode(x)
        if self.encoder_only:
            return self.classifier(x)
        x = self.up4(x, idx2)
        for block in self.stage4:
            x = block(x)
        x = self.up5(x, idx1)
        for block in self.stage5:
            x = block(x)
        return self.fullconv(x)[..., :h, :w]


@register_model(
    "enet",
    family="real-time",
    description="ENet: real-time encoder-decoder with bottlenecks, dilations and max-unpooling",
    paper="Paszke et al. 2016, ENet: A Deep Neural Network Architecture for Real-Time Semantic "
    "Segmentation, arXiv:1606.02147",
    input_divisor=ENet.divisor,
    notes="written here from the paper and the authors' Torch code; 0.36M parameters",
)
def enet(num_classes: int, **kwargs) -> ENet:
    return ENet(num_classes, **kwargs)
