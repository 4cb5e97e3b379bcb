"""The two region-to-class protocols, reported separately and never mixed.

``oracle``
    Each region takes the majority ground-truth class of its non-void pixels (regions with only
    void pixels get class 0; they are void-masked in the metric anyway). This is the
    *achievable segmentation accuracy* of the superpixel literature: no labelling of the same
    partition has a higher global (pixel) accuracy. It is the usual upper bound for mIoU too,
    but for mIoU it is not a strict maximum (giving a mixed region to a rare minority class can
    raise that class's IoU by more than it lowers the others'), so treat it as the bound the
    literature reports, exact for pixel accuracy. It uses the test labels and is not a
    segmenter that could run without them.

``learned``
    A small classifier (:class:`classical.classifier.RegionClassifier`, an MLP or multinomial
    logistic regression in torch) trained on the training split maps per-region features
    (:func:`classical.features.region_features`: colour statistics in RGB and Lab, position,
    size, bounding box, gradient texture) to a class. No ground truth is used at test time.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from classical.base import ClassicalMethod, as_method
from classical.classifier import RegionClassifier
from classical.features import region_features
from classical.regions import oracle_classes

PROTOCOLS = ("oracle", "learned")


def segment(
    method,
    image: np.ndarray,
    protocol: str,
    classifier: RegionClassifier | None = None,
    gt: np.ndarray | None = None,
    *,
    num_classes: int | None = None,
    ignore_index: int | None = None,
    regions: np.ndarray | None = None,
) -> np.ndarray:
    """Class map (``HxW`` int64) of ``image`` by ``method`` (an object or a registered name).

    ``oracle`` needs ``gt`` and the class count (``num_classes``, else ``classifier``'s, else
    ``gt.max() + 1`` with ``ignore_index`` left out); ``learned`` needs a fitted ``classifier``
    and never looks at ``gt``. ``regions`` skips the partition when it is already known.
    """
    if protocol not in PROTOCOLS:
        raise ValueError(f"protocol must be one of {PROTOCOLS}, got {protocol!r}")
    if regions is None:
        regions = as_method(method).partition(image)
    if protocol == "oracle":
        if gt is None:
            raise ValueError("the oracle protocol needs the ground truth (gt=...)")
        gt = np.asarray(gt)
        if num_classes is None:
            if classifier is not None:
                num_classes = classifier.num_classes
            else:
                valid = gt[gt != ignore_index] if ignore_index is not None else gt
                num_classes = int(valid.max()) + 1 if valid.size else 1
        table = oracle_classes(regions, gt, num_classes, ignore_index)
    else:
        if classifier is None or classifier.net is None:
            raise ValueError("the learned protocol needs a fitted classifier (classifier=...)")
        table = classifier.predict(region_features(image, regions))
    return table.astype(np.int64)[regions]


@dataclass
class ClassicalSegmenter:
    """A classical method with its protocol: ``segmenter(image, gt=None) -> class map``.

    For the harness: one object per (method, protocol); ``num_params`` is the classifier's size
    (0 for the oracle, which has none but reads the labels).
    """

    method: ClassicalMethod
    protocol: str
    classifier: RegionClassifier | None = None
    num_classes: int | None = None
    ignore_index: int | None = None

    def __call__(self, image: np.ndarray, gt: np.ndarray | None = None) -> np.ndarray:
        return segment(
            self.method,
            image,
            self.protocol,
            self.classifier,
            gt,
            num_classes=self.num_classes,
            ignore_index=self.ignore_index,
        )

    @property
    def num_params(self) -> int:
        return self.classifier.num_params if self.classifier is not None else 0
