"""Point labels that avoid markers, lines and each other (used by accuracy_vs_latency)."""

from __future__ import annotations

import math

from matplotlib.figure import Figure

from bench.figures.style import draw_renderer

_LABEL_SPOTS = (
    ((5, 4), "left", "bottom"),
    ((5, -4), "left", "top"),
    ((-5, 4), "right", "bottom"),
    ((-5, -4), "right", "top"),
    ((8, 0), "left", "center"),
    ((-8, 0), "right", "center"),
    ((0, 8), "center", "bottom"),
    ((0, -8), "center", "top"),
)


def place_labels(
    fig: Figure,
    ax,
    annotations: list,
    markers: list[tuple[float, float, float]],
    segments: list[tuple[float, float, float, float]],
) -> None:
    """Put each point label where it covers no marker, no other label and no front segment
    (and stays inside the axes), trying spots around its point in turn; a label with no free
    spot takes the one with the least overlap. ``markers``: (x, y, area in pt^2) in data
    coordinates; ``segments``: (x0, y0, x1, y1) axis-parallel lines in data coordinates."""
    if not annotations:
        return
    renderer = draw_renderer(fig)
    px = fig.dpi / 72.0
    axbox = ax.get_window_extent(renderer)
    to_px = ax.transData.transform
    boxes = []
    for x, y, area in markers:
        cx, cy = to_px((x, y))
        r = math.sqrt(area) / 2 * px + 1
        boxes.append((cx - r, cy - r, cx + r, cy + r))
    lines = []
    for x0, y0, x1, y1 in segments:
        (a, b), (c, d) = to_px((x0, y0)), to_px((x1, y1))
        lines.append((min(a, c) - 1, min(b, d) - 1, max(a, c) + 1, max(b, d) + 1))

    def overlap(bb, other) -> float:
        w = min(bb.x1, other[2]) - max(bb.x0, other[0])
        h = min(bb.y1, other[3]) - max(bb.y0, other[1])
        return w * h if w > 0 and h > 0 else 0.0

    placed: list[tuple] = []
    order = sorted(range(len(annotations)), key=lambda i: -annotations[i].xy[1])
    for i in order:
        a = annotations[i]
        best: tuple[float, int] | None = None
        for rank, (offset, ha, va) in enumerate(_LABEL_SPOTS):
            a.xyann = offset
            a.set_horizontalalignment(ha)
            a.set_verticalalignment(va)
            bb = a.get_window_extent(renderer)
            outside = (
                max(0.0, axbox.x0 - bb.x0)
                + max(0.0, bb.x1 - axbox.x1)
                + max(0.0, axbox.y0 - bb.y0)
                + max(0.0, bb.y1 - axbox.y1)
            )
            own = boxes[i] if i < len(boxes) else None
            cost = (
                sum(overlap(bb, b) for k, b in enumerate(boxes) if b is not own)
                + sum(overlap(bb, b) for b in lines)
                + sum(overlap(bb, b) for b in placed)
                + 1000.0 * outside
            )
            if best is None or cost < best[0]:
                best = (cost, rank)
            if cost == 0:
                break
        assert best is not None, "the first spot tried always sets best"
        offset, ha, va = _LABEL_SPOTS[best[1]]
        a.xyann = offset
        a.set_horizontalalignment(ha)
        a.set_verticalalignment(va)
        bb = a.get_window_extent(renderer)
        placed.append((bb.x0, bb.y0, bb.x1, bb.y1))
