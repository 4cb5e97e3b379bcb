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

import colorsys
import functools

import cv2
import numpy as np

from bench.datasets.base import SegmentationDataset, Transform, check_split
from bench.datasets.catalog import DATASETS
from bench.errors import BadInput

(SKY, BUILDING, POLE, ROAD, PAVEMENT, TREE, SIGN, FENCE, CAR, PEDESTRIAN, BICYCLIST,
 VOID) = range(12)
SPLIT_IDS = {"train": 0, "val": 1, "test": 2}
DEFAULT_LENGTHS = {"train": 300, "val": 60, "test": 100}
SPLITS = ("train", "val", "test", "trainval")

# Texture amplitudes per class (grey levels, index = class id): low-frequency colour blotches,
# mid-frequency luminance (foliage), fine grain.
_AMP_LOW = np.array([7, 14, 6, 9, 13, 16, 4, 10, 5, 7, 7, 10], np.float32)
_AMP_MID = np.array([2, 6, 3, 4, 8, 30, 2, 9, 3, 6, 6, 6], np.float32)
_AMP_FINE = np.array([1.5, 6, 4, 9, 9, 14, 2, 7, 3, 5, 5, 6], np.float32)


def _circle(cx: float, cy: float, rx: float, ry: float | None = None, n: int = 20) -> np.ndarray:
    t = np.linspace(0, 2 * np.pi, n, endpoint=False)
    return np.stack([cx + rx * np.cos(t), cy + (rx if ry is None else ry) * np.sin(t)], 1)


@functools.lru_cache(maxsize=8)
def _radial(width: int, height: int) -> np.ndarray:
    """Squared distance from the centre, 0 at the centre and 1 in the corners (for vignetting)."""
    y = np.linspace(-1, 1, height, dtype=np.float32)[:, None]
    x = np.linspace(-1, 1, width, dtype=np.float32)[None, :]
    return (x * x + y * y) / 2


class _Scene:
    """One image being drawn: ``img`` float32 RGB, ``lab`` uint8 class ids, ``shade`` factors.

    Geometry: a ground point ``X`` camera heights to the side, at depth ``D`` camera heights,
    ``Y`` camera heights above the ground appears at ``x = vx + X*s*G``, ``y = hy + s*G*(1-Y)``
    with ``s = zmin / D`` (1 at the bottom row) and ``G`` the pixels between horizon and bottom.
    """

    def __init__(self, rng: np.random.Generator, width: int, height: int):
        self.rng, self.W, self.H = rng, width, height
        self.img = np.empty((height, width, 3), np.float32)
        self.lab = np.zeros((height, width), np.uint8)
        self.shade: np.ndarray | None = None
        self.hy = height * rng.uniform(0.3, 0.5)
        self.G = height - self.hy
        self.vx = width * rng.uniform(0.3, 0.7)
        self.zmin = width * rng.uniform(0.75, 1.05) / self.G

    # geometry -------------------------------------------------------------------------------
    def s(self, depth):
        return self.zmin / np.asarray(depth, np.float64)

    def pt(self, X, s, Y=0.0) -> np.ndarray:
        X, s, Y = np.broadcast_arrays(np.asarray(X, float), np.asarray(s, float),
                                      np.asarray(Y, float))
        return np.stack([self.vx + X * s * self.G, self.hy + s * self.G * (1 - Y)], -1)

    # drawing ----------------------------------------------------------------------------------
    @staticmethod
    def _fixed(polys) -> list[np.ndarray]:
        return [np.round(np.asarray(p, np.float64) * 16).astype(np.int32).reshape(-1, 2)
                for p in polys]

    def fill(self, polys, cls: int | None, color, disjoint: bool = False) -> None:
        """Fill polygons (lists of (x, y) points) in the image, and in the labels unless None.

        One fillPoly call fills overlapping polygons by the even-odd rule (overlaps left out),
        so polygons that may overlap are filled one at a time; ``disjoint`` ones in one call.
        """
        pts = self._fixed(polys)
        colour = tuple(float(c) for c in color)
        for group in ([pts] if disjoint else [[p] for p in pts]):
            if cls is not None:
                cv2.fillPoly(self.lab, group, int(cls), cv2.LINE_8, 4)
            cv2.fillPoly(self.img, group, colour, cv2.LINE_8, 4)

    def stroke(self, lines, cls: int | None, color, thickness: float, closed=False) -> None:
        pts = self._fixed(lines)
        t = max(1, int(round(thickness)))
        if cls is not None:
            cv2.polylines(self.lab, pts, closed, int(cls), t, cv2.LINE_8, 4)
        cv2.polylines(self.img, pts, closed, tuple(float(c) for c in color), t, cv2.LINE_8, 4)

    def darken(self, polys, factor: float) -> None:
        if self.shade is None:
            self.shade = np.ones((self.H, self.W), np.float32)
        cv2.fillPoly(self.shade, self._fixed(polys), float(factor), cv2.LINE_8, 4)

    # colours ----------------------------------------------------------------------------------
    def jitter(self, color, amount: float) -> np.ndarray:
        return np.clip(np.asarray(color, float) + self.rng.uniform(-amount, amount, 3), 0, 255)

    def grey(self, lo: float, hi: float, tint: float = 8) -> np.ndarray:
        return self.jitter([self.rng.uniform(lo, hi)] * 3, tint)

    def any_colour(self, sat=(0.3, 0.9), val=(0.3, 0.95)) -> np.ndarray:
        r = self.rng
        rgb = colorsys.hsv_to_rgb(r.uniform(), r.uniform(*sat), r.uniform(*val))
        return np.array(rgb) * 255


def _sky(sc: _Scene) -> np.ndarray:
    r = sc.rng
    kind = r.choice(3, p=[0.35, 0.45, 0.2])
    if kind == 0:  # clear blue
        top = np.array([r.uniform(40, 100), r.uniform(90, 150), r.uniform(170, 235)])
        hor = np.array([r.uniform(160, 210), r.uniform(180, 220), r.uniform(200, 245)])
    elif kind == 1:  # overcast grey: overlaps buildings, roads and silver cars
        top = sc.grey(140, 225, 6)
        hor = np.clip(top + r.uniform(0, 30), 0, 255)
    else:  # hazy, warm
        top = np.array([r.uniform(150, 200), r.uniform(150, 190), r.uniform(140, 190)])
        hor = np.array([r.uniform(200, 245), r.uniform(180, 225), r.uniform(150, 200)])
    t = np.clip(np.arange(sc.H, dtype=np.float32) / max(sc.hy, 1.0), 0, 1)[:, None, None]
    sc.img[:] = (top + (hor - top) * t).astype(np.float32)
    if kind != 1:
        for _ in range(r.integers(0, 5)):
            cx, cy = r.uniform(0, sc.W), r.uniform(0, sc.hy * 0.7)
            w = r.uniform(0.05, 0.25) * sc.W
            sc.fill([_circle(cx, cy, w, w * r.uniform(0.15, 0.4))], None, sc.grey(215, 250, 4))
    return hor


def _skyline(sc: _Scene, haze: np.ndarray) -> None:
    """Distant buildings and trees around the horizon."""
    r = sc.rng
    x = sc.vx - r.uniform(0.15, 0.45) * sc.W
    end = sc.vx + r.uniform(0.15, 0.45) * sc.W
    while x < end:
        w = r.uniform(0.02, 0.08) * sc.W
        top = sc.hy - r.uniform(0.01, 0.14) * sc.H
        cls = TREE if r.uniform() < 0.2 else BUILDING
        base = sc.grey(70, 170) if cls == BUILDING else np.array([60, 90, 50.0])
        colour = 0.55 * base + 0.45 * haze
        sc.fill([[(x, top), (x + w, top), (x + w, sc.hy + 2), (x, sc.hy + 2)]], cls, colour)
        x += w * r.uniform(0.7, 1.1)


def _ground(sc: _Scene, geo: dict) -> None:
    """Pavement everywhere below the horizon, then the road, curbs and markings."""
    r, W, H = sc.rng, sc.W, sc.H
    road = sc.jitter([r.uniform(55, 125)] * 3, 8)
    u = r.uniform()
    if u < 0.25:  # nearly the road's colour
        pave = np.clip(road + r.uniform(-8, 30, 3), 0, 255)
    elif u < 0.6:
        pave = sc.grey(90, 175)
    elif u < 0.85:
        pave = sc.jitter([r.uniform(150, 190), r.uniform(140, 175), r.uniform(110, 150)], 8)
    else:
        pave = sc.jitter([r.uniform(130, 170), r.uniform(90, 120), r.uniform(80, 110)], 8)
    geo["road_colour"] = road
    sc.fill([[(-2, sc.hy), (W + 2, sc.hy), (W + 2, H + 2), (-2, H + 2)]], PAVEMENT, pave)
    xl, xr, pl, pr = geo["road_l"], geo["road_r"], geo["pave_l"], geo["pave_r"]
    smax = 1.6
    # paving-slab joints (image only)
    if r.uniform() < 0.6:
        step = r.uniform(0.8, 2.0)
        depths = sc.zmin / smax + step * np.arange(60)
        lines = []
        for a, b in ((pl, xl), (xr, pr)):
            for X in np.linspace(a, b, max(2, int(abs(b - a) / step) + 1)):
                lines.append(sc.pt([X, X], [smax, 0.01]))
            s = sc.s(depths[sc.s(depths) > 0.02])
            for si in s:
                lines.append(sc.pt([a, b], [si, si]))
        sc.stroke(lines, None, pave * r.uniform(0.7, 0.9), 1)
    # grass verge (Tree covers vegetation in CamVid's 11 classes)
    if r.uniform() < 0.15:
        side = r.choice([-1, 1])
        edge = xl if side < 0 else xr
        a, b = edge + side * 0.15, edge + side * r.uniform(0.6, 1.2)
        sc.fill([np.vstack([sc.pt([a, b], [smax, smax]), [(sc.vx, sc.hy)]])], TREE,
                sc.jitter([60, 110, 45], 20))
    # road, then curbs
    sc.fill([np.vstack([sc.pt([xl, xr], [smax, smax]), [(sc.vx, sc.hy)]])], ROAD, road)
    curb = np.clip(pave * r.uniform(1.0, 1.3), 0, 255)
    for edge, side in ((xl, -1), (xr, 1)):
        sc.fill([np.vstack([sc.pt([edge, edge + side * 0.12], [smax, smax]),
                            [(sc.vx, sc.hy)]])], PAVEMENT, curb)
    # patches of repaired asphalt (image only)
    for _ in range(r.integers(0, 4)):
        X0 = r.uniform(xl, xr)
        d0 = sc.zmin * r.uniform(0.8, 8)
        s0, s1 = sc.s([d0, d0 + r.uniform(1, 6)])
        w = r.uniform(0.3, 1.5)
        sc.fill([sc.pt([X0, X0 + w, X0 + w, X0], [s0, s0, s1, s1])], None,
                road * r.uniform(0.75, 1.2))
    _markings(sc, geo)


def _markings(sc: _Scene, geo: dict) -> None:
    r = sc.rng
    xl, xr = geo["road_l"], geo["road_r"]
    colour = (sc.jitter([225, 190, 60], 15) if r.uniform() < 0.2 else sc.grey(170, 235, 4))
    smax, polys = 1.6, []
    centre = (xl + xr) / 2 + r.uniform(-0.4, 0.4)
    w = r.uniform(0.06, 0.12)
    dash, gap = r.uniform(1.5, 3.0), r.uniform(2.0, 5.0)
    d = sc.zmin / smax - r.uniform(0, dash + gap)
    while d < sc.zmin / 0.02:
        if d + dash > 0.2:  # (dashes behind the camera are skipped)
            s0, s1 = sc.s([max(d, 0.1), d + dash])
            polys.append(sc.pt([centre - w, centre + w, centre + w, centre - w],
                               [s0, s0, s1, s1]))
        d += dash + gap
    if r.uniform() < 0.6:  # solid edge lines
        for X in (xl + 0.25, xr - 0.25 - w):
            polys.append(sc.pt([X, X + w, X + w, X], [smax, smax, 0.01, 0.01]))
    if r.uniform() < 0.25:  # zebra crossing
        d0 = sc.zmin * r.uniform(1.0, 4.0)
        s0, s1 = sc.s([d0, d0 + r.uniform(1.5, 3.0)])
        width = r.uniform(0.25, 0.45)
        for X in np.arange(xl + 0.2, xr - width, 2 * width):
            polys.append(sc.pt([X, X + width, X + width, X], [s0, s0, s1, s1]))
    sc.fill(polys, ROAD, colour)


_FACADE_COLOURS = np.array([[190, 170, 140], [150, 75, 55], [160, 160, 160], [215, 210, 200],
                            [90, 85, 80], [175, 140, 100], [120, 130, 140], [200, 185, 120]],
                           float)


def _buildings(sc: _Scene, geo: dict, sky: np.ndarray) -> None:
    """Facades on planes parallel to the road on both sides, near to far, with windows."""
    r = sc.rng
    for side in (-1, 1):
        X = geo["pave_l"] if side < 0 else geo["pave_r"]
        light = r.uniform(0.6, 1.05)
        open_side = r.uniform() < 0.12
        d = sc.zmin / 1.6
        while d < sc.zmin / 0.03:
            length = r.uniform(3, 14)
            if open_side or r.uniform() < 0.12:  # a gap: sky, skyline, trees show through
                d += length * (2.5 if open_side else 0.4)
                continue
            base = _FACADE_COLOURS[r.integers(len(_FACADE_COLOURS))]
            colour = sc.jitter(base, 25) * light
            height = r.uniform(2.5, 12)
            sa, sb = sc.s([d, d + length])
            sc.fill([sc.pt(X, [sa, sb, sb, sa], [0, 0, height, height])], BUILDING, colour)
            y0 = 0.8
            if r.uniform() < 0.4:  # shop front
                y0 = r.uniform(1.2, 1.8)
                front = (sc.grey(20, 90) if r.uniform() < 0.5 else sc.any_colour()) * light
                sc.fill([sc.pt(X, [sa, sb, sb, sa], [0, 0, y0, y0])], BUILDING, front)
            if r.uniform() < 0.5:  # cornice
                sc.fill([sc.pt(X, [sa, sb, sb, sa], [height - 0.3, height - 0.3, height,
                                                     height])], BUILDING, colour * 0.8)
            _windows(sc, X, d, length, y0, height, light, sky)
            d += length


def _windows(sc: _Scene, X, d, length, y0, height, light, sky) -> None:
    r = sc.rng
    floor, spacing = r.uniform(1.6, 2.4), r.uniform(1.2, 2.6)
    wh, ww = floor * r.uniform(0.4, 0.6), spacing * r.uniform(0.35, 0.65)
    ys = np.arange(y0 + 0.3, height - wh - 0.3, floor)
    ds = d + 0.4 + np.arange(0, max(length - 0.8 - ww, 0), spacing)
    if not len(ys) or not len(ds):
        return
    D, Yg = np.meshgrid(ds, ys)
    D, Yg = D.ravel(), Yg.ravel()
    s0, s1 = sc.s(D), sc.s(D + ww)
    quads = np.stack([sc.pt(X, s0, Yg), sc.pt(X, s1, Yg), sc.pt(X, s1, Yg + wh),
                      sc.pt(X, s0, Yg + wh)], 1)
    u = r.uniform()
    glass = (sky * r.uniform(0.6, 0.95) if u < 0.35 else
             sc.grey(15, 70) if u < 0.8 else sc.jitter([210, 190, 120], 30))
    lit = r.uniform(size=len(quads)) < r.uniform(0, 0.35)
    sc.fill(list(quads[~lit]), BUILDING, glass * light, disjoint=True)
    if lit.any():
        sc.fill(list(quads[lit]), BUILDING, sc.jitter([200, 190, 150], 40) * light, disjoint=True)


def _fences(sc: _Scene, geo: dict) -> None:
    r = sc.rng
    for side in (-1, 1):
        if r.uniform() > 0.55:
            continue
        if r.uniform() < 0.3:  # railing along the curb
            X = (geo["road_l"] - 0.3) if side < 0 else (geo["road_r"] + 0.3)
        else:  # in front of the facades
            X = (geo["pave_l"] + r.uniform(0.05, 0.4)) if side < 0 else \
                (geo["pave_r"] - r.uniform(0.05, 0.4))
        d0 = sc.zmin * r.uniform(0.7, 4.0)
        d1 = d0 + r.uniform(4, 25)
        h = r.uniform(0.45, 0.9)
        u = r.uniform()
        colour = (sc.jitter([120, 80, 50], 30) if u < 0.3 else sc.grey(70, 180) if u < 0.65
                  else sc.jitter([50, 100, 60], 25) if u < 0.85 else sc.grey(190, 235, 4))
        sa, sb = sc.s([d0, d1])
        style = r.integers(3)
        posts = np.arange(d0, d1, r.uniform(1.0, 2.2))
        if style == 0:  # solid panels with plank joints
            sc.fill([sc.pt(X, [sa, sb, sb, sa], [0, 0, h, h])], FENCE, colour)
            sp = sc.s(posts)
            sc.stroke([sc.pt(X, [si, si], [0, h]) for si in sp], None, colour * 0.7, 1)
        else:
            rails = [h - 0.05, h * 0.5] if style == 1 else list(np.linspace(0.05, h, 6))
            for y in rails:  # rails (or mesh wires)
                t = 0.05 if style == 1 else 0.012
                sc.fill([sc.pt(X, [sa, sb, sb, sa], [y - t, y - t, y, y])], FENCE, colour)
            vert = posts if style == 1 else np.arange(d0, d1, 0.25)
            for dk in vert:
                sk = sc.s(dk)
                x, y = sc.pt(X, sk, 0)
                w = max(0.5, (0.06 if style == 1 else 0.01) * sk * sc.G)
                top = sc.pt(X, sk, h)[1]
                sc.fill([[(x - w, y), (x + w, y), (x + w, top), (x - w, top)]], FENCE, colour)


def _pole(sc: _Scene, X: float, s: float, side: int) -> None:
    r, u = sc.rng, s * sc.G
    x, y = sc.pt(X, s)
    h, w = r.uniform(2.5, 5.0), r.uniform(0.05, 0.12) * u
    colour = sc.grey(60, 180) if r.uniform() < 0.8 else sc.jitter([40, 70, 50], 15)
    top = y - h * u
    sc.fill([[(x - w / 2, y), (x + w / 2, y), (x + w / 2, top), (x - w / 2, top)]], POLE, colour)
    if r.uniform() < 0.35:  # lamp arm over the road
        reach = -side * r.uniform(0.5, 1.5) * u
        sc.fill([[(x, top), (x + reach, top), (x + reach, top + w * 0.7), (x, top + w * 0.7)],
                 _circle(x + reach, top + w, w * 1.2, w * 0.6)], POLE, colour)
    if r.uniform() < 0.25:  # traffic light
        bw, bh = 0.22 * u, 0.6 * u
        cy = top + bh * 0.6
        sc.fill([[(x - bw / 2, cy - bh / 2), (x + bw / 2, cy - bh / 2), (x + bw / 2, cy + bh / 2),
                  (x - bw / 2, cy + bh / 2)]], SIGN, sc.grey(15, 60, 4))
        on = r.integers(3)
        for k, c in enumerate(([230, 40, 30], [240, 170, 20], [40, 220, 90])):
            colour = sc.jitter(c, 15) if k == on else np.array(c) * 0.25
            sc.fill([_circle(x, cy + (k - 1) * bh / 3.3, bw * 0.33, n=12)], SIGN, colour)
    if r.uniform() < 0.8:  # sign
        size = r.uniform(0.3, 0.6) * u
        cy = top + r.uniform(0.1, 0.45) * h * u
        cx = x + (0 if r.uniform() < 0.6 else r.choice([-1, 1]) * size * 0.6)
        shape = r.integers(5)
        main = sc.jitter([[200, 30, 30], [30, 70, 170], [230, 230, 230], [230, 190, 30],
                          [30, 130, 60]][r.integers(5)], 20)
        def poly(k):
            if shape == 0:
                return _circle(cx, cy, k * size / 2, n=16)
            if shape == 1:
                a, b = k * size / 2, k * size * r.uniform(0.25, 0.5)
                return [(cx - a, cy - b), (cx + a, cy - b), (cx + a, cy + b), (cx - a, cy + b)]
            if shape == 2:
                return [(cx, cy - k * size / 2), (cx + k * size / 2, cy + k * size / 2.5),
                        (cx - k * size / 2, cy + k * size / 2.5)]
            if shape == 3:
                return _circle(cx, cy, k * size / 2, n=4)
            return _circle(cx, cy, k * size / 2, n=8)
        border = sc.grey(200, 245, 4) if main[0] < 150 or r.uniform() < 0.5 else \
            sc.jitter([200, 30, 30], 20)
        sc.fill([poly(1.0)], SIGN, border)
        sc.fill([poly(0.75)], SIGN, main)


def _tree(sc: _Scene, X: float, s: float) -> None:
    r, u = sc.rng, s * sc.G
    x, y = sc.pt(X, s)
    trunk_h, trunk_w = r.uniform(0.8, 2.0) * u, r.uniform(0.08, 0.2) * u
    sc.fill([[(x - trunk_w / 2, y), (x + trunk_w / 2, y), (x + trunk_w / 3, y - trunk_h),
              (x - trunk_w / 3, y - trunk_h)]], TREE, sc.jitter([85, 65, 45], 20))
    v = r.uniform()
    green = (sc.jitter([140, 120, 55], 30) if v < 0.15 else sc.jitter([35, 55, 35], 15)
             if v < 0.35 else sc.jitter([60, 105, 45], 30))
    radius = r.uniform(0.7, 2.0) * u
    cy = y - trunk_h - radius * 0.5
    blobs = [_circle(x + r.uniform(-0.6, 0.6) * radius, cy + r.uniform(-0.5, 0.4) * radius,
                     radius * r.uniform(0.45, 0.75), radius * r.uniform(0.4, 0.7), n=14)
             for _ in range(r.integers(5, 10))]
    sc.fill(blobs, TREE, green)
    sc.fill(blobs[: len(blobs) // 2], TREE, green * r.uniform(0.7, 1.15))


def _car_colour(sc: _Scene) -> np.ndarray:
    if sc.rng.uniform() < 0.45:  # white, silver, grey, black: like roads, skies and buildings
        return sc.grey(20, 235, 6)
    return sc.any_colour()


def _car(sc: _Scene, X: float, d: float, front: bool) -> None:
    r = sc.rng
    van = r.uniform() < 0.15
    w = r.uniform(1.1, 1.3)
    body, roof = r.uniform(0.55, 0.7), (r.uniform(1.2, 1.5) if van else r.uniform(0.85, 0.98))
    length = r.uniform(3.5, 4.5) if van else r.uniform(2.7, 3.3)
    colour = _car_colour(sc)
    glass = sc.grey(15, 60, 10) if r.uniform() < 0.7 else sc.grey(90, 170, 10)
    s, sf = sc.s([d, d + length])
    xa, xb = X - w / 2, X + w / 2
    # shadow under the car (image only)
    sc.fill([sc.pt([xa - 0.1, xb + 0.1, xb, xa], [s * 1.02, s * 1.02, sf, sf])], None,
            sc.grey(12, 35, 3))
    # the side facing the camera's line of sight
    Xs = xa if xa > 0.15 else xb if xb < -0.15 else None
    if Xs is not None:
        sc.fill([sc.pt(Xs, [s, sf, sf, s], [0.12, 0.12, body, body])], CAR, colour * 0.75)
        c0, c1 = sc.s([d + 0.15 * length, d + (0.9 if van else 0.75) * length])
        sc.fill([sc.pt(Xs, [s, sf, c1, c0], [body, body, roof, roof])], CAR, colour * 0.7)
        g0, g1 = sc.s([d + 0.25 * length, d + (0.85 if van else 0.68) * length])
        sc.fill([sc.pt(Xs, [g0, g1, g1, g0], [body + 0.05, body + 0.05, roof - 0.06,
                                               roof - 0.06])], CAR, glass)
        for wd in (d + 0.2 * length, d + 0.8 * length):
            sw = sc.s(wd)
            cx, cy = sc.pt(Xs, sw, 0.17)
            rad = 0.17 * sw * sc.G
            sc.fill([_circle(cx, cy, rad * 0.55, rad, n=14)], CAR, sc.grey(10, 40, 3))
    # rear (or front) face
    inset = 0.12
    polys_body = [sc.pt([xa, xb, xb, xa], s, [0.12, 0.12, body, body])]
    cabin = sc.pt([xa + 0.03, xb - 0.03, xb - inset, xa + inset], s, [body, body, roof, roof])
    for k in (xa, xb - 0.22):  # wheels
        sc.fill([sc.pt([k, k + 0.22, k + 0.22, k], s, [0, 0, 0.2, 0.2])], CAR,
                sc.grey(10, 40, 3))
    sc.fill(polys_body + [cabin], CAR, colour)
    sc.fill([sc.pt([xa + inset, xb - inset, xb - inset - 0.05, xa + inset + 0.05], s,
                   [body + 0.06, body + 0.06, roof - 0.06, roof - 0.06])], CAR, glass)
    light = sc.jitter([235, 230, 200], 15) if front else sc.jitter([200, 30, 30], 20)
    for k in (xa + 0.05, xb - 0.25):
        sc.fill([sc.pt([k, k + 0.2, k + 0.2, k], s, [body - 0.2, body - 0.2, body - 0.08,
                                                     body - 0.08])], CAR, light)
    sc.fill([sc.pt([X - 0.17, X + 0.17, X + 0.17, X - 0.17], s, [0.2, 0.2, 0.3, 0.3])], CAR,
            sc.grey(200, 240, 4) if r.uniform() < 0.7 else sc.jitter([230, 200, 40], 10))
    sc.fill([sc.pt([xa, xb, xb, xa], s, [0.12, 0.12, 0.2, 0.2])], CAR, colour * 0.5)


def _clothes(sc: _Scene) -> np.ndarray:
    return sc.grey(15, 90, 10) if sc.rng.uniform() < 0.4 else sc.any_colour((0.2, 0.8), (0.2, 0.9))


def _skin(sc: _Scene) -> np.ndarray:
    return sc.jitter([[230, 190, 160], [190, 140, 100], [120, 80, 55]][sc.rng.integers(3)], 15)


def _pedestrian(sc: _Scene, X: float, s: float) -> None:
    r, u = sc.rng, s * sc.G
    x, y = sc.pt(X, s)
    h = r.uniform(0.95, 1.25) * u
    sh = h * r.uniform(0.11, 0.15)  # half the shoulder width
    legs, top = _clothes(sc), _clothes(sc)
    stride = r.uniform(0, 0.12) * h
    lw = 0.045 * h
    hip = y - 0.5 * h
    sc.fill([[(x - lw * 2, hip), (x, hip), (x - stride + lw, y), (x - stride - lw, y)],
             [(x, hip), (x + lw * 2, hip), (x + stride + lw, y), (x + stride - lw, y)]],
            PEDESTRIAN, legs)
    sc.fill([[(x - sh, y - 0.82 * h), (x + sh, y - 0.82 * h), (x + sh * 0.8, y - 0.46 * h),
              (x - sh * 0.8, y - 0.46 * h)]], PEDESTRIAN, top)
    arm = 0.03 * h
    swing = r.uniform(-0.08, 0.08) * h
    sc.fill([[(x - sh, y - 0.8 * h), (x - sh + 2 * arm, y - 0.8 * h),
              (x - sh + 2 * arm + swing, y - 0.45 * h), (x - sh + swing, y - 0.45 * h)],
             [(x + sh - 2 * arm, y - 0.8 * h), (x + sh, y - 0.8 * h),
              (x + sh - swing, y - 0.45 * h), (x + sh - 2 * arm - swing, y - 0.45 * h)]],
            PEDESTRIAN, top * 0.85)
    sc.fill([_circle(x, y - 0.9 * h, 0.07 * h, 0.085 * h, n=14)], PEDESTRIAN, _skin(sc))
    sc.fill([_circle(x, y - 0.94 * h, 0.072 * h, 0.05 * h, n=12)], PEDESTRIAN,
            sc.grey(10, 80, 15))
    if r.uniform() < 0.3:  # bag
        bx = x + r.choice([-1, 1]) * sh * 1.1
        sc.fill([[(bx - 0.06 * h, y - 0.55 * h), (bx + 0.06 * h, y - 0.55 * h),
                  (bx + 0.06 * h, y - 0.4 * h), (bx - 0.06 * h, y - 0.4 * h)]], PEDESTRIAN,
                _clothes(sc))


def _cyclist(sc: _Scene, X: float, s: float) -> None:
    r, u = sc.rng, s * sc.G
    x, y = sc.pt(X, s)
    frame = sc.any_colour() if r.uniform() < 0.6 else sc.grey(20, 200)
    tyre, shirt, legs, skin = sc.grey(10, 50, 3), _clothes(sc), _clothes(sc), _skin(sc)
    if r.uniform() < 0.45:  # side view, crossing
        k = r.choice([-1.0, 1.0]) * u
        R = 0.23 * u
        P = lambda dx, dy: (x + dx * k, y - dy * u)  # noqa: E731
        t = max(1.0, 0.03 * u)
        rear, front = P(-0.38, 0.23), P(0.38, 0.23)
        for cx, cy in (rear, front):
            sc.stroke([_circle(cx, cy, R, n=18)], BICYCLIST, tyre, t, closed=True)
        seat, crank, head_tube = P(-0.1, 0.62), P(0.0, 0.25), P(0.28, 0.62)
        sc.stroke([[rear, seat, crank, rear], [seat, head_tube, crank], [head_tube, front],
                   [head_tube, P(0.25, 0.75)]], BICYCLIST, frame, t)
        shoulder = P(0.12, 1.0)
        sc.stroke([[seat, P(0.05, 0.42), crank]], BICYCLIST, legs, max(1.0, 0.09 * u))
        sc.stroke([[seat, shoulder]], BICYCLIST, shirt, max(1.0, 0.17 * u))
        sc.stroke([[shoulder, P(0.25, 0.76)]], BICYCLIST, shirt, max(1.0, 0.06 * u))
        hx, hy = P(0.17, 1.1)
        sc.fill([_circle(hx, hy, 0.075 * u, n=12)], BICYCLIST, skin)
    else:  # seen from behind, riding along the road
        sc.fill([[(x - 0.025 * u, y), (x + 0.025 * u, y), (x + 0.025 * u, y - 0.48 * u),
                  (x - 0.025 * u, y - 0.48 * u)]], BICYCLIST, tyre)
        sc.fill([[(x - 0.1 * u, y - 0.55 * u), (x - 0.03 * u, y - 0.55 * u),
                  (x - 0.05 * u, y - 0.2 * u), (x - 0.1 * u, y - 0.2 * u)],
                 [(x + 0.03 * u, y - 0.55 * u), (x + 0.1 * u, y - 0.55 * u),
                  (x + 0.1 * u, y - 0.25 * u), (x + 0.05 * u, y - 0.25 * u)]], BICYCLIST, legs)
        sc.fill([[(x - 0.16 * u, y - 0.98 * u), (x + 0.16 * u, y - 0.98 * u),
                  (x + 0.13 * u, y - 0.55 * u), (x - 0.13 * u, y - 0.55 * u)]], BICYCLIST, shirt)
        sc.fill([[(x - 0.3 * u, y - 0.82 * u), (x + 0.3 * u, y - 0.82 * u),
                  (x + 0.3 * u, y - 0.79 * u), (x - 0.3 * u, y - 0.79 * u)]], BICYCLIST, frame)
        sc.fill([_circle(x, y - 1.06 * u, 0.075 * u, 0.085 * u, n=12)], BICYCLIST,
                sc.any_colour() if r.uniform() < 0.5 else skin)


def _clutter(sc: _Scene, X: float, s: float) -> None:
    """Unlabelled street furniture (bins, boxes): void."""
    r, u = sc.rng, s * sc.G
    x, y = sc.pt(X, s)
    w, h = r.uniform(0.15, 0.35) * u, r.uniform(0.3, 0.7) * u
    sc.fill([[(x - w, y), (x + w, y), (x + w, y - h), (x - w, y - h)]], VOID,
            sc.grey(30, 160) if r.uniform() < 0.6 else sc.any_colour())


def _objects(sc: _Scene, geo: dict) -> None:
    """Poles, trees, cars, people, cyclists and clutter, drawn far to near."""
    r = sc.rng
    xl, xr, pl, pr = geo["road_l"], geo["road_r"], geo["pave_l"], geo["pave_r"]
    near = lambda: float(np.exp(r.uniform(np.log(0.07), np.log(1.1))))  # noqa: E731
    items: list[tuple[float, str, tuple]] = []  # (s, kind, arguments)

    def on_pavement(side, lo=0.15):
        return (r.uniform(pl + 0.2, xl - lo) if side < 0 else r.uniform(xr + lo, pr - 0.2))

    for _ in range(r.integers(1, 5)):
        side = r.choice([-1, 1])
        X = xl - r.uniform(0.2, 0.7) if side < 0 else xr + r.uniform(0.2, 0.7)
        items.append((near(), "pole", (X, side)))
    for _ in range(r.integers(0, 7)):
        items.append((near(), "tree", (on_pavement(r.choice([-1, 1])),)))
    for _ in range(r.integers(0, 7)):
        if r.uniform() < 0.3:  # parked along a curb
            X = xl + 0.75 if r.uniform() < 0.5 else xr - 0.75
        else:
            X = r.uniform(xl + 0.7, xr - 0.7)
        items.append((min(near(), 0.85), "car", (X, bool(X < 0 and r.uniform() < 0.6))))
    for _ in range(r.integers(0, 6)):
        X = r.uniform(xl, xr) if r.uniform() < 0.2 else on_pavement(r.choice([-1, 1]))
        items.append((near(), "pedestrian", (X,)))
    for _ in range(r.choice([0, 1, 1, 2])):
        X = (xl + r.uniform(0.3, 1.0)) if r.uniform() < 0.5 else (xr - r.uniform(0.3, 1.0))
        items.append((near(), "cyclist", (X,)))
    if r.uniform() < 0.3:
        items.append((near(), "clutter", (on_pavement(r.choice([-1, 1])),)))
    items.sort(key=lambda item: item[0])  # far (small s) first: near objects occlude far ones
    for s, kind, args in items:
        if kind == "pole":
            _pole(sc, args[0], s, args[1])
        elif kind == "tree":
            _tree(sc, args[0], s)
        elif kind == "car":
            _car(sc, args[0], sc.zmin / s, args[1])
        elif kind == "pedestrian":
            _pedestrian(sc, args[0], s)
        elif kind == "cyclist":
            _cyclist(sc, args[0], s)
        else:
            _clutter(sc, args[0], s)


def _roll(sc: _Scene, image: np.ndarray | None, angle: float):
    """Rotate the camera by ``angle`` degrees; the uncovered corners of the label are void."""
    W, H = sc.W, sc.H
    m = cv2.getRotationMatrix2D((W / 2, H / 2), angle, 1.0)
    lab = cv2.warpAffine(sc.lab, m, (W, H), flags=cv2.INTER_NEAREST,
                         borderMode=cv2.BORDER_CONSTANT, borderValue=VOID)
    if image is not None:
        image = cv2.warpAffine(image, m, (W, H), flags=cv2.INTER_LINEAR,
                               borderMode=cv2.BORDER_REFLECT)
    return image, lab


def _finish(sc: _Scene, r: np.random.Generator) -> np.ndarray:
    """Textures, shadows, lighting, optics: the float scene -> uint8 image (labels unchanged)."""
    W, H, lab = sc.W, sc.H, sc.lab
    img = sc.img
    low = r.standard_normal((H // 24 + 2, W // 24 + 2, 3), dtype=np.float32)
    low = low[:, :, :1] + 0.3 * low  # mostly brightness, a little colour
    low = cv2.resize(low, (W, H), interpolation=cv2.INTER_LINEAR)
    mid = cv2.resize(r.standard_normal((H // 4 + 1, W // 4 + 1), dtype=np.float32), (W, H),
                     interpolation=cv2.INTER_LINEAR)
    fine = r.standard_normal((H, W), dtype=np.float32)
    img += low * _AMP_LOW[lab][..., None]
    img += (mid * _AMP_MID[lab] + fine * _AMP_FINE[lab])[..., None]
    if sc.shade is not None:
        img *= cv2.GaussianBlur(sc.shade, (0, 0), max(0.5, 0.004 * W))[..., None]
    vignette = r.uniform(0, 0.35)
    if vignette > 0.02:
        img *= (1 - vignette * _radial(W, H))[..., None]
    out = np.clip(img, 0, 255).astype(np.uint8)
    # exposure, colour cast and gamma as one lookup table per channel
    gain = r.uniform(0.6, 1.3) * r.uniform(0.9, 1.1, 3)
    gamma = r.uniform(0.8, 1.25)
    levels = np.arange(256, dtype=np.float64)[:, None] / 255
    table = np.clip(255 * (levels ** gamma) * gain, 0, 255).astype(np.uint8)
    return cv2.LUT(out, table.reshape(256, 1, 3))


def _sensor(out: np.ndarray, r: np.random.Generator) -> np.ndarray:
    """Blur, sensor noise and JPEG artefacts."""
    if r.uniform() < 0.7:
        out = cv2.GaussianBlur(out, (3, 3), r.uniform(0.3, 1.0))
    sigma = r.uniform(1.5, 5.0)
    noise = r.standard_normal(out.shape, dtype=np.float32) * sigma
    out = np.clip(out + noise, 0, 255).astype(np.uint8)
    if r.uniform() < 0.25:
        ok, buf = cv2.imencode(".jpg", out, [cv2.IMWRITE_JPEG_QUALITY, int(r.integers(50, 90))])
        if ok:
            out = cv2.imdecode(buf, cv2.IMREAD_UNCHANGED)
    return out


def generate_scene(seed: int, split: str, index: int, width: int = 480, height: int = 360,
                   label_only: bool = False) -> tuple[np.ndarray | None, np.ndarray]:
    """One scene: uint8 HxWx3 RGB image and uint8 HxW label (0..10, 11 = void).

    The same ``(seed, split, index, width, height)`` always gives the same arrays. The layout
    and the image effects draw from two separate random streams, so ``label_only=True`` gives
    the same label without the image effects (the image returned is then None).
    """
    layout_seq, effects_seq = np.random.SeedSequence(
        [int(seed) & 0xFFFFFFFF, SPLIT_IDS[split], int(index)]).spawn(2)
    sc = _Scene(np.random.default_rng(layout_seq), int(width), int(height))
    r = sc.rng
    xl, xr = -r.uniform(1.2, 3.5), r.uniform(1.2, 3.5)
    geo = {"road_l": xl, "road_r": xr, "pave_l": xl - r.uniform(0.8, 3.0),
           "pave_r": xr + r.uniform(0.8, 3.0)}
    roll = r.uniform(-4, 4) if r.uniform() < 0.25 else 0.0
    haze = _sky(sc)
    _skyline(sc, haze)
    _ground(sc, geo)
    if r.uniform() < 0.5:  # a facade's shadow across the ground
        side = r.choice([-1, 1])
        X = geo["pave_l"] if side < 0 else geo["pave_r"]
        X2 = X - side * r.uniform(1.0, 6.0)
        sc.darken([sc.pt([X, X2, X2, X], [1.6, 1.6, 0.01, 0.01])], r.uniform(0.5, 0.8))
    _buildings(sc, geo, haze)
    _fences(sc, geo)
    _objects(sc, geo)
    if label_only:
        return None, (_roll(sc, None, roll)[1] if roll else sc.lab)
    effects = np.random.default_rng(effects_seq)
    image = _finish(sc, effects)
    image, label = _roll(sc, image, roll) if roll else (image, sc.lab)
    return _sensor(image, effects), label


class SyntheticDataset(SegmentationDataset):
    """Generated street scenes (see the module docstring); no files, nothing to download."""

    spec = DATASETS["synthetic"]
    has_files = False

    def __init__(self, split: str = "train", size=None, seed: int = 0, length: int | None = None,
                 transform: Transform | None = None):
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

    def read(self, i: int) -> tuple[np.ndarray, np.ndarray]:
        """Generated directly at ``size`` (raw() then has nothing to resize)."""
        part, index = self.items[i]
        w, h = self.size or self.spec.native_size
        return generate_scene(self.seed, part, index, w, h)

    def read_label(self, i: int) -> np.ndarray:
        """The label alone, without the image effects (for class frequencies)."""
        part, index = self.items[i]
        w, h = self.size or self.spec.native_size
        return generate_scene(self.seed, part, index, w, h, label_only=True)[1]
