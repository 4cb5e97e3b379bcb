"""Every deep model: output shapes at the required sizes, and each capability the registry
claims."""

import copy

import numpy as np
import pytest
import torch

import models
from models.calibrate import calibrate_bn

DEEP = models.system_names("model")
SIZES = [(480, 360), (640, 360), (480, 320), (1280, 720), (512, 512), (131, 97)]  # W x H
CHECK_SIZE = (64, 96)  # H x W of the capability checks
# ENet's real-time peers wrapped from pytorchcv (models/realtime.py) run these checks at small
# sizes, which bounds the time they add to the suite; their other checks (parameter counts,
# train mode, no download) are in tests/test_realtime_models.py.
PEERS = {n for n in DEEP if models.get_system(n).builder.__module__ == "models.realtime"}
# The newer models run the small sizes too: FRRN's full-resolution stream makes it slow at
# 1280x720 (about 30 s), and the others' paddings are checked by the sizes below as well.
PEERS |= {"frrn", "segformer", "lraspp", "maskrcnn"}
PEER_SIZES = [(96, 64), (131, 97), (40, 24)]  # W x H: a multiple of 32, odd, tiny
PEER_CHECK_SIZE = (24, 40)
# At that size the deepest maps have 1 or 2 pixels (Fast-SCNN's and ContextNet's at H/32): BatchNorm
# calibrated on 2 images gets variances from a handful of values, and the logits reach 1e5 and
# overflow fp16. 8 images give them the statistics a trained network would have.
PEER_CALIBRATION_BATCH = 8


# The heavy models' forward passes at 1280x720 cost seconds each: one realistic size and one odd
# one check their shapes and padding (ENet, the paper's model, runs every size).
HEAVY_SIZES = [(480, 360), (131, 97)]


def _sizes(name):
    if name in PEERS:
        return PEER_SIZES
    return SIZES if name == "enet" else HEAVY_SIZES


def _check_size(name):
    return PEER_CHECK_SIZE if name in PEERS else CHECK_SIZE


def _build(name, num_classes=11):
    torch.manual_seed(0)
    info = models.get_system(name)
    return models.any_size(models.create_model(name, num_classes), info.input_divisor)


@pytest.fixture(scope="module")
def calibrated():
    cache = {}

    def get(name):
        if name not in cache:
            batch = PEER_CALIBRATION_BATCH if name in PEERS else 2
            cache[name] = calibrate_bn(_build(name), torch.randn(batch, 3, *_check_size(name)))
        return cache[name]

    return get


@pytest.mark.parametrize("name", DEEP)
def test_output_is_n_c_h_w_at_every_size(name):
    model = _build(name).eval()
    with torch.inference_mode():
        for w, h in _sizes(name):
            assert model(torch.randn(1, 3, h, w)).shape == (1, 11, h, w), f"{name} at {w}x{h}"


def test_batches_work():
    model = _build("enet").eval()
    with torch.inference_mode():
        assert model(torch.randn(3, 3, 97, 131)).shape == (3, 11, 97, 131)


def test_deeplab_runs_at_its_divisor_and_the_wrapper_supplies_it():
    raw = models.create_model("deeplabv3plus", 11).eval()
    wrapped = models.any_size(raw, 16)
    with torch.inference_mode():
        assert wrapped(torch.randn(1, 3, 97, 131)).shape == (1, 11, 97, 131)
    assert wrapped.run_size(97, 131) == (112, 144)
    assert models.any_size(raw, 1) is raw


def test_segnet_rejects_inputs_too_small_for_five_pools():
    with pytest.raises(ValueError, match="at least 32x32"):
        models.create_model("segnet", 11)(torch.randn(1, 3, 31, 64))


def test_pspnet_is_the_papers_design():
    model = models.create_model("pspnet", 11)
    feats = model.encoder(torch.randn(1, 3, 64, 64))
    assert len(feats) == 6 and feats[-1].shape[1] == 2048  # all five ResNet stages
    assert feats[-1].shape[-2:] == (8, 8)  # output stride 8 (dilated)


def test_deeplab_output_stride_16():
    model = models.create_model("deeplabv3plus", 11)
    assert model.encoder(torch.randn(1, 3, 64, 64))[-1].shape[-2:] == (4, 4)


@pytest.mark.parametrize("name", DEEP)
@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
def test_half_precision_capability(name, dtype, calibrated):
    if not models.get_system(name).capabilities.half:
        pytest.skip(f"{name} does not claim half precision")
    model = calibrated(name)
    x = torch.randn(1, 3, *_check_size(name))
    with torch.inference_mode():
        ref = model(x)
        out = copy.deepcopy(model).to(dtype)(x.to(dtype))
    assert out.dtype == dtype and out.shape == ref.shape and torch.isfinite(out).all()
    # Randomly initialised deep nets amplify rounding (bf16 keeps 8 mantissa bits), so ask only
    # that the low-precision logits follow the fp32 ones; a dtype bug (garbage padding, a wrong
    # cast) gives a correlation near 0. Seen here: fp16 >= 0.93, bf16 >= 0.57 (DeepLabv3+).
    corr = np.corrcoef(out.float().flatten().numpy(), ref.flatten().numpy())[0, 1]
    assert corr > (0.9 if dtype == torch.float16 else 0.4)


@pytest.mark.parametrize("name", DEEP)
def test_compile_capability_has_no_graph_break(name, calibrated):
    if not models.get_system(name).capabilities.compile:
        pytest.skip(f"{name} does not claim torch.compile")
    torch._dynamo.reset()
    explanation = torch._dynamo.explain(calibrated(name))(torch.randn(1, 3, *_check_size(name)))
    assert explanation.graph_break_count == 0, explanation.break_reasons


@pytest.mark.parametrize("name", DEEP)
def test_onnx_capability(name, calibrated, tmp_path):
    if not models.get_system(name).capabilities.onnx:
        pytest.skip(f"{name} does not claim ONNX export")
    ort = pytest.importorskip("onnxruntime")
    pytest.importorskip("onnxscript")
    model = calibrated(name)
    # A fixed input: SegNet's max-unpooling can place a value elsewhere where a pooling window
    # holds a tie, and ties (after ReLU) make rare, input-dependent differences between runtimes.
    x = torch.randn(1, 3, *_check_size(name), generator=torch.Generator().manual_seed(0))
    path = tmp_path / f"{name}.onnx"
    torch.onnx.export(model, (x,), str(path), dynamo=True, verbose=False)
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    out = session.run(None, {session.get_inputs()[0].name: x.numpy()})[0]
    with torch.inference_mode():
        ref = model(x).numpy()
    assert out.shape == ref.shape
    assert np.abs(out - ref).max() <= 1e-3 * np.abs(ref).max() + 1e-5
