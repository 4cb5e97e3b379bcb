"""Per-region features for the ``learned`` protocol."""

from __future__ import annotations

import cv2
import numpy as np
from scipy import ndimage

from classical.base import check_image

#: Names of the columns of :func:`region_features`, in order.
FEATURE_NAMES = (
    "r_mean",
    "g_mean",
    "b_mean",
    "L_mean",
    "a_mean",
    "b*_mean",
    "r_std",
    "g_std",
    "b_std",
    "L_std",
    "a_std",
    "b*_std",
    "x_centroid",
    "y_centroid",
    "area",
    "x_min",
    "x_max",
    "y_min",
    "y_max",
    "grad_mean",
    "grad_std",
)


def region_features(image: np.ndarray, regions: np.ndarray) -> np.ndarray:
    """Per-region features, ``R x len(FEATURE_NAMES)`` float32 (see :data:`FEATURE_NAMES`).

    Mean and standard deviation of R, G, B (scaled to [0, 1]) and of CIE Lab (L/100, a/128,
    b/128; ``cv2.cvtColor`` on float RGB); centroid x and y over the image width and height;
    area over the image area; bounding box (x_min, x_max, y_min, y_max) over width and height
    (``scipy.ndimage.find_objects``); mean and standard deviation of the Sobel gradient
    magnitude of the grey image (``cv2.Sobel``, 3x3), a simple texture measure. Sums are taken
    with ``np.bincount``, so the cost is a few passes over the image whatever R is.
    """
    image = check_image(image)
    if regions.shape != image.shape[:2]:
        raise ValueError(f"region map {regions.shape} and image {image.shape[:2]} differ")
    h, w = regions.shape
    r = regions.ravel().astype(np.int64, copy=False)
    num_regions = int(r.max()) + 1
    n = np.bincount(r, minlength=num_regions).astype(np.float64)
    n_safe = np.maximum(n, 1)

    rgb = image.astype(np.float32) * (1 / 255)
    lab = cv2.cvtColor(rgb, cv2.COLOR_RGB2LAB) * np.array([1 / 100, 1 / 128, 1 / 128], np.float32)
    grey = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY).astype(np.float32) * (1 / 255)
    grad = cv2.magnitude(
        cv2.Sobel(grey, cv2.CV_32F, 1, 0, ksize=3), cv2.Sobel(grey, cv2.CV_32F, 0, 1, ksize=3)
    )
    channels = np.concatenate([rgb.reshape(-1, 3), lab.reshape(-1, 3), grad.reshape(-1, 1)], 1)

    means = np.empty((num_regions, channels.shape[1]))
    stds = np.empty_like(means)
    for c in range(channels.shape[1]):
        v = channels[:, c].astype(np.float64)
        m = np.bincount(r, weights=v, minlength=num_regions) / n_safe
        sq = np.bincount(r, weights=v * v, minlength=num_regions) / n_safe
        means[:, c] = m
        stds[:, c] = np.sqrt(np.maximum(sq - m * m, 0))

    ys, xs = np.divmod(np.arange(h * w, dtype=np.float64), w)
    cx = np.bincount(r, weights=xs, minlength=num_regions) / n_safe / max(w - 1, 1)
    cy = np.bincount(r, weights=ys, minlength=num_regions) / n_safe / max(h - 1, 1)
    area = n / (h * w)

    box = np.zeros((num_regions, 4))
    for i, sl in enumerate(ndimage.find_objects(regions.astype(np.int32) + 1)):
        if sl is not None:
            box[i] = (sl[1].start / w, sl[1].stop / w, sl[0].start / h, sl[0].stop / h)

    feats = np.column_stack([means[:, :6], stds[:, :6], cx, cy, area, box, means[:, 6], stds[:, 6]])
    return feats.astype(np.float32)
