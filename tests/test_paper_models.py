"""The papers' U-Net, PSPNet and DeepLabv3+: layers as the papers draw them, and parameter
counts equal to counts derived by hand from the papers' layer lists (the ResNet-101 encoder
counted by torchvision, an independent implementation)."""

import pytest
import torch
from torch import nn

import models


def conv(cin, cout, k, bias=True):
    return k * k * cin * cout + (cout if bias else 0)


def conv_bn(cin, cout, k):
    return conv(cin, cout, k, bias=False) + 2 * cout


def resnet101_without_fc() -> int:
    import torchvision

    net = torchvision.models.resnet101()
    return sum(p.numel() for n, p in net.named_parameters() if not n.startswith("fc."))


def count(model):
    return sum(p.numel() for p in model.parameters())


@pytest.mark.parametrize("classes", [2, 11])
def test_unet_is_the_papers_23_layers_with_its_parameters(classes):
    model = models.create_model("unet", classes)
    widths = [3, 64, 128, 256, 512, 1024]
    down = sum(conv(a, b, 3) + conv(b, b, 3) for a, b in zip(widths, widths[1:]))
    rev = widths[:0:-1]  # 1024 ... 64
    up = sum(conv(a, b, 2) + conv(2 * b, b, 3) + conv(b, b, 3) for a, b in zip(rev, rev[1:]))
    assert count(model) == down + up + conv(64, classes, 1)
    if classes == 2:  # the paper's two-class network: the 31.0M usually quoted for it
        assert count(model) == pytest.approx(31.0e6, rel=0.02)
    layers = [m for m in model.modules() if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d))]
    assert len(layers) == 23
    assert sum(isinstance(m, nn.ConvTranspose2d) and m.kernel_size == (2, 2) for m in layers) == 4
    assert layers[-1].kernel_size == (1, 1) and layers[-1].out_channels == classes
    assert not any(isinstance(m, nn.BatchNorm2d) for m in model.modules())


def test_unet_output_has_the_input_size_and_four_skips():
    model = models.create_model("unet", 11).eval()
    cats = []
    real_cat = torch.cat

    def spy(tensors, dim=0):
        cats.append([t.shape[1] for t in tensors])
        return real_cat(tensors, dim=dim)

    torch.cat = spy
    try:
        with torch.inference_mode():
            out = model(torch.randn(1, 3, 48, 80))
    finally:
        torch.cat = real_cat
    assert out.shape == (1, 11, 48, 80)
    assert cats == [[512, 512], [256, 256], [128, 128], [64, 64]]  # skip first, then upsampled


def test_unet_batch_norm_is_an_option():
    with_bn = models.create_model("unet", 11, batch_norm=True)
    assert sum(isinstance(m, nn.BatchNorm2d) for m in with_bn.modules()) == 18


def test_pspnet_head_is_the_authors_and_its_parameters_add_up():
    classes = 11
    model = models.create_model("pspnet", classes)
    pyramid = 4 * conv_bn(2048, 512, 1)
    head = conv_bn(4096, 512, 3) + conv(512, classes, 1)
    assert count(model.encoder) == resnet101_without_fc()
    assert count(model) == resnet101_without_fc() + pyramid + head
    convs = [m for m in model.head.modules() if isinstance(m, nn.Conv2d)]
    assert [(c.in_channels, c.out_channels, c.kernel_size) for c in convs] == [
        (4096, 512, (3, 3)),
        (512, classes, (1, 1)),
    ]
    assert [s[0].output_size for s in model.pyramid.stages] == [1, 2, 3, 6]
    x = torch.randn(2, 3, 64, 96)
    assert model.encoder(x)[-1].shape[-2:] == (8, 12)  # output stride 8
    assert model.eval()(x).shape == (2, classes, 64, 96)


def test_deeplabv3plus_is_the_papers_resnet101_variant():
    classes = 11
    model = models.create_model("deeplabv3plus", classes)
    aspp = (
        conv_bn(2048, 256, 1)
        + 3 * conv_bn(2048, 256, 3)
        + conv_bn(2048, 256, 1)
        + conv_bn(5 * 256, 256, 1)
    )
    decoder = conv_bn(256, 48, 1) + conv_bn(304, 256, 3) + conv_bn(256, 256, 3)
    assert count(model) == resnet101_without_fc() + aspp + decoder + conv(256, classes, 1)
    rates = [b[0].dilation for b in model.aspp.branches]
    assert rates == [(1, 1), (6, 6), (12, 12), (18, 18)]
    decoder_convs = [m for m in model.decoder.modules() if isinstance(m, nn.Conv2d)]
    assert [c.kernel_size for c in decoder_convs] == [(3, 3), (3, 3)]  # two 3x3, not separable
    assert all(c.groups == 1 for c in decoder_convs)
    x = torch.randn(2, 3, 64, 96)
    features = model.encoder(x)
    assert features[-1].shape[-2:] == (4, 6) and features[2].shape[1:] == (256, 16, 24)
    assert model.eval()(x).shape == (2, classes, 64, 96)


@pytest.mark.parametrize("name", ["unet", "pspnet", "deeplabv3plus"])
def test_cards_name_the_paper_and_their_departures(name):
    info = models.get_system(name)
    module = __import__(info.builder.__module__, fromlist=["x"])
    assert "Model card" in module.__doc__ and "depart" in module.__doc__
    assert "arXiv" in info.paper and "card: models/" in info.notes
