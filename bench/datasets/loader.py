"""Opening a dataset by name, its spec by name, and a DataLoader for it.

``open_dataset(name, split, data_root=None, size=None, seed=0, transform=None, **kw)``:

* ``camvid``, ``cityscapes``: files under the data root (``data_root``, else $SEGBENCH_DATA,
  else ./data; see ``catalog.resolve_data_root``);
* ``synthetic``: generated from ``seed``; ``length=N`` sets the number of images;
* ``synthetic-motion``: frame sequences from a still camera, generated from ``seed``;
  ``sequences=N`` and ``frames=M`` set their number and length;
* ``folder``: ``data_root`` is the dataset folder itself (images/, masks/, classes.json).
"""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import DataLoader

from bench.datasets.base import SegmentationDataset, Transform
from bench.datasets.catalog import DATASETS, DatasetSpec
from bench.errors import BadInput

DATASET_NAMES = ("camvid", "cityscapes", "synthetic", "synthetic-motion", "folder")


def open_dataset(
    name: str,
    split: str,
    data_root=None,
    size=None,
    seed: int = 0,
    transform: Transform | None = None,
    **kw,
) -> SegmentationDataset:
    """The dataset ``name`` for ``split``, validated (folders and file names checked)."""
    if name == "camvid":
        from bench.datasets.camvid import CamVidDataset

        return CamVidDataset(data_root, split, size=size, transform=transform, **kw)
    if name == "cityscapes":
        from bench.datasets.cityscapes import CityscapesDataset

        return CityscapesDataset(data_root, split, size=size, transform=transform, **kw)
    if name == "synthetic":
        from bench.datasets.synthetic import SyntheticDataset

        return SyntheticDataset(split, size=size, seed=seed, transform=transform, **kw)
    if name == "synthetic-motion":
        from bench.datasets.synthetic_motion import SyntheticMotionDataset

        return SyntheticMotionDataset(split, size=size, seed=seed, transform=transform, **kw)
    if name == "folder":
        from bench.datasets.folder import FolderDataset

        return FolderDataset(data_root, split, size=size, transform=transform, **kw)
    raise BadInput(f"unknown dataset '{name}': expected one of {', '.join(DATASET_NAMES)}")


def get_dataset_spec(name: str, data_root: str | Path | None = None) -> DatasetSpec:
    """The spec of a known dataset; for ``folder``, read from the folder's classes.json."""
    if name == "folder":
        if data_root is None:
            raise BadInput(
                "--dataset folder needs --data-root DIR: the folder holding images/, "
                "masks/ and classes.json"
            )
        from bench.datasets.folder import FolderDataset

        return FolderDataset(data_root, "train").spec
    try:
        return DATASETS[name]
    except KeyError:
        known = ", ".join([*DATASETS, "folder"])
        raise BadInput(f"unknown dataset '{name}': expected one of {known}") from None


def _seed_worker(worker_id: int) -> None:
    seed = torch.initial_seed() % 2**32
    np.random.seed(seed)
    random.seed(seed)


def make_loader(
    dataset: SegmentationDataset,
    batch_size: int,
    shuffle: bool = False,
    num_workers: int = 0,
    seed: int = 0,
    drop_last: bool = False,
) -> DataLoader:
    """A DataLoader whose shuffling (and workers' numpy/random state) follows ``seed``."""
    generator = torch.Generator()
    generator.manual_seed(seed)
    return DataLoader(
        dataset,
        batch_size=batch_size,
        shuffle=shuffle,
        num_workers=num_workers,
        drop_last=drop_last,
        generator=generator,
        worker_init_fn=_seed_worker,
        persistent_workers=False,
    )
