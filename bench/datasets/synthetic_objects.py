"""The street's objects in a synthetic scene: poles and signs, trees, cars, pedestrians,
cyclists and clutter, drawn far to near so that near objects occlude far ones."""

from __future__ import annotations

import numpy as np

from bench.datasets.synthetic_scene import (
    BICYCLIST,
    CAR,
    PEDESTRIAN,
    POLE,
    SIGN,
    TREE,
    VOID,
    Scene,
    circle,
)


def _pole(sc: Scene, X: float, s: float, side: int) -> None:
    r, u = sc.rng, s * sc.G
    x, y = sc.pt(X, s)
    h, w = r.uniform(2.5, 5.0), r.uniform(0.05, 0.12) * u
    colour = sc.grey(60, 180) if r.uniform() < 0.8 else sc.jitter([40, 70, 50], 15)
    top = y - h * u
    sc.fill([[(x - w / 2, y), (x + w / 2, y), (x + w / 2, top), (x - w / 2, top)]], POLE, colour)
    if r.uniform() < 0.35:  # lamp arm over the road
        reach = -side * r.uniform(0.5, 1.5) * u
        sc.fill(
            [
                [(x, top), (x + reach, top), (x + reach, top + w * 0.7), (x, top + w * 0.7)],
                circle(x + reach, top + w, w * 1.2, w * 0.6),
            ],
            POLE,
            colour,
        )
    if r.uniform() < 0.25:  # traffic light
        bw, bh = 0.22 * u, 0.6 * u
        cy = top + bh * 0.6
        sc.fill(
            [
                [
                    (x - bw / 2, cy - bh / 2),
                    (x + bw / 2, cy - bh / 2),
                    (x + bw / 2, cy + bh / 2),
                    (x - bw / 2, cy + bh / 2),
                ]
            ],
            SIGN,
            sc.grey(15, 60, 4),
        )
        on = r.integers(3)
        for k, c in enumerate(([230, 40, 30], [240, 170, 20], [40, 220, 90])):
            colour = sc.jitter(c, 15) if k == on else np.array(c) * 0.25
            sc.fill([circle(x, cy + (k - 1) * bh / 3.3, bw * 0.33, n=12)], SIGN, colour)
    if r.uniform() < 0.8:  # sign
        size = r.uniform(0.3, 0.6) * u
        cy = top + r.uniform(0.1, 0.45) * h * u
        cx = x + (0 if r.uniform() < 0.6 else r.choice([-1, 1]) * size * 0.6)
        shape = r.integers(5)
        main = sc.jitter(
            [[200, 30, 30], [30, 70, 170], [230, 230, 230], [230, 190, 30], [30, 130, 60]][
                r.integers(5)
            ],
            20,
        )

        def poly(k):
            if shape == 0:
                return circle(cx, cy, k * size / 2, n=16)
            if shape == 1:
                a, b = k * size / 2, k * size * r.uniform(0.25, 0.5)
                return [(cx - a, cy - b), (cx + a, cy - b), (cx + a, cy + b), (cx - a, cy + b)]
            if shape == 2:
                return [
                    (cx, cy - k * size / 2),
                    (cx + k * size / 2, cy + k * size / 2.5),
                    (cx - k * size / 2, cy + k * size / 2.5),
                ]
            if shape == 3:
                return circle(cx, cy, k * size / 2, n=4)
            return circle(cx, cy, k * size / 2, n=8)

        border = (
            sc.grey(200, 245, 4)
            if main[0] < 150 or r.uniform() < 0.5
            else sc.jitter([200, 30, 30], 20)
        )
        sc.fill([poly(1.0)], SIGN, border)
        sc.fill([poly(0.75)], SIGN, main)


def _tree(sc: Scene, X: float, s: float) -> None:
    r, u = sc.rng, s * sc.G
    x, y = sc.pt(X, s)
    trunk_h, trunk_w = r.uniform(0.8, 2.0) * u, r.uniform(0.08, 0.2) * u
    sc.fill(
        [
            [
                (x - trunk_w / 2, y),
                (x + trunk_w / 2, y),
                (x + trunk_w / 3, y - trunk_h),
                (x - trunk_w / 3, y - trunk_h),
            ]
        ],
        TREE,
        sc.jitter([85, 65, 45], 20),
    )
    v = r.uniform()
    green = (
        sc.jitter([140, 120, 55], 30)
        if v < 0.15
        else sc.jitter([35, 55, 35], 15)
        if v < 0.35
        else sc.jitter([60, 105, 45], 30)
    )
    radius = r.uniform(0.7, 2.0) * u
    cy = y - trunk_h - radius * 0.5
    blobs = [
        circle(
            x + r.uniform(-0.6, 0.6) * radius,
            cy + r.uniform(-0.5, 0.4) * radius,
            radius * r.uniform(0.45, 0.75),
            radius * r.uniform(0.4, 0.7),
            n=14,
        )
        for _ in range(r.integers(5, 10))
    ]
    sc.fill(blobs, TREE, green)
    sc.fill(blobs[: len(blobs) // 2], TREE, green * r.uniform(0.7, 1.15))


def _car_colour(sc: Scene) -> np.ndarray:
    if sc.rng.uniform() < 0.45:  # white, silver, grey, black: like roads, skies and buildings
        return sc.grey(20, 235, 6)
    return sc.any_colour()


def _car(sc: Scene, X: float, d: float, front: bool) -> None:
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
    sc.fill(
        [sc.pt([xa - 0.1, xb + 0.1, xb, xa], [s * 1.02, s * 1.02, sf, sf])],
        None,
        sc.grey(12, 35, 3),
    )
    # the side facing the camera's line of sight
    Xs = xa if xa > 0.15 else xb if xb < -0.15 else None
    if Xs is not None:
        sc.fill([sc.pt(Xs, [s, sf, sf, s], [0.12, 0.12, body, body])], CAR, colour * 0.75)
        c0, c1 = sc.s([d + 0.15 * length, d + (0.9 if van else 0.75) * length])
        sc.fill([sc.pt(Xs, [s, sf, c1, c0], [body, body, roof, roof])], CAR, colour * 0.7)
        g0, g1 = sc.s([d + 0.25 * length, d + (0.85 if van else 0.68) * length])
        sc.fill(
            [sc.pt(Xs, [g0, g1, g1, g0], [body + 0.05, body + 0.05, roof - 0.06, roof - 0.06])],
            CAR,
            glass,
        )
        for wd in (d + 0.2 * length, d + 0.8 * length):
            sw = sc.s(wd)
            cx, cy = sc.pt(Xs, sw, 0.17)
            rad = 0.17 * sw * sc.G
            sc.fill([circle(cx, cy, rad * 0.55, rad, n=14)], CAR, sc.grey(10, 40, 3))
    # rear (or front) face
    inset = 0.12
    polys_body = [sc.pt([xa, xb, xb, xa], s, [0.12, 0.12, body, body])]
    cabin = sc.pt([xa + 0.03, xb - 0.03, xb - inset, xa + inset], s, [body, body, roof, roof])
    for k in (xa, xb - 0.22):  # wheels
        sc.fill([sc.pt([k, k + 0.22, k + 0.22, k], s, [0, 0, 0.2, 0.2])], CAR, sc.grey(10, 40, 3))
    sc.fill(polys_body + [cabin], CAR, colour)
    sc.fill(
        [
            sc.pt(
                [xa + inset, xb - inset, xb - inset - 0.05, xa + inset + 0.05],
                s,
                [body + 0.06, body + 0.06, roof - 0.06, roof - 0.06],
            )
        ],
        CAR,
        glass,
    )
    light = sc.jitter([235, 230, 200], 15) if front else sc.jitter([200, 30, 30], 20)
    for k in (xa + 0.05, xb - 0.25):
        sc.fill(
            [
                sc.pt(
                    [k, k + 0.2, k + 0.2, k], s, [body - 0.2, body - 0.2, body - 0.08, body - 0.08]
                )
            ],
            CAR,
            light,
        )
    sc.fill(
        [sc.pt([X - 0.17, X + 0.17, X + 0.17, X - 0.17], s, [0.2, 0.2, 0.3, 0.3])],
        CAR,
        sc.grey(200, 240, 4) if r.uniform() < 0.7 else sc.jitter([230, 200, 40], 10),
    )
    sc.fill([sc.pt([xa, xb, xb, xa], s, [0.12, 0.12, 0.2, 0.2])], CAR, colour * 0.5)


def _clothes(sc: Scene) -> np.ndarray:
    return sc.grey(15, 90, 10) if sc.rng.uniform() < 0.4 else sc.any_colour((0.2, 0.8), (0.2, 0.9))


def _skin(sc: Scene) -> np.ndarray:
    return sc.jitter([[230, 190, 160], [190, 140, 100], [120, 80, 55]][sc.rng.integers(3)], 15)


def _pedestrian(sc: Scene, X: float, s: float) -> None:
    r, u = sc.rng, s * sc.G
    x, y = sc.pt(X, s)
    h = r.uniform(0.95, 1.25) * u
    sh = h * r.uniform(0.11, 0.15)  # half the shoulder width
    legs, top = _clothes(sc), _clothes(sc)
    stride = r.uniform(0, 0.12) * h
    lw = 0.045 * h
    hip = y - 0.5 * h
    sc.fill(
        [
            [(x - lw * 2, hip), (x, hip), (x - stride + lw, y), (x - stride - lw, y)],
            [(x, hip), (x + lw * 2, hip), (x + stride + lw, y), (x + stride - lw, y)],
        ],
        PEDESTRIAN,
        legs,
    )
    sc.fill(
        [
            [
                (x - sh, y - 0.82 * h),
                (x + sh, y - 0.82 * h),
                (x + sh * 0.8, y - 0.46 * h),
                (x - sh * 0.8, y - 0.46 * h),
            ]
        ],
        PEDESTRIAN,
        top,
    )
    arm = 0.03 * h
    swing = r.uniform(-0.08, 0.08) * h
    sc.fill(
        [
            [
                (x - sh, y - 0.8 * h),
                (x - sh + 2 * arm, y - 0.8 * h),
                (x - sh + 2 * arm + swing, y - 0.45 * h),
                (x - sh + swing, y - 0.45 * h),
            ],
            [
                (x + sh - 2 * arm, y - 0.8 * h),
                (x + sh, y - 0.8 * h),
                (x + sh - swing, y - 0.45 * h),
                (x + sh - 2 * arm - swing, y - 0.45 * h),
            ],
        ],
        PEDESTRIAN,
        top * 0.85,
    )
    sc.fill([circle(x, y - 0.9 * h, 0.07 * h, 0.085 * h, n=14)], PEDESTRIAN, _skin(sc))
    sc.fill([circle(x, y - 0.94 * h, 0.072 * h, 0.05 * h, n=12)], PEDESTRIAN, sc.grey(10, 80, 15))
    if r.uniform() < 0.3:  # bag
        bx = x + r.choice([-1, 1]) * sh * 1.1
        sc.fill(
            [
                [
                    (bx - 0.06 * h, y - 0.55 * h),
                    (bx + 0.06 * h, y - 0.55 * h),
                    (bx + 0.06 * h, y - 0.4 * h),
                    (bx - 0.06 * h, y - 0.4 * h),
                ]
            ],
            PEDESTRIAN,
            _clothes(sc),
        )


def _cyclist(sc: Scene, X: float, s: float) -> None:
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
            sc.stroke([circle(cx, cy, R, n=18)], BICYCLIST, tyre, t, closed=True)
        seat, crank, head_tube = P(-0.1, 0.62), P(0.0, 0.25), P(0.28, 0.62)
        sc.stroke(
            [
                [rear, seat, crank, rear],
                [seat, head_tube, crank],
                [head_tube, front],
                [head_tube, P(0.25, 0.75)],
            ],
            BICYCLIST,
            frame,
            t,
        )
        shoulder = P(0.12, 1.0)
        sc.stroke([[seat, P(0.05, 0.42), crank]], BICYCLIST, legs, max(1.0, 0.09 * u))
        sc.stroke([[seat, shoulder]], BICYCLIST, shirt, max(1.0, 0.17 * u))
        sc.stroke([[shoulder, P(0.25, 0.76)]], BICYCLIST, shirt, max(1.0, 0.06 * u))
        hx, hy = P(0.17, 1.1)
        sc.fill([circle(hx, hy, 0.075 * u, n=12)], BICYCLIST, skin)
    else:  # seen from behind, riding along the road
        sc.fill(
            [
                [
                    (x - 0.025 * u, y),
                    (x + 0.025 * u, y),
                    (x + 0.025 * u, y - 0.48 * u),
                    (x - 0.025 * u, y - 0.48 * u),
                ]
            ],
            BICYCLIST,
            tyre,
        )
        sc.fill(
            [
                [
                    (x - 0.1 * u, y - 0.55 * u),
                    (x - 0.03 * u, y - 0.55 * u),
                    (x - 0.05 * u, y - 0.2 * u),
                    (x - 0.1 * u, y - 0.2 * u),
                ],
                [
                    (x + 0.03 * u, y - 0.55 * u),
                    (x + 0.1 * u, y - 0.55 * u),
                    (x + 0.1 * u, y - 0.25 * u),
                    (x + 0.05 * u, y - 0.25 * u),
                ],
            ],
            BICYCLIST,
            legs,
        )
        sc.fill(
            [
                [
                    (x - 0.16 * u, y - 0.98 * u),
                    (x + 0.16 * u, y - 0.98 * u),
                    (x + 0.13 * u, y - 0.55 * u),
                    (x - 0.13 * u, y - 0.55 * u),
                ]
            ],
            BICYCLIST,
            shirt,
        )
        sc.fill(
            [
                [
                    (x - 0.3 * u, y - 0.82 * u),
                    (x + 0.3 * u, y - 0.82 * u),
                    (x + 0.3 * u, y - 0.79 * u),
                    (x - 0.3 * u, y - 0.79 * u),
                ]
            ],
            BICYCLIST,
            frame,
        )
        sc.fill(
            [circle(x, y - 1.06 * u, 0.075 * u, 0.085 * u, n=12)],
            BICYCLIST,
            sc.any_colour() if r.uniform() < 0.5 else skin,
        )


def _clutter(sc: Scene, X: float, s: float) -> None:
    """Unlabelled street furniture (bins, boxes): void."""
    r, u = sc.rng, s * sc.G
    x, y = sc.pt(X, s)
    w, h = r.uniform(0.15, 0.35) * u, r.uniform(0.3, 0.7) * u
    sc.fill(
        [[(x - w, y), (x + w, y), (x + w, y - h), (x - w, y - h)]],
        VOID,
        sc.grey(30, 160) if r.uniform() < 0.6 else sc.any_colour(),
    )


def draw_objects(sc: Scene, geo: dict) -> None:
    """Poles, trees, cars, people, cyclists and clutter, drawn far to near."""
    r = sc.rng
    xl, xr, pl, pr = geo["road_l"], geo["road_r"], geo["pave_l"], geo["pave_r"]
    near = lambda: float(np.exp(r.uniform(np.log(0.07), np.log(1.1))))  # noqa: E731
    items: list[tuple[float, str, tuple]] = []  # (s, kind, arguments)

    def on_pavement(side, lo=0.15):
        return r.uniform(pl + 0.2, xl - lo) if side < 0 else r.uniform(xr + lo, pr - 0.2)

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
