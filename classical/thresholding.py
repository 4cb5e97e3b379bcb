"""Thresholding and colour clustering: Otsu, multi-level Otsu, Yen, Li, Kapur, k-means.

Each method computes pixel classes (grey-level bands, or colour clusters), then turns them into
spatially coherent regions: connected components of equal class (``skimage.measure.label``,
4-connectivity), with components under ``min_size`` pixels dissolved into their nearest
neighbours (:func:`classical.regions.merge_small_regions`). The grey image is smoothed first
(Gaussian, ``sigma`` pixels) so that sensor noise does not shatter flat areas into specks.
"""

from __future__ import annotations

import cv2
import numpy as np
from skimage import filters

from classical.base import ClassicalMethod
from classical.regions import connected_regions, merge_small_regions
from models.registry import register_classical

NOTES = (
    "classical, no parameters; pixel classes -> connected components (4-connected), "
    "components under min_size px merged into the nearest; FLOPs not applicable"
)


def _smooth_grey(image: np.ndarray, sigma: float) -> np.ndarray:
    grey = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)
    if sigma > 0:
        grey = cv2.GaussianBlur(grey, (0, 0), sigma)
    return grey


def kapur_threshold(grey: np.ndarray) -> int:
    """Kapur, Sahoo & Wong (1985) maximum-entropy threshold of a uint8 image.

    The threshold ``t`` maximises ``H_b(t) + H_f(t)``, the entropies of the grey-level
    distributions of the two classes ``<= t`` and ``> t``. scikit-image has no Kapur; this is
    its closed form over the histogram, ``H(t) = ln P(t) - S(t) / P(t)`` with ``P`` the class
    probability and ``S`` the class sum of ``p ln p``, vectorised over all ``t``.
    """
    hist = np.bincount(np.asarray(grey, np.uint8).ravel(), minlength=256).astype(np.float64)
    p = hist / hist.sum()
    plogp = np.where(p > 0, p * np.log(np.where(p > 0, p, 1)), 0.0)
    P = np.cumsum(p)[:-1]
    S = np.cumsum(plogp)[:-1]
    Pf, Sf = 1 - P, plogp.sum() - S
    ok = (P > 1e-12) & (Pf > 1e-12)
    if not ok.any():
        return int(grey.min())
    with np.errstate(divide="ignore", invalid="ignore"):
        h = np.where(
            ok,
            np.log(np.where(ok, P, 1))
            - S / np.where(ok, P, 1)
            + np.log(np.where(ok, Pf, 1))
            - Sf / np.where(ok, Pf, 1),
            -np.inf,
        )
    return int(np.argmax(h))


class GreyThreshold(ClassicalMethod):
    """Global threshold(s) on the smoothed grey image, then connected components."""

    def __init__(self, name: str, rule, sigma: float = 1.0, min_size: int = 30, **params):
        super().__init__(sigma=sigma, min_size=min_size, **params)
        self.name, self.rule = name, rule
        self.sigma, self.min_size = sigma, min_size

    def thresholds(self, grey: np.ndarray) -> np.ndarray:
        if grey.min() == grey.max():
            return np.array([], np.float64)
        return np.atleast_1d(np.asarray(self.rule(grey, **self._rule_kwargs()), np.float64))

    def _rule_kwargs(self) -> dict:
        return {}

    def _partition(self, image: np.ndarray) -> np.ndarray:
        grey = _smooth_grey(image, self.sigma)
        bands = np.digitize(grey, self.thresholds(grey), right=True)  # grey <= t: lower band
        return merge_small_regions(connected_regions(bands), self.min_size)


class MultiOtsu(GreyThreshold):
    def __init__(self, classes: int = 3, sigma: float = 1.0, min_size: int = 30):
        if classes < 2:
            raise ValueError(f"classes must be at least 2, got {classes}")
        super().__init__("multiotsu", filters.threshold_multiotsu, sigma, min_size, classes=classes)
        self.classes = classes

    def _rule_kwargs(self) -> dict:
        return {"classes": self.classes}

    def thresholds(self, grey: np.ndarray) -> np.ndarray:
        try:
            return super().thresholds(grey)
        except ValueError:  # fewer grey levels than classes: one Otsu threshold instead
            return np.atleast_1d(np.asarray(filters.threshold_otsu(grey), np.float64))


@register_classical(
    "otsu",
    notes=NOTES,
    description="Otsu's global grey threshold, then connected components",
    paper="Otsu 1979, A threshold selection method from gray-level histograms, "
    "IEEE Trans. SMC 9(1)",
)
def otsu(sigma: float = 1.0, min_size: int = 30) -> GreyThreshold:
    return GreyThreshold("otsu", filters.threshold_otsu, sigma, min_size)


@register_classical(
    "multiotsu",
    notes=NOTES,
    description="multi-level Otsu (3 grey classes), then connected components",
    paper="Liao, Chen & Chung 2001, A fast algorithm for multilevel thresholding "
    "(multi-level Otsu 1979), J. Inf. Sci. Eng. 17(5)",
)
def multiotsu(classes: int = 3, sigma: float = 1.0, min_size: int = 30) -> MultiOtsu:
    if classes not in (2, 3, 4, 5):
        raise ValueError(f"multiotsu supports 2 to 5 classes, got {classes}")
    return MultiOtsu(classes, sigma, min_size)


@register_classical(
    "yen",
    notes=NOTES,
    description="Yen's maximum-correlation (entropic) grey threshold, then connected components",
    paper="Yen, Chang & Chang 1995, A new criterion for automatic multilevel "
    "thresholding, IEEE Trans. Image Process. 4(3)",
)
def yen(sigma: float = 1.0, min_size: int = 30) -> GreyThreshold:
    return GreyThreshold("yen", filters.threshold_yen, sigma, min_size)


@register_classical(
    "li",
    notes=NOTES,
    description="Li's minimum cross-entropy grey threshold, then connected components",
    paper="Li & Lee 1993, Minimum cross entropy thresholding, Pattern Recognition 26(4)",
)
def li(sigma: float = 1.0, min_size: int = 30) -> GreyThreshold:
    return GreyThreshold("li", filters.threshold_li, sigma, min_size)


@register_classical(
    "kapur",
    notes=NOTES,
    description="Kapur's maximum-entropy grey threshold, then connected components",
    paper="Kapur, Sahoo & Wong 1985, A new method for gray-level picture thresholding "
    "using the entropy of the histogram, CVGIP 29(3)",
)
def kapur(sigma: float = 1.0, min_size: int = 30) -> GreyThreshold:
    return GreyThreshold("kapur", kapur_threshold, sigma, min_size)


class KMeansColour(ClassicalMethod):
    """k-means colour clustering in CIE Lab (``cv2.kmeans``, k-means++ seeded from ``seed``),
    then connected components of equal cluster."""

    name = "kmeans"

    def __init__(
        self,
        k: int = 6,
        sigma: float = 1.0,
        min_size: int = 30,
        seed: int = 0,
        attempts: int = 1,
        max_iter: int = 10,
        sample: int | None = 20000,
    ):
        if k < 1:
            raise ValueError(f"k must be at least 1, got {k}")
        super().__init__(
            k=k,
            sigma=sigma,
            min_size=min_size,
            seed=seed,
            attempts=attempts,
            max_iter=max_iter,
            sample=sample,
        )
        self.k, self.sigma, self.min_size, self.seed = k, sigma, min_size, seed
        self.attempts, self.max_iter, self.sample = attempts, max_iter, sample

    def _partition(self, image: np.ndarray) -> np.ndarray:
        if self.sigma > 0:
            image = cv2.GaussianBlur(image, (0, 0), self.sigma)
        lab = cv2.cvtColor(image, cv2.COLOR_RGB2LAB).reshape(-1, 3).astype(np.float32)
        # Centres from a seeded subsample (fast and deterministic), then every pixel is given
        # its nearest centre.
        fit = lab
        if self.sample and lab.shape[0] > self.sample:
            rng = np.random.default_rng(self.seed)
            fit = lab[rng.choice(lab.shape[0], self.sample, replace=False)]
        k = min(self.k, fit.shape[0])
        criteria = (cv2.TERM_CRITERIA_EPS + cv2.TERM_CRITERIA_MAX_ITER, self.max_iter, 0.5)
        cv2.setRNGSeed(self.seed)
        # bestLabels=None is valid (cv2 allocates it); the stubs' overloads require an array.
        _, _, centres = cv2.kmeans(  # type: ignore[call-overload]
            fit, k, None, criteria, self.attempts, cv2.KMEANS_PP_CENTERS
        )
        d = ((lab[:, None, :] - centres[None, :, :]) ** 2).sum(2)
        clusters = d.argmin(1).reshape(image.shape[:2])
        return merge_small_regions(connected_regions(clusters), self.min_size)


@register_classical(
    "kmeans",
    notes=NOTES,
    description="k-means colour clustering in Lab (k=6), then connected components",
    paper="Lloyd 1982, Least squares quantization in PCM (k-means), IEEE Trans. Inf. "
    "Theory 28(2); k-means++: Arthur & Vassilvitskii 2007",
)
def kmeans(
    k: int = 6,
    sigma: float = 1.0,
    min_size: int = 30,
    seed: int = 0,
    attempts: int = 1,
    sample: int | None = 20000,
) -> KMeansColour:
    return KMeansColour(k, sigma, min_size, seed, attempts, sample=sample)
