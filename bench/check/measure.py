"""Measuring the systems for `bench check`, with the suite's own measurement code: parameters
with :mod:`bench.measure.params`, FLOPs with :mod:`bench.measure.flops`, latency with
:func:`bench.measure.latency.relative_latency` against :mod:`bench.measure.reference`, models
built as the efficiency pass builds them (:func:`bench.efficiency.build`), classical methods
created by the registry. Only the fingerprints (:mod:`bench.check.fingerprint`) are the check's
own.

:func:`prepare` builds a system, counts it and takes its fingerprint; :func:`time_round` times
one round of it against the reference (at least ``round_min_iters`` iterations and ``round_s``
seconds of each); the command runs the rounds in passes over every system, so that each
system's rounds are spread over the whole check; :func:`finish` turns the rounds into the
entry.

Latency is measured twice for a deep model: on one thread (``latency_1t``, by the thread's CPU
time: :func:`bench.measure.latency.thread_cpu_timer`; the wall clock of a short workload on a
shared core depends on where the scheduler's slices fall, and moved the ratio of SegNet to the
reference from -45% to +300% here with four busy processes, the CPU time by -25% at most) and
on all cores (``latency_mt``, by the wall clock: what users wait for). Before each all-cores
round, the reference is timed on one thread and on all
(:func:`bench.measure.latency.thread_speedup`); where it is not at least ``min_speedup`` times as
fast on all cores, other work holds the cores and the timing would measure the scheduler (on a
2-core machine shared with another multi-threaded process, a 3 ms forward pass takes 250 ms on
2 threads): the round is not timed, and with fewer than ``MIN_ROUNDS`` rounds timed the metric
is recorded as skipped, with the reason. Classical methods run on
NumPy, scikit-image and OpenCV, not on torch's threads: one latency (``latency_1t``, OpenCV held
to one thread too).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable

import torch

from bench.check.baseline import CheckSettings
from bench.check.fingerprint import logits_fingerprint, partition_fingerprint

#: torch's thread count when this module was imported: the machine's cores as torch sees them
#: (or OMP_NUM_THREADS), which is what a user's process runs on.
DEFAULT_THREADS = torch.get_num_threads()
CLASSICAL_IMAGES = 3  # synthetic test images a classical method is timed on, in turn
MIN_ROUNDS = 3  # all-cores rounds a metric needs; fewer: skipped (the cores were busy)
GIVE_UP = 2  # all-cores probes that found the cores busy before none found them free: stop


def all_threads(settings: CheckSettings) -> int:
    return settings.all_threads or DEFAULT_THREADS


@contextlib.contextmanager
def _opencv_threads(n: int):
    try:
        import cv2
    except ImportError:  # no OpenCV: nothing to hold
        yield
        return
    before = cv2.getNumThreads()
    cv2.setNumThreads(n)
    try:
        yield
    finally:
        cv2.setNumThreads(before)


class Prepared:
    """A system ready to time: its entry so far, the callable, its reference and the rounds."""

    def __init__(
        self, name: str, entry: dict, fn: Callable[[], object], reference: Callable[[], object]
    ):
        self.name, self.entry, self.fn, self.reference = name, entry, fn, reference
        self.rounds: dict[str, list[dict]] = {"latency_1t": [], "latency_mt": []}
        self.speedups: list[float] = []  # the reference's, before each all-cores round timed
        self.busy: list[float] = []  # the same, where it was too low to time the round
        self.skipped: str | None = None  # why no all-cores round is timed at all


def prepare(
    name: str,
    settings: CheckSettings,
    size: tuple[int, int],
    stage: Callable[[str], None] = lambda s: None,
) -> Prepared:
    """Build ``name``, count its parameters and FLOPs and take its fingerprint (one thread)."""
    from bench.environment import torch_threads
    from bench.measure.reference import REFERENCE_NAME, reference_workload
    from bench.systems import get_system

    info = get_system(name)
    w, h = size
    entry: dict = {"kind": info.kind, "width": w, "height": h, "reference": REFERENCE_NAME}
    with torch_threads(1), _opencv_threads(1):
        if info.kind == "model":
            fn = _deep(name, settings, w, h, entry, stage)
        else:
            fn = _classical(name, settings, w, h, entry, stage)
    return Prepared(name, entry, fn, reference_workload(w, h, settings.seed))


def time_round(p: Prepared, settings: CheckSettings, metric: str, first: bool) -> None:
    """One round of ``p`` against its reference, on one thread (``latency_1t``: thread CPU
    time) or on all cores (``latency_mt``: wall clock); the first round warms up first. Before
    each all-cores round, the reference's parallel speedup decides whether to time it."""
    from bench.environment import torch_threads
    from bench.measure.latency import (
        RelativePolicy,
        cpu_timer,
        relative_latency,
        thread_cpu_timer,
        thread_speedup,
    )

    one = metric == "latency_1t"
    n = 1 if one else all_threads(settings)
    if not one:
        if n <= 1:
            p.skipped = "one thread is all there is: the same as latency_1t"
            return
        if len(p.busy) >= GIVE_UP and not p.speedups:
            return  # busy before every round so far: not worth more probing
        speedup = thread_speedup(
            p.reference, n, min_iters=3 if first else 2, min_s=0.25 if first else 0.02
        )
        if speedup < settings.min_speedup:
            p.busy.append(speedup)
            return
        first = not p.speedups  # the first round timed warms up
        p.speedups.append(speedup)
    policy = RelativePolicy(
        rounds=1,
        round_s=settings.round_s,
        round_min_iters=settings.round_min_iters,
        warmup_s=settings.warmup_s if first else 0.0,
        warmup_min_iters=2 if first else 0,
    )
    with torch_threads(n), _opencv_threads(1 if one else n):
        p.rounds[metric].append(
            relative_latency(
                p.fn, p.reference, policy=policy, timer=thread_cpu_timer if one else cpu_timer
            )
        )


def summarize_rounds(outs: list[dict], threads: int, clock: str) -> dict:
    """The latency metric from its rounds: the median ratio, its spread (interquartile range
    over the median), the quartiles, the range, and the medians in milliseconds."""
    import numpy as np

    ratios = [o["latency_rel"] for o in outs]
    ratio = float(np.median(ratios))
    lo, hi = (float(q) for q in np.percentile(ratios, [25, 75]))
    return {
        "ratio": ratio,
        "spread": (hi - lo) / ratio,
        "lo": lo,
        "hi": hi,
        "range": (max(ratios) - min(ratios)) / ratio,
        "rounds": len(ratios),
        "ms": float(np.median([o["latency_ms"] for o in outs])),
        "reference_ms": float(np.median([o["reference_ms"] for o in outs])),
        "threads": threads,
        "clock": clock,
    }


def finish(p: Prepared, settings: CheckSettings) -> dict:
    """The complete entry (without its environment) once every round is timed."""
    import numpy as np

    entry = dict(p.entry)
    entry["latency_1t"] = summarize_rounds(p.rounds["latency_1t"], 1, "thread_cpu")
    n = all_threads(settings)
    if entry["kind"] != "model":
        entry["latency_mt"] = None  # not applicable: not run on torch's threads
    elif p.skipped:
        entry["latency_mt"] = {"skipped": p.skipped, "threads": n}
    elif len(p.rounds["latency_mt"]) < MIN_ROUNDS:
        probes = p.busy + p.speedups
        why = (
            f"cores busy: the reference ran {min(p.busy):.2f}x to {max(p.busy):.2f}x as fast "
            f"on {n} threads as on one in {len(p.busy)} of {len(probes)} probes (needs "
            f"{settings.min_speedup:g}x)"
            if p.busy
            else f"fewer than {MIN_ROUNDS} rounds"
        )
        entry["latency_mt"] = {
            "skipped": why,
            "threads": n,
            "speedup": float(np.median(probes)) if probes else None,
        }
    else:
        entry["latency_mt"] = {
            **summarize_rounds(p.rounds["latency_mt"], n, "wall"),
            "speedup": float(np.median(p.speedups)),
            "busy_rounds": len(p.busy),
        }
    return entry


def _deep(
    name: str, settings: CheckSettings, w: int, h: int, entry: dict, stage: Callable[[str], None]
) -> Callable[[], object]:
    from bench.efficiency import build
    from bench.measure.flops import count_flops
    from bench.measure.params import count_parameters
    from bench.runtimes import first_tensor

    stage("build")
    model = build(name, settings.num_classes, settings.seed)
    x = torch.randn(1, 3, h, w, generator=torch.Generator().manual_seed(settings.seed))
    stage("size")
    entry["params"] = count_parameters(model)
    entry["gflops"] = count_flops(model, x).gflops

    def fn():
        with torch.inference_mode():
            return model(x)

    stage("fingerprint")
    entry["fingerprint"] = logits_fingerprint(first_tensor(fn()))
    return fn


def _classical(
    name: str, settings: CheckSettings, w: int, h: int, entry: dict, stage: Callable[[str], None]
) -> Callable[[], object]:
    from bench.datasets import open_dataset
    from bench.measure.workload import partition_workload
    from bench.systems import create_method

    stage("build")
    method = create_method(name)
    data = open_dataset(
        "synthetic", "test", size=(w, h), seed=settings.seed, length=CLASSICAL_IMAGES
    )
    work = partition_workload(method, data, CLASSICAL_IMAGES, seed=settings.seed)
    entry["params"], entry["gflops"] = 0, None  # FLOPs: not applicable, never 0
    stage("fingerprint")
    entry["fingerprint"] = partition_fingerprint(work.fn())
    return work.fn
