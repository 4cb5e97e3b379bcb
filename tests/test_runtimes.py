"""Deployment runtimes (bench/runtimes.py): every runtime runs the same network on the same
input; the float runtimes agree with eager, int8 nearly; bad requests are refused."""

import pytest
import torch
from torch import nn

from bench.runtimes import RUNTIMES, agreement, build
from models.calibrate import calibrate_bn


def tiny_segmenter() -> nn.Module:
    torch.manual_seed(0)
    net = nn.Sequential(
        nn.Conv2d(3, 16, 3, padding=1),
        nn.BatchNorm2d(16),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(16, 16, 3, padding=1),
        nn.BatchNorm2d(16),
        nn.ReLU(),
        nn.Upsample(scale_factor=2, mode="bilinear"),
        nn.Conv2d(16, 5, 1),
    )
    return calibrate_bn(net, torch.randn(4, 3, 32, 48))


X = torch.randn(1, 3, 32, 48, generator=torch.Generator().manual_seed(1))


def _needs(runtime):
    from bench.runtimes import PACKAGES

    if runtime in PACKAGES:
        pytest.importorskip(PACKAGES[runtime], reason=f"{runtime} needs {PACKAGES[runtime]}")
    if runtime in ("onnxruntime", "openvino", "int8"):
        pytest.importorskip("onnxscript", reason="the ONNX export needs onnxscript")


@pytest.mark.parametrize("runtime", ["eager", "onnxruntime", "openvino"])
def test_float_runtimes_agree_with_eager(runtime):
    _needs(runtime)
    net = tiny_segmenter()
    ref = build("eager", net, X).fn()
    built = build(runtime, net, X)
    out = built.fn()
    assert out.shape == ref.shape == (1, 5, 32, 48)
    a = agreement(ref, out)
    assert a["max_rel_diff"] < 1e-4 and a["pixel_agreement"] > 0.999
    assert built.build_s >= 0


def test_compile_agrees_with_eager():
    net = tiny_segmenter()
    built = build("compile", net, X)
    a = agreement(build("eager", net, X).fn(), built.fn())
    assert a["max_rel_diff"] < 1e-4 and built.build_s > 0


def test_int8_is_calibrated_and_close():
    _needs("int8")
    net = tiny_segmenter()
    calibration = [torch.randn(1, 3, 32, 48) for _ in range(8)]
    built = build("int8", net, X, calibration=calibration)
    a = agreement(build("eager", net, X).fn(), built.fn())
    # 8-bit activations and weights: the logits move by a few percent, classes rarely change
    assert 0 < a["max_rel_diff"] < 0.2 and a["pixel_agreement"] > 0.9
    assert any("calibrated on 8 images" in n for n in built.notes)
    with pytest.raises(ValueError, match="calibration"):
        build("int8", net, X)


def test_agreement_counts_pixels_and_refuses_other_shapes():
    ref = torch.zeros(1, 2, 2, 2)
    ref[0, 0] = 1.0  # class 0 everywhere
    out = ref.clone()
    out[0, 1, 0, 0] = 2.0  # one pixel of four changes class
    a = agreement(ref, out)
    assert a["pixel_agreement"] == 0.75 and a["max_abs_diff"] == 2.0
    with pytest.raises(ValueError, match="shapes differ"):
        agreement(ref, torch.zeros(1, 2, 2, 3))
    with pytest.raises(ValueError, match="unknown runtime"):
        build("tensorflow", tiny_segmenter(), X)
    assert RUNTIMES == ("eager", "compile", "onnxruntime", "openvino", "int8", "tensorrt")


def test_a_run_measures_each_runtime_as_a_cell(tmp_path):
    """`bench run --runtimes ...`: one efficiency row per runtime, with its build time and its
    agreement with eager; a runtime that cannot take a model is a failed cell, the run goes on."""
    _needs("int8")
    import json

    from bench.cli import main

    out = tmp_path / "run"
    args = ["run", "--models", "enet", "--dataset", "synthetic", "--skip", "accuracy"]
    args += ["--sizes", "64x48", "--max-time", "0.2", "--no-fvcore"]
    assert main([*args, "--runtimes", "eager,onnxruntime,int8", "--out", str(out)]) == 0
    rows = {r["mode"]: r for r in json.loads((out / "results.json").read_text())["efficiency"]}
    assert set(rows) == {"eager", "onnxruntime", "int8"}
    assert all(r["status"] == "ok" for r in rows.values()), rows
    assert rows["eager"].get("build_s") is None
    ort = rows["onnxruntime"]
    assert ort["build_s"] > 0 and ort["eager_pixel_agreement"] > 0.999
    assert (
        rows["int8"]["eager_pixel_agreement"] > 0.5
        and "calibrated" in rows["int8"]["runtime_notes"]
    )
    report = (out / "report.md").read_text()
    assert "agrees with eager (%)" in report and "| onnxruntime |" in report
    assert main([*args, "--runtimes", "eager,tensorrt", "--out", str(tmp_path / "bad")]) == 2


def test_accuracy_per_runtime_beside_eager():
    """The same trained model scored in each runtime: the float runtimes keep eager's mIoU to
    within a rounding of a pixel or two; int8 reports its drift."""
    _needs("int8")
    from bench.datasets import open_dataset
    from bench.runtime_accuracy import calibration_from, runtime_accuracy

    torch.manual_seed(0)
    net = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(), nn.Conv2d(8, 11, 1)).eval()
    test = open_dataset("synthetic", "test", size=(48, 32), length=3)
    calibration = calibration_from(open_dataset("synthetic", "train", size=(48, 32), length=4))
    rows = runtime_accuracy(net, test, ["eager", "onnxruntime", "int8"], calibration, False)
    by = {r["runtime"]: r for r in rows}
    assert by["eager"]["miou_drift"] == 0 and by["eager"]["images"] == 3
    assert abs(by["onnxruntime"]["miou_drift"]) < 0.5
    assert by["int8"]["miou_drift"] is not None and by["int8"]["build_s"] > 0


@pytest.mark.parametrize(
    "runtime, x, message",
    [
        ("tensorrt", X, "needs a CUDA GPU"),
        ("int8", X.double(), "runs on the CPU from the fp32 model"),
        ("openvino", X.half(), "runs on the CPU from the fp32 model"),
        ("tflite", X, "unknown runtime 'tflite'"),
    ],
)
def test_a_runtime_refuses_a_device_or_precision_it_cannot_take(runtime, x, message):
    with pytest.raises(ValueError, match=message):
        build(runtime, tiny_segmenter(), x)


def test_a_gpu_runtime_missing_its_package_says_what_is_missing():
    """Without onnxruntime-gpu, ONNX Runtime has no CUDA provider: the error names it."""
    ort = pytest.importorskip("onnxruntime")
    from bench.runtimes import _ort_providers_or_fail

    if "CUDAExecutionProvider" in ort.get_available_providers():
        pytest.skip("this ONNX Runtime has the CUDA provider")
    with pytest.raises(RuntimeError, match="CUDAExecutionProvider.*onnxruntime-gpu"):
        _ort_providers_or_fail("CUDAExecutionProvider", "no")


def test_a_run_scores_the_trained_model_in_each_runtime(tmp_path):
    """`bench run --runtimes eager,onnxruntime` with accuracy: one accuracy row per runtime for
    the same checkpoint, the drift from eager in the table; ONNX Runtime keeps eager's mIoU."""
    _needs("onnxruntime")
    import json

    from bench.cli import main

    out = tmp_path / "run"
    args = ["run", "--models", "enet", "--dataset", "synthetic", "--profile", "smoke"]
    args += ["--skip", "efficiency", "--runtimes", "eager,onnxruntime", "--out", str(out)]
    assert main(args) == 0
    rows = json.loads((out / "results.json").read_text())["accuracy"]
    by = {r.get("runtime") or "eager": r for r in rows}
    assert set(by) == {"eager", "onnxruntime"} and all(r["status"] == "ok" for r in rows)
    assert by["onnxruntime"]["checkpoint"] == by["eager"]["checkpoint"]
    assert by["onnxruntime"]["build_s"] > 0
    assert abs(by["onnxruntime"]["miou"] - by["eager"]["miou"]) < 0.005
    report = (out / "report.md").read_text()
    assert "drift vs eager (points)" in report and "| reference |" in report


def test_drift_is_measured_against_the_same_runs_eager_row():
    from bench.figures.rows import runtime_drift

    def row(run, runtime, miou):
        return {
            "run": run,
            "system": "enet",
            "dataset": "camvid",
            "split": "test",
            "checkpoint": "w.pt",
            "runtime": runtime,
            "miou": miou,
        }

    rows = [
        row("a", None, 0.50),
        row("a", "int8", 0.49),
        row("b", "int8", 0.40),
        row("b", "openvino", None),
    ]
    drift = runtime_drift(rows)
    assert drift == {id(rows[1]): pytest.approx(-1.0)}  # run b has no eager row to compare


@pytest.mark.parametrize(
    "device, expected",
    [
        ("cpu", [None, "compile", "onnxruntime", "openvino", "int8"]),
        ("cuda", [None, "compile", "onnxruntime", "tensorrt"]),
    ],
)
def test_the_runtimes_a_trained_model_is_scored_in(device, expected):
    from bench.plan import Sweep

    modes = ["eager", "compile", "cudagraphs", "onnxruntime", "openvino", "int8", "tensorrt"]
    sweep = Sweep(
        ["enet", "otsu"],
        {"enet": "model", "otsu": "classical"},
        device,
        [(64, 48)],
        ["fp32"],
        modes,
        [1],
        False,
        "synthetic",
        "smoke",
        0,
    )
    cells = sweep.accuracy_cells()
    assert [c.mode for c in cells if c.system == "enet"] == expected
    assert len({c.key for c in cells}) == len(cells)
    assert all(c.mode is None for c in cells if c.system == "otsu")
