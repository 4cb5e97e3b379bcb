"""Peak memory of a forward pass: allocated GPU memory on CUDA, resident-set growth on a CPU."""

from __future__ import annotations

import contextlib
import ctypes
import re
from collections.abc import Callable
from pathlib import Path

import torch

_STATUS = Path("/proc/self/status")
_CLEAR_REFS = Path("/proc/self/clear_refs")


def _status_kib(field: str) -> int | None:
    try:
        m = re.search(rf"^{field}:\s+(\d+) kB", _STATUS.read_text(), re.MULTILINE)
    except OSError:
        return None
    return int(m[1]) if m else None


def _release_free_heap() -> None:
    """glibc keeps freed memory in the process; hand it back so that the next forward pass's
    allocations show up as growth instead of silently reusing it."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)


def _reset_peak_rss() -> bool:
    """Linux: writing 5 to clear_refs resets the peak resident set size (VmHWM)."""
    try:
        _CLEAR_REFS.write_text("5")
        return True
    except OSError:
        return False


def cpu_peak_growth_mb(fn: Callable[[], object]) -> float | None:
    """How far the resident set grows above its level before ``fn`` (MB = 2**20 bytes).

    None where the platform cannot tell (no /proc, or the peak cannot be reset)."""
    _release_free_heap()
    before = _status_kib("VmRSS")
    if before is None or not _reset_peak_rss():
        return None
    fn()
    peak = _status_kib("VmHWM")
    return None if peak is None else max(0, peak - before) / 1024


def cuda_peak_mb(fn: Callable[[], object]) -> dict:
    """Peak allocated CUDA memory during ``fn``: total (weights included) and above the start."""
    torch.cuda.synchronize()
    torch.cuda.reset_peak_memory_stats()
    base = torch.cuda.memory_allocated()
    fn()
    torch.cuda.synchronize()
    peak = torch.cuda.max_memory_allocated()
    return {"peak_mem_mb": peak / 2**20, "peak_mem_above_start_mb": (peak - base) / 2**20}


def peak_memory(fn: Callable[[], object], device: str) -> dict:
    if device == "cuda":
        return {**cuda_peak_mb(fn), "peak_mem_kind": "cuda max_memory_allocated"}
    return {"peak_mem_mb": cpu_peak_growth_mb(fn), "peak_mem_kind": "cpu peak RSS growth"}
