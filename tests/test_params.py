import pytest
import torch
from torch import nn

import models
from bench.measure.params import count_parameters, parameter_report, used_parameters


class TwoBranch(nn.Module):
    def __init__(self):
        super().__init__()
        self.used = nn.Conv2d(3, 4, 3, padding=1)  # 3*4*9 + 4 = 112
        self.unused = nn.Linear(10, 10)  # 110, never called
        self.shared = nn.Conv2d(4, 4, 1, bias=False)  # 16, called twice

    def forward(self, x):
        return self.shared(self.shared(self.used(x)))


def test_counts_on_a_toy_model():
    m = TwoBranch()
    assert count_parameters(m) == 112 + 110 + 16
    assert used_parameters(m, torch.randn(1, 3, 8, 8)) == 112 + 16


def test_used_parameters_leaves_the_model_as_it_was():
    m = TwoBranch().train()
    m.used.weight.requires_grad_(False)
    used_parameters(m, torch.randn(1, 3, 8, 8))
    assert m.training and not m.used.weight.requires_grad
    assert all(p.grad is None for p in m.parameters())


def test_enet_parameters_match_the_paper():
    """Paper: 0.37M; the issue allows 3%. Our exact count for 12 classes is 363,856."""
    n = count_parameters(models.create_model("enet", 12))
    assert n == 363_856
    assert abs(n - 0.37e6) / 0.37e6 < 0.03


def test_segnet_parameters_match_the_paper():
    """Paper (as quoted by ENet): 29.46M."""
    n = count_parameters(models.create_model("segnet", 12))
    assert 29.4e6 <= n <= 29.5e6
    assert n == 29_449_932


def test_paper_ratio_of_parameters():
    ratio = count_parameters(models.create_model("segnet", 12)) / count_parameters(
        models.create_model("enet", 12)
    )
    assert ratio == pytest.approx(79, rel=0.03)  # the paper's "79x fewer parameters"


def test_smp_default_pspnet_leaves_weights_unused_and_ours_does_not():
    import segmentation_models_pytorch as smp

    x = torch.randn(1, 3, 64, 64)
    default = smp.PSPNet("resnet34", encoder_weights=None, classes=11)
    assert used_parameters(default, x) < 0.5 * count_parameters(default)
    ours = models.create_model("pspnet", 11, encoder="resnet18")
    assert used_parameters(ours, x) == count_parameters(ours)


def test_parameter_report_keys():
    r = parameter_report(TwoBranch(), torch.randn(1, 3, 8, 8))
    assert r["params"] == 238 and r["params_used"] == 128 and r["params_trainable"] == 238
    assert r["size_mib_fp16"] == pytest.approx(238 * 2 / 2**20)
