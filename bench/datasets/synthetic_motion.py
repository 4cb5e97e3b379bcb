"""Generated street sequences from a still camera, for motion methods: no files, deterministic.

CamVid in the SegNet layout has no neighbouring frames, so motion segmentation (frame
differencing, background subtraction) is scored here. A *sequence* is a street seen by a camera
that does not move: the background (sky, skyline, ground and markings, building facades, fences,
with the same perspective as ``bench.datasets.synthetic``, drawn by the same functions of
``synthetic_scene``) and its static objects (poles and signs, trees, clutter, parked cars,
people standing) stay put, while cars, pedestrians and cyclists move at a constant velocity plus
a small per-frame jitter: cars drive along their lane away from the camera or towards it,
pedestrians walk along the pavement or cross the road, cyclists ride along the road (seen from
behind) or cross it (seen side-on, moving the way they face). Objects enter and leave the view
during a sequence, far ones barely move (as in real traffic), and nearer objects occlude farther
ones, static or not. Every object, static or moving, is drawn each frame by the still dataset's
own drawing functions (``synthetic_objects``) from a random stream of its own, so it looks the
same in every frame.

The textures and lighting (``synthetic_scene.apply_lighting``) are drawn once per sequence and are
fixed in the image (a moving object's flat colours pass under the same fine texture, so the
inside of a uniform object hardly changes between frames, as with a real uniform car). Each
frame then gets a small global illumination flicker (a gain around 1), the sequence's blur and
fresh sensor noise, so that frame differencing is not trivially perfect. Unlike the still
scenes there is no camera roll (the camera is fixed) and no JPEG step. Cars cast a shadow that
moves with them and is not labelled Car (as in the still scenes); a fast car overtaking the
camera comes into view close up, from the bottom edge. Labels are uint8 CamVid class ids 0..10
with 11 = void (street clutter, as in the still scenes).

Determinism: a sequence's background, objects, trajectories and lighting come from
``numpy.random.SeedSequence([seed, split id, sequence, 7, 0])`` and a frame's jitter, flicker
and noise from ``[seed, split id, sequence, 7, 1, frame]``, so any frame can be made alone and
equals the same frame made in a loop, and trajectories do not depend on the number of frames
asked for (a shorter sequence is a prefix of a longer one). Frames are drawn directly at
``size`` (default 480x360), not resized. Generated sequences are cached (a few, by
:func:`motion_sequence`), so reading the frames of one sequence in turn draws its background once.

Splits ``train`` (16 sequences), ``val`` (4) and ``test`` (8), 30 frames each by default; item
``i`` is frame ``i % frames`` of sequence ``i // frames`` (sequence-major).
"""

from __future__ import annotations

import copy
import functools
from dataclasses import dataclass

import cv2
import numpy as np

from bench.datasets.base import SegmentationDataset, Transform, check_split
from bench.datasets.catalog import DATASETS
from bench.datasets.synthetic_objects import _car, _clutter, _cyclist, _pedestrian, _pole, _tree
from bench.datasets.synthetic_scene import (
    BICYCLIST,
    Scene,
    apply_lighting,
    draw_buildings,
    draw_fences,
    draw_ground,
    draw_sky,
    draw_skyline,
    street_geometry,
)
from bench.errors import BadInput

SPLIT_IDS = {"train": 0, "val": 1, "test": 2}
SPLITS = ("train", "val", "test")
DEFAULT_SEQUENCES = {"train": 16, "val": 4, "test": 8}
DEFAULT_FRAMES = 30
#: The frames over which a sequence's moving objects are placed (each is nearest the middle of
#: its path at a time in about this span); fixed, so that trajectories do not depend on
#: ``frames``.
SPAN = 30
_STREAM = 7  # in the seeds: keeps these random streams apart from the still scenes'
#: Objects are drawn while their scale ``s`` (1 at the bottom row) is in this range.
_S_MIN, _S_MAX = 0.02, 20.0
MOVING_KINDS = ("car", "pedestrian", "cyclist")


@dataclass(frozen=True)
class Item:
    """One object of a sequence: where it is at frame 0 and how fast it moves (per frame).

    ``X`` is across the street and ``d`` the depth, both in camera heights (see
    :class:`synthetic_scene.Scene`); ``seed`` seeds the object's own drawing stream, so it looks
    the same in every frame; ``arg`` is the pole's side, the car's facing (front or rear) or the
    side-on cyclist's direction (+1 or -1; 0 for one seen from behind).
    """

    kind: str
    seed: int
    X: float
    d: float
    vX: float = 0.0
    vd: float = 0.0
    arg: float = 0.0

    @property
    def moving(self) -> bool:
        return self.vX != 0.0 or self.vd != 0.0


@dataclass
class MotionSequence:
    """A sequence's still part (the background canvas) and its objects; frames are drawn from
    it by :func:`generate_frame`. The canvas is never changed: frames draw on copies."""

    background: Scene
    items: list[Item]
    effects: np.random.SeedSequence  # textures and lighting, the same for every frame
    blur: float  # Gaussian blur sigma of the sensor (0: none)
    noise: float  # sensor noise sigma, grey levels
    flicker: float  # standard deviation of the per-frame illumination gain


def _seeds(seed: int, split: str, sequence: int, *rest: int) -> np.random.SeedSequence:
    return np.random.SeedSequence(
        [int(seed) & 0xFFFFFFFF, SPLIT_IDS[split], int(sequence), _STREAM, *rest]
    )


def _cyclist_view(seed: int) -> float:
    """How ``_cyclist`` draws the cyclist of this stream: +1 or -1 side-on (facing right or
    left), 0 from behind. Found by drawing it once on a small probe canvas."""
    probe = Scene(np.random.default_rng(0), 64, 64)
    probe.hy, probe.G, probe.vx = 12.0, 40.0, 32.0  # feet at (32, 52), 40 pixels per unit
    probe.rng = np.random.default_rng(seed)
    _cyclist(probe, 0.0, 1.0)
    ys, xs = np.nonzero(probe.lab == BICYCLIST)
    if not len(xs) or xs.max() - xs.min() < 36:  # side-on: wheels 49 px apart; behind: 24
        return 0.0
    head = ys < 52 - 1.02 * 40  # only the head is higher than 1.02 units
    return 1.0 if xs[head].mean() > 32 else -1.0


def _place(r: np.random.Generator, zmin: float, s_lo: float, s_hi: float, vd: float) -> float:
    """Depth at frame 0 of an object moving ``vd`` per frame that is at a scale between
    ``s_lo`` and ``s_hi`` at some time in (about) the span."""
    s_mid = float(np.exp(r.uniform(np.log(s_lo), np.log(s_hi))))
    t_mid = r.uniform(-0.2, 1.2) * SPAN
    return zmin / s_mid - vd * t_mid


def _items(r: np.random.Generator, sc: Scene, geo: dict) -> list[Item]:
    xl, xr, pl, pr = geo["road_l"], geo["road_r"], geo["pave_l"], geo["pave_r"]
    zmin = sc.zmin
    seed = lambda: int(r.integers(2**63))  # noqa: E731
    near = lambda: float(np.exp(r.uniform(np.log(0.07), np.log(1.1))))  # noqa: E731
    side = lambda: float(r.choice([-1.0, 1.0]))  # noqa: E731

    def on_pavement(sd: float, lo: float = 0.15) -> float:
        return r.uniform(pl + 0.2, xl - lo) if sd < 0 else r.uniform(xr + lo, pr - 0.2)

    items: list[Item] = []
    # the still street
    for _ in range(r.integers(1, 5)):
        sd = side()
        X = xl - r.uniform(0.2, 0.7) if sd < 0 else xr + r.uniform(0.2, 0.7)
        items.append(Item("pole", seed(), X, zmin / near(), arg=sd))
    for _ in range(r.integers(0, 6)):
        items.append(Item("tree", seed(), on_pavement(side()), zmin / near()))
    for _ in range(r.integers(0, 3)):  # parked along a curb
        X = xl + 0.75 if r.uniform() < 0.5 else xr - 0.75
        items.append(Item("car", seed(), X, zmin / min(near(), 0.85), arg=0.0))
    for _ in range(r.integers(0, 2)):  # people standing
        items.append(Item("pedestrian", seed(), on_pavement(side()), zmin / near()))
    if r.uniform() < 0.3:
        items.append(Item("clutter", seed(), on_pavement(side()), zmin / near()))
    # traffic: towards the camera on the left of the road's middle, away on the right
    centre = (xl + xr) / 2
    for _ in range(r.integers(1, 5)):
        oncoming = r.uniform() < 0.5
        X = r.uniform(xl + 0.7, centre) if oncoming else r.uniform(centre, xr - 0.7)
        vd = r.uniform(0.25, 0.9) * (-1 if oncoming else 1)
        items.append(Item("car", seed(), X, _place(r, zmin, 0.08, 0.9, vd), vd=vd, arg=oncoming))
    for _ in range(r.integers(1, 6)):
        speed = r.uniform(0.03, 0.09) * side()
        if r.uniform() < 0.4:  # crossing the road
            X = r.uniform(pl, pr) - speed * r.uniform(-0.2, 1.2) * SPAN
            d = zmin / float(np.exp(r.uniform(np.log(0.12), np.log(1.0))))
            items.append(Item("pedestrian", seed(), X, d, vX=speed))
        else:  # along the pavement
            X = on_pavement(side())
            items.append(Item("pedestrian", seed(), X, _place(r, zmin, 0.07, 1.1, speed), vd=speed))
    for _ in range(r.choice([0, 1, 1, 2])):
        s = seed()
        view = _cyclist_view(s)
        if view:  # side-on: crossing, the way it faces
            vX = view * r.uniform(0.1, 0.25)
            X = r.uniform(xl, xr) - vX * r.uniform(-0.2, 1.2) * SPAN
            d = zmin / float(np.exp(r.uniform(np.log(0.12), np.log(0.9))))
            items.append(Item("cyclist", s, X, d, vX=vX, arg=view))
        else:  # from behind, riding away along the road's edge
            X = (xl + r.uniform(0.3, 1.0)) if r.uniform() < 0.5 else (xr - r.uniform(0.3, 1.0))
            vd = r.uniform(0.15, 0.45)
            items.append(Item("cyclist", s, X, _place(r, zmin, 0.07, 1.1, vd), vd=vd))
    return items


@functools.lru_cache(maxsize=4)
def motion_sequence(seed: int, split: str, sequence: int, width: int, height: int):
    """The background, objects and effects of one sequence (cached; treat as read-only)."""
    layout_seq, objects_seq, effects_seq, sensor_seq = _seeds(seed, split, sequence, 0).spawn(4)
    sc = Scene(np.random.default_rng(layout_seq), int(width), int(height))
    r = sc.rng
    geo = street_geometry(r)
    haze = draw_sky(sc)
    draw_skyline(sc, haze)
    draw_ground(sc, geo)
    if r.uniform() < 0.5:  # a facade's shadow across the ground (moving objects pass under it)
        sd = r.choice([-1, 1])
        X = geo["pave_l"] if sd < 0 else geo["pave_r"]
        X2 = X - sd * r.uniform(1.0, 6.0)
        sc.darken([sc.pt([X, X2, X2, X], [1.6, 1.6, 0.01, 0.01])], r.uniform(0.5, 0.8))
    draw_buildings(sc, geo, haze)
    draw_fences(sc, geo)
    items = _items(np.random.default_rng(objects_seq), sc, geo)
    e = np.random.default_rng(sensor_seq)
    return MotionSequence(
        background=sc,
        items=items,
        effects=effects_seq,
        blur=e.uniform(0.3, 1.0) if e.uniform() < 0.7 else 0.0,
        noise=e.uniform(1.5, 4.0),
        flicker=e.uniform(0.005, 0.02),
    )


def _draw(sc: Scene, item: Item, X: float, d: float) -> None:
    sc.rng = np.random.default_rng(item.seed)
    if item.kind == "car":
        _car(sc, X, d, bool(item.arg))
    elif item.kind == "pedestrian":
        _pedestrian(sc, X, sc.zmin / d)
    elif item.kind == "cyclist":
        _cyclist(sc, X, sc.zmin / d)
    elif item.kind == "pole":
        _pole(sc, X, sc.zmin / d, int(item.arg))
    elif item.kind == "tree":
        _tree(sc, X, sc.zmin / d)
    else:
        _clutter(sc, X, sc.zmin / d)


def generate_frame(
    seed: int,
    split: str,
    sequence: int,
    frame: int,
    width: int = 480,
    height: int = 360,
    label_only: bool = False,
) -> tuple[np.ndarray | None, np.ndarray]:
    """Frame ``frame`` of sequence ``sequence``: uint8 HxWx3 RGB image and uint8 HxW label.

    The same arguments always give the same arrays, whatever was generated before. With
    ``label_only=True`` the image effects are skipped (the image returned is None) and the
    label is the same.
    """
    seq = motion_sequence(int(seed), split, int(sequence), int(width), int(height))
    rng = np.random.default_rng(_seeds(seed, split, sequence, 1, int(frame)))
    jitter = rng.standard_normal((len(seq.items), 2))
    bg = seq.background
    sc = copy.copy(bg)
    sc.img, sc.lab = bg.img.copy(), bg.lab.copy()
    placed = []
    for item, (jx, jd) in zip(seq.items, jitter):
        # constant velocity, plus a jitter of 15% of the speed per frame
        X = item.X + item.vX * frame + 0.15 * abs(item.vX) * jx
        d = item.d + item.vd * frame + 0.15 * abs(item.vd) * jd
        if d > 0 and _S_MIN < sc.zmin / d < _S_MAX:
            placed.append((sc.zmin / d, item, X, d))
    placed.sort(key=lambda p: p[0])  # far (small s) first: near objects occlude far ones
    for _, item, X, d in placed:
        _draw(sc, item, X, d)
    if label_only:
        return None, sc.lab
    image = apply_lighting(sc, np.random.default_rng(seq.effects))
    out: np.ndarray = image.astype(np.float32)
    if seq.blur > 0:
        out = cv2.GaussianBlur(out, (3, 3), seq.blur)
    out *= np.float32(1.0 + seq.flicker * rng.standard_normal())
    out += rng.standard_normal(out.shape, dtype=np.float32) * np.float32(seq.noise)
    return np.clip(out, 0, 255).astype(np.uint8), sc.lab


def _count(value, what: str) -> int:
    if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < 1:
        raise BadInput(f"synthetic-motion {what} {value!r}: expected a positive whole number")
    return int(value)


class SyntheticMotionDataset(SegmentationDataset):
    """Generated still-camera sequences (see the module docstring); no files, nothing to
    download. Item ``i`` is frame ``i % frames`` of sequence ``i // frames``."""

    spec = DATASETS["synthetic-motion"]
    has_files = False

    def __init__(
        self,
        split: str,
        size=None,
        seed: int = 0,
        sequences: int | None = None,
        frames: int | None = None,
        transform: Transform | None = None,
    ):
        super().__init__(check_split("synthetic-motion", split, SPLITS), size, transform)
        if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool):
            raise BadInput(f"synthetic-motion seed {seed!r}: expected a whole number")
        self.seed = int(seed)
        self.sequences = _count(
            DEFAULT_SEQUENCES[split] if sequences is None else sequences, "sequences"
        )
        self.frames = _count(DEFAULT_FRAMES if frames is None else frames, "frames")
        self.names = [
            f"{split}_s{s:03d}_f{f:03d}" for s in range(self.sequences) for f in range(self.frames)
        ]
        self.validate()

    def _frame_size(self) -> tuple[int, int]:
        size = self.size or self.spec.native_size
        assert size is not None, "the synthetic-motion spec has a native size"
        return size

    def sequence_of(self, i: int) -> tuple[int, int]:
        """``(sequence, frame)`` of item ``i``."""
        s, f = divmod(self._index(i), self.frames)
        return s, f

    def index_of(self, sequence: int, frame: int) -> int:
        """The item of frame ``frame`` of sequence ``sequence``."""
        if not (0 <= sequence < self.sequences and 0 <= frame < self.frames):
            raise IndexError(
                f"frame {frame} of sequence {sequence} out of range for {self.sequences} "
                f"sequences of {self.frames} frames"
            )
        return sequence * self.frames + frame

    def sequence_items(self, sequence: int) -> range:
        """The items of one sequence, in frame order."""
        start = self.index_of(sequence, 0)
        return range(start, start + self.frames)

    def frames_before(self, i: int, n: int) -> list[np.ndarray]:
        """Up to ``n`` frames of item ``i``'s sequence just before it (uint8 RGB, as ``raw``
        gives them, not transformed), oldest first; fewer at the start of a sequence."""
        if n < 0:
            raise ValueError(f"n must be at least 0, got {n}")
        s, f = self.sequence_of(i)
        return [self.raw(self.index_of(s, k))[0] for k in range(max(0, f - n), f)]

    def read(self, i: int) -> tuple[np.ndarray, np.ndarray]:
        """Generated directly at ``size`` (raw() then has nothing to resize)."""
        s, f = divmod(i, self.frames)
        w, h = self._frame_size()
        image, label = generate_frame(self.seed, self.split, s, f, w, h)
        assert image is not None, "generate_frame gives an image unless label_only"
        return image, label

    def read_label(self, i: int) -> np.ndarray:
        """The label alone, without the image effects (for class frequencies)."""
        s, f = divmod(i, self.frames)
        w, h = self._frame_size()
        return generate_frame(self.seed, self.split, s, f, w, h, label_only=True)[1]

    def __repr__(self) -> str:
        size = f", size={self.size[0]}x{self.size[1]}" if self.size else ""
        return (
            f"{type(self).__name__}(split={self.split!r}, {self.sequences} sequences x "
            f"{self.frames} frames{size})"
        )
