"""The classical-method interface, the two region-to-class protocols, and their evaluation.

A classical method splits an image into unlabelled regions: ``partition(image)`` takes a uint8
``HxWx3`` RGB image and returns an ``int32`` ``HxW`` region map with ids ``0..R-1`` (every id
used). Regions carry no class, so a *protocol* says how a region gets one; the two are reported
separately and never mixed:

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
    A small classifier (:class:`RegionClassifier`, an MLP or multinomial logistic regression in
    torch) trained on the training split maps per-region features (:func:`region_features`:
    colour statistics in RGB and Lab, position, size, bounding box, gradient texture) to a class.
    No ground truth is used at test time.

Public API::

    create_method(name, **kwargs) -> ClassicalMethod
    partition_sizes / compact_labels / merge_small_regions / connected_regions  (helpers)
    region_class_counts(regions, gt, num_classes, ignore_index) -> (R, C) int64
    oracle_classes(regions, gt, num_classes, ignore_index) -> (R,) int64
    region_features(image, regions) -> (R, F) float32
    RegionClassifier(num_classes, hidden=64, steps=300, ...).fit(x, y, w) / .predict(x)
    train_classifier(method, train_ds, max_train_images=60, seed=0, ...) -> RegionClassifier
    segment(method, image, protocol, classifier=None, gt=None, *, num_classes=None,
            ignore_index=None) -> HxW int64 class map
    ClassicalSegmenter(method, protocol, classifier=None, ...)(image, gt=None) -> class map
    evaluate_classical(method_name, train_ds, test_ds, protocol, max_train_images=60,
                       max_test_images=None, seed=0, ...) -> dict
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Sequence

import cv2
import numpy as np
import torch
from scipy import ndimage
from tqdm import tqdm

from bench.datasets.base import class_weights

PROTOCOLS = ("oracle", "learned")

#: Names of the columns of :func:`region_features`, in order.
FEATURE_NAMES = (
    "r_mean", "g_mean", "b_mean", "L_mean", "a_mean", "b*_mean",
    "r_std", "g_std", "b_std", "L_std", "a_std", "b*_std",
    "x_centroid", "y_centroid", "area",
    "x_min", "x_max", "y_min", "y_max",
    "grad_mean", "grad_std",
)


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
    from models.registry import get_system

    info = get_system(name)
    if info.kind != "classical":
        raise ValueError(f"'{name}' is a {info.kind}, not a classical method")
    return info.builder(**kwargs)


def _as_method(method) -> ClassicalMethod:
    return create_method(method) if isinstance(method, str) else method


# --------------------------------------------------------------------------------------------
# region-map helpers (shared by the methods)

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


# --------------------------------------------------------------------------------------------
# oracle protocol

def _valid_mask(gt: np.ndarray, num_classes: int, ignore_index: int | None) -> np.ndarray:
    valid = (gt >= 0) & (gt < num_classes)
    if ignore_index is not None:
        valid &= gt != ignore_index
    return valid


def region_class_counts(regions: np.ndarray, gt: np.ndarray, num_classes: int,
                        ignore_index: int | None = None) -> np.ndarray:
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
    return np.bincount(idx, minlength=num_regions * num_classes).reshape(num_regions,
                                                                          num_classes)


def oracle_classes(regions: np.ndarray, gt: np.ndarray, num_classes: int,
                   ignore_index: int | None = None) -> np.ndarray:
    """The majority non-void ground-truth class of each region (0 for all-void regions)."""
    return region_class_counts(regions, gt, num_classes, ignore_index).argmax(1)


# --------------------------------------------------------------------------------------------
# region features (learned protocol)

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
    lab = cv2.cvtColor(rgb, cv2.COLOR_RGB2LAB) * np.array([1 / 100, 1 / 128, 1 / 128],
                                                           np.float32)
    grey = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY).astype(np.float32) * (1 / 255)
    grad = cv2.magnitude(cv2.Sobel(grey, cv2.CV_32F, 1, 0, ksize=3),
                         cv2.Sobel(grey, cv2.CV_32F, 0, 1, ksize=3))
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

    feats = np.column_stack([means[:, :6], stds[:, :6], cx, cy, area, box,
                             means[:, 6], stds[:, 6]])
    return feats.astype(np.float32)


# --------------------------------------------------------------------------------------------
# the classifier

def _one_thread():
    """Torch on one thread: the classifier is tiny, so threads only add start-up cost and
    contention, and one thread makes its results independent of the caller's thread count."""
    from bench.environment import torch_threads

    return torch_threads(1)


class RegionClassifier:
    """A small region classifier in torch: a 1-hidden-layer MLP, or multinomial logistic
    regression with ``hidden=0``.

    ``fit(features, labels, weights)`` standardises the features (statistics kept), and trains
    full-batch with Adam for exactly ``steps`` steps on the weighted cross-entropy: ``labels``
    are class ids ``(N,)`` or class distributions ``(N, C)`` (soft targets, e.g. the class
    histogram of a region); ``weights`` (e.g. region areas) are normalised to sum 1.
    ``class_weights`` (length C), if given, weight the classes in the loss. Initialisation and
    training are seeded and run in a forked RNG state on one torch thread, so the result is
    deterministic for a given seed and the global RNG is left alone.
    """

    def __init__(self, num_classes: int, hidden: int = 64, steps: int = 300, lr: float = 1e-2,
                 weight_decay: float = 1e-4, seed: int = 0):
        if num_classes < 1:
            raise ValueError(f"num_classes must be at least 1, got {num_classes}")
        self.num_classes = num_classes
        self.hidden, self.steps, self.lr = hidden, steps, lr
        self.weight_decay, self.seed = weight_decay, seed
        self.net: torch.nn.Module | None = None
        self.mean: torch.Tensor | None = None
        self.std: torch.Tensor | None = None
        self.final_loss: float | None = None

    def _build(self, num_features: int) -> torch.nn.Module:
        if self.hidden:
            return torch.nn.Sequential(torch.nn.Linear(num_features, self.hidden),
                                       torch.nn.ReLU(),
                                       torch.nn.Linear(self.hidden, self.num_classes))
        return torch.nn.Linear(num_features, self.num_classes)

    @property
    def num_params(self) -> int:
        """Trainable parameters (0 before ``fit``); the standardisation statistics, 2 per
        feature, are not counted."""
        return 0 if self.net is None else sum(p.numel() for p in self.net.parameters())

    def fit(self, features: np.ndarray, labels: np.ndarray, weights: np.ndarray | None = None,
            class_weights: Sequence[float] | np.ndarray | None = None) -> "RegionClassifier":
        x = torch.as_tensor(np.asarray(features, np.float32))
        if x.ndim != 2 or x.shape[0] == 0:
            raise ValueError(f"features must be a non-empty N x F array, got {tuple(x.shape)}")
        y = np.asarray(labels)
        if y.ndim == 1:
            target = torch.as_tensor(y.astype(np.int64))
            if (target < 0).any() or (target >= self.num_classes).any():
                raise ValueError(f"labels must be class ids 0..{self.num_classes - 1}")
        elif y.ndim == 2 and y.shape[1] == self.num_classes:
            target = torch.as_tensor(y.astype(np.float32))
            target = target / target.sum(1, keepdim=True).clamp_min(1e-12)
        else:
            raise ValueError(f"labels must be N class ids or N x {self.num_classes} "
                             f"distributions, got shape {y.shape}")
        if len(target) != len(x):
            raise ValueError(f"{len(x)} feature rows but {len(target)} labels")
        w = torch.ones(len(x)) if weights is None else torch.as_tensor(
            np.asarray(weights, np.float32))
        w = w / w.sum().clamp_min(1e-12)
        cw = None if class_weights is None else torch.as_tensor(
            np.asarray(class_weights, np.float32))

        self.mean = x.mean(0)
        self.std = x.std(0, unbiased=False).clamp_min(1e-6)
        xs = (x - self.mean) / self.std
        with torch.random.fork_rng(devices=[]), _one_thread():
            torch.manual_seed(self.seed)
            net = self._build(x.shape[1])
            opt = torch.optim.Adam(net.parameters(), lr=self.lr, weight_decay=self.weight_decay)
            with torch.enable_grad():
                for _ in range(self.steps):
                    opt.zero_grad(set_to_none=True)
                    loss = torch.nn.functional.cross_entropy(net(xs), target, weight=cw,
                                                             reduction="none")
                    loss = (loss * w).sum()
                    loss.backward()
                    opt.step()
        self.final_loss = float(loss.detach())
        self.net = net.eval()
        return self

    @torch.no_grad()
    def _logits(self, features: np.ndarray) -> torch.Tensor:
        if self.net is None:
            raise RuntimeError("RegionClassifier.predict before fit")
        x = (torch.as_tensor(np.asarray(features, np.float32)) - self.mean) / self.std
        with _one_thread():
            return self.net(x)

    def predict_proba(self, features: np.ndarray) -> np.ndarray:
        return torch.softmax(self._logits(features), 1).numpy()

    def predict(self, features: np.ndarray) -> np.ndarray:
        return self._logits(features).argmax(1).numpy()

    def __repr__(self) -> str:
        kind = f"MLP(hidden={self.hidden})" if self.hidden else "LogisticRegression"
        return f"RegionClassifier({kind}, classes={self.num_classes}, params={self.num_params})"


def _spread(n_items: int, limit: int | None) -> list[int]:
    """``limit`` indices spread evenly over ``range(n_items)`` (all of them if None)."""
    if limit is None or limit >= n_items:
        return list(range(n_items))
    if limit <= 0:
        return []
    return sorted(set(np.linspace(0, n_items - 1, limit).round().astype(int).tolist()))


def train_classifier(method, train_ds, max_train_images: int | None = 60, seed: int = 0,
                     class_weighting: str | None = None, progress: bool = True,
                     **classifier_kwargs: Any) -> RegionClassifier:
    """Train a :class:`RegionClassifier` on the regions of ``method`` on ``train_ds``.

    Uses ``max_train_images`` images spread evenly over the split (all if None). Each region
    with non-void pixels is one sample: its features, its class histogram as a soft target, and
    its non-void pixel count as the sample weight, so the loss is the pixel-wise cross-entropy
    of a region-constant prediction. ``class_weighting="enet"`` also weights classes by ENet's
    ``1 / ln(1.02 + p)`` from the training pixels (as the deep models' paper recipe does); the
    default None weights pixels equally (on the synthetic set the two gave the same mIoU, and
    "enet" traded global accuracy for class-average accuracy).
    """
    method = _as_method(method)
    spec = train_ds.spec
    feats, hists = [], []
    indices = _spread(len(train_ds), max_train_images)
    if not indices:
        raise ValueError("the learned protocol needs at least one training image")
    for i in tqdm(indices, desc=f"{getattr(method, 'name', 'method')} train regions",
                  unit="img", leave=False, disable=not progress):
        image, gt = train_ds.raw(i)
        regions = method.partition(image)
        hist = region_class_counts(regions, gt, spec.num_classes, spec.ignore_index)
        keep = hist.sum(1) > 0
        feats.append(region_features(image, regions)[keep])
        hists.append(hist[keep])
    x = np.concatenate(feats)
    h = np.concatenate(hists).astype(np.float64)
    if len(x) == 0:
        raise ValueError("no training region has a non-void pixel")
    if class_weighting == "enet":
        counts = h.sum(0)
        cw = class_weights(counts / max(counts.sum(), 1)).numpy()
    elif class_weighting is None:
        cw = None
    else:
        raise ValueError(f"class_weighting must be 'enet' or None, got {class_weighting!r}")
    clf = RegionClassifier(spec.num_classes, seed=seed, **classifier_kwargs)
    return clf.fit(x, h, h.sum(1), class_weights=cw)


# --------------------------------------------------------------------------------------------
# segmenting and evaluating

def segment(method, image: np.ndarray, protocol: str, classifier: RegionClassifier | None = None,
            gt: np.ndarray | None = None, *, num_classes: int | None = None,
            ignore_index: int | None = None, regions: np.ndarray | None = None) -> np.ndarray:
    """Class map (``HxW`` int64) of ``image`` by ``method`` (an object or a registered name).

    ``oracle`` needs ``gt`` and the class count (``num_classes``, else ``classifier``'s, else
    ``gt.max() + 1`` with ``ignore_index`` left out); ``learned`` needs a fitted ``classifier``
    and never looks at ``gt``. ``regions`` skips the partition when it is already known.
    """
    if protocol not in PROTOCOLS:
        raise ValueError(f"protocol must be one of {PROTOCOLS}, got {protocol!r}")
    if regions is None:
        regions = _as_method(method).partition(image)
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
        return segment(self.method, image, self.protocol, self.classifier, gt,
                       num_classes=self.num_classes, ignore_index=self.ignore_index)

    @property
    def num_params(self) -> int:
        return self.classifier.num_params if self.classifier is not None else 0


def evaluate_classical(method_name, train_ds, test_ds, protocol: str,
                       max_train_images: int | None = 60, max_test_images: int | None = None,
                       seed: int = 0, method_kwargs: dict | None = None,
                       classifier_kwargs: dict | None = None, progress: bool = True,
                       on_prediction=None) -> dict:
    """Metrics of a classical method under one protocol on ``test_ds`` (its first
    ``max_test_images`` images, all if None), from one confusion matrix over them.

    ``method_name``: a registered name (built with ``method_kwargs``) or a method object.
    ``train_ds`` is used by ``learned`` only (``max_train_images`` spread over it) and may be None
    for ``oracle``. Returns ``ConfusionMatrix.compute(spec.classes)`` plus ``protocol``,
    ``system``, ``classifier_params`` (the learned classifier's parameter count; None for the
    oracle), ``images``, ``train_images``, ``regions_per_image`` (mean), ``partition_ms_mean``
    (mean wall time of ``partition`` in this loop: informal, not the latency measurement) and
    ``train_s`` (classifier training time, regions included). ``on_prediction(index,
    class_map)``, if given, sees every test image's prediction.
    """
    from bench.measure.accuracy import ConfusionMatrix

    if protocol not in PROTOCOLS:
        raise ValueError(f"protocol must be one of {PROTOCOLS}, got {protocol!r}")
    method = (create_method(method_name, **(method_kwargs or {}))
              if isinstance(method_name, str) else method_name)
    name = method_name if isinstance(method_name, str) else getattr(method, "name", "?")
    spec = test_ds.spec
    classifier, train_s, train_images = None, None, 0
    if protocol == "learned":
        if train_ds is None:
            raise ValueError("the learned protocol needs a training dataset")
        if train_ds.spec.num_classes != spec.num_classes:
            raise ValueError("training and test datasets have different class counts")
        t0 = time.perf_counter()
        classifier = train_classifier(method, train_ds, max_train_images, seed=seed,
                                      progress=progress, **(classifier_kwargs or {}))
        train_s = time.perf_counter() - t0
        train_images = len(_spread(len(train_ds), max_train_images))

    cm = ConfusionMatrix(spec.num_classes, spec.ignore_index)
    n = len(test_ds) if max_test_images is None else min(len(test_ds), max_test_images)
    regions_total, partition_s = 0, 0.0
    for i in tqdm(range(n), desc=f"{name} {protocol}", unit="img", leave=False,
                  disable=not progress):
        image, gt = test_ds.raw(i)
        t0 = time.perf_counter()
        regions = method.partition(image)
        partition_s += time.perf_counter() - t0
        regions_total += int(regions.max()) + 1
        pred = segment(method, image, protocol, classifier, None if protocol == "learned" else gt,
                       num_classes=spec.num_classes, ignore_index=spec.ignore_index,
                       regions=regions)
        cm.update(torch.from_numpy(np.asarray(gt).astype(np.int64)), torch.from_numpy(pred))
        if on_prediction is not None:
            on_prediction(i, pred)
    out = cm.compute(spec.classes)
    out.update({
        "system": name,
        "protocol": protocol,
        "classifier_params": classifier.num_params if classifier is not None else None,
        "images": n,
        "train_images": train_images,
        "regions_per_image": regions_total / n if n else float("nan"),
        "partition_ms_mean": 1e3 * partition_s / n if n else float("nan"),
        "train_s": train_s,
    })
    return out
