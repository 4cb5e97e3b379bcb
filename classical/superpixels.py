"""Superpixels from scikit-image: Felzenszwalb-Huttenlocher graph segmentation and SLIC."""

from __future__ import annotations

import numpy as np

from classical.base import ClassicalMethod
from models.registry import register_classical


class Felzenszwalb(ClassicalMethod):
    """``skimage.segmentation.felzenszwalb``: greedy merging of a pixel graph (8-connected, RGB
    distance) where a merge needs the edge weight under both components' internal difference
    plus ``scale / size``."""

    name = "felzenszwalb"

    def __init__(self, scale: float = 200.0, sigma: float = 0.8, min_size: int = 50):
        super().__init__(scale=scale, sigma=sigma, min_size=min_size)
        self.scale, self.sigma, self.min_size = scale, sigma, min_size

    def _partition(self, image: np.ndarray) -> np.ndarray:
        from skimage.segmentation import felzenszwalb

        return felzenszwalb(
            image, scale=self.scale, sigma=self.sigma, min_size=self.min_size, channel_axis=-1
        )


class Slic(ClassicalMethod):
    """``skimage.segmentation.slic``: k-means on (Lab colour, position) in local windows, about
    ``n_segments`` superpixels, connectivity enforced."""

    name = "slic"

    def __init__(self, n_segments: int = 400, compactness: float = 10.0, sigma: float = 1.0):
        super().__init__(n_segments=n_segments, compactness=compactness, sigma=sigma)
        self.n_segments, self.compactness, self.sigma = n_segments, compactness, sigma

    def _partition(self, image: np.ndarray) -> np.ndarray:
        from skimage.segmentation import slic

        return slic(
            image,
            n_segments=self.n_segments,
            compactness=self.compactness,
            sigma=self.sigma,
            start_label=0,
            channel_axis=-1,
        )


@register_classical(
    "felzenszwalb",
    description="Felzenszwalb-Huttenlocher graph-based segmentation (scale 200)",
    paper="Felzenszwalb & Huttenlocher 2004, Efficient graph-based image segmentation, IJCV 59(2)",
    notes="classical, no parameters; skimage.segmentation.felzenszwalb; FLOPs not applicable",
)
def felzenszwalb(scale: float = 200.0, sigma: float = 0.8, min_size: int = 50) -> Felzenszwalb:
    return Felzenszwalb(scale, sigma, min_size)


@register_classical(
    "slic",
    description="SLIC superpixels (about 400, compactness 10)",
    paper="Achanta et al. 2012, SLIC superpixels compared to state-of-the-art superpixel "
    "methods, IEEE Trans. PAMI 34(11)",
    notes="classical, no parameters; skimage.segmentation.slic; FLOPs not applicable",
)
def slic(n_segments: int = 400, compactness: float = 10.0, sigma: float = 1.0) -> Slic:
    return Slic(n_segments, compactness, sigma)
