"""Training and scoring batches from a split decoded once into memory, on any device.

A :class:`MemorySplit` reads every item of a dataset once (files are decoded in a thread pool)
into one uint8 image tensor ``N x 3 x H x W`` and one label tensor ``N x H x W`` on the device
that trains, so that an epoch decodes nothing and moves nothing from the host.

Augmentation (:func:`augment_batch`): a random horizontal flip and a random scale-and-crop
(scale 1.0 to ``max_scale``, crop back to the stored size): image bilinear, label nearest. Each
sample's draw comes from its own generator keyed by ``(seed, epoch, index)``
(:func:`sample_params`), so the draws depend on nothing else: not on the batch it falls in, not on
workers, not on a resumed run. Normalisation with the ImageNet statistics follows on the device
(a linear map, so it commutes with the bilinear resize).

The epoch order is a permutation drawn from ``(seed, epoch)`` alone (:func:`epoch_order`).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from bench.datasets.base import IMAGENET_MEAN, IMAGENET_STD, SegmentationDataset
from bench.datasets.catalog import DatasetSpec


@dataclass
class MemorySplit:
    """A whole split in memory: ``images`` uint8 N x 3 x H x W, ``labels`` uint8/int16 N x H x W."""

    images: torch.Tensor
    labels: torch.Tensor
    spec: DatasetSpec
    split: str

    def __len__(self) -> int:
        return self.images.shape[0]

    @property
    def size(self) -> tuple[int, int]:
        """(WIDTH, HEIGHT) of the stored items."""
        return int(self.images.shape[-1]), int(self.images.shape[-2])


def load_split(
    dataset: SegmentationDataset, device: str | torch.device = "cpu", threads: int | None = None
) -> MemorySplit:
    """Every item of ``dataset`` (at its ``size``, untransformed) decoded once onto ``device``.

    All items must have the same size (set ``size`` on datasets whose frames differ)."""
    n = len(dataset)
    if n == 0:
        raise ValueError(f"{dataset!r} is empty")
    workers = threads or min(8, max(1, torch.get_num_threads()))
    with ThreadPoolExecutor(max_workers=workers) as pool:
        pairs = list(pool.map(dataset.raw, range(n)))
    shapes = {image.shape for image, _ in pairs}
    if len(shapes) > 1:
        raise ValueError(
            f"{dataset!r} holds items of several sizes {sorted(shapes)[:3]}: give "
            f"the dataset a size so that every item is resized to one"
        )
    images = torch.from_numpy(np.stack([image for image, _ in pairs])).permute(0, 3, 1, 2)
    label_dtype = np.uint8 if max(int(lbl.max()) for _, lbl in pairs) < 256 else np.int16
    labels = torch.from_numpy(np.stack([lbl.astype(label_dtype) for _, lbl in pairs]))
    return MemorySplit(
        images.contiguous().to(device), labels.to(device), dataset.spec, dataset.split
    )


def normalize(images_u8: torch.Tensor) -> torch.Tensor:
    """uint8 (or 0..255 float) N x 3 x H x W -> float32, normalised with the ImageNet statistics,
    exactly as :func:`bench.datasets.base.to_tensor` does on the host."""
    mean = torch.tensor(IMAGENET_MEAN, dtype=torch.float32, device=images_u8.device) * 255.0
    inv = 1.0 / (torch.tensor(IMAGENET_STD, dtype=torch.float32, device=images_u8.device) * 255.0)
    return (images_u8.float() - mean.view(1, 3, 1, 1)) * inv.view(1, 3, 1, 1)


def epoch_order(n: int, seed: int, epoch: int) -> torch.Tensor:
    """The order of the ``n`` training items in ``epoch``: a permutation from (seed, epoch)."""
    g = torch.Generator()
    g.manual_seed(int(np.random.SeedSequence([seed, epoch, 0x5E6]).generate_state(1)[0]))
    return torch.randperm(n, generator=g)


def sample_params(
    seed: int, epoch: int, index: int, height: int, width: int, max_scale: float
) -> tuple[bool, int, int, int, int]:
    """(flip, scaled_h, scaled_w, y, x) for one sample, from its own (seed, epoch, index) stream."""
    rng = np.random.default_rng([seed, epoch, index])
    flip = bool(rng.random() < 0.5)
    s = float(rng.uniform(1.0, max_scale))
    nh, nw = int(round(height * s)), int(round(width * s))
    y = int(rng.integers(0, nh - height + 1))
    x = int(rng.integers(0, nw - width + 1))
    return flip, nh, nw, y, x


def augment_batch(
    images_u8: torch.Tensor,
    labels: torch.Tensor,
    indices: list[int],
    seed: int,
    epoch: int,
    max_scale: float = 1.25,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Flip and scale-crop each sample (keyed by its dataset index), then normalise.

    Returns float32 images N x 3 x H x W and int64 labels N x H x W on the input's device."""
    _, _, h, w = images_u8.shape
    out_x, out_y = [], []
    for k, index in enumerate(indices):
        x, y = images_u8[k : k + 1].float(), labels[k : k + 1, None].float()
        flip, nh, nw, top, left = sample_params(seed, epoch, int(index), h, w, max_scale)
        if flip:
            x, y = x.flip(-1), y.flip(-1)
        if (nh, nw) != (h, w):
            x = F.interpolate(x, size=(nh, nw), mode="bilinear", align_corners=False)
            y = F.interpolate(y, size=(nh, nw), mode="nearest")
            x, y = x[..., top : top + h, left : left + w], y[..., top : top + h, left : left + w]
        out_x.append(x)
        out_y.append(y)
    return normalize(torch.cat(out_x)), torch.cat(out_y)[:, 0].long()


def training_batches(
    split: MemorySplit,
    batch_size: int,
    seed: int,
    epoch: int,
    max_scale: float = 1.25,
    augment: bool = True,
    indices: list[int] | None = None,
    share: tuple[int, int] = (0, 1),
):
    """Yield (images, labels) batches of one epoch in its seeded order; the last short batch is
    dropped when the split holds more than one batch (BatchNorm needs more than one sample).

    ``share=(rank, world)``: rank's share of every batch (its samples ``rank::world``), for one
    of ``world`` training processes. Augmentation is keyed by each sample's own (seed, epoch,
    index), so the shares together are exactly the batch a single process gets."""
    rank, world = share
    pool = torch.as_tensor(indices) if indices is not None else torch.arange(len(split))
    order = pool[epoch_order(len(pool), seed, epoch)]
    n = len(order)
    stop = n - n % batch_size if n > batch_size else n
    for start in range(0, stop, batch_size):
        idx = order[start : start + batch_size][rank::world]
        dev_idx = idx.to(split.images.device)
        images, labels = split.images[dev_idx], split.labels[dev_idx]
        if augment:
            yield augment_batch(images, labels, idx.tolist(), seed, epoch, max_scale)
        else:
            yield normalize(images), labels.long()


def scoring_batches(split: MemorySplit, batch_size: int):
    """Yield (images, labels, first_index) over the split in order, normalised, not augmented."""
    for start in range(0, len(split), batch_size):
        yield (
            normalize(split.images[start : start + batch_size]),
            split.labels[start : start + batch_size].long(),
            start,
        )
