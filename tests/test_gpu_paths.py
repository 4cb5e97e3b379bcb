"""GPU paths checked where they can be on a CPU (with fakes for CUDA), and on CUDA where present:
TF32 set and recorded, compile cells that really ran compiled code, CUDA-graph memory from the
capture, classical rows that say they ran on the CPU, and timings refused on non-finite outputs."""

import pytest
import torch
from torch import nn

import bench.efficiency as eff
from bench.efficiency import EfficiencyOptions, build, make_forward, measure_system
from bench.measure.latency import LatencyPolicy
from tests.conftest import cuda

FAST = LatencyPolicy(
    warmup_min_iters=1, warmup_min_s=0.0, min_iters=3, min_time_s=0.0, max_time_s=0.2
)


def tiny():
    return nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.ReLU(), nn.Conv2d(4, 2, 1)).eval()


@pytest.mark.parametrize("precision, expected", [("fp32", False), ("tf32", True)])
def test_tf32_is_set_explicitly_and_recorded(monkeypatch, precision, expected):
    seen = []

    def timing(fn, **kwargs):
        seen.append((torch.backends.cudnn.allow_tf32, torch.backends.cuda.matmul.allow_tf32))
        return {"latency_ms_median": 1.0}

    monkeypatch.setattr(eff, "measure_latency", timing)
    before = (torch.backends.cudnn.allow_tf32, torch.backends.cuda.matmul.allow_tf32)
    opts = EfficiencyOptions(policy=FAST)
    row = eff._measure_cell(tiny(), opts, 16, 12, precision, 1, "eager")
    assert row["status"] == "ok" and row["tf32"] is expected
    assert seen == [(expected, expected)]
    assert (torch.backends.cudnn.allow_tf32, torch.backends.cuda.matmul.allow_tf32) == before


def test_every_compile_cell_runs_compiled_code_past_the_recompile_limit():
    model = tiny()
    with torch._dynamo.config.patch(recompile_limit=1):
        for size in [(16, 12), (24, 16), (32, 20)]:  # a third shape would be past the limit
            _, extra = make_forward(model, torch.randn(1, 3, *size), "compile")
            assert extra["compile_graphs"] >= 1 and extra["compile_s"] > 0
    torch._dynamo.reset()


def test_a_compile_that_falls_back_to_eager_fails_the_cell(monkeypatch):
    monkeypatch.setattr(torch, "compile", lambda model, **kw: model)  # eager in disguise
    row = eff._measure_cell(tiny(), EfficiencyOptions(policy=FAST), 16, 12, "fp32", 1, "compile")
    assert row["status"] == "failed" and "produced no graph" in row["error"]
    assert "latency_ms_median" not in row


def test_cuda_graph_memory_is_the_captures_not_a_replays(monkeypatch):
    capture = {"peak_mem_mb": 123.0, "peak_mem_kind": "capture"}
    monkeypatch.setattr(
        eff,
        "make_forward",
        lambda m, x, mode, calibration=None: (lambda: m(x), {"capture_memory": capture}),
    )
    monkeypatch.setattr(
        eff, "peak_memory", lambda fn, device: pytest.fail("a replay's memory was measured")
    )
    row = eff._measure_cell(tiny(), EfficiencyOptions(policy=FAST), 16, 12, "fp32", 1, "cudagraphs")
    assert row["status"] == "ok" and row["peak_mem_mb"] == 123.0
    assert "capture_memory" not in row


def test_classical_rows_of_a_gpu_run_describe_the_cpu(monkeypatch):
    real = eff.describe

    def fake(device="cpu"):
        info = real("cpu")
        if device == "cuda":
            return {
                **info,
                "device_name": "FAKE GPU",
                "cuda": "13.0",
                "cudnn": 91000,
                "gpu_driver": "999",
            }
        return info

    monkeypatch.setattr(eff, "describe", fake)
    row = list(measure_system("otsu", 11, EfficiencyOptions(device="cuda", policy=FAST)))[0]
    assert row["device"] == "cpu" and row["device_name"] == real("cpu")["device_name"]
    assert row["cuda"] is None and row["cudnn"] is None and row["gpu_driver"] is None


def test_non_finite_outputs_are_not_timed():
    huge = tiny()
    with torch.no_grad():
        huge[0].weight.fill_(3e4)  # fp16 overflows (max 65504)
    row = eff._measure_cell(huge, EfficiencyOptions(policy=FAST), 16, 12, "fp16", 1, "eager")
    assert row["status"] == "failed" and row["outputs_finite"] is False
    assert "non-finite outputs in fp16" in row["error"] and "latency_ms_median" not in row


def test_timed_models_have_calibrated_batchnorm_and_finite_fp16_outputs():
    model = build("pspnet", 11, seed=0)
    bns = [m for m in model.modules() if isinstance(m, nn.BatchNorm2d)]
    assert all(int(m.num_batches_tracked) == 1 for m in bns)  # statistics from a real batch
    half = eff.prepare(model, "cpu", "fp16", channels_last=False)  # what a cell times
    with torch.inference_mode():
        out = half(torch.randn(1, 3, 48, 64, dtype=torch.float16))
    assert torch.isfinite(out).all()


@cuda
@pytest.mark.parametrize("precision", ["fp32", "tf32"])
def test_cuda_cells_record_tf32_and_capture_memory(precision):
    opts = EfficiencyOptions(
        device="cuda",
        sizes=[(128, 96)],
        precisions=[precision],
        modes=["cudagraphs"],
        policy=FAST,
        fvcore=False,
    )
    row = list(measure_system("enet", 11, opts))[0]
    assert row["status"] == "ok", row.get("error")
    assert row["tf32"] is (precision == "tf32") and row["peak_mem_mb"] > 0
    assert "capture" in row["peak_mem_kind"]
