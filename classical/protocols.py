"""The three protocols that give a classical method's pixels classes, reported separately and
never mixed.

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

``oracle-assisted``
    For interactive methods (:class:`classical.interactive.InteractiveMethod`) only, and the only
    protocol they are scored under. A simulated user marks every connected component of the
    ground truth with a seed group (:func:`classical.seeds.oracle_seeds`: a scribble inside it,
    or a box around it, as the method's ``seed_kind`` asks); the method assigns every pixel to
    a group (``partition_seeded``), and each pixel takes its group's class. The user reads the
    test labels, so this measures how well a method completes a user's marks, not how well it
    segments alone.

Why the rows are never mixed: ``oracle`` scores a partition made without the labels and reads
them only to name its regions; ``learned`` reads no label at all; ``oracle-assisted`` hands the
method, before it runs, where every object is and which class it has. The three answer
different questions, and an assisted score beside an unassisted one would read as a better
segmenter when it is a better-informed one. So an unassisted method cannot be scored under
``oracle-assisted`` and an interactive one under nothing else (:func:`check_protocol`), and the
registry lists the protocols of each method (``models.registry.CLASSICAL_PROTOCOLS``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from classical.base import ClassicalMethod, as_method
from classical.classifier import RegionClassifier
from classical.features import region_features
from classical.interactive import InteractiveMethod
from classical.regions import oracle_classes
from classical.seeds import oracle_seeds

PROTOCOLS = ("oracle", "learned", "oracle-assisted")
#: the protocol of interactive methods, which read seeds drawn from the ground truth
ASSISTED = "oracle-assisted"


def check_protocol(method: ClassicalMethod, protocol: str) -> None:
    """ValueError unless ``method`` may be scored under ``protocol``: interactive methods under
    ``oracle-assisted`` only, every other method under ``oracle`` or ``learned`` only."""
    if protocol not in PROTOCOLS:
        raise ValueError(f"protocol must be one of {PROTOCOLS}, got {protocol!r}")
    name = getattr(method, "name", type(method).__name__)
    if isinstance(method, InteractiveMethod) and protocol != ASSISTED:
        raise ValueError(
            f"'{name}' is an interactive method: it needs seeds from a (simulated) user and is "
            f"scored under the {ASSISTED} protocol only, not {protocol!r}"
        )
    if not isinstance(method, InteractiveMethod) and protocol == ASSISTED:
        raise ValueError(
            f"'{name}' is not an interactive method: the {ASSISTED} protocol (seeds from the "
            f"ground truth) is for interactive methods only; score it under oracle or learned"
        )


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
    seeds: tuple[np.ndarray, np.ndarray] | None = None,
    seed: int = 0,
) -> np.ndarray:
    """Class map (``HxW`` int64) of ``image`` by ``method`` (an object or a registered name).

    ``oracle`` needs ``gt`` and the class count (``num_classes``, else ``classifier``'s, else
    ``gt.max() + 1`` with ``ignore_index`` left out); ``learned`` needs a fitted ``classifier``
    and never looks at ``gt``. ``regions`` skips the partition when it is already known.
    ``oracle-assisted`` (interactive methods only) needs ``gt`` and the class count as the
    oracle does: the seeds (``seeds``: the seed map and ``seed_classes`` if already derived,
    else :func:`classical.seeds.oracle_seeds` of ``gt`` with the method's ``seed_kind`` and
    ``seed``) go to ``partition_seeded``, and each pixel takes its group's class; ``regions``
    are then seed group ids. An image with no seed at all (all void) is class 0 everywhere.
    """
    method = as_method(method)
    check_protocol(method, protocol)
    if protocol == "learned":
        if classifier is None or classifier.net is None:
            raise ValueError("the learned protocol needs a fitted classifier (classifier=...)")
        if regions is None:
            regions = method.partition(image)
        return classifier.predict(region_features(image, regions)).astype(np.int64)[regions]
    if gt is None:
        raise ValueError(f"the {protocol} protocol needs the ground truth (gt=...)")
    gt = np.asarray(gt)
    if num_classes is None:
        if classifier is not None:
            num_classes = classifier.num_classes
        else:
            valid = gt[gt != ignore_index] if ignore_index is not None else gt
            num_classes = int(valid.max()) + 1 if valid.size else 1
    if protocol == "oracle":
        if regions is None:
            regions = method.partition(image)
        table = oracle_classes(regions, gt, num_classes, ignore_index)
        return table.astype(np.int64)[regions]
    assert isinstance(method, InteractiveMethod)  # (check_protocol)
    if seeds is None:
        seeds = oracle_seeds(gt, num_classes, ignore_index, kind=method.seed_kind, seed=seed)
    seed_map, seed_classes = seeds
    if not len(seed_classes):
        return np.zeros(gt.shape, np.int64)
    if regions is None:
        regions = method.partition_seeded(image, seed_map, seed_classes)
    return np.asarray(seed_classes, np.int64)[regions]


@dataclass
class ClassicalSegmenter:
    """A classical method with its protocol: ``segmenter(image, gt=None) -> class map``.

    For the harness: one object per (method, protocol); ``num_params`` is the classifier's size
    (0 for the oracle, which has none but reads the labels, and for ``oracle-assisted``, whose
    seeds are drawn from ``gt`` with ``seed``). The pairing is checked when it is made.
    """

    method: ClassicalMethod
    protocol: str
    classifier: RegionClassifier | None = None
    num_classes: int | None = None
    ignore_index: int | None = None
    seed: int = 0

    def __post_init__(self) -> None:
        check_protocol(self.method, self.protocol)

    def __call__(self, image: np.ndarray, gt: np.ndarray | None = None) -> np.ndarray:
        return segment(
            self.method,
            image,
            self.protocol,
            self.classifier,
            gt,
            num_classes=self.num_classes,
            ignore_index=self.ignore_index,
            seed=self.seed,
        )

    @property
    def num_params(self) -> int:
        return self.classifier.num_params if self.classifier is not None else 0
