"""Deployment runtimes: the same model run by eager PyTorch, torch.compile, ONNX Runtime, OpenVINO
and ONNX Runtime's int8 static quantization, each as a callable on a fixed input.

``build(runtime, model, x, calibration=None)`` returns a :class:`Built`: ``fn()`` runs one
forward pass on ``x`` and returns the logits on ``x``'s device, ``build_s`` is the time to
export, convert, quantize or compile (first call included), ``notes`` says what was built.
``agreement(reference, logits)`` compares a runtime's logits with eager's: the largest absolute
difference and the fraction of pixels whose arg-max class agrees.

Runtimes (CPU):

``eager``
    The module itself under ``torch.inference_mode``.
``compile``
    ``torch.compile`` (inductor), compiled on ``x`` (its time is ``build_s``).
``onnxruntime``
    ``torch.onnx.export`` (the dynamo exporter) to a file, then an ONNX Runtime session on the
    CPU execution provider with every graph optimisation, one intra-op thread per PyTorch
    thread.
``openvino``
    OpenVINO's ``convert_model`` of the same ONNX file, compiled for ``CPU`` with the inference
    precision pinned to f32 (on CPUs with AVX-512 BF16 OpenVINO would otherwise run bf16 and its
    row would not be a float32 runtime). Its CPU plugin runs max pooling with indices (what
    ENet's and SegNet's decoders unpool with) in its reference implementation, most of their
    OpenVINO time (``scripts/openvino_layers.py`` shows where the time goes).
``int8``
    Post-training static quantization with ONNX Runtime's quantizer (QDQ format, per-channel
    signed int8 weights, unsigned int8 activations, MinMax calibration on ``calibration``, a
    list of input batches such as training images), run by an ONNX Runtime CPU session. Chosen
    because it needs no package beyond ONNX Runtime, runs the int8 kernels of x86 VNNI CPUs and
    keeps the float runtime beside it (the same exported graph) for the agreement columns.

On a GPU (``x`` on CUDA, in the model's precision):

``onnxruntime``
    The same export run by ONNX Runtime's CUDA execution provider, input and output bound to
    GPU memory (I/O binding), so that no host copy is timed. It needs the ``onnxruntime-gpu``
    package; a plain ``onnxruntime`` has no CUDA provider, and the cell fails saying so.
``tensorrt``
    ``torch_tensorrt`` (its dynamo front end) where installed, else ONNX Runtime's TensorRT
    execution provider; neither is part of the ``runtimes`` extra (they need NVIDIA's TensorRT
    libraries), and without them the cell fails saying which were looked for.

``openvino`` and ``int8`` are CPU runtimes: on a GPU input they raise ``ValueError``.
"""

from __future__ import annotations

import copy
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from torch import nn

RUNTIMES = ("eager", "compile", "onnxruntime", "openvino", "int8", "tensorrt")
#: Runtimes that run on the CPU only, from the fp32 model.
CPU_ONLY = ("openvino", "int8")
#: Runtimes that run on a CUDA GPU only.
GPU_ONLY = ("tensorrt",)
#: The Python package each runtime needs beyond torch (for messages and test skips).
PACKAGES = {
    "onnxruntime": "onnxruntime",
    "openvino": "openvino",
    "int8": "onnxruntime",
    "tensorrt": "torch_tensorrt",
}


@dataclass
class Built:
    """A runtime ready to run: ``run(x)`` on any input shaped like the one it was built for,
    ``fn()`` on that input itself (what the latency measurement times)."""

    run: Callable[[torch.Tensor], torch.Tensor]
    x: torch.Tensor
    build_s: float
    notes: list[str] = field(default_factory=list)
    workdir: tempfile.TemporaryDirectory | None = None  # the exported files, while run is alive

    def fn(self) -> torch.Tensor:
        return self.run(self.x)


def first_tensor(out) -> torch.Tensor:
    """The first tensor of a model's output (a tensor, a dict of them, or a sequence)."""
    if isinstance(out, torch.Tensor):
        return out
    if isinstance(out, dict):
        return first_tensor(next(iter(out.values())))
    return first_tensor(out[0])


def build(
    runtime: str,
    model: nn.Module,
    x: torch.Tensor,
    calibration: Sequence[torch.Tensor] | None = None,
) -> Built:
    """``runtime`` ready to run ``model`` (eval mode) on ``x``: on the CPU from the fp32 model, on
    a GPU in the model's device and precision; see the module doc."""
    check_runtime(runtime, x)
    model = copy.deepcopy(model).eval()
    if x.device.type == "cpu":
        model, x = model.float(), x.float()
    start = time.perf_counter()
    if runtime == "eager":

        def eager(inp: torch.Tensor) -> torch.Tensor:
            with torch.inference_mode():
                return first_tensor(model(inp))

        return Built(eager, x, 0.0)
    if runtime == "compile":
        torch._dynamo.reset()
        compiled = torch.compile(model)
        with torch.inference_mode():
            compiled(x)

        def run_compiled(inp: torch.Tensor) -> torch.Tensor:
            with torch.inference_mode():
                return first_tensor(compiled(inp))

        return Built(run_compiled, x, time.perf_counter() - start, ["inductor"])
    if runtime == "tensorrt" and _has_module("torch_tensorrt"):
        fn = _torch_tensorrt(model, x)
        fn(x)
        return Built(fn, x, time.perf_counter() - start, ["torch_tensorrt (dynamo)"])
    if runtime == "tensorrt":
        _ort_providers_or_fail("TensorrtExecutionProvider", "TensorRT: neither torch_tensorrt nor")
    work = tempfile.TemporaryDirectory(prefix="segbench-runtime-")
    onnx_path = export_onnx(model, x, Path(work.name) / "model.onnx")
    notes = [f"exported in {time.perf_counter() - start:.1f} s"]
    if x.device.type == "cuda":
        provider = "TensorrtExecutionProvider" if runtime == "tensorrt" else "CUDAExecutionProvider"
        fn = _ort_cuda_session(onnx_path, x, provider)
        notes.append(provider)
    elif runtime == "onnxruntime":
        fn = _ort_session(onnx_path, x)
    elif runtime == "openvino":
        fn = _openvino(onnx_path, x)
    else:
        if not calibration:
            raise ValueError("int8 needs calibration batches (training images)")
        q_path = quantize_int8(onnx_path, calibration, Path(work.name) / "model-int8.onnx")
        notes.append(f"calibrated on {sum(len(c) for c in calibration)} images")
        fn = _ort_session(q_path, x)
    fn(x)  # first run (session warm-up) counts as building
    return Built(fn, x, time.perf_counter() - start, notes, work)


def check_runtime(runtime: str, x: torch.Tensor) -> None:
    """``ValueError`` when ``runtime`` is unknown or cannot run on ``x``'s device and dtype."""
    if runtime not in RUNTIMES:
        raise ValueError(f"unknown runtime '{runtime}': expected one of {', '.join(RUNTIMES)}")
    device = x.device.type
    if runtime in CPU_ONLY and (device != "cpu" or x.dtype != torch.float32):
        raise ValueError(
            f"runtime {runtime} runs on the CPU from the fp32 model (got {device}, "
            f"{str(x.dtype).replace('torch.', '')}); int8 is its own precision"
        )
    if runtime in GPU_ONLY and device != "cuda":
        raise ValueError(f"runtime {runtime} needs a CUDA GPU (got {device})")
    if device not in ("cpu", "cuda"):
        raise ValueError(f"runtimes run on cpu or cuda, got {device}")


def _has_module(name: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(name) is not None


def _ort_providers_or_fail(provider: str, what: str) -> None:
    """``RuntimeError`` naming what is missing when ONNX Runtime lacks ``provider``."""
    try:
        import onnxruntime as ort
    except ImportError as exc:
        raise RuntimeError(f"{what} onnxruntime is installed") from exc
    available = ort.get_available_providers()
    if provider not in available:
        raise RuntimeError(
            f"{what} ONNX Runtime's {provider} is available here (onnxruntime "
            f"{ort.__version__} has {', '.join(available)}; the GPU build is onnxruntime-gpu)"
        )


def export_onnx(model: nn.Module, x: torch.Tensor, path: Path) -> Path:
    """``model`` on inputs shaped like ``x`` as an ONNX file (opset of the dynamo exporter)."""
    with torch.inference_mode():
        torch.onnx.export(model, (x,), str(path), dynamo=True, verbose=False)
    return path


def _threads() -> int:
    return torch.get_num_threads()


def _ort_session(path: Path, x: torch.Tensor) -> Callable[[torch.Tensor], torch.Tensor]:
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = _threads()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    name = session.get_inputs()[0].name

    def run(inp: torch.Tensor) -> torch.Tensor:
        return torch.from_numpy(session.run(None, {name: inp.float().contiguous().numpy()})[0])

    return run


def _ort_cuda_session(
    path: Path, x: torch.Tensor, provider: str
) -> Callable[[torch.Tensor], torch.Tensor]:
    """An ONNX Runtime session on a GPU provider, its input and output bound to CUDA memory."""
    import onnxruntime as ort

    _ort_providers_or_fail(provider, "ONNX Runtime on the GPU: no")
    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    index = x.device.index or 0
    session = ort.InferenceSession(str(path), options, providers=[(provider, {"device_id": index})])
    if session.get_providers()[0] != provider:
        raise RuntimeError(f"ONNX Runtime fell back to {session.get_providers()} from {provider}")
    name = session.get_inputs()[0].name
    out_name = session.get_outputs()[0].name
    dtype = np.float16 if x.dtype == torch.float16 else np.float32

    shape = tuple(session.get_outputs()[0].shape)
    if not all(isinstance(d, int) for d in shape):
        raise RuntimeError(f"the exported graph's output shape is not static: {shape}")
    out = torch.empty(shape, dtype=x.dtype, device=x.device)

    def run(inp: torch.Tensor) -> torch.Tensor:
        inp = inp.contiguous()
        binding = session.io_binding()
        binding.bind_input(name, "cuda", index, dtype, tuple(inp.shape), inp.data_ptr())
        binding.bind_output(out_name, "cuda", index, dtype, shape, out.data_ptr())
        session.run_with_iobinding(binding)
        return out

    return run


def _torch_tensorrt(model: nn.Module, x: torch.Tensor) -> Callable[[torch.Tensor], torch.Tensor]:
    import torch_tensorrt

    engine = torch_tensorrt.compile(
        model, ir="dynamo", inputs=[x], enabled_precisions={x.dtype}, min_block_size=1
    )

    def run(inp: torch.Tensor) -> torch.Tensor:
        with torch.inference_mode():
            return first_tensor(engine(inp))

    return run


def _openvino(path: Path, x: torch.Tensor) -> Callable[[torch.Tensor], torch.Tensor]:
    import openvino as ov

    core = ov.Core()
    compiled = core.compile_model(
        ov.convert_model(str(path)),
        "CPU",
        {"INFERENCE_PRECISION_HINT": "f32", "INFERENCE_NUM_THREADS": _threads()},
    )
    request = compiled.create_infer_request()

    def run(inp: torch.Tensor) -> torch.Tensor:
        request.infer([inp.float().contiguous().numpy()])
        return torch.from_numpy(np.array(request.get_output_tensor(0).data))

    return run


def quantize_int8(onnx_path: Path, calibration: Sequence[torch.Tensor], out: Path) -> Path:
    """ONNX Runtime static int8 quantization of ``onnx_path`` (see the module docstring)."""
    import onnx
    from onnxruntime.quantization import (
        CalibrationDataReader,
        CalibrationMethod,
        QuantFormat,
        QuantType,
        quantize_static,
    )

    name = onnx.load(str(onnx_path), load_external_data=False).graph.input[0].name

    class Batches(CalibrationDataReader):
        def __init__(self):
            self.items = iter([{name: b.float().numpy()} for b in calibration])

        def get_next(self):
            return next(self.items, None)

    quantize_static(
        str(onnx_path),
        str(out),
        Batches(),
        quant_format=QuantFormat.QDQ,
        activation_type=QuantType.QUInt8,
        weight_type=QuantType.QInt8,
        per_channel=True,
        calibrate_method=CalibrationMethod.MinMax,
    )
    return out


def agreement(reference: torch.Tensor, logits: torch.Tensor) -> dict:
    """How close a runtime's logits are to eager's on the same input: ``max_abs_diff`` (and
    relative to eager's largest magnitude) and ``pixel_agreement``, the fraction of pixels whose
    arg-max class is the same."""
    reference, logits = reference.float().cpu(), logits.float().cpu()
    if reference.shape != logits.shape:
        raise ValueError(f"shapes differ: eager {tuple(reference.shape)}, {tuple(logits.shape)}")
    diff = float((reference - logits).abs().max())
    scale = float(reference.abs().max()) or 1.0
    same = (reference.argmax(1) == logits.argmax(1)).float().mean()
    return {"max_abs_diff": diff, "max_rel_diff": diff / scale, "pixel_agreement": float(same)}


class AsModule(nn.Module):
    """A built runtime as a module (``forward`` = ``run``), for the evaluation loop; it takes
    inputs of the shape it was built for only."""

    def __init__(self, built: Built):
        super().__init__()
        self.built = built

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.shape != self.built.x.shape:
            raise ValueError(
                f"this runtime was built for inputs {tuple(self.built.x.shape)}, "
                f"got {tuple(x.shape)}"
            )
        return self.built.run(x)
