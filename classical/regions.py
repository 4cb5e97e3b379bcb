"""Region maps: helpers shared by the methods, and the class histogram of each region.

``region_class_counts`` and ``oracle_classes`` implement the ``oracle`` protocol's rule: each
region takes the majority ground-truth class of its non-void pixels.
"""

from __future__ import annotations

import numpy as np


def compact_labels(labels: np.ndarray) -> np.ndarray:
    """Any non-negative integer map -> int32 ids ``0..R-1`` in the order of the old ids."""
    labels = np.asarray(labels)
    if labels.ndim != 2:
        raise ValueError(f"a region map is 2-D, got shape {labels.shape}")
    flat = labels.ravel().astype(np.int64, copy=False)
    if flat.size and flat.min() < 0:
        raise ValueError("region ids must be non-negative")
    present = np.bincount(flat) > 0 if flat.size else np.zeros(0, bool)
    lut = (np.cumsum(present) - 1).astype(np.int32)
    return lut[flat].reshape(labels.shape)


def partition_sizes(regions: np.ndarray) -> np.ndarray:
    return np.bincount(regions.ravel())


def connected_regions(classes: np.ndarray, connectivity: int = 1) -> np.ndarray:
    """Connected components of equal values of an integer map (every pixel labelled), 0-based."""
    from skimage.measure import label

    return label(np.asarray(classes, np.int32), background=-1, connectivity=connectivity) - 1


def merge_small_regions(regions: np.ndarray, min_size: int) -> np.ndarray:
    """Dissolve regions smaller than ``min_size`` pixels into their nearest large neighbours.

    Small regions are unlabelled and every unlabelled pixel takes the label of the nearest
    labelled pixel (``skimage.segmentation.expand_labels``, Euclidean distance). If every region
    is small, the largest one is kept.
    """
    from skimage.segmentation import expand_labels

    regions = compact_labels(regions)
    sizes = np.bincount(regions.ravel())
    small = sizes < min_size
    if not small.any():
        return regions
    if small.all():
        small[np.argmax(sizes)] = False
    lab = regions + 1
    lab[small[regions]] = 0
    lab = expand_labels(lab, distance=float(sum(regions.shape)))
    return compact_labels(lab - 1)


def _valid_mask(gt: np.ndarray, num_classes: int, ignore_index: int | None) -> np.ndarray:
    valid = (gt >= 0) & (gt < num_classes)
    if ignore_index is not None:
        valid &= gt != ignore_index
    return valid


def region_class_counts(
    regions: np.ndarray, gt: np.ndarray, num_classes: int, ignore_index: int | None = None
) -> np.ndarray:
    """``counts[r, c]``: non-void pixels of class ``c`` in region ``r`` (``R x C`` int64).

    Pixels whose label is the ignore index or outside ``0..num_classes-1`` are void.
    """
    if regions.shape != gt.shape:
        raise ValueError(f"region map {regions.shape} and label {gt.shape} differ in shape")
    gt = np.asarray(gt).astype(np.int64, copy=False)
    valid = _valid_mask(gt, num_classes, ignore_index)
    r = regions.astype(np.int64, copy=False)
    num_regions = int(r.max()) + 1 if r.size else 0
    idx = r[valid] * num_classes + gt[valid]
    return np.bincount(idx, minlength=num_regions * num_classes).reshape(num_regions, num_classes)


def oracle_classes(
    regions: np.ndarray, gt: np.ndarray, num_classes: int, ignore_index: int | None = None
) -> np.ndarray:
    """The majority non-void ground-truth class of each region (0 for all-void regions)."""
    return region_class_counts(regions, gt, num_classes, ignore_index).argmax(1)
