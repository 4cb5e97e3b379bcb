"""A few test predictions saved with a run, for the report's qualitative grid.

``RUN_DIR/predictions/`` holds ``index.json`` (dataset, classes, palette, the images and the
systems), ``images/<id>.png`` (RGB), ``labels/<id>.png`` and ``<system>/<id>.png`` (8-bit class
ids, 255 = void). The report reads these files; it never runs a model.
"""
from __future__ import annotations

import json
from pathlib import Path

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
    if not ok:                              # that is not UTF-8 (cv2.imwrite crashes on those)
        raise OSError(f"could not encode {path} as PNG")
    path.write_bytes(png.tobytes())


class PredictionWriter:
    """Writes the chosen test images once, then each system's class maps for them."""

    def __init__(self, out_dir: str | Path, dataset, count: int = DEFAULT_IMAGES):
        self.dir = Path(out_dir)
        self.spec = dataset.spec
        self.indices = pick_indices(len(dataset), count)
        names = getattr(dataset, "names", None)
        self.ids = {i: (str(names[i]) if names is not None else f"{dataset.split}-{i:04d}")
                    for i in self.indices}
        self.index = self._new_index(dataset)
        self.index["systems"] = self._kept_systems()
        for i in self.indices:
            image, label = dataset.raw(i)
            _write_png(self.dir / "images" / f"{self.ids[i]}.png", image)
            _write_png(self.dir / "labels" / f"{self.ids[i]}.png",
                       _class_ids(label, self.spec.num_classes))
        self._save()

    def _new_index(self, dataset) -> dict:
        n = self.spec.num_classes
        palette = [list(c) for c in self.spec.palette]
        return {"dataset": self.spec.name, "split": dataset.split,
                "class_names": list(self.spec.classes), "palette": palette[:n],
                "void_color": palette[n] if len(palette) > n else [0, 0, 0],
                "images": [{"id": self.ids[i], "image": f"images/{self.ids[i]}.png",
                            "label": f"labels/{self.ids[i]}.png"} for i in self.indices],
                "systems": {}}

    def _kept_systems(self) -> dict:
        """Systems a resumed run saved before, when they were saved for the same images."""
        try:
            old = json.loads((self.dir / "index.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        same = (isinstance(old, dict) and old.get("images") == self.index["images"]
                and old.get("dataset") == self.index["dataset"])
        return dict(old.get("systems") or {}) if same else {}

    def _save(self) -> None:
        atomic_write_text(self.dir / "index.json", json.dumps(self.index, indent=2) + "\n")

    def add(self, system: str, index: int, prediction: np.ndarray) -> None:
        """Save one class map (``HxW`` ints) of ``system`` for test item ``index``."""
        if index in self.ids:
            _write_png(self.dir / system / f"{self.ids[index]}.png",
                       _class_ids(prediction, self.spec.num_classes))

    def finish(self, system: str, protocol: str, profile: str | None) -> None:
        """Record the system in index.json once its images are written."""
        self.index["systems"][system] = {"protocol": protocol, "profile": profile, "dir": system}
        self._save()
