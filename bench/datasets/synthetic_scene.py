"""Drawing a synthetic street scene: the canvas, the background and the camera's effects.

The canvas (:class:`Scene`) holds the float image, the class ids and the shading being drawn in
simple perspective; the background (sky, skyline, ground and markings, buildings, fences) and
the camera (roll, textures and lighting, sensor) are here, the street's objects in
``bench.datasets.synthetic_objects``. ``bench.datasets.synthetic.generate_scene`` puts them
together; the dataset's docstring describes the scenes.
"""

from __future__ import annotations

import colorsys
import functools

import cv2
import numpy as np

(SKY, BUILDING, POLE, ROAD, PAVEMENT, TREE, SIGN, FENCE, CAR, PEDESTRIAN, BICYCLIST, VOID) = range(
    12
)
# Texture amplitudes per class (grey levels, index = class id): low-frequency colour blotches,
# mid-frequency luminance (foliage), fine grain.
_AMP_LOW = np.array([7, 14, 6, 9, 13, 16, 4, 10, 5, 7, 7, 10], np.float32)
_AMP_MID = np.array([2, 6, 3, 4, 8, 30, 2, 9, 3, 6, 6, 6], np.float32)
_AMP_FINE = np.array([1.5, 6, 4, 9, 9, 14, 2, 7, 3, 5, 5, 6], np.float32)


def circle(cx: float, cy: float, rx: float, ry: float | None = None, n: int = 20) -> np.ndarray:
    t = np.linspace(0, 2 * np.pi, n, endpoint=False)
    return np.stack([cx + rx * np.cos(t), cy + (rx if ry is None else ry) * np.sin(t)], 1)


@functools.lru_cache(maxsize=8)
def _radial(width: int, height: int) -> np.ndarray:
    """Squared distance from the centre, 0 at the centre and 1 in the corners (for vignetting)."""
    y = np.linspace(-1, 1, height, dtype=np.float32)[:, None]
    x = np.linspace(-1, 1, width, dtype=np.float32)[None, :]
    return (x * x + y * y) / 2


class Scene:
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
        X, s, Y = np.broadcast_arrays(
            np.asarray(X, float), np.asarray(s, float), np.asarray(Y, float)
        )
        return np.stack([self.vx + X * s * self.G, self.hy + s * self.G * (1 - Y)], -1)

    # drawing ----------------------------------------------------------------------------------
    @staticmethod
    def _fixed(polys) -> list[np.ndarray]:
        return [
            np.round(np.asarray(p, np.float64) * 16).astype(np.int32).reshape(-1, 2) for p in polys
        ]

    def fill(self, polys, cls: int | None, color, disjoint: bool = False) -> None:
        """Fill polygons (lists of (x, y) points) in the image, and in the labels unless None.

        One fillPoly call fills overlapping polygons by the even-odd rule (overlaps left out),
        so polygons that may overlap are filled one at a time; ``disjoint`` ones in one call.
        """
        pts = self._fixed(polys)
        colour = tuple(float(c) for c in color)
        for group in [pts] if disjoint else [[p] for p in pts]:
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


def draw_sky(sc: Scene) -> np.ndarray:
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
            sc.fill([circle(cx, cy, w, w * r.uniform(0.15, 0.4))], None, sc.grey(215, 250, 4))
    return hor


def draw_skyline(sc: Scene, haze: np.ndarray) -> None:
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


def draw_ground(sc: Scene, geo: dict) -> None:
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
        sc.fill(
            [np.vstack([sc.pt([a, b], [smax, smax]), [(sc.vx, sc.hy)]])],
            TREE,
            sc.jitter([60, 110, 45], 20),
        )
    # road, then curbs
    sc.fill([np.vstack([sc.pt([xl, xr], [smax, smax]), [(sc.vx, sc.hy)]])], ROAD, road)
    curb = np.clip(pave * r.uniform(1.0, 1.3), 0, 255)
    for edge, side in ((xl, -1), (xr, 1)):
        sc.fill(
            [np.vstack([sc.pt([edge, edge + side * 0.12], [smax, smax]), [(sc.vx, sc.hy)]])],
            PAVEMENT,
            curb,
        )
    # patches of repaired asphalt (image only)
    for _ in range(r.integers(0, 4)):
        X0 = r.uniform(xl, xr)
        d0 = sc.zmin * r.uniform(0.8, 8)
        s0, s1 = sc.s([d0, d0 + r.uniform(1, 6)])
        w = r.uniform(0.3, 1.5)
        sc.fill(
            [sc.pt([X0, X0 + w, X0 + w, X0], [s0, s0, s1, s1])], None, road * r.uniform(0.75, 1.2)
        )
    _markings(sc, geo)


def _markings(sc: Scene, geo: dict) -> None:
    r = sc.rng
    xl, xr = geo["road_l"], geo["road_r"]
    colour = sc.jitter([225, 190, 60], 15) if r.uniform() < 0.2 else sc.grey(170, 235, 4)
    smax, polys = 1.6, []
    centre = (xl + xr) / 2 + r.uniform(-0.4, 0.4)
    w = r.uniform(0.06, 0.12)
    dash, gap = r.uniform(1.5, 3.0), r.uniform(2.0, 5.0)
    d = sc.zmin / smax - r.uniform(0, dash + gap)
    while d < sc.zmin / 0.02:
        if d + dash > 0.2:  # (dashes behind the camera are skipped)
            s0, s1 = sc.s([max(d, 0.1), d + dash])
            polys.append(sc.pt([centre - w, centre + w, centre + w, centre - w], [s0, s0, s1, s1]))
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


_FACADE_COLOURS = np.array(
    [
        [190, 170, 140],
        [150, 75, 55],
        [160, 160, 160],
        [215, 210, 200],
        [90, 85, 80],
        [175, 140, 100],
        [120, 130, 140],
        [200, 185, 120],
    ],
    float,
)


def draw_buildings(sc: Scene, geo: dict, sky: np.ndarray) -> None:
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
                sc.fill(
                    [sc.pt(X, [sa, sb, sb, sa], [height - 0.3, height - 0.3, height, height])],
                    BUILDING,
                    colour * 0.8,
                )
            _windows(sc, X, d, length, y0, height, light, sky)
            d += length


def _windows(sc: Scene, X, d, length, y0, height, light, sky) -> None:
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
    quads = np.stack(
        [sc.pt(X, s0, Yg), sc.pt(X, s1, Yg), sc.pt(X, s1, Yg + wh), sc.pt(X, s0, Yg + wh)], 1
    )
    u = r.uniform()
    glass = (
        sky * r.uniform(0.6, 0.95)
        if u < 0.35
        else sc.grey(15, 70)
        if u < 0.8
        else sc.jitter([210, 190, 120], 30)
    )
    lit = r.uniform(size=len(quads)) < r.uniform(0, 0.35)
    sc.fill(list(quads[~lit]), BUILDING, glass * light, disjoint=True)
    if lit.any():
        sc.fill(list(quads[lit]), BUILDING, sc.jitter([200, 190, 150], 40) * light, disjoint=True)


def draw_fences(sc: Scene, geo: dict) -> None:
    r = sc.rng
    for side in (-1, 1):
        if r.uniform() > 0.55:
            continue
        if r.uniform() < 0.3:  # railing along the curb
            X = (geo["road_l"] - 0.3) if side < 0 else (geo["road_r"] + 0.3)
        else:  # in front of the facades
            X = (
                (geo["pave_l"] + r.uniform(0.05, 0.4))
                if side < 0
                else (geo["pave_r"] - r.uniform(0.05, 0.4))
            )
        d0 = sc.zmin * r.uniform(0.7, 4.0)
        d1 = d0 + r.uniform(4, 25)
        h = r.uniform(0.45, 0.9)
        u = r.uniform()
        colour = (
            sc.jitter([120, 80, 50], 30)
            if u < 0.3
            else sc.grey(70, 180)
            if u < 0.65
            else sc.jitter([50, 100, 60], 25)
            if u < 0.85
            else sc.grey(190, 235, 4)
        )
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


def roll_camera(sc: Scene, image: np.ndarray | None, angle: float):
    """Rotate the camera by ``angle`` degrees; the uncovered corners of the label are void."""
    W, H = sc.W, sc.H
    m = cv2.getRotationMatrix2D((W / 2, H / 2), angle, 1.0)
    lab = cv2.warpAffine(
        sc.lab, m, (W, H), flags=cv2.INTER_NEAREST, borderMode=cv2.BORDER_CONSTANT, borderValue=VOID
    )
    if image is not None:
        image = cv2.warpAffine(
            image, m, (W, H), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT
        )
    return image, lab


def apply_lighting(sc: Scene, r: np.random.Generator) -> np.ndarray:
    """Textures, shadows, lighting, optics: the float scene -> uint8 image (labels unchanged)."""
    W, H, lab = sc.W, sc.H, sc.lab
    img = sc.img
    low: np.ndarray = r.standard_normal((H // 24 + 2, W // 24 + 2, 3), dtype=np.float32)
    low = low[:, :, :1] + 0.3 * low  # mostly brightness, a little colour
    low = cv2.resize(low, (W, H), interpolation=cv2.INTER_LINEAR)
    mid = cv2.resize(
        r.standard_normal((H // 4 + 1, W // 4 + 1), dtype=np.float32),
        (W, H),
        interpolation=cv2.INTER_LINEAR,
    )
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
    table = np.clip(255 * (levels**gamma) * gain, 0, 255).astype(np.uint8)
    return cv2.LUT(out, table.reshape(256, 1, 3))


def apply_sensor(out: np.ndarray, r: np.random.Generator) -> np.ndarray:
    """Blur, sensor noise and JPEG artefacts."""
    if r.uniform() < 0.7:
        out = cv2.GaussianBlur(out, (3, 3), r.uniform(0.3, 1.0))
    sigma = r.uniform(1.5, 5.0)
    noise = r.standard_normal(out.shape, dtype=np.float32) * sigma
    out = np.clip(out + noise, 0, 255).astype(np.uint8)
    if r.uniform() < 0.25:
        ok, buf = cv2.imencode(".jpg", out, [cv2.IMWRITE_JPEG_QUALITY, int(r.integers(50, 90))])
        if ok:
            decoded = cv2.imdecode(buf, cv2.IMREAD_UNCHANGED)
            assert decoded is not None, "cv2 decodes the JPEG it has just encoded"
            out = decoded
    return out


def street_geometry(r: np.random.Generator) -> dict:
    """Where the road and the pavements lie, in ground units across the camera's axis: the
    road's left and right edges, and the pavements' outer edges."""
    xl, xr = -r.uniform(1.2, 3.5), r.uniform(1.2, 3.5)
    return {
        "road_l": xl,
        "road_r": xr,
        "pave_l": xl - r.uniform(0.8, 3.0),
        "pave_r": xr + r.uniform(0.8, 3.0),
    }
