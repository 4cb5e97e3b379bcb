"""The interface every dataset shares, the checks on its files, and per-class pixel frequencies.

Every dataset is a :class:`SegmentationDataset` (a ``torch.utils.data.Dataset``) whose item ``i``
is ``(image, label)``:

* ``image``: float32 tensor ``3xHxW``, RGB scaled to [0, 1] and then normalised per channel with
  the fixed ImageNet statistics ``IMAGENET_MEAN = (0.485, 0.456, 0.406)`` and
  ``IMAGENET_STD = (0.229, 0.224, 0.225)`` (``(x / 255 - mean) / std``), the same for every
  dataset and every system;
* ``label``: int64 tensor ``HxW`` of class ids ``0..num_classes-1``, void pixels set to the
  dataset's ``spec.ignore_index``.

``raw(i)`` gives the same pair before normalisation and before ``transform`` (uint8 ``HxWx3`` RGB
and an integer ``HxW`` label), for figures. ``size=(W, H)`` resizes images bilinearly and labels
by nearest neighbour, so labels stay class ids.

Bad data is reported as :class:`bench.errors.BadInput` naming the file and what was expected:
the cheap checks (folders, matching file stems) run in the constructor (``validate()``), the
checks on file contents (readable, label values, image and label sizes) whenever a file is read
and, for a whole split at once, in :func:`check_files`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

import cv2
import numpy as np
import torch
from torch.utils.data import Dataset

from bench.datasets.catalog import DatasetSpec
from bench.errors import BadInput

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp")

#: ``transform(image, label) -> (image, label)`` on uint8 HxWx3 RGB and integer HxW numpy arrays.
Transform = Callable[[np.ndarray, np.ndarray], "tuple[np.ndarray, np.ndarray]"]

_MEAN_255 = np.array(IMAGENET_MEAN, np.float32) * 255.0
_INV_STD_255 = 1.0 / (np.array(IMAGENET_STD, np.float32) * 255.0)


# --------------------------------------------------------------------------------------------
# conversions


def parse_size(size) -> tuple[int, int] | None:
    """``None``, ``(W, H)`` or ``"WxH"`` -> ``(W, H)`` of positive ints (or None)."""
    if size is None:
        return None
    try:
        if isinstance(size, str):
            w, h = (int(v) for v in size.lower().split("x"))
        else:
            w, h = (int(v) for v in size)
    except (TypeError, ValueError):
        raise BadInput(f"size {size!r}: expected WIDTHxHEIGHT, e.g. 480x360") from None
    if w < 1 or h < 1:
        raise BadInput(f"size {size!r}: expected a positive WIDTHxHEIGHT, e.g. 480x360")
    return w, h


def to_tensor(image: np.ndarray, label: np.ndarray) -> tuple[torch.Tensor, torch.Tensor]:
    """uint8 HxWx3 RGB and integer HxW -> normalised float32 3xHxW and int64 HxW tensors."""
    if image.ndim != 3 or image.shape[2] != 3 or label.shape != image.shape[:2]:
        raise ValueError(
            f"expected an HxWx3 image and an HxW label of the same size, got "
            f"{image.shape} and {label.shape} (check the transform)"
        )
    x = (image.astype(np.float32) - _MEAN_255) * _INV_STD_255
    x = torch.from_numpy(np.ascontiguousarray(x.transpose(2, 0, 1)))
    y = torch.from_numpy(np.ascontiguousarray(label).astype(np.int64))
    return x, y


def denormalize(image: torch.Tensor) -> np.ndarray:
    """The inverse of the normalisation: float 3xHxW tensor -> uint8 HxWx3 RGB array."""
    x = image.detach().cpu().float().numpy().transpose(1, 2, 0)
    x = x / _INV_STD_255 + _MEAN_255
    return np.clip(np.rint(x), 0, 255).astype(np.uint8)


def resize_pair(
    image: np.ndarray, label: np.ndarray, size: tuple[int, int] | None
) -> tuple[np.ndarray, np.ndarray]:
    """Resize to ``size=(W, H)``: image bilinear, label nearest (labels stay class ids)."""
    if size is None or (image.shape[1], image.shape[0]) == tuple(size):
        return image, label
    return (cv2.resize(image, size, interpolation=cv2.INTER_LINEAR), resize_label(label, size))


def resize_label(label: np.ndarray, size: tuple[int, int] | None) -> np.ndarray:
    if size is None or (label.shape[1], label.shape[0]) == tuple(size):
        return label
    return cv2.resize(label, size, interpolation=cv2.INTER_NEAREST)


# --------------------------------------------------------------------------------------------
# reading and checking files


def _read_bytes(path: Path) -> np.ndarray:
    try:
        return np.fromfile(str(path), dtype=np.uint8)
    except OSError as e:
        raise BadInput(f"cannot read {path}: {e.strerror or e}") from None


def read_rgb(path: Path) -> np.ndarray:
    """An image file as uint8 HxWx3 RGB; BadInput naming the file if it cannot be decoded."""
    data = _read_bytes(path)
    image = cv2.imdecode(data, cv2.IMREAD_COLOR) if data.size else None
    if image is None:
        raise BadInput(
            f"cannot decode image {path}: the file is empty, corrupt or not an image "
            f"(expected a {', '.join(e[1:].upper() for e in IMAGE_EXTENSIONS)} file)"
        )
    return cv2.cvtColor(image, cv2.COLOR_BGR2RGB)


def read_label(path: Path) -> np.ndarray:
    """A label file as an HxW uint8/uint16 array of ids, read unchanged (no colour conversion)."""
    data = _read_bytes(path)
    label = cv2.imdecode(data, cv2.IMREAD_UNCHANGED) if data.size else None
    if label is None:
        raise BadInput(
            f"cannot decode label image {path}: the file is empty, corrupt or not an "
            f"image (expected a single-channel 8-bit PNG of class ids)"
        )
    if label.ndim == 3:
        first = label[:, :, 0]
        if label.shape[2] in (3, 4) and all(
            np.array_equal(first, label[:, :, c]) for c in range(1, 3)
        ):
            label = first  # grey stored as RGB: the ids are the same in every channel
        else:
            raise BadInput(
                f"label image {path} has {label.shape[2]} colour channels with "
                f"different values (a colour mask?): expected a single-channel PNG "
                f"whose pixel values are class ids"
            )
    if label.dtype not in (np.uint8, np.uint16):
        raise BadInput(
            f"label image {path} has pixel type {label.dtype}: expected 8- or 16-bit "
            f"unsigned class ids"
        )
    return np.ascontiguousarray(label)


def check_same_size(
    image: np.ndarray, image_path: Path, label: np.ndarray, label_path: Path
) -> None:
    ih, iw = image.shape[:2]
    lh, lw = label.shape[:2]
    if (ih, iw) != (lh, lw):
        raise BadInput(
            f"image {image_path} is {iw}x{ih} but its label {label_path} is "
            f"{lw}x{lh} (WIDTHxHEIGHT): expected the same size"
        )


def check_label_values(
    label: np.ndarray, path: Path, allowed: frozenset[int], expected: str
) -> None:
    """BadInput naming ``path`` and the values found if ``label`` has values not in ``allowed``."""
    counts = np.bincount(label.ravel(), minlength=256)
    present = np.flatnonzero(counts)
    bad = [int(v) for v in present if int(v) not in allowed]
    if bad:
        shown = ", ".join(str(v) for v in bad[:12]) + (", ..." if len(bad) > 12 else "")
        raise BadInput(
            f"label image {path} contains values {shown} "
            f"({int(counts[bad].sum())} pixel(s)): expected {expected}"
        )


def list_files(folder: Path, extensions: Sequence[str], suffix: str = "") -> dict[str, Path]:
    """Files in ``folder`` named ``<key><suffix><ext>`` -> ``{key: path}`` sorted by key."""
    found: dict[str, Path] = {}
    for p in sorted(folder.iterdir()):
        if not p.is_file() or p.suffix.lower() not in extensions:
            continue
        stem = p.stem
        if suffix:
            if not stem.endswith(suffix):
                continue
            stem = stem[: -len(suffix)]
        if stem in found:
            raise BadInput(
                f"two files with the stem '{stem}' in {folder}: {found[stem].name} and "
                f"{p.name}; expected one file per stem"
            )
        found[stem] = p
    return found


def require_dir(path: Path, layout: str) -> Path:
    if not path.is_dir():
        what = "is not a folder" if path.exists() else "not found"
        raise BadInput(f"folder {path} {what}: expected the layout {layout}")
    return path


def check_split(dataset: str, split: str, splits: Iterable[str]) -> str:
    splits = list(splits)
    if split not in splits:
        raise BadInput(
            f"unknown split '{split}' for dataset {dataset}: expected one of {', '.join(splits)}"
        )
    return split


def match_pairs(
    images: dict[str, Path], labels: dict[str, Path], image_dir: Path, label_dir: Path
) -> list[tuple[str, Path, Path]]:
    """Pair images and labels by key; BadInput naming a few of the unmatched files."""
    only_images = [images[k].name for k in images if k not in labels]
    only_labels = [labels[k].name for k in labels if k not in images]
    if only_images or only_labels:
        parts = []
        if only_images:
            parts.append(
                f"{len(only_images)} image(s) in {image_dir} have no label in "
                f"{label_dir} (e.g. {', '.join(only_images[:5])})"
            )
        if only_labels:
            parts.append(
                f"{len(only_labels)} label(s) in {label_dir} have no image in "
                f"{image_dir} (e.g. {', '.join(only_labels[:5])})"
            )
        raise BadInput(
            "; ".join(parts) + ": expected every image to have a label with the same file stem"
        )
    if not images:
        raise BadInput(
            f"no images in {image_dir}: expected image files "
            f"({', '.join(IMAGE_EXTENSIONS)}) with labels of the same stem in "
            f"{label_dir}"
        )
    return [(k, images[k], labels[k]) for k in images]


# --------------------------------------------------------------------------------------------
# the datasets


class SegmentationDataset(Dataset):
    """Base class: ``(image, label)`` tensors, ``raw(i)`` arrays, ``spec``, ``split``, ``names``.

    Subclasses set ``spec`` and ``names`` and implement ``read(i)`` (the pair at its stored
    size, checked, label in final class ids) and optionally ``read_label(i)``; they call
    ``validate()`` at the end of their constructor.
    """

    spec: DatasetSpec
    has_files = True  # False for generated data: check_files() has nothing to open

    def __init__(self, split: str, size=None, transform: Transform | None = None):
        self.split = split
        self.size = parse_size(size)
        self.transform = transform
        self.names: list[str] = []

    # to implement -------------------------------------------------------------------------
    def validate(self) -> None:
        """Cheap checks of the dataset's layout (no file contents); BadInput if wrong."""

    def read(self, i: int) -> tuple[np.ndarray, np.ndarray]:
        raise NotImplementedError

    def read_label(self, i: int) -> np.ndarray:
        return self.read(i)[1]

    # shared -------------------------------------------------------------------------------
    @property
    def num_classes(self) -> int:
        return self.spec.num_classes

    @property
    def ignore_index(self) -> int | None:
        return self.spec.ignore_index

    def __len__(self) -> int:
        return len(self.names)

    def _index(self, i: int) -> int:
        n = len(self)
        if not -n <= i < n:
            raise IndexError(f"index {i} out of range for {n} items")
        return i % n

    def raw(self, i: int) -> tuple[np.ndarray, np.ndarray]:
        """uint8 HxWx3 RGB image and integer HxW label, resized to ``size``, not transformed."""
        image, label = self.read(self._index(i))
        return resize_pair(image, label, self.size)

    def label(self, i: int) -> np.ndarray:
        """The label of item ``i`` alone (resized to ``size``), without reading the image."""
        return resize_label(self.read_label(self._index(i)), self.size)

    def __getitem__(self, i: int) -> tuple[torch.Tensor, torch.Tensor]:
        image, label = self.raw(i)
        if self.transform is not None:
            image, label = self.transform(image, label)
        return to_tensor(image, label)

    def __repr__(self) -> str:
        size = f", size={self.size[0]}x{self.size[1]}" if self.size else ""
        return f"{type(self).__name__}(split={self.split!r}, {len(self)} items{size})"


class PairedFileDataset(SegmentationDataset):
    """A dataset of (image file, label file) pairs, ``self.pairs[i] = (image_path, label_path)``.

    Subclasses fill ``names`` and ``pairs``, set ``label_values`` (the values a stored label may
    hold) and ``label_expected`` (words for the error message), and may override
    ``map_label`` (stored ids -> class ids).
    """

    label_values: frozenset[int] = frozenset()
    label_expected: str = ""

    def __init__(self, split: str, size=None, transform: Transform | None = None):
        super().__init__(split, size, transform)
        self.pairs: list[tuple[Path, Path]] = []

    def map_label(self, label: np.ndarray) -> np.ndarray:
        return label

    def files(self, i: int) -> tuple[Path, Path]:
        return self.pairs[self._index(i)]

    def _load_label(self, path: Path) -> np.ndarray:
        label = read_label(path)
        check_label_values(label, path, self.label_values, self.label_expected)
        return label

    def read(self, i: int) -> tuple[np.ndarray, np.ndarray]:
        image_path, label_path = self.pairs[i]
        image = read_rgb(image_path)
        label = self._load_label(label_path)
        check_same_size(image, image_path, label, label_path)
        return image, self.map_label(label)

    def read_label(self, i: int) -> np.ndarray:
        return self.map_label(self._load_label(self.pairs[i][1]))


def class_id_values(spec: DatasetSpec) -> tuple[frozenset[int], str]:
    """The values a label in ``spec``'s class ids may hold, and those words for messages."""
    n = spec.num_classes
    values = set(range(n))
    expected = f"class ids 0..{n - 1} ({spec.name} has {n} classes)"
    if spec.ignore_index is not None:
        values.add(spec.ignore_index)
        expected += f" or the void value {spec.ignore_index}"
    return frozenset(values), expected


# --------------------------------------------------------------------------------------------
# whole-split functions


def check_files(dataset: SegmentationDataset, max_errors: int = 10) -> int:
    """Open every file of ``dataset`` and check it; return the number of items checked.

    Checks that every image decodes, every label decodes as single-channel ids with allowed
    values, and image and label sizes agree. All problems are collected and raised as one
    BadInput (the first ``max_errors`` listed, each naming its file). Generated datasets have
    no files: 0 is returned at once.
    """
    if not dataset.has_files:
        return 0
    errors: list[str] = []
    for i in range(len(dataset)):
        try:
            dataset.read(i)
        except BadInput as e:
            errors.append(str(e))
    if errors:
        more = f"\n  ... and {len(errors) - max_errors} more" if len(errors) > max_errors else ""
        raise BadInput(
            f"{len(errors)} of {len(dataset)} items of {dataset.spec.name} "
            f"'{dataset.split}' are bad:\n  " + "\n  ".join(errors[:max_errors]) + more
        )
    return len(dataset)


def class_frequencies(dataset: SegmentationDataset) -> np.ndarray:
    """Per-class pixel frequencies over the whole split: float64 array, sums to 1.

    ``p[c]`` = pixels of class ``c`` / all non-void pixels, counted on every label of the split
    (at the dataset's ``size``). The ENet paper's class weights are ``1 / ln(1.02 + p)``
    (:func:`class_weights`).
    """
    n = dataset.num_classes
    counts = np.zeros(max(n, 256), np.int64)
    for i in range(len(dataset)):
        c = np.bincount(dataset.label(i).ravel(), minlength=counts.size)
        if c.size > counts.size:
            counts = np.concatenate([counts, np.zeros(c.size - counts.size, np.int64)])
        counts[: c.size] += c
    if dataset.ignore_index is not None and dataset.ignore_index < counts.size:
        counts[dataset.ignore_index] = 0
    valid = counts[:n]
    if counts[n:].any():
        bad = [int(v) for v in np.flatnonzero(counts[n:]) + n]
        raise BadInput(
            f"{dataset.spec.name} '{dataset.split}' has label values {bad[:10]}: "
            f"expected 0..{n - 1} or the void value {dataset.ignore_index}"
        )
    total = valid.sum()
    if total == 0:
        raise BadInput(
            f"{dataset.spec.name} '{dataset.split}' has no labelled (non-void) pixels: "
            f"class frequencies need at least one"
        )
    return valid / total


def class_weights(frequencies: Sequence[float] | np.ndarray, c: float = 1.02) -> torch.Tensor:
    """The ENet paper's class weights ``1 / ln(c + p)`` as a float32 tensor (c = 1.02)."""
    p = np.asarray(frequencies, np.float64)
    return torch.from_numpy(1.0 / np.log(c + p)).float()
