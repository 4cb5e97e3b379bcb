"""Cityscapes fine annotations, labelIds mapped to the 19 trainIds.

Layout under ``<data root>/cityscapes``::

    leftImg8bit/{train,val,test}/CITY/CITY_xxxxxx_yyyyyy_leftImg8bit.png
    gtFine/{train,val,test}/CITY/CITY_xxxxxx_yyyyyy_gtFine_labelIds.png

The official labelIds -> trainIds mapping is applied (7 road -> 0 ... 33 bicycle -> 18, see
``LABEL_TO_TRAIN``); every other id becomes 255, the ignore index. Stored labelIds must lie in
0..33 (or be 255). Item names are ``CITY_xxxxxx_yyyyyy``. Splits: train, val, test, trainval.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from bench.datasets.base import (
    PairedFileDataset,
    Transform,
    check_split,
    list_files,
    match_pairs,
    require_dir,
)
from bench.datasets.catalog import DATASETS, resolve_data_root

SPLITS = {"train": ("train",), "val": ("val",), "test": ("test",), "trainval": ("train", "val")}
LAYOUT = (
    "<data root>/cityscapes/leftImg8bit/{split}/CITY/*_leftImg8bit.png with "
    "<data root>/cityscapes/gtFine/{split}/CITY/*_gtFine_labelIds.png"
)
IMAGE_SUFFIX, LABEL_SUFFIX = "_leftImg8bit", "_gtFine_labelIds"

#: The official Cityscapes labelId -> trainId mapping; all other ids are ignored (255).
LABEL_TO_TRAIN = {
    7: 0,
    8: 1,
    11: 2,
    12: 3,
    13: 4,
    17: 5,
    19: 6,
    20: 7,
    21: 8,
    22: 9,
    23: 10,
    24: 11,
    25: 12,
    26: 13,
    27: 14,
    28: 15,
    31: 16,
    32: 17,
    33: 18,
}
IGNORE = 255


def _lookup_table() -> np.ndarray:
    lut = np.full(256, IGNORE, np.uint8)
    for label_id, train_id in LABEL_TO_TRAIN.items():
        lut[label_id] = train_id
    return lut


LABEL_LUT = _lookup_table()


def label_ids_to_train_ids(label_ids: np.ndarray) -> np.ndarray:
    """Map an array of Cityscapes labelIds (0..255) to trainIds 0..18, 255 elsewhere."""
    return LABEL_LUT[label_ids]


def cityscapes_folder(data_root: str | Path | None) -> Path:
    """``<data root>/cityscapes``; a data root that is itself that folder is accepted too."""
    root = resolve_data_root(None) if data_root is None else Path(data_root)
    if not (root / "cityscapes").is_dir() and (root / "leftImg8bit").is_dir():
        return root
    folder = DATASETS["cityscapes"].folder
    assert folder is not None, "Cityscapes is read from files: its spec names a folder"
    return root / folder


class CityscapesDataset(PairedFileDataset):
    """Cityscapes images with fine labels in trainIds (see the module docstring)."""

    spec = DATASETS["cityscapes"]
    label_values = frozenset(range(34)) | {IGNORE}
    label_expected = "Cityscapes labelIds 0..33 (or 255)"

    def __init__(
        self,
        data_root: str | Path | None = None,
        split: str = "train",
        size=None,
        transform: Transform | None = None,
    ):
        super().__init__(check_split("cityscapes", split, SPLITS), size, transform)
        self.folder = cityscapes_folder(data_root)
        self.validate()

    def map_label(self, label: np.ndarray) -> np.ndarray:
        return label_ids_to_train_ids(label)

    def validate(self) -> None:
        """Both split folders exist and every image has its labelIds file (matched by name)."""
        hint = "; set --data-root or SEGBENCH_DATA to the folder that holds cityscapes/"
        self.names, self.pairs = [], []
        for part in SPLITS[self.split]:
            image_dir = require_dir(self.folder / "leftImg8bit" / part, LAYOUT + hint)
            label_dir = require_dir(self.folder / "gtFine" / part, LAYOUT + hint)
            images: dict[str, Path] = {}
            labels: dict[str, Path] = {}
            for city in sorted(p for p in image_dir.iterdir() if p.is_dir()):
                images.update(list_files(city, (".png",), IMAGE_SUFFIX))
            for city in sorted(p for p in label_dir.iterdir() if p.is_dir()):
                labels.update(list_files(city, (".png",), LABEL_SUFFIX))
            for name, image, label in match_pairs(images, labels, image_dir, label_dir):
                self.names.append(name)
                self.pairs.append((image, label))
