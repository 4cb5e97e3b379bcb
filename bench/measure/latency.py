"""Latency of a forward pass: warm-up until stable, then timed iterations, then statistics.

On a GPU each iteration is timed with CUDA events around it; on a CPU with ``perf_counter_ns``
(the caller fixes the thread count). The loop's decisions use the measured times themselves, so a
fake timer drives it exactly in tests.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import torch


@dataclass(frozen=True)
class LatencyPolicy:
    """How long to warm up and how many iterations to time.

    Warm-up runs at least ``warmup_min_iters`` iterations and ``warmup_min_s`` seconds, and until
    the median of the last 5 iterations is within ``stable_rel`` of the 5 before; it stops anyway
    after ``warmup_max_s``. Timing runs at least ``min_iters`` iterations and ``min_time_s``
    seconds; a very slow case stops after ``max_time_s`` once it has ``capped_min_iters``.
    """

    warmup_min_iters: int = 10
    warmup_min_s: float = 1.0
    warmup_max_s: float = 5.0
    stable_rel: float = 0.10
    min_iters: int = 50
    min_time_s: float = 3.0
    max_time_s: float = 15.0
    capped_min_iters: int = 3


class Timer(Protocol):
    def __call__(self, fn: Callable[[], object]) -> float:
        """Run ``fn`` once and return its time in milliseconds."""


def cpu_timer(fn: Callable[[], object]) -> float:
    start = time.perf_counter_ns()
    fn()
    return (time.perf_counter_ns() - start) / 1e6


def thread_cpu_timer(fn: Callable[[], object]) -> float:
    """The CPU time of the calling thread while ``fn`` runs, in milliseconds: for work on one
    thread, its latency without the time other processes held the core. On a shared machine
    the wall clock of a short workload depends on where the scheduler's time slices fall (on 2
    cores with 4 busy processes, a 2 ms reference took from 2.4 to 18 ms by the wall clock,
    2.4 to 2.7 ms of CPU time). It does not count waiting (sleep, I/O, other threads)."""
    start = time.thread_time_ns()
    fn()
    return (time.thread_time_ns() - start) / 1e6


class CudaTimer:
    """CUDA events around each iteration; waits for the end event before returning."""

    def __init__(self):
        self.start = torch.cuda.Event(enable_timing=True)
        self.end = torch.cuda.Event(enable_timing=True)

    def __call__(self, fn: Callable[[], object]) -> float:
        self.start.record()
        fn()
        self.end.record()
        self.end.synchronize()
        return self.start.elapsed_time(self.end)


def timer_for(device: str) -> Timer:
    if device == "cuda":
        torch.cuda.synchronize()
        return CudaTimer()
    return cpu_timer


def _stable(times: list[float], rel: float) -> bool:
    if len(times) < 10:
        return False
    last, before = statistics.median(times[-5:]), statistics.median(times[-10:-5])
    return abs(last - before) <= rel * before


def warm_up(fn: Callable[[], object], timer: Timer, policy: LatencyPolicy) -> list[float]:
    times: list[float] = []
    while True:
        times.append(timer(fn))
        elapsed = sum(times) / 1e3
        if elapsed >= policy.warmup_max_s:
            return times
        if (
            len(times) >= policy.warmup_min_iters
            and elapsed >= policy.warmup_min_s
            and _stable(times, policy.stable_rel)
        ):
            return times


def time_iterations(fn: Callable[[], object], timer: Timer, policy: LatencyPolicy) -> list[float]:
    times: list[float] = []
    while True:
        times.append(timer(fn))
        elapsed = sum(times) / 1e3
        if len(times) >= policy.min_iters and elapsed >= policy.min_time_s:
            return times
        if elapsed >= policy.max_time_s and len(times) >= policy.capped_min_iters:
            return times


def summarize(times_ms: list[float], batch: int = 1) -> dict:
    """Median, p10, p90, mean, std (sample), n and images per second (from the median)."""
    if not times_ms:
        raise ValueError("no timed iterations")
    a = np.asarray(times_ms, dtype=float)
    median = float(np.median(a))
    return {
        "latency_ms_median": median,
        "latency_ms_p10": float(np.percentile(a, 10)),
        "latency_ms_p90": float(np.percentile(a, 90)),
        "latency_ms_mean": float(a.mean()),
        "latency_ms_std": float(a.std(ddof=1)) if a.size > 1 else 0.0,
        "latency_n": int(a.size),
        "fps": batch * 1e3 / median if median > 0 else None,
    }


def measure_latency(
    fn: Callable[[], object],
    *,
    device: str = "cpu",
    batch: int = 1,
    policy: LatencyPolicy = LatencyPolicy(),
    timer: Timer | None = None,
    repeats: int = 1,
) -> dict:
    """Warm up ``fn``, time it in ``repeats`` rounds, and return the statistics over every timed
    iteration, with each round's median and their spread (max - min over the median): a noise
    estimate for machines shared with other work."""
    if repeats < 1:
        raise ValueError(f"repeats must be at least 1, got {repeats}")
    timer = timer or timer_for(device)
    warm = warm_up(fn, timer, policy)
    rounds = [time_iterations(fn, timer, policy) for _ in range(repeats)]
    times = [t for r in rounds for t in r]
    stats = summarize(times, batch)
    medians = [float(np.median(r)) for r in rounds]
    stats.update(
        {
            "warmup_n": len(warm),
            "warmup_ms_first": warm[0],
            "latency_capped": any(len(r) < policy.min_iters for r in rounds),
            "latency_rounds": repeats,
            "latency_round_medians_ms": medians,
            "latency_round_spread": (max(medians) - min(medians)) / stats["latency_ms_median"],
        }
    )
    return stats


@dataclass(frozen=True)
class RelativePolicy:
    """How `relative_latency` interleaves a workload with the reference: ``rounds`` rounds, each
    timing the reference and then the workload for at least ``round_s`` seconds and
    ``round_min_iters`` iterations each, after ``warmup_s`` seconds of warm-up of each."""

    rounds: int = 7
    round_s: float = 0.3
    round_min_iters: int = 2
    warmup_s: float = 0.5
    warmup_min_iters: int = 2


def _run_for(fn: Callable[[], object], timer: Timer, seconds: float, min_iters: int) -> list[float]:
    times: list[float] = []
    while len(times) < min_iters or sum(times) / 1e3 < seconds:
        times.append(timer(fn))
    return times


def relative_latency(
    fn: Callable[[], object],
    reference: Callable[[], object],
    *,
    policy: RelativePolicy = RelativePolicy(),
    timer: Timer | None = None,
) -> dict:
    """Latency of ``fn`` as a multiple of ``reference``'s, measured in alternating rounds in the
    same process, so that a change of machine speed or load during the measurement hits both.

    Each round gives the ratio of the two medians; the result is the median of the rounds'
    ratios (``latency_rel``), with its spread (max - min over the median) as a noise estimate,
    and the medians in milliseconds for information.
    """
    timer = timer or cpu_timer
    for f in (reference, fn):
        _run_for(f, timer, policy.warmup_s, policy.warmup_min_iters)
    ratios, ref_ms, fn_ms = [], [], []
    for _ in range(policy.rounds):
        r = float(np.median(_run_for(reference, timer, policy.round_s, policy.round_min_iters)))
        m = float(np.median(_run_for(fn, timer, policy.round_s, policy.round_min_iters)))
        ratios.append(m / r)
        ref_ms.append(r)
        fn_ms.append(m)
    rel = float(np.median(ratios))
    q25, q75 = (float(q) for q in np.percentile(ratios, [25, 75]))
    return {
        "latency_rel": rel,
        "latency_rel_rounds": ratios,
        "latency_rel_spread": (max(ratios) - min(ratios)) / rel,
        "latency_rel_q25": q25,
        "latency_rel_q75": q75,
        "latency_rel_iqr": (q75 - q25) / rel,
        "latency_ms": float(np.median(fn_ms)),
        "reference_ms": float(np.median(ref_ms)),
    }


def thread_speedup(
    fn: Callable[[], object],
    threads: int,
    *,
    min_iters: int = 3,
    min_s: float = 0.25,
    timer: Timer | None = None,
) -> float:
    """How much faster ``fn`` runs on ``threads`` torch threads than on one: the median time on
    one thread over the median on ``threads``, timed alternately (one iteration of each in
    turn, after one of each to warm up) for at least ``min_iters`` pairs and ``min_s`` seconds.
    Below 1 on a machine whose cores other work holds: a multi-threaded timing there measures
    the scheduler more than the workload."""
    from bench.environment import torch_threads

    timer = timer or cpu_timer
    one: list[float] = []
    many: list[float] = []
    for n in (1, threads):  # warm-up, not kept
        with torch_threads(n):
            timer(fn)
    while len(one) < min_iters or (sum(one) + sum(many)) / 1e3 < min_s:
        with torch_threads(1):
            one.append(timer(fn))
        with torch_threads(threads):
            many.append(timer(fn))
    return float(np.median(one) / np.median(many))
