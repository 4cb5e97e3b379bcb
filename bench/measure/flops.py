"""FLOPs, counted two ways, with 2 FLOPs per multiply-add (the ENet paper's convention).

* Primary: ``torch.utils.flop_counter.FlopCounterMode``. It counts convolutions (transposed ones by
  their real multiply-adds), matrix products and attention, and nothing else. The model runs on the
  ``meta`` device, so counting a 1280x720 SegNet costs no arithmetic.
* Cross-check: fvcore's ``FlopCountAnalysis`` (one "flop" there is one multiply-add; doubled here
  for convolutions and matrix products). Out of the box it crashes on max-unpooling under
  ``torch.jit.trace`` and counts nothing for PReLU, additions, pooling and unpooling. We trace a
  trace-safe max-unpool and supply handles for those operators, with this convention: one
  operation per output element for element-wise arithmetic (add, mul, PReLU, ReLU, ...), k*k
  comparisons per output element for max-pooling, one placement per input element for
  max-unpooling. fvcore's own handles count batch-norm and upsampling.

Each counter also reports the operators it did not count, so that a reader knows what a number
leaves out.

ENet's gap to the paper. Convolutions alone give 3.40 GFLOPs at 3x360x640, the paper 3.83. Two
things explain it (``paper_convention_gflops``): the paper's count treats the three transposed
convolutions as dense convolutions over their (4x larger) output, which adds 0.33 GFLOPs, most of
it the final 2x2 full convolution; and the element-wise layers (batch-norm as 2 per element,
PReLU, ReLU, additions, pooling) add 0.10. Together: 3.82 GFLOPs, within 0.3% of 3.83. The same
convention gives SegNet 284.0 against the paper's 286.03 (0.7%); SegNet's last layer costs 0.27
GFLOPs per class at this size, so a different class count would explain the rest, but the paper
does not say.
"""

from __future__ import annotations

import contextlib
import copy
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils.flop_counter import FlopCounterMode, flop_registry

PAPER_SIZE = (640, 360)  # WIDTH, HEIGHT: the paper counts FLOPs on a 3x640x360 input

# Operators that move or describe data but do no arithmetic: never reported as "not counted".
_NO_ARITHMETIC = {
    "alias",
    "view",
    "_unsafe_view",
    "reshape",
    "permute",
    "transpose",
    "t",
    "expand",
    "slice",
    "select",
    "squeeze",
    "unsqueeze",
    "flatten",
    "contiguous",
    "clone",
    "copy_",
    "_to_copy",
    "detach",
    "empty",
    "empty_like",
    "zeros",
    "zeros_like",
    "new_zeros",
    "new_empty",
    "cat",
    "stack",
    "split",
    "split_with_sizes",
    "chunk",
    "constant_pad_nd",
    "pad",
    "dropout",
    "feature_dropout",
    "lift_fresh",
    "size",
    "stride",
    "to",
    "as_strided",
    "unbind",
    "_reshape_alias",
    "native_dropout",
}


# Composite operators that reach FlopCounterMode as one of its counted operators.
_COUNTED_COMPOSITES = {
    "conv1d",
    "conv2d",
    "conv3d",
    "conv_transpose1d",
    "conv_transpose2d",
    "conv_transpose3d",
    "linear",
    "matmul",
    "einsum",
}


@dataclass
class FlopCount:
    counter: str
    flops: float  # 2 per multiply-add
    by_operator: dict[str, float] = field(default_factory=dict)
    not_counted: list[str] = field(default_factory=list)  # operators that ran and got no count

    @property
    def gflops(self) -> float:
        return self.flops / 1e9

    @property
    def gmacs(self) -> float:
        return self.flops / 2e9


class _OpCensus(TorchDispatchMode):
    """Records every aten operator a forward pass runs, with its output and input elements."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: Counter[str] = Counter()
        self.out_elements: Counter[str] = Counter()
        # (operator, args, kwargs, output): the output is a tensor or a tuple of them
        self.records: list[tuple[str, tuple, dict, Any]] = []

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        out = func(*args, **kwargs)
        name = func.overloadpacket.__name__
        first = out[0] if isinstance(out, (tuple, list)) else out
        self.calls[name] += 1
        if isinstance(first, torch.Tensor):
            self.out_elements[name] += first.numel()
        self.records.append((name, args, kwargs, out))
        return out


def _on_meta(model: nn.Module, x: torch.Tensor):
    """A meta-device copy of model and input: shapes only, no memory, no arithmetic."""
    meta_model = copy.deepcopy(model).to("meta") if _has_real_params(model) else model
    return meta_model.eval(), torch.empty(x.shape, dtype=x.dtype, device="meta")


def _has_real_params(model: nn.Module) -> bool:
    return any(p.device.type != "meta" for p in model.parameters())


def _run_counted(model: nn.Module, x: torch.Tensor, *modes) -> None:
    with torch.inference_mode(), contextlib.ExitStack() as stack:
        for mode in modes:
            stack.enter_context(mode)
        model(x)


#: The counter's name when a model's work depends on its input's values (Mask R-CNN's
#: detections), so that it cannot run on the meta device and is counted on real tensors.
DATA_DEPENDENT = " (real tensors: the count depends on the input)"


def _count(model: nn.Module, x: torch.Tensor) -> tuple[FlopCounterMode, _OpCensus, bool]:
    """Run ``model`` on ``x`` under the counters: on the meta device (shapes only) when the
    model allows it, else on real tensors. Returns the counters and whether it was the meta."""
    meta_model, meta_x = _on_meta(model, x)
    counter, census = FlopCounterMode(display=False), _OpCensus()
    try:
        _run_counted(meta_model, meta_x, counter, census)
        return counter, census, True
    except (NotImplementedError, RuntimeError):  # a data-dependent op (nonzero, nms, ...)
        if not _has_real_params(model):
            raise
    counter, census = FlopCounterMode(display=False), _OpCensus()
    _run_counted(copy.deepcopy(model).eval(), x, counter, census)
    return counter, census, False


def count_flops(model: nn.Module, x: torch.Tensor) -> FlopCount:
    """FLOPs of one forward pass on ``x`` with FlopCounterMode (on the meta device; on real
    tensors for a model whose work depends on the input's values, which the name says)."""
    counter, census, on_meta = _count(model, x)
    by_op = {
        getattr(k, "__name__", str(k)): float(v)
        for k, v in counter.get_flop_counts().get("Global", {}).items()
    }
    counted = {k.__name__ for k in flop_registry} | _COUNTED_COMPOSITES
    not_counted = sorted(n for n in census.calls if n not in counted and n not in _NO_ARITHMETIC)
    name = "torch.utils.flop_counter" + ("" if on_meta else DATA_DEPENDENT)
    return FlopCount(name, float(counter.get_total_flops()), by_op, not_counted)


def paper_convention_gflops(model: nn.Module, x: torch.Tensor) -> dict:
    """The count that reproduces the ENet paper's figures (see the module docstring).

    FlopCounterMode's count, plus the difference between counting each transposed convolution
    densely over its output and by its real multiply-adds, plus element-wise operations (2 per
    batch-norm element, 1 per PReLU, ReLU, addition or multiplication element, k*k per max-pool
    output). Returns the parts and the total, in GFLOPs.
    """
    counter, census, _ = _count(model, x)
    dense_extra = 0.0
    pool_ops = 0.0
    for name, args, kwargs, out in census.records:
        if name == "conv_transpose2d":
            inp, weight = args[0], args[1]
            true_macs = inp.numel() // inp.shape[1] * weight.numel()
            dense_macs = out.numel() // out.shape[1] * weight.numel()
            dense_extra += 2 * (dense_macs - true_macs)
        elif name in ("max_pool2d", "max_pool2d_with_indices"):
            k = args[1] if len(args) > 1 else kwargs["kernel_size"]
            k = k if isinstance(k, (list, tuple)) else (k, k)
            first = out[0] if isinstance(out, (tuple, list)) else out
            pool_ops += first.numel() * k[0] * k[-1]
    el = census.out_elements
    elementwise = (
        2 * el["batch_norm"]
        + el["prelu"]
        + el["relu"]
        + el["relu_"]
        + el["add"]
        + el["add_"]
        + el["mul"]
        + pool_ops
    )
    conv = counter.get_total_flops()
    return {
        "conv": conv / 1e9,
        "dense_transposed_extra": dense_extra / 1e9,
        "elementwise": elementwise / 1e9,
        "total": (conv + dense_extra + elementwise) / 1e9,
    }


# --------------------------------------------------------------------------------------------
# fvcore


def _numel(value) -> int:
    from fvcore.nn.jit_handles import get_shape

    shape = get_shape(value)
    n = 1
    for d in shape or ():
        n *= d
    return n


def _elementwise_handle(inputs, outputs) -> int:
    return _numel(outputs[0])


def _constant_ints(value) -> list[int]:
    """The ints of a traced constant list (a constant, or a prim::ListConstruct of constants)."""
    constant = value.toIValue()
    if constant is not None:
        return list(constant) if isinstance(constant, (list, tuple)) else [int(constant)]
    return [int(v.toIValue()) for v in value.node().inputs()]


def _max_pool_handle(inputs, outputs) -> int:
    kernel = _constant_ints(inputs[1])
    kh, kw = (kernel[0], kernel[0]) if len(kernel) == 1 else kernel[:2]
    return _numel(outputs[0]) * kh * kw


def _unpool_handle(inputs, outputs) -> int:
    return _numel(inputs[0])


# Operators fvcore skips (or ignores) that we give a count, and the handle that counts them.
FVCORE_EXTRA_HANDLES = {
    "aten::add": _elementwise_handle,
    "aten::add_": _elementwise_handle,
    "aten::mul": _elementwise_handle,
    "aten::mul_": _elementwise_handle,
    "aten::prelu": _elementwise_handle,
    "aten::relu": _elementwise_handle,
    "aten::relu_": _elementwise_handle,
    "aten::sigmoid": _elementwise_handle,
    "aten::max_pool2d": _max_pool_handle,
    "aten::max_pool2d_with_indices": _max_pool_handle,
    "aten::max_unpool2d": _unpool_handle,
}
# fvcore's own unit is the multiply-add for these; everything else is counted in operations.
_FVCORE_MAC_OPS = {"conv", "matmul", "linear", "addmm", "bmm", "einsum"}


@contextlib.contextmanager
def _trace_safe_unpool():
    """F.max_unpool2d checks ``output_size`` in Python, which fails on traced sizes; call the
    aten operator directly while fvcore traces."""
    original = F.max_unpool2d

    def unpool(input, indices, kernel_size, stride=None, padding=0, output_size=None):
        if output_size is None:
            h, w = input.shape[-2] * 2, input.shape[-1] * 2
        else:
            h, w = output_size[-2], output_size[-1]
        return torch._C._nn.max_unpool2d(input, indices, [h, w])

    F.max_unpool2d = unpool
    try:
        yield
    finally:
        F.max_unpool2d = original


def count_flops_fvcore(model: nn.Module, x: torch.Tensor) -> FlopCount:
    """fvcore's count (convolutions and matrix products at 2 per multiply-add, other operators
    by the convention in the module docstring). ``not_counted`` lists what fvcore does not count
    by itself: the operators our handles count, and any it still skips."""
    from fvcore.nn import FlopCountAnalysis

    model = model.eval()
    with _trace_safe_unpool(), torch.no_grad():
        analysis = FlopCountAnalysis(model, (x,))
        analysis.set_op_handle(**FVCORE_EXTRA_HANDLES)
        analysis.unsupported_ops_warnings(False)
        analysis.uncalled_modules_warnings(False)
        by_op = {
            op: float(n) * (2 if op in _FVCORE_MAC_OPS else 1)
            for op, n in analysis.by_operator().items()
        }
        still_skipped = set(analysis.unsupported_ops())
    ours = {op.split("::")[-1] for op in FVCORE_EXTRA_HANDLES}
    skipped = sorted({op.split("::")[-1] for op in still_skipped} | (ours & set(by_op)))
    return FlopCount("fvcore", sum(by_op.values()), by_op, skipped)


def conv_flops(count: FlopCount) -> float:
    """The convolution and matrix-product part of a count: what both counters must agree on."""
    if count.counter == "fvcore":
        return sum(v for k, v in count.by_operator.items() if k in _FVCORE_MAC_OPS)
    return count.flops
