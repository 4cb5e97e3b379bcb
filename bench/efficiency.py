"""The efficiency pass for one system: parameters, FLOPs, latency and memory over the grid of
sizes, precisions, batch sizes and execution modes. Every cell becomes a row; a cell that fails
(out of memory, say) becomes a row with status "failed" and the reason, and the pass goes on."""

from __future__ import annotations

import contextlib
import copy
import gc
import time
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn

from bench.environment import describe
from bench.measure.flops import (
    FlopCount,
    conv_flops,
    count_flops,
    count_flops_fvcore,
    paper_convention_gflops,
)
from bench.measure.latency import LatencyPolicy, measure_latency
from bench.measure.memory import peak_memory
from bench.measure.params import parameter_report
from bench.options import PRECISIONS
from bench.records import error_text, failed_row
from bench.runtimes import first_tensor
from bench.systems import any_size, create_model, get_system
from models.calibrate import calibrate_bn

#: Deployment runtimes beside PyTorch's own modes (``bench.runtimes``), with export or build
#: time and agreement with eager recorded per cell. openvino and int8 run on the CPU from the
#: fp32 model (int8 is its own precision); tensorrt on a GPU; onnxruntime on either.
RUNTIME_MODES = ("onnxruntime", "openvino", "int8", "tensorrt")
#: Modes that need a CUDA GPU: CUDA graphs of the eager module, and torch.compile with its
#: CUDA-graph trees (``mode="reduce-overhead"``).
GPU_MODES = ("cudagraphs", "compile-cudagraphs", "tensorrt")
MODES = ("eager", "compile", "cudagraphs", "compile-cudagraphs", *RUNTIME_MODES)


@dataclass
class EfficiencyOptions:
    device: str = "cpu"
    sizes: list[tuple[int, int]] = field(default_factory=lambda: [(640, 360)])
    precisions: list[str] = field(default_factory=lambda: ["fp32"])
    batch_sizes: list[int] = field(default_factory=lambda: [1])
    modes: list[str] = field(default_factory=lambda: ["eager"])
    channels_last: bool = False
    fvcore: bool = True
    seed: int = 0
    dataset: str = "synthetic"  # classical methods are timed on this dataset's test images
    data_root: str | None = None
    repeats: int = 1  # timed rounds per cell
    policy: LatencyPolicy = field(default_factory=LatencyPolicy)


CALIBRATION_INPUT = (2, 3, 96, 128)  # batch, channels, H, W of the BatchNorm calibration


def build(name: str, num_classes: int, seed: int) -> nn.Module:
    """The registry's model, wrapped to take any input size, in eval mode, its BatchNorm
    statistics calibrated on a seeded random batch (:func:`models.calibrate.calibrate_bn`): with
    the initial statistics a deep random network overflows in fp16, and would be timed on a
    path no trained model takes."""
    info = get_system(name)
    torch.manual_seed(seed)
    model = any_size(create_model(name, num_classes), info.input_divisor)
    x = torch.randn(*CALIBRATION_INPUT, generator=torch.Generator().manual_seed(seed))
    return calibrate_bn(model, x)


def run_size(model: nn.Module, width: int, height: int) -> tuple[int, int]:
    """(WIDTH, HEIGHT) the model really runs at, after padding to its divisor."""
    padded_size = getattr(model, "run_size", None)  # models.wrappers.AnySize has it
    if padded_size is not None:
        h, w = padded_size(height, width)
        return w, h
    return width, height


def flop_fields(model: nn.Module, width: int, height: int, with_fvcore: bool) -> dict:
    """FLOPs per image at one size, with both counters and what each left out."""
    x = torch.randn(1, 3, height, width)
    primary: FlopCount = count_flops(model, x)
    fields = {
        "gflops": primary.gflops,
        "gmacs": primary.gmacs,
        "gflops_paper": paper_convention_gflops(model, x)["total"],
        "flops_counter": primary.counter,
        "flops_not_counted": primary.not_counted,
    }
    if with_fvcore:
        try:
            fv = count_flops_fvcore(model, x)
            fields.update(
                {
                    "gflops_fvcore": fv.gflops,
                    "flops_fvcore_not_counted": fv.not_counted,
                    "gflops_fvcore_conv": conv_flops(fv) / 1e9,
                }
            )
        except Exception as exc:  # the cross-check must not cost the primary numbers
            fields["flops_fvcore_error"] = error_text(exc)
    return fields


def prepare(model: nn.Module, device: str, precision: str, channels_last: bool) -> nn.Module:
    model = copy.deepcopy(model).to(device=device, dtype=PRECISIONS[precision])
    if channels_last:
        model = model.to(memory_format=torch.channels_last)
    return model.eval()


def make_forward(
    model: nn.Module, x: torch.Tensor, mode: str, calibration: list[torch.Tensor] | None = None
) -> tuple[Callable[[], object], dict]:
    """The callable to time for an execution mode or runtime, and what preparing it cost
    (``calibration``: the int8 runtime's input batches)."""
    extra: dict = {}
    if mode == "eager":

        def fn():
            with torch.inference_mode():
                return model(x)

        return fn, extra
    if mode in ("compile", "compile-cudagraphs"):
        if mode == "compile-cudagraphs" and x.device.type != "cuda":
            raise ValueError("compile-cudagraphs needs --device cuda")
        # A fresh dynamo per cell: otherwise each new size or dtype recompiles the same code,
        # and past the recompile limit dynamo silently runs eager, timings labelled "compile".
        torch._dynamo.reset()
        from torch._dynamo.utils import counters

        counters.clear()
        compiled = torch.compile(model, mode="reduce-overhead" if mode != "compile" else None)
        start = time.perf_counter()
        with torch.inference_mode():
            compiled(x)
        _sync(x.device.type)
        extra["compile_s"] = time.perf_counter() - start
        graphs = counters["stats"]["unique_graphs"]
        if not graphs:
            raise RuntimeError(
                "torch.compile produced no graph (it would run eager): not timed as compile"
            )
        extra["compile_graphs"] = graphs

        def fn():
            with torch.inference_mode():
                return compiled(x)

        return fn, extra
    if mode == "cudagraphs":
        if x.device.type != "cuda":
            raise ValueError("CUDA graphs need --device cuda")
        replay, memory = _cuda_graph(model, x)
        return replay, {**extra, "capture_memory": memory}
    if mode in RUNTIME_MODES:
        return _runtime_forward(model, x, mode, calibration)
    raise ValueError(f"unknown mode '{mode}': expected one of {', '.join(MODES)}")


def _runtime_forward(
    model: nn.Module, x: torch.Tensor, runtime: str, calibration: list[torch.Tensor] | None
) -> tuple[Callable[[], object], dict]:
    """A deployment runtime's forward pass on ``x`` (``bench.runtimes``), its build time and its
    agreement with eager PyTorch on the same input."""
    from bench.runtimes import agreement, build

    built = build(runtime, model, x, calibration)
    with torch.inference_mode():
        reference = first_tensor(model(x))
    extra = {
        "runtime": runtime,
        "build_s": built.build_s,
        "runtime_notes": "; ".join(built.notes) or None,
        **{f"eager_{k}": v for k, v in agreement(reference, built.fn()).items()},
    }
    return built.fn, extra


def _cuda_graph(model: nn.Module, x: torch.Tensor) -> tuple[Callable[[], object], dict[str, Any]]:
    """Capture one forward pass on a static input; replaying it is the timed step. Returns the
    replay and the memory the capture took."""
    torch.cuda.synchronize()
    torch.cuda.reset_peak_memory_stats()
    start = torch.cuda.memory_allocated()
    stream = torch.cuda.Stream()
    stream.wait_stream(torch.cuda.current_stream())
    with torch.cuda.stream(stream), torch.inference_mode():
        for _ in range(3):  # warm up cuDNN autotuning outside the capture
            model(x)
    torch.cuda.current_stream().wait_stream(stream)
    graph = torch.cuda.CUDAGraph()
    with torch.inference_mode(), torch.cuda.graph(graph):
        out = model(x)
    torch.cuda.synchronize()
    peak = torch.cuda.max_memory_allocated()
    memory = {
        "peak_mem_mb": peak / 2**20,
        "peak_mem_above_start_mb": (peak - start) / 2**20,
        "peak_mem_kind": "cuda max_memory_allocated over warm-up and graph capture",
    }

    def replay():
        graph.replay()
        return out

    return replay, memory


def _sync(device: str) -> None:
    if device == "cuda":
        torch.cuda.synchronize()


def _free(device: str) -> None:
    gc.collect()
    if device == "cuda":
        torch.cuda.empty_cache()


def measure_system(
    name: str,
    num_classes: int,
    opts: EfficiencyOptions,
    progress: Callable[[str], None] | None = None,
    wanted: Callable[[int, int, str, str, int], bool] | None = None,
) -> Iterator[dict]:
    """Yield one row per (size, precision, batch, mode) for ``name``; failures are rows too.
    ``wanted(width, height, precision, mode, batch)`` picks the cells to measure (a resumed or
    sharded run measures only its own missing cells); default: every cell."""
    want = wanted or (lambda *cell: True)

    info = get_system(name)
    env = describe(opts.device)
    base = {
        "system": name,
        "kind": info.kind,
        "device": opts.device,
        "device_name": env["device_name"],
        "threads": env["threads"],
        "torch": env["torch"],
        "cuda": env["cuda"],
        "cudnn": env["cudnn"],
        "gpu_driver": env.get("gpu_driver"),
        "cpu": env["cpu"],
        "cudnn_benchmark": torch.backends.cudnn.benchmark if opts.device == "cuda" else None,
        "num_classes": num_classes,
        "channels_last": opts.channels_last,
    }
    if info.kind == "classical":  # runs on the CPU, whatever device the run measures
        cpu = describe("cpu")
        yield {
            **base,
            "device_name": cpu["device_name"],
            "threads": cpu["threads"],
            "cuda": None,
            "cudnn": None,
            "gpu_driver": None,
            "cudnn_benchmark": None,
            **_classical_cell(name, opts),
        }
        return
    try:
        model = build(name, num_classes, opts.seed)
        params = parameter_report(model, torch.randn(1, 3, 64, 96))
    except Exception as exc:  # a system that cannot even be built is one failed row
        traceback.print_exc()
        yield failed_row(exc, **base)
        return

    for width, height in opts.sizes:
        if not any(
            want(width, height, p, m, b)
            for p in opts.precisions
            for m in opts.modes
            for b in opts.batch_sizes
        ):
            continue
        rw, rh = run_size(model, width, height)
        size = {"width": width, "height": height, "run_width": rw, "run_height": rh}
        try:
            flops = flop_fields(model, width, height, opts.fvcore)
        except Exception as exc:
            flops = {"flops_error": error_text(exc)}
        for precision in opts.precisions:
            for mode in opts.modes:
                for batch in opts.batch_sizes:
                    if not want(width, height, precision, mode, batch):
                        continue
                    if progress:
                        progress(f"{name} {width}x{height} {precision} b{batch} {mode}")
                    row = {
                        **base,
                        **size,
                        "batch": batch,
                        "precision": precision,
                        "mode": mode,
                        **params,
                        **flops,
                    }
                    yield {
                        **row,
                        **_measure_cell(model, opts, width, height, precision, batch, mode),
                    }


CLASSICAL_IMAGES = 5  # test images a classical method is timed on, in turn
CALIBRATION_IMAGES = 16  # training images the int8 runtime is calibrated on


def calibration_batches(
    opts: EfficiencyOptions, width: int, height: int, batch: int
) -> list[torch.Tensor]:
    """``CALIBRATION_IMAGES`` training images of the run's dataset, spread over the split, at
    ``width`` x ``height`` and normalised as the models see them, in batches of ``batch``."""
    from bench.datasets import open_dataset
    from classical.classifier import spread_indices

    data = open_dataset(opts.dataset, "train", data_root=opts.data_root, size=(width, height))
    images = [data[i][0] for i in spread_indices(len(data), CALIBRATION_IMAGES)]
    return [torch.stack((images * batch)[k : k + batch]) for k in range(0, len(images), batch)]


def _classical_cell(name: str, opts: EfficiencyOptions) -> dict:
    """CPU latency of a classical method on real images at the dataset's own resolution
    (``bench.measure.classical.partition_workload``: an interactive method with the simulated
    user's seeds, a motion method streamed over frames; ``input_note`` says how). No parameters
    (the learned protocol's region classifier is counted in its accuracy rows) and no FLOPs: not
    applicable to these algorithms, never 0."""
    from bench.datasets import open_dataset
    from bench.measure.workload import partition_workload
    from bench.systems import create_method

    row = {
        "device": "cpu",
        "batch": 1,
        "precision": "uint8",
        "mode": "eager",
        "params": 0,
        "params_used": 0,
        "gflops": None,
        "gmacs": None,
        "flops_note": "not applicable (classical method)",
    }
    try:
        data = open_dataset(opts.dataset, "test", data_root=opts.data_root, seed=opts.seed)
        work = partition_workload(create_method(name), data, CLASSICAL_IMAGES, seed=opts.seed)
        latency = measure_latency(
            work.fn, device="cpu", batch=1, policy=opts.policy, repeats=opts.repeats
        )
        return {
            **row,
            "width": work.width,
            "height": work.height,
            "run_width": work.width,
            "run_height": work.height,
            **({"input_note": work.note} if work.note else {}),
            **latency,
            **peak_memory(work.fn, "cpu"),
            "status": "ok",
        }
    except Exception as exc:
        return failed_row(exc, **row)


@contextlib.contextmanager
def tf32(enabled: bool):
    """TF32 for convolutions and matrix products on or off inside the block, restored after.
    On Ampere and newer GPUs cuDNN runs fp32 convolutions in TF32 by default: a cell labelled
    fp32 would not be. ``fp32`` is strict fp32 here; ``tf32`` asks for TF32 explicitly."""
    before = (torch.backends.cudnn.allow_tf32, torch.backends.cuda.matmul.allow_tf32)
    torch.backends.cudnn.allow_tf32 = torch.backends.cuda.matmul.allow_tf32 = enabled
    try:
        yield
    finally:
        torch.backends.cudnn.allow_tf32, torch.backends.cuda.matmul.allow_tf32 = before


def _measure_cell(
    model: nn.Module,
    opts: EfficiencyOptions,
    width: int,
    height: int,
    precision: str,
    batch: int,
    mode: str,
) -> dict:
    device = opts.device
    runnable = x = fn = None
    try:
        with tf32(precision == "tf32"):
            runnable = prepare(model, device, precision, opts.channels_last)
            x = torch.randn(batch, 3, height, width, device=device, dtype=PRECISIONS[precision])
            if opts.channels_last:
                x = x.contiguous(memory_format=torch.channels_last)
            calibration = (
                calibration_batches(opts, width, height, batch) if mode == "int8" else None
            )
            fn, extra = make_forward(runnable, x, mode, calibration)
            finite = bool(torch.isfinite(first_tensor(fn()).float()).all())
            if not finite:  # an overflow: a timing of inf and NaN is no model's timing
                return failed_row(
                    FloatingPointError(f"non-finite outputs in {precision} at {width}x{height}"),
                    tf32=precision == "tf32",
                    outputs_finite=False,
                )
            latency = measure_latency(
                fn, device=device, batch=batch, policy=opts.policy, repeats=opts.repeats
            )
            # CUDA graphs: a replay allocates nothing; the memory is that of the capture
            memory = (
                extra.pop("capture_memory")
                if "capture_memory" in extra
                else peak_memory(fn, device)
            )
        return {
            **latency,
            **memory,
            **extra,
            "tf32": precision == "tf32",
            "outputs_finite": True,
            "status": "ok",
        }
    except Exception as exc:  # out of memory, an unsupported dtype on this device, ...
        return failed_row(exc)
    finally:
        runnable = x = fn = None  # noqa: F841  (drop references before freeing)
        _free(device)
