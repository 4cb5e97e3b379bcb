"""Classical segmentation methods (thresholding, region growing, watershed, edges, superpixels).

Importing this package registers every method in the shared registry (``models.registry``) with
kind ``classical``: ``otsu``, ``multiotsu``, ``yen``, ``li``, ``kapur``, ``kmeans``,
``region_growing``, ``watershed``, ``canny``, ``felzenszwalb``, ``slic``. A method partitions an
image into unlabelled regions; ``classical.base`` maps regions to classes by the ``oracle`` or
the ``learned`` protocol and evaluates them (see its docstring). Imports stay light: scikit-image
submodules are loaded when a method first runs.
"""
from classical import edges, region_growing, superpixels, thresholding, watershed  # noqa: F401
from classical.base import (  # noqa: F401
    PROTOCOLS,
    ClassicalMethod,
    ClassicalSegmenter,
    RegionClassifier,
    create_method,
    evaluate_classical,
    oracle_classes,
    region_class_counts,
    region_features,
    segment,
    train_classifier,
)
