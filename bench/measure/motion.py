"""Scoring a motion method on frame sequences, and its per-frame streaming latency.

The counterpart of ``bench.measure.classical`` for methods that read a sequence from a still
camera (``classical.motion``; registered with ``inputs="sequence"``). They are scored on the
``synthetic-motion`` dataset only: CamVid in the SegNet layout has no neighbouring frames.

Each test sequence is streamed through the method frame by frame (``reset()`` at the start of
each sequence, then ``update(frame)``), and every frame after the first ``warmup_frames``
(default :data:`WARMUP_FRAMES`) of its sequence is scored, with the same confusion matrix and
protocols as the other classical methods: ``oracle`` (each region takes its majority
ground-truth class) and ``learned`` (a region classifier trained on region maps streamed the
same way over the training split's sequences, warm-up frames left out).
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Iterator

import numpy as np
import torch
from tqdm import tqdm

from bench.datasets.synthetic_motion import SyntheticMotionDataset
from bench.errors import BadInput
from bench.measure.accuracy import ConfusionMatrix
from bench.measure.classical import summary
from bench.measure.latency import LatencyPolicy, Timer, measure_latency
from bench.systems import create_method
from classical.classifier import spread_indices, train_classifier
from classical.motion import MotionMethod
from classical.protocols import PROTOCOLS, segment

#: Frames at the start of each sequence that are streamed but not scored: the first frame has
#: nothing to compare with and MOG2 is still learning its background (its learning rate is
#: about 1 / frames seen). 5 frames of a 30-frame sequence leave 25 scored.
WARMUP_FRAMES = 5

NO_SEQUENCE = (
    "motion methods need a frame sequence; CamVid in the SegNet layout has none; "
    "use --dataset synthetic-motion"
)


def _require_sequences(dataset, what: str) -> SyntheticMotionDataset:
    if not isinstance(dataset, SyntheticMotionDataset):
        name = getattr(getattr(dataset, "spec", None), "name", type(dataset).__name__)
        raise BadInput(f"{NO_SEQUENCE} (the {what} is {name})")
    return dataset


def _method(method_name, method_kwargs: dict | None) -> tuple[MotionMethod, str]:
    method = (
        create_method(method_name, **(method_kwargs or {}))
        if isinstance(method_name, str)
        else method_name
    )
    name = method_name if isinstance(method_name, str) else getattr(method, "name", "?")
    if not isinstance(method, MotionMethod):
        raise BadInput(
            f"'{name}' reads one image, not a frame sequence: expected a motion method "
            f"(frame_difference, mog2)"
        )
    return method, name


def stream(
    method: MotionMethod, dataset: SyntheticMotionDataset, sequence: int, last_frame: int
) -> Iterator[tuple[int, int, np.ndarray, np.ndarray, np.ndarray, float]]:
    """Yield ``(item, frame, image, label, regions, update_s)`` for frames ``0..last_frame`` of
    ``sequence``, streamed through ``method`` from a reset."""
    method.reset()
    for f in range(last_frame + 1):
        i = dataset.index_of(sequence, f)
        image, label = dataset.raw(i)
        t0 = time.perf_counter()
        regions = method.update(image)
        yield i, f, image, label, regions, time.perf_counter() - t0


class _Recorded:
    """Training frames streamed beforehand, as ``train_classifier`` reads them: a dataset whose
    ``raw(i)`` is the i-th recorded frame and its label, and a method whose ``partition(image)``
    returns the region map recorded with that very frame (found by identity)."""

    def __init__(self, spec, name: str):
        self.spec, self.name = spec, name
        self.items: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        self._regions: dict[int, np.ndarray] = {}

    def add(self, image: np.ndarray, label: np.ndarray, regions: np.ndarray) -> None:
        self.items.append((image, label, regions))
        self._regions[id(image)] = regions

    def __len__(self) -> int:
        return len(self.items)

    def raw(self, i: int) -> tuple[np.ndarray, np.ndarray]:
        image, label, _ = self.items[i]
        return image, label

    def partition(self, image: np.ndarray) -> np.ndarray:
        try:
            return self._regions[id(image)]
        except KeyError:
            raise ValueError("not a recorded training frame") from None


def _scored_items(dataset: SyntheticMotionDataset, warmup: int) -> list[int]:
    return [i for i in range(len(dataset)) if dataset.sequence_of(i)[1] >= warmup]


def _record_training(
    method: MotionMethod,
    name: str,
    train_ds: SyntheticMotionDataset,
    max_train_images: int | None,
    warmup: int,
    progress: bool,
) -> _Recorded:
    """Stream the training sequences and record the frames the classifier trains on:
    ``max_train_images`` spread evenly over the frames past the warm-up (all if None)."""
    eligible = _scored_items(train_ds, warmup)
    chosen = {eligible[k] for k in spread_indices(len(eligible), max_train_images)}
    if not chosen:
        raise BadInput(
            f"the learned protocol needs training frames past the {warmup} warm-up frames of "
            f"each sequence; the training split has {train_ds.frames} frames per sequence"
        )
    recorded = _Recorded(train_ds.spec, name)
    last: dict[int, int] = {}
    for i in chosen:
        s, f = train_ds.sequence_of(i)
        last[s] = max(last.get(s, -1), f)
    bar = tqdm(
        total=sum(f + 1 for f in last.values()),
        desc=f"{name} train frames",
        unit="frame",
        leave=False,
        disable=not progress,
    )
    for s in sorted(last):
        for i, _, image, label, regions, _ in stream(method, train_ds, s, last[s]):
            bar.update()
            if i in chosen:
                recorded.add(image, label, regions)
    bar.close()
    return recorded


def evaluate_motion(
    method_name,
    train_ds,
    test_ds,
    protocol: str,
    max_train_images: int | None = 60,
    seed: int = 0,
    progress: bool = True,
    on_prediction: Callable[[int, np.ndarray], object] | None = None,
    max_test_images: int | None = None,
    warmup_frames: int = WARMUP_FRAMES,
    method_kwargs: dict | None = None,
    classifier_kwargs: dict | None = None,
) -> dict:
    """Metrics of a motion method under one protocol on ``test_ds`` (a
    :class:`SyntheticMotionDataset`), from one confusion matrix over its scored frames.

    Each sequence is streamed from its first frame (the method reset before it); frames
    ``warmup_frames`` and later of each sequence are scored, at most ``max_test_images`` of them
    in dataset order (all if None). ``method_name``: a registered name (built with
    ``method_kwargs``) or a :class:`MotionMethod`. ``train_ds`` (also sequences) is used by
    ``learned`` only: ``max_train_images`` frames past the warm-up spread over it, their
    region maps streamed the same way. Returns the keys of
    ``bench.measure.classical.evaluate_classical`` (``images`` = scored frames;
    ``regions_per_image`` and ``partition_ms_mean``, the mean time of ``update``, over the
    scored frames) plus ``warmup_frames`` and ``sequences`` (sequences streamed).
    ``on_prediction(index, class_map)``, if given, sees every scored frame's prediction.
    """
    if protocol not in PROTOCOLS:
        raise ValueError(f"protocol must be one of {PROTOCOLS}, got {protocol!r}")
    test_ds = _require_sequences(test_ds, "test dataset")
    if not isinstance(warmup_frames, int) or warmup_frames < 0:
        raise BadInput(f"warmup_frames {warmup_frames!r}: expected a whole number >= 0")
    method, name = _method(method_name, method_kwargs)
    spec = test_ds.spec
    classifier, train_s, train_images = None, None, 0
    if protocol == "learned":
        if train_ds is None:
            raise ValueError("the learned protocol needs a training dataset")
        train_ds = _require_sequences(train_ds, "training dataset")
        if train_ds.spec.num_classes != spec.num_classes:
            raise ValueError("training and test datasets have different class counts")
        t0 = time.perf_counter()
        recorded = _record_training(
            method, name, train_ds, max_train_images, warmup_frames, progress
        )
        classifier = train_classifier(
            recorded,
            recorded,
            None,
            seed=seed,
            progress=progress,
            **(classifier_kwargs or {}),
        )
        train_s = time.perf_counter() - t0
        train_images = len(recorded)

    scored = _scored_items(test_ds, warmup_frames)
    if not scored:
        raise BadInput(
            f"synthetic-motion sequences of {test_ds.frames} frames leave none to score after "
            f"the {warmup_frames} warm-up frames of each: expected more frames per sequence"
        )
    if max_test_images is not None:
        scored = scored[: max(0, max_test_images)]
    last: dict[int, int] = {}
    for i in scored:
        s, f = test_ds.sequence_of(i)
        last[s] = max(last.get(s, -1), f)
    wanted = set(scored)
    cm = ConfusionMatrix(spec.num_classes, spec.ignore_index)
    regions_total, update_s = 0, 0.0
    bar = tqdm(
        total=len(scored),
        desc=f"{name} {protocol}",
        unit="frame",
        leave=False,
        disable=not progress,
    )
    for s in sorted(last):
        for i, _, image, gt, regions, dt in stream(method, test_ds, s, last[s]):
            if i not in wanted:
                continue
            update_s += dt
            regions_total += int(regions.max()) + 1
            pred = segment(
                method,
                image,
                protocol,
                classifier,
                None if protocol == "learned" else gt,
                num_classes=spec.num_classes,
                ignore_index=spec.ignore_index,
                regions=regions,
            )
            cm.update(torch.from_numpy(np.asarray(gt).astype(np.int64)), torch.from_numpy(pred))
            if on_prediction is not None:
                on_prediction(i, pred)
            bar.update()
    bar.close()
    n = len(scored)
    out = summary(cm, spec, name, protocol, classifier, n, train_images, regions_total)
    out.update(
        {
            "partition_ms_mean": 1e3 * update_s / n if n else float("nan"),
            "train_s": train_s,
            "warmup_frames": warmup_frames,
            "sequences": len(last),
        }
    )
    return out


def streaming(method: MotionMethod, dataset) -> Callable[[], np.ndarray]:
    """A function that feeds ``method`` the next frame of the first sequence of ``dataset`` (a
    :class:`SyntheticMotionDataset`) and returns that frame's region map: the frames are
    generated beforehand and played forwards then backwards, over and over, so that every update
    sees the neighbour of the frame before it (a still camera's sequence played backwards is a
    sequence too). The method has seen ``WARMUP_FRAMES`` frames when it is returned."""
    dataset = _require_sequences(dataset, "dataset")
    frames = [dataset.raw(i)[0] for i in dataset.sequence_items(0)]
    order = list(range(len(frames))) + list(range(len(frames) - 2, 0, -1))
    play = itertools.cycle([frames[k] for k in order] if len(frames) > 1 else frames)
    method.reset()
    for _ in range(WARMUP_FRAMES):
        method.update(next(play))

    def fn():
        return method.update(next(play))

    return fn


def motion_latency(
    method_name,
    dataset,
    policy: LatencyPolicy | None = None,
    repeats: int = 1,
    *,
    method_kwargs: dict | None = None,
    timer: Timer | None = None,
) -> dict:
    """Per-frame streaming latency of ``update(frame)`` on the CPU, at the dataset's frame size.

    Frames as :func:`streaming` plays them; ``measure_latency`` then does its own warm-up and
    ``repeats`` timed rounds under ``policy`` (``LatencyPolicy()`` if None).
    Returns ``measure_latency``'s dict.
    """
    method, _ = _method(method_name, method_kwargs)
    fn = streaming(method, dataset)
    return measure_latency(
        fn, device="cpu", batch=1, policy=policy or LatencyPolicy(), repeats=repeats, timer=timer
    )
