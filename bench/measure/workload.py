"""What the latency of a classical method times: the same work in the efficiency pass and in the
regression check (``bench check``), whatever the method reads (one image, an image and a
simulated user's seeds, or a stream of frames)."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np


@dataclass
class Workload:
    """What the latency of a classical method times: ``fn()`` partitions the next input in turn
    (and returns its region map), at ``width`` x ``height``; ``note`` says how the input was
    made when it is not simply the dataset's images."""

    fn: Callable[[], np.ndarray]
    width: int
    height: int
    note: str | None = None


def partition_workload(method, data, count: int, seed: int = 0) -> Workload:
    """The timed work of ``method`` on the first ``count`` items of ``data``, the same for the
    efficiency pass and the regression check:

    * a method of one image: ``partition`` of each image in turn;
    * an interactive method: ``partition_seeded`` with the simulated user's seeds of each image,
      derived from its ground truth before timing;
    * a motion method: ``update`` with the next frame of a sequence, streamed
      (``bench.measure.motion.streaming``); a dataset without sequences (CamVid in the SegNet
      layout) is replaced by synthetic-motion frames at its size, which the note says.
    """
    from classical.interactive import InteractiveMethod
    from classical.motion import MotionMethod
    from classical.seeds import oracle_seeds

    if isinstance(method, MotionMethod):
        from bench.datasets import open_dataset
        from bench.datasets.synthetic_motion import SyntheticMotionDataset
        from bench.measure.motion import streaming

        note = None
        if not isinstance(data, SyntheticMotionDataset):
            h, w = data.raw(0)[0].shape[:2]
            note = (
                f"streamed on synthetic-motion frames at {w}x{h}: {data.spec.name} has no "
                f"frame sequences"
            )
            data = open_dataset("synthetic-motion", "test", size=(w, h), seed=seed, sequences=1)
        h, w = data.raw(0)[0].shape[:2]
        return Workload(streaming(method, data), w, h, note or "streamed: one update per frame")
    count = min(count, len(data))
    if isinstance(method, InteractiveMethod):
        spec, seeded = data.spec, []
        for i in range(count):
            image, gt = data.raw(i)
            seeds, seed_classes = oracle_seeds(
                gt, spec.num_classes, spec.ignore_index, kind=method.seed_kind, seed=seed
            )
            if len(seed_classes):  # (an all-void label has no seed)
                seeded.append((image, seeds, seed_classes))
        if not seeded:
            raise ValueError(f"no test image of {spec.name} has a seed (all void)")
        in_seeded_turn = itertools.cycle(seeded)

        def seeded_fn():
            image, seeds, seed_classes = next(in_seeded_turn)
            return method.partition_seeded(image, seeds, seed_classes)

        h, w = seeded[0][0].shape[:2]
        note = (
            f"partition_seeded timed with {method.seed_kind} seeds derived from each test "
            f"image's ground truth (a simulated user), derived before timing"
        )
        return Workload(seeded_fn, w, h, note)
    images = [data.raw(i)[0] for i in range(count)]
    in_turn = itertools.cycle(images)

    def fn():
        return method.partition(next(in_turn))

    h, w = images[0].shape[:2]
    return Workload(fn, w, h)
