"""Classical segmentation methods (thresholding, region growing, watershed, edges, superpixels).

Importing this package registers every method in the shared registry (``models.registry``) with
kind ``classical``: ``otsu``, ``multiotsu``, ``yen``, ``li``, ``kapur``, ``kmeans``,
``region_growing``, ``watershed``, ``canny``, ``felzenszwalb``, ``slic``, ``fast_marching``,
``chan_vese``, ``dual_clustering``. A method partitions an image into unlabelled regions;
``classical.protocols`` maps regions to classes by the ``oracle`` or the ``learned`` protocol
(see ``classical.base`` for where each piece lives). Imports stay light: scikit-image
submodules are loaded when a method first runs. This package imports ``models.registry`` and
never ``bench``.
"""

from classical import (  # noqa: F401
    active_contours,
    dual_clustering,
    edges,
    fast_marching,
    interactive,
    motion,
    region_growing,
    superpixels,
    thresholding,
    watershed,
)
from classical.base import ClassicalMethod, create_method  # noqa: F401
from classical.classifier import RegionClassifier, train_classifier  # noqa: F401
from classical.features import region_features  # noqa: F401
from classical.protocols import PROTOCOLS, ClassicalSegmenter, segment  # noqa: F401
from classical.regions import oracle_classes, region_class_counts  # noqa: F401
