"""FRRN A (written here from its paper), SegFormer-B0 (smp) and LR-ASPP MobileNetV3-Large
(torchvision): parameter counts against their papers, the paper's layout, no download."""

import pytest
import torch

import models


def count(model) -> int:
    return sum(p.numel() for p in model.parameters())


def conv(cin, cout, k, bias=True) -> int:
    return k * k * cin * cout + (cout if bias else 0)


def conv_bn(cin, cout, k) -> int:
    return conv(cin, cout, k, bias=False) + 2 * cout


def frrn_a_by_hand(classes: int) -> int:
    """FRRN A's parameters from the paper's Table 1, layer by layer (see models/frrn.py)."""
    ru = 2 * conv_bn(48, 48, 3)
    total = conv_bn(3, 48, 5) + 3 * ru + conv(48, 32, 1)  # stem, 3 RUs, residual split
    channels = 48
    for n, width in ((3, 96), (4, 192), (2, 384), (2, 384), (2, 192), (2, 192), (2, 96)):
        for _ in range(n):
            total += conv_bn(channels + 32, width, 3) + conv_bn(width, width, 3)
            total += conv(width, 32, 1)
            channels = width
    total += conv_bn(channels + 32, 48, 1) + 3 * ru + conv(48, classes, 1)
    return total


@pytest.mark.parametrize("classes", [11, 19])
def test_frrn_a_has_the_papers_layers_and_parameters(classes):
    model = models.create_model("frrn", classes)
    assert count(model) == frrn_a_by_hand(classes)
    if classes == 19:  # the paper's Cityscapes network: 17.7M
        assert count(model) == pytest.approx(17.7e6, rel=0.01)
    frrus = [m for m in model.modules() if type(m).__name__ == "FRRU"]
    assert len(frrus) == 17 and sorted({u.scale for u in frrus}) == [2, 4, 8, 16]


def test_frrn_keeps_a_full_resolution_residual_stream():
    model = models.create_model("frrn", 11).eval()
    seen = []
    for unit in (m for m in model.modules() if type(m).__name__ == "FRRU"):
        unit.register_forward_hook(lambda m, i, o: seen.append((o[0].shape[-2:], o[1].shape)))
    with torch.inference_mode():
        assert model(torch.randn(1, 3, 64, 96)).shape == (1, 11, 64, 96)
    assert all(y == (1, 32, 64, 96) for _, y in seen)  # residual stream: 32 channels, full size
    assert min(z[0] for z, _ in seen) == 64 // 16


def test_segformer_b0_matches_the_papers_count():
    # The paper's Table 1: MiT-B0 encoder 3.4M + decoder 0.4M = 3.8M, for ADE20K's 150 classes.
    assert count(models.create_model("segformer", 150)) == pytest.approx(3.8e6, rel=0.02)
    model = models.create_model("segformer", 11)
    assert model.encoder.out_channels[-4:] == [32, 64, 160, 256]  # MiT-B0's stage widths
    assert models.get_system("segformer").input_divisor == 32


def test_lraspp_is_torchvisions_documented_network():
    # torchvision documents 3,221,538 parameters for this architecture at 21 classes.
    assert count(models.create_model("lraspp", 21)) == 3_221_538
    out = models.create_model("lraspp", 11).eval()(torch.randn(1, 3, 72, 96))
    assert isinstance(out, torch.Tensor) and out.shape == (1, 11, 72, 96)


@pytest.mark.parametrize("name", ["frrn", "segformer", "lraspp"])
def test_no_weights_are_downloaded_and_cards_name_their_departures(name, monkeypatch):
    def refuse(*a, **k):
        raise AssertionError("a download was attempted")

    monkeypatch.setattr(torch.hub, "load_state_dict_from_url", refuse)
    monkeypatch.setattr(torch.hub, "download_url_to_file", refuse)
    models.create_model(name, 11)
    info = models.get_system(name)
    module = __import__(info.builder.__module__, fromlist=["x"])
    assert "Model card" in module.__doc__ and "depart" in module.__doc__
    assert "arXiv" in info.paper and "card: models/" in info.notes
