import pytest
import torch
import torch.nn.functional as F
from torch import nn

from models.calibrate import calibrate_bn
from models.enet import Bottleneck, ENet, InitialBlock, UpsamplingBottleneck
from tests.conftest import cuda, has_c_compiler


@pytest.fixture(scope="module")
def enet():
    torch.manual_seed(0)
    return calibrate_bn(ENet(12), torch.randn(2, 3, 96, 128))


def test_initial_block_is_13_conv_filters_and_a_pool():
    block = InitialBlock()
    assert block.conv.out_channels == 13 and block.conv.stride == (2, 2)
    assert block.conv.kernel_size == (3, 3)
    assert isinstance(block.act, nn.PReLU) and block.act.num_parameters == 16
    x = torch.randn(1, 3, 16, 20)
    out = torch.cat([block.conv(x), block.pool(x)], 1)
    assert out.shape == (1, 16, 8, 10)
    assert torch.equal(out[:, 13:], F.max_pool2d(x, 2))  # the pooled input, untouched


def test_stage_layout_follows_table_1():
    m = ENet(12)
    assert len(m.stage1) == 4 and len(m.stage2) == 8 and len(m.stage3) == 8
    assert len(m.stage4) == 2 and len(m.stage5) == 1
    dilations = [
        b.ext[3].dilation[0] if isinstance(b.ext[3], nn.Conv2d) else "asym" for b in m.stage2
    ]
    assert dilations == [1, 2, "asym", 4, 1, 8, "asym", 16]
    asym = m.stage2[2].ext[3]
    assert [c.kernel_size for c in asym] == [(5, 1), (1, 5)]
    # Stage 3 repeats stage 2 without the downsampling bottleneck.
    assert [type(b.ext[3]) for b in m.stage3] == [type(b.ext[3]) for b in m.stage2]
    assert m.fullconv.kernel_size == (2, 2) and m.fullconv.stride == (2, 2)


def test_bottleneck_details():
    down = Bottleneck(16, 64, downsample=True, dropout=0.01)
    proj = down.ext[0]
    assert proj.kernel_size == (2, 2) and proj.stride == (2, 2) and proj.bias is None
    assert proj.out_channels == 16  # internal width = out / 4
    assert down.ext[6].bias is None  # bias-free expansion
    assert down.ext[8].p == 0.01
    assert isinstance(down.ext[2], nn.PReLU) and down.ext[2].num_parameters == 16
    assert Bottleneck(128, 128).ext[8].p == 0.1
    up = UpsamplingBottleneck(128, 64, upsample=True)
    assert isinstance(up.ext[3], nn.ConvTranspose2d) and up.ext[3].stride == (2, 2)
    assert isinstance(up.act, nn.ReLU) and not any(
        isinstance(x, nn.Dropout2d) for x in up.modules()
    )
    assert all(bn.eps == 1e-3 for bn in ENet(3).modules() if isinstance(bn, nn.BatchNorm2d))


def test_dropout_rates_per_stage():
    m = ENet(12)
    rates = lambda blocks: {b.ext[8].p for b in blocks}  # noqa: E731
    assert rates([m.down1, *m.stage1]) == {0.01}
    assert rates([m.down2, *m.stage2, *m.stage3]) == {0.1}


def test_downsampling_main_branch_is_pool_plus_zero_channels():
    b = Bottleneck(16, 64, downsample=True).eval()
    with torch.no_grad():
        for layer in b.ext:  # make the extension output zero to see the main branch alone
            if isinstance(layer, nn.BatchNorm2d):
                layer.weight.zero_(), layer.bias.zero_()
        b.act.weight.fill_(1.0)  # PReLU with slope 1 is the identity
        x = torch.randn(2, 16, 8, 10)
        out, idx = b(x)
    pooled, ref_idx = F.max_pool2d(x, 2, 2, return_indices=True)
    assert torch.equal(idx, ref_idx)
    assert torch.allclose(out[:, :16], pooled)
    assert torch.count_nonzero(out[:, 16:]) == 0


def test_upsampling_uses_the_stored_indices():
    up = UpsamplingBottleneck(8, 4, upsample=True).eval()
    x = torch.randn(1, 8, 6, 6)
    _, idx = F.max_pool2d(torch.randn(1, 4, 12, 12), 2, 2, return_indices=True)
    with torch.no_grad():
        for layer in up.ext:
            if isinstance(layer, nn.BatchNorm2d):
                layer.weight.zero_(), layer.bias.zero_()
        main = up.main(x)
        out = up(x, idx)
    expected = F.relu(F.max_unpool2d(main, idx, 2, 2, output_size=(12, 12)))
    assert torch.allclose(out, expected)
    with pytest.raises(ValueError, match="indices"):
        up(x)


@pytest.mark.parametrize("wh", [(480, 360), (640, 360), (131, 97), (33, 17), (8, 8)])
def test_any_size(enet, wh):
    w, h = wh
    with torch.inference_mode():
        assert enet(torch.randn(1, 3, h, w)).shape == (1, 12, h, w)


def test_odd_sizes_are_zero_padded_and_cropped(enet):
    x = torch.randn(1, 3, 97, 131)
    padded = F.pad(x, (0, 5, 0, 7))  # to 104x136, multiples of 8
    with torch.inference_mode():
        assert torch.equal(enet(x), enet(padded)[..., :97, :131])


def test_encoder_only_for_the_first_training_stage():
    m = ENet(12, encoder_only=True).eval()
    with torch.inference_mode():
        assert m(torch.randn(1, 3, 64, 96)).shape == (1, 12, 8, 12)


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
def test_half_precisions_on_cpu(enet, dtype):
    x = torch.randn(1, 3, 64, 96)
    model = ENet(12)
    model.load_state_dict(enet.state_dict())
    model.eval()
    with torch.inference_mode():
        ref = model(x)
        out = model.to(dtype)(x.to(dtype))
    assert out.dtype == dtype and out.shape == ref.shape
    assert torch.isfinite(out).all()
    # Random weights give nearly tied logits, so compare in bulk: mean error and argmax agreement.
    rel = (out.float() - ref).abs().mean() / ref.abs().mean()
    agree = (out.float().argmax(1) == ref.argmax(1)).float().mean()
    half = dtype == torch.float16
    assert rel < (0.1 if half else 0.3) and agree > (0.9 if half else 0.75)


def test_channels_last_gives_the_same_logits(enet):
    x = torch.randn(1, 3, 64, 96)
    model = ENet(12)
    model.load_state_dict(enet.state_dict())
    model.eval().to(memory_format=torch.channels_last)
    with torch.inference_mode():
        out = model(x.to(memory_format=torch.channels_last))
        assert torch.allclose(out, enet(x), atol=1e-4, rtol=1e-4)


def test_compiles_without_graph_breaks(enet):
    torch._dynamo.reset()
    explanation = torch._dynamo.explain(enet)(torch.randn(1, 3, 64, 96))
    assert explanation.graph_break_count == 0
    assert explanation.graph_count == 1


@pytest.mark.skipif(not has_c_compiler(), reason="torch.compile's inductor needs a C compiler")
def test_inductor_compiled_enet_matches_eager(enet):
    torch._dynamo.reset()
    compiled = torch.compile(enet, fullgraph=True)
    x = torch.randn(1, 3, 48, 64)
    with torch.inference_mode():
        assert torch.allclose(compiled(x), enet(x), atol=1e-4, rtol=1e-4)


@cuda
@pytest.mark.parametrize("dtype", [torch.float32, torch.float16, torch.bfloat16])
def test_cuda(enet, dtype):
    model = ENet(12)
    model.load_state_dict(enet.state_dict())
    model = model.eval().cuda().to(dtype).to(memory_format=torch.channels_last)
    x = torch.randn(2, 3, 97, 131, device="cuda", dtype=dtype)
    with torch.inference_mode():
        out = model(x.to(memory_format=torch.channels_last))
    assert out.shape == (2, 12, 97, 131) and out.device.type == "cuda" and out.dtype == dtype
    assert torch.isfinite(out).all()
