"""The ``learned`` protocol's region classifier and its training on a training split."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import torch
from tqdm import tqdm

from classical.base import as_method
from classical.features import region_features
from classical.regions import region_class_counts
from models.threads import torch_threads


def _one_thread():
    """Torch on one thread: the classifier is tiny, so threads only add start-up cost and
    contention, and one thread makes its results independent of the caller's thread count."""
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

    def __init__(
        self,
        num_classes: int,
        hidden: int = 64,
        steps: int = 300,
        lr: float = 1e-2,
        weight_decay: float = 1e-4,
        seed: int = 0,
    ):
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
            return torch.nn.Sequential(
                torch.nn.Linear(num_features, self.hidden),
                torch.nn.ReLU(),
                torch.nn.Linear(self.hidden, self.num_classes),
            )
        return torch.nn.Linear(num_features, self.num_classes)

    @property
    def num_params(self) -> int:
        """Trainable parameters (0 before ``fit``); the standardisation statistics, 2 per
        feature, are not counted."""
        return 0 if self.net is None else sum(p.numel() for p in self.net.parameters())

    def fit(
        self,
        features: np.ndarray,
        labels: np.ndarray,
        weights: np.ndarray | None = None,
        class_weights: Sequence[float] | np.ndarray | None = None,
    ) -> RegionClassifier:
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
            raise ValueError(
                f"labels must be N class ids or N x {self.num_classes} "
                f"distributions, got shape {y.shape}"
            )
        if len(target) != len(x):
            raise ValueError(f"{len(x)} feature rows but {len(target)} labels")
        w = (
            torch.ones(len(x))
            if weights is None
            else torch.as_tensor(np.asarray(weights, np.float32))
        )
        w = w / w.sum().clamp_min(1e-12)
        cw = (
            None
            if class_weights is None
            else torch.as_tensor(np.asarray(class_weights, np.float32))
        )

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
                    loss = torch.nn.functional.cross_entropy(
                        net(xs), target, weight=cw, reduction="none"
                    )
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
        assert self.mean is not None and self.std is not None, "fit sets them with net"
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


def spread_indices(n_items: int, limit: int | None) -> list[int]:
    """``limit`` indices spread evenly over ``range(n_items)`` (all of them if None)."""
    if limit is None or limit >= n_items:
        return list(range(n_items))
    if limit <= 0:
        return []
    return sorted(set(np.linspace(0, n_items - 1, limit).round().astype(int).tolist()))


def train_classifier(
    method,
    train_ds,
    max_train_images: int | None = 60,
    seed: int = 0,
    class_weights_from: Callable[[np.ndarray], Any] | None = None,
    progress: bool = True,
    **classifier_kwargs: Any,
) -> RegionClassifier:
    """Train a :class:`RegionClassifier` on the regions of ``method`` on ``train_ds``.

    Uses ``max_train_images`` images spread evenly over the split (all if None). Each region
    with non-void pixels is one sample: its features, its class histogram as a soft target, and
    its non-void pixel count as the sample weight, so the loss is the pixel-wise cross-entropy
    of a region-constant prediction. ``class_weights_from``, if given, maps the training pixels'
    class frequencies to class weights for the loss (for example ENet's ``1 / ln(1.02 + p)``,
    ``bench.datasets.base.class_weights``); the default None weights pixels equally (on the
    synthetic set the two gave the same mIoU, and ENet's weighting traded global accuracy for
    class-average accuracy).
    """
    method = as_method(method)
    spec = train_ds.spec
    feats, hists = [], []
    indices = spread_indices(len(train_ds), max_train_images)
    if not indices:
        raise ValueError("the learned protocol needs at least one training image")
    for i in tqdm(
        indices,
        desc=f"{getattr(method, 'name', 'method')} train regions",
        unit="img",
        leave=False,
        disable=not progress,
    ):
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
    cw = None
    if class_weights_from is not None:
        counts = h.sum(0)
        cw = np.asarray(class_weights_from(counts / max(counts.sum(), 1)), np.float32)
    clf = RegionClassifier(spec.num_classes, seed=seed, **classifier_kwargs)
    return clf.fit(x, h, h.sum(1), class_weights=cw)
