"""The classical-method interface: a method partitions an image into unlabelled regions.

``partition(image)`` takes a uint8 ``HxWx3`` RGB image and returns an ``int32`` ``HxW`` region
map with ids ``0..R-1`` (every id used). Regions carry no class: a *protocol*
(:mod:`classical.protocols`) says how a region gets one.

Where things live in this package:

* ``base`` (this module): :class:`ClassicalMethod`, input checks, ``create_method(name)``.
* ``regions``: region-map helpers shared by the methods (compact ids, connected components,
  merging small regions) and the class histogram of each region.
* ``features``: per-region features for the learned protocol.
* ``classifier``: the small region classifier and its training on a training split.
* ``protocols``: ``oracle`` and ``learned``, and :class:`ClassicalSegmenter` (image in, class map
  out) that the harness measures like a deep model.
* one module per family of methods (``thresholding``, ``region_growing``, ``watershed``,
  ``edges``, ``superpixels``), each registering its methods with
  ``models.registry.register_classical``.

A new method: subclass :class:`ClassicalMethod`, implement ``_partition(image)`` (any integer map;
``partition`` makes the ids compact), and register a builder (see ``docs/DESIGN.md``). Scoring a
method over a dataset (one confusion matrix over a split) is the harness's job:
``bench.measure.classical.evaluate_classical``. This package never imports ``bench``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from classical.regions import compact_labels
from models.registry import get_system

# --------------------------------------------------------------------------------------------
# methods


class ClassicalMethod:
    """Base class: ``partition(image)`` -> int32 region map ``0..R-1``; ``self(image)`` too.

    Subclasses implement ``_partition(image)`` and may return any integer map (ids need not be
    consecutive): ``partition`` checks the input and makes the ids ``0..R-1``. ``params`` holds
    the settings (for results and ``repr``).
    """

    name = "classical"

    def __init__(self, **params: Any):
        self.params = params

    def _partition(self, image: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def partition(self, image: np.ndarray) -> np.ndarray:
        image = check_image(image)
        return compact_labels(self._partition(image))

    __call__ = partition

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.params.items())
        return f"{type(self).__name__}({args})"


def check_image(image: np.ndarray) -> np.ndarray:
    image = np.asarray(image)
    if image.ndim != 3 or image.shape[2] != 3:
        raise ValueError(f"expected an HxWx3 RGB image, got shape {image.shape}")
    if image.dtype != np.uint8:
        raise ValueError(f"expected a uint8 image, got {image.dtype}")
    return np.ascontiguousarray(image)


def create_method(name: str, **kwargs: Any) -> ClassicalMethod:
    """Build the registered classical method ``name`` (UnknownSystemError for unknown names)."""
    info = get_system(name)
    if info.kind != "classical":
        raise ValueError(f"'{name}' is a {info.kind}, not a classical method")
    return info.builder(**kwargs)


def as_method(method) -> ClassicalMethod:
    """``method`` itself, or the registered method of that name."""
    return create_method(method) if isinstance(method, str) else method
