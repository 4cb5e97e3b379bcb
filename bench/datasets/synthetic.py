"""Generated street scenes with CamVid's 11 classes: no files, deterministic from a seed.

Each image is drawn from ``numpy.random.default_rng((seed, split id, index))``, so the same
``(seed, split, index)`` always gives the same pixels, items can be made in any order (or in
DataLoader workers), and a shorter ``length`` is a prefix of a longer one. Splits: ``train``
(300 images), ``val`` (60), ``test`` (100), ``trainval`` (train then val); ``length`` changes
the count. Images are drawn directly at ``size`` (default 480x360), not resized.

A scene is a road receding to a vanishing point in simple perspective (a ground plane seen from
a camera one unit above it; horizon, vanishing point, focal length and road and pavement widths
vary): sky with a gradient and clouds, building facades with windows and shop fronts, a road
with lane markings, edge lines and crossings (class Road), pavements with tiles and curbs,
textured trees, poles with signs and traffic lights, fences, cars and vans, pedestrians and
cyclists, drawn far to near so near objects occlude far ones. Colour ranges overlap between
classes on purpose (grey roads, pavements, buildings, overcast skies, poles and cars; green
fences and trees; cars of any colour), and per-class textures, shadows, lighting, colour casts,
gamma, vignetting, blur, sensor noise and JPEG artefacts vary per image, so colour alone cannot
separate the classes. A little void (class 11) comes from street clutter and from the border of
a rolled camera. Labels are uint8 class ids 0..10, 11 = void.
"""

from __future__ import annotations

import numpy as np

from bench.datasets.base import SegmentationDataset, Transform, check_split
from bench.datasets.catalog import DATASETS
from bench.datasets.synthetic_objects import draw_objects
from bench.datasets.synthetic_scene import (
    Scene,
    apply_lighting,
    apply_sensor,
    draw_buildings,
    draw_fences,
    draw_ground,
    draw_sky,
    draw_skyline,
    roll_camera,
    street_geometry,
)
from bench.errors import BadInput

SPLIT_IDS = {"train": 0, "val": 1, "test": 2}
DEFAULT_LENGTHS = {"train": 300, "val": 60, "test": 100}
SPLITS = ("train", "val", "test", "trainval")


def generate_scene(
    seed: int, split: str, index: int, width: int = 480, height: int = 360, label_only: bool = False
) -> tuple[np.ndarray | None, np.ndarray]:
    """One scene: uint8 HxWx3 RGB image and uint8 HxW label (0..10, 11 = void).

    The same ``(seed, split, index, width, height)`` always gives the same arrays. The layout
    and the image effects draw from two separate random streams, so ``label_only=True`` gives
    the same label without the image effects (the image returned is then None).
    """
    layout_seq, effects_seq = np.random.SeedSequence(
        [int(seed) & 0xFFFFFFFF, SPLIT_IDS[split], int(index)]
    ).spawn(2)
    sc = Scene(np.random.default_rng(layout_seq), int(width), int(height))
    r = sc.rng
    geo = street_geometry(r)
    roll = r.uniform(-4, 4) if r.uniform() < 0.25 else 0.0
    haze = draw_sky(sc)
    draw_skyline(sc, haze)
    draw_ground(sc, geo)
    if r.uniform() < 0.5:  # a facade's shadow across the ground
        side = r.choice([-1, 1])
        X = geo["pave_l"] if side < 0 else geo["pave_r"]
        X2 = X - side * r.uniform(1.0, 6.0)
        sc.darken([sc.pt([X, X2, X2, X], [1.6, 1.6, 0.01, 0.01])], r.uniform(0.5, 0.8))
    draw_buildings(sc, geo, haze)
    draw_fences(sc, geo)
    draw_objects(sc, geo)
    if label_only:
        return None, (roll_camera(sc, None, roll)[1] if roll else sc.lab)
    effects = np.random.default_rng(effects_seq)
    image = apply_lighting(sc, effects)
    image, label = roll_camera(sc, image, roll) if roll else (image, sc.lab)
    return apply_sensor(image, effects), label


class SyntheticDataset(SegmentationDataset):
    """Generated street scenes (see the module docstring); no files, nothing to download."""

    spec = DATASETS["synthetic"]
    has_files = False

    def __init__(
        self,
        split: str = "train",
        size=None,
        seed: int = 0,
        length: int | None = None,
        transform: Transform | None = None,
    ):
        super().__init__(check_split("synthetic", split, SPLITS), size, transform)
        if length is not None and (not isinstance(length, (int, np.integer)) or length < 1):
            raise BadInput(f"synthetic length {length!r}: expected a positive number of images")
        self.seed = int(seed)
        parts = ("train", "val") if split == "trainval" else (split,)
        items = [(p, i) for p in parts for i in range(DEFAULT_LENGTHS[p])]
        if length is not None:
            if split == "trainval":
                items = items[:length]
            else:
                items = [(split, i) for i in range(length)]
        self.items = items
        self.names = [f"{p}_{i:05d}" for p, i in items]
        self.validate()

    def _scene_size(self) -> tuple[int, int]:
        size = self.size or self.spec.native_size
        assert size is not None, "the synthetic spec has a native size"
        return size

    def read(self, i: int) -> tuple[np.ndarray, np.ndarray]:
        """Generated directly at ``size`` (raw() then has nothing to resize)."""
        part, index = self.items[i]
        w, h = self._scene_size()
        image, label = generate_scene(self.seed, part, index, w, h)
        assert image is not None, "generate_scene gives an image unless label_only"
        return image, label

    def read_label(self, i: int) -> np.ndarray:
        """The label alone, without the image effects (for class frequencies)."""
        part, index = self.items[i]
        w, h = self._scene_size()
        return generate_scene(self.seed, part, index, w, h, label_only=True)[1]
