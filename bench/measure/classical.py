"""Scoring a classical method on a dataset split: one confusion matrix over its images.

The methods, protocols and classifier are in ``classical``; this is the harness's loop over a
split, the classical counterpart of ``bench.train.evaluate_checkpoint``.
"""

from __future__ import annotations

import time

import numpy as np
import torch
from tqdm import tqdm

from bench.measure.accuracy import ConfusionMatrix
from bench.systems import create_method
from classical.classifier import spread_indices, train_classifier
from classical.interactive import InteractiveMethod
from classical.protocols import ASSISTED, check_protocol, segment
from classical.seeds import oracle_seeds


def evaluate_classical(
    method_name,
    train_ds,
    test_ds,
    protocol: str,
    max_train_images: int | None = 60,
    max_test_images: int | None = None,
    seed: int = 0,
    method_kwargs: dict | None = None,
    classifier_kwargs: dict | None = None,
    progress: bool = True,
    on_prediction=None,
) -> dict:
    """Metrics of a classical method under one protocol on ``test_ds`` (its first
    ``max_test_images`` images, all if None), from one confusion matrix over them.

    ``method_name``: a registered name (built with ``method_kwargs``) or a method object.
    ``train_ds`` is used by ``learned`` only (``max_train_images`` spread over it) and may be None
    for ``oracle`` and ``oracle-assisted``. Returns ``ConfusionMatrix.compute(spec.classes)`` plus
    ``protocol``, ``system``, ``classifier_params`` (the learned classifier's parameter count;
    None for the oracles), ``images``, ``train_images``, ``regions_per_image`` (mean; the seed
    groups under ``oracle-assisted``), ``partition_ms_mean`` (mean wall time of ``partition``,
    or of ``partition_seeded`` for an interactive method, its seeds derived beforehand, in this
    loop: informal, not the latency measurement), ``train_s`` (classifier training time,
    regions included) and ``seed_kind`` (the simulated user's seeds under ``oracle-assisted``,
    drawn from each test label with ``seed``; None otherwise). ``on_prediction(index,
    class_map)``, if given, sees every test image's prediction.
    """
    method = (
        create_method(method_name, **(method_kwargs or {}))
        if isinstance(method_name, str)
        else method_name
    )
    check_protocol(method, protocol)  # (before any training)
    assisted = protocol == ASSISTED
    name = method_name if isinstance(method_name, str) else getattr(method, "name", "?")
    spec = test_ds.spec
    classifier, train_s, train_images = None, None, 0
    if protocol == "learned":
        if train_ds is None:
            raise ValueError("the learned protocol needs a training dataset")
        if train_ds.spec.num_classes != spec.num_classes:
            raise ValueError("training and test datasets have different class counts")
        t0 = time.perf_counter()
        classifier = train_classifier(
            method,
            train_ds,
            max_train_images,
            seed=seed,
            progress=progress,
            **(classifier_kwargs or {}),
        )
        train_s = time.perf_counter() - t0
        train_images = len(spread_indices(len(train_ds), max_train_images))

    cm = ConfusionMatrix(spec.num_classes, spec.ignore_index)
    n = len(test_ds) if max_test_images is None else min(len(test_ds), max_test_images)
    regions_total, partition_s = 0, 0.0
    for i in tqdm(
        range(n), desc=f"{name} {protocol}", unit="img", leave=False, disable=not progress
    ):
        image, gt = test_ds.raw(i)
        seeds = None
        if assisted:
            assert isinstance(method, InteractiveMethod)  # (check_protocol)
            seeds = oracle_seeds(
                gt, spec.num_classes, spec.ignore_index, kind=method.seed_kind, seed=seed
            )
            seed_map, seed_classes = seeds
            if not len(seed_classes):  # an all-void label: nothing to seed, nothing scored
                regions = np.zeros(np.shape(gt), np.int32)
            else:
                t0 = time.perf_counter()
                regions = method.partition_seeded(image, seed_map, seed_classes)
                partition_s += time.perf_counter() - t0
            regions_total += len(seed_classes)
        else:
            t0 = time.perf_counter()
            regions = method.partition(image)
            partition_s += time.perf_counter() - t0
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
            seeds=seeds,
        )
        cm.update(torch.from_numpy(np.asarray(gt).astype(np.int64)), torch.from_numpy(pred))
        if on_prediction is not None:
            on_prediction(i, pred)
    out = summary(cm, spec, name, protocol, classifier, n, train_images, regions_total)
    out.update(
        {
            "partition_ms_mean": 1e3 * partition_s / n if n else float("nan"),
            "train_s": train_s,
            "seed_kind": method.seed_kind if isinstance(method, InteractiveMethod) else None,
        }
    )
    return out


def summary(
    cm: ConfusionMatrix,
    spec,
    name: str,
    protocol: str,
    classifier,
    images: int,
    train_images: int,
    regions_total: int,
) -> dict:
    """The metrics of one classical method's scoring (``ConfusionMatrix.compute``) and what
    every such row says of it: system, protocol, classifier size, images, regions per image."""
    out = cm.compute(spec.classes)
    out.update(
        {
            "system": name,
            "protocol": protocol,
            "classifier_params": classifier.num_params if classifier is not None else None,
            "images": images,
            "train_images": train_images,
            "regions_per_image": regions_total / images if images else float("nan"),
        }
    )
    return out
