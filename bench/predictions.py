"""A few test predictions saved with a run, for the report's qualitative grid.

``RUN_DIR/predictions/`` holds ``index.json`` (dataset, classes, palette, the images and the
systems), ``images/<id>.png`` (RGB), ``labels/<id>.png`` and ``<system>/<id>.png`` (8-bit class
ids, 255 = void). The report reads these files; it never runs a model.

This module owns that format: ``PredictionWriter`` writes it during a run, ``load_predictions``,
``read_png`` and ``colorize`` read it back for the report's qualitative figure.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from bench.atomic import atomic_write_text

VOID = 255
DEFAULT_IMAGES = 4


def pick_indices(n: int, count: int = DEFAULT_IMAGES) -> list[int]:
    """``count`` indices spread evenly over ``0..n-1`` (all of them if fewer)."""
    if n <= count:
        return list(range(n))
    return sorted({int(round(x)) for x in np.linspace(0, n - 1, count)})


def _class_ids(label: np.ndarray, num_classes: int) -> np.ndarray:
    out = np.asarray(label).astype(np.int64)
    return np.where((out >= 0) & (out < num_classes), out, VOID).astype(np.uint8)


def _write_png(path: Path, array: np.ndarray) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if array.ndim == 3:
        array = cv2.cvtColor(array, cv2.COLOR_RGB2BGR)
    ok, png = cv2.imencode(".png", array)  # bytes written by Python: any path, even one
    if not ok:  # that is not UTF-8 (cv2.imwrite crashes on those)
        raise OSError(f"could not encode {path} as PNG")
    path.write_bytes(png.tobytes())


class PredictionWriter:
    """Writes the chosen test images once, then each system's class maps for them."""

    def __init__(self, out_dir: str | Path, dataset, count: int = DEFAULT_IMAGES):
        self.dir = Path(out_dir)
        self.spec = dataset.spec
        self.indices = pick_indices(len(dataset), count)
        names = getattr(dataset, "names", None)
        self.ids = {
            i: (str(names[i]) if names is not None else f"{dataset.split}-{i:04d}")
            for i in self.indices
        }
        self.index = self._new_index(dataset)
        self.index["systems"] = self._kept_systems()
        for i in self.indices:
            image, label = dataset.raw(i)
            _write_png(self.dir / "images" / f"{self.ids[i]}.png", image)
            _write_png(
                self.dir / "labels" / f"{self.ids[i]}.png", _class_ids(label, self.spec.num_classes)
            )
        self._save()

    def _new_index(self, dataset) -> dict:
        n = self.spec.num_classes
        palette = [list(c) for c in self.spec.palette]
        return {
            "dataset": self.spec.name,
            "split": dataset.split,
            "class_names": list(self.spec.classes),
            "palette": palette[:n],
            "void_color": palette[n] if len(palette) > n else [0, 0, 0],
            "images": [
                {
                    "id": self.ids[i],
                    "image": f"images/{self.ids[i]}.png",
                    "label": f"labels/{self.ids[i]}.png",
                }
                for i in self.indices
            ],
            "systems": {},
        }

    def _kept_systems(self) -> dict:
        """Systems a resumed run saved before, when they were saved for the same images."""
        try:
            old = json.loads((self.dir / "index.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        same = (
            isinstance(old, dict)
            and old.get("images") == self.index["images"]
            and old.get("dataset") == self.index["dataset"]
        )
        return dict(old.get("systems") or {}) if same else {}

    def _save(self) -> None:
        atomic_write_text(self.dir / "index.json", json.dumps(self.index, indent=2) + "\n")

    def add(self, system: str, index: int, prediction: np.ndarray) -> None:
        """Save one class map (``HxW`` ints) of ``system`` for test item ``index``."""
        if index in self.ids:
            _write_png(
                self.dir / system / f"{self.ids[index]}.png",
                _class_ids(prediction, self.spec.num_classes),
            )

    def finish(self, system: str, protocol: str, profile: str | None) -> None:
        """Record the system in index.json once its images are written."""
        self.index["systems"][system] = {"protocol": protocol, "profile": profile, "dir": system}
        self._save()


# --------------------------------------------------------------------------------------------
# reading (the report)


@dataclass
class Predictions:
    """Prediction folders of one dataset and split, merged by ``load_predictions``."""

    dataset: str | None
    split: str | None
    class_names: list[str]
    palette: list[tuple[int, int, int]]
    void_color: tuple[int, int, int]
    images: list[dict]  # {"id", "image": Path, "label": Path}
    systems: list[dict]  # {"name", "label", "protocol", "profile", "dir": Path}


def _color(value: Any) -> tuple[int, int, int]:
    rgb = tuple(int(v) for v in value)
    if len(rgb) != 3 or not all(0 <= v <= 255 for v in rgb):
        raise ValueError(f"colour {value!r} is not [R, G, B] in 0..255")
    return rgb


def _read_index(folder: Path) -> dict | None:
    index = Path(folder) / "index.json"
    try:
        spec = json.loads(index.read_text(encoding="utf-8"))
        if (
            not isinstance(spec, dict)
            or not isinstance(spec.get("images"), list)
            or not isinstance(spec.get("systems", {}), dict)
        ):
            raise ValueError("expected an object with 'images' (a list) and 'systems'")
        return spec
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        warnings.warn(
            f"predictions in {folder} skipped: cannot read {index} ({exc})",
            RuntimeWarning,
            stacklevel=3,
        )
        return None


def load_predictions(prediction_dirs: Iterable[Path]) -> Predictions | None:
    """Merge prediction folders (each with index.json) of one dataset and split: the first
    readable one gives the images, classes and palette; the others add their systems. Folders
    that are missing, unreadable or of another dataset are skipped with a warning."""
    merged: Predictions | None = None
    for folder in map(Path, prediction_dirs or ()):
        spec = _read_index(folder)
        if spec is None:
            continue
        try:
            if merged is None:
                images = [
                    {
                        "id": str(im["id"]),
                        "image": folder / im["image"],
                        "label": folder / im["label"] if im.get("label") else None,
                    }
                    for im in spec["images"]
                    if isinstance(im, dict) and "id" in im and im.get("image")
                ]
                merged = Predictions(
                    dataset=spec.get("dataset"),
                    split=spec.get("split"),
                    class_names=[str(c) for c in spec.get("class_names") or []],
                    palette=[_color(c) for c in spec.get("palette") or []],
                    void_color=_color(spec.get("void_color") or (0, 0, 0)),
                    images=images,
                    systems=[],
                )
            elif (spec.get("dataset"), spec.get("split")) != (merged.dataset, merged.split):
                warnings.warn(
                    f"predictions in {folder} skipped: {spec.get('dataset')} "
                    f"{spec.get('split')}, not {merged.dataset} {merged.split} as the "
                    f"first folder",
                    RuntimeWarning,
                    stacklevel=2,
                )
                continue
            for name, s in spec.get("systems", {}).items():
                s = s if isinstance(s, dict) else {}
                merged.systems.append(
                    {
                        "name": str(name),
                        "protocol": s.get("protocol"),
                        "profile": s.get("profile"),
                        "run": folder.parent.name or str(folder),
                        "dir": folder / str(s.get("dir") or name),
                    }
                )
        except (KeyError, TypeError, ValueError) as exc:
            warnings.warn(
                f"predictions in {folder} skipped: bad index.json ({exc})",
                RuntimeWarning,
                stacklevel=2,
            )
    if merged is None or not merged.images:
        return None
    return merged


def read_png(path: Path | None) -> np.ndarray | None:
    """An image (RGB) or class map from a PNG; None when the file is missing or unreadable."""
    if path is None or not Path(path).is_file():
        return None
    data = np.fromfile(path, dtype=np.uint8)  # read by numpy: any path, even one not UTF-8
    img = cv2.imdecode(data, cv2.IMREAD_UNCHANGED) if data.size else None
    if img is None:
        return None
    if img.ndim == 3 and img.shape[2] == 4:
        img = cv2.cvtColor(img, cv2.COLOR_BGRA2RGB)
    elif img.ndim == 3 and img.shape[2] == 3:
        img = cv2.cvtColor(img, cv2.COLOR_BGR2RGB)
    return img


def colorize(label: np.ndarray, palette: list, void: tuple) -> np.ndarray:
    """A class-id map in the palette's colours; ids without a colour (255: void) in ``void``."""
    if label.ndim == 3:
        label = label[..., 0]
    lut = np.tile(np.array(void, dtype=np.uint8), (256, 1))
    for k, c in enumerate(palette[:255]):
        lut[k] = c
    return lut[label.astype(np.uint8)]
