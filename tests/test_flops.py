"""FLOP counts against hand-computed values, the two counters against each other, and the
paper's ENet and SegNet figures."""

import pytest
import torch
from torch import nn

import models
from bench.measure.flops import conv_flops, count_flops, count_flops_fvcore, paper_convention_gflops


class SmallNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 8, 3, padding=1)
        self.conv2 = nn.Conv2d(8, 4, 1, bias=False)
        self.up = nn.ConvTranspose2d(4, 2, 2, stride=2)
        self.act = nn.PReLU(8)

    def forward(self, x):
        y = self.act(self.conv1(x))
        y = nn.functional.max_pool2d(y, 2)
        return self.up(self.conv2(y) + 1.0)


# Hand count for a 1x3x16x20 input, 2 FLOPs per multiply-add:
#   conv1 3x3, 3->8 on 16x20:        320 * 8 * 27 MACs = 69,120
#   conv2 1x1, 8->4 on 8x10:          80 * 4 * 8       =  2,560
#   transposed 2x2, 4->2 from 8x10:   80 * 4 * 2 * 4   =  2,560 (each input pixel, every tap)
HAND_MACS = 69_120 + 2_560 + 2_560


def test_primary_counter_matches_the_hand_count():
    count = count_flops(SmallNet(), torch.randn(1, 3, 16, 20))
    assert count.flops == 2 * HAND_MACS
    assert count.gmacs == pytest.approx(HAND_MACS / 1e9)
    assert {"prelu", "max_pool2d", "add"} <= set(count.not_counted)
    assert "conv2d" not in count.not_counted and "view" not in count.not_counted


def test_batch_scales_the_count():
    one = count_flops(SmallNet(), torch.randn(1, 3, 16, 20)).flops
    assert count_flops(SmallNet(), torch.randn(4, 3, 16, 20)).flops == 4 * one


def test_fvcore_agrees_on_convolutions_and_counts_the_rest():
    count = count_flops_fvcore(SmallNet(), torch.randn(1, 3, 16, 20))
    assert conv_flops(count) == 2 * HAND_MACS
    # PReLU on 8x16x20 outputs, the addition on 4x8x10, 2x2 max-pool on 8x8x10 outputs.
    assert count.by_operator["prelu"] == 8 * 16 * 20
    assert count.by_operator["add"] == 4 * 8 * 10
    assert count.by_operator["max_pool2d"] == 8 * 8 * 10 * 4
    assert count.flops == 2 * HAND_MACS + 2560 + 320 + 2560
    assert {"prelu", "add", "max_pool2d"} <= set(count.not_counted)


@pytest.mark.parametrize("name", ["enet", "segnet"])
def test_fvcore_works_on_max_unpooling_and_agrees(name):
    model = models.create_model(name, 12).eval()
    x = torch.randn(1, 3, 64, 96)
    fv = count_flops_fvcore(model, x)
    assert conv_flops(fv) == pytest.approx(count_flops(model, x).flops, rel=1e-9)
    assert "max_unpool2d" in fv.by_operator


def test_enet_and_segnet_against_the_paper():
    """Convolutions alone at 3x360x640: about 3.40 (ENet) and 284 (SegNet) GFLOPs."""
    x = torch.randn(1, 3, 360, 640)
    enet = count_flops(models.create_model("enet", 12), x).gflops
    segnet = count_flops(models.create_model("segnet", 12), x).gflops
    assert enet == pytest.approx(3.3955, abs=0.001)
    assert segnet == pytest.approx(283.70, abs=0.01)
    assert segnet / enet == pytest.approx(83.5, abs=0.1)  # the paper: 286.03 / 3.83 = 74.7


def test_paper_convention_explains_enets_gap():
    """Dense transposed convolutions and element-wise layers bring 3.40 to the paper's 3.83."""
    parts = paper_convention_gflops(models.create_model("enet", 12), torch.randn(1, 3, 360, 640))
    assert parts["dense_transposed_extra"] == pytest.approx(0.328, abs=0.001)
    assert parts["elementwise"] == pytest.approx(0.099, abs=0.001)
    assert parts["total"] == pytest.approx(3.83, rel=0.003)
    seg = paper_convention_gflops(models.create_model("segnet", 12), torch.randn(1, 3, 360, 640))
    assert seg["total"] == pytest.approx(286.03, rel=0.01)


def test_counting_leaves_the_model_untouched():
    model = SmallNet()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    count_flops(model, torch.randn(1, 3, 16, 20))
    assert all(v.device.type == "cpu" for v in model.state_dict().values())
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())
