"""How every figure looks: the local seaborn style, colours, tick formatting, wrapped notes.

``figure_style()`` is seaborn's whitegrid / paper look inside an ``rc_context`` (no global style
is changed); ``finish`` lays a figure out and puts its notes under the axes; ``system_colors``
gives each system one colour across all figures.
"""

from __future__ import annotations

import math
import textwrap
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any, TypeVar

import matplotlib.pyplot as plt
import seaborn as sns
from matplotlib.backend_bases import RendererBase
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

from bench.figures.rows import table_rows

T = TypeVar("T")

DPI = 150
NOT_MEASURED_COLOR = "#d0d0d0"


def _plain(value: float, _pos: Any = None) -> str:
    """Tick labels as plain numbers (0.1, 1, 10, 1000), not 10^k."""
    if value <= 0:
        return ""
    if value >= 1:
        return f"{value:,.0f}"
    return f"{value:.{max(0, -math.floor(math.log10(value)))}f}"


def plain_log_axis(axis, lo: float | None = None, hi: float | None = None) -> None:
    """Plain-number ticks on a log axis (``lo`` to ``hi``): 1-2-5 per decade when it spans less
    than 2.5 decades, 1-3 when less than 5, else decades only."""
    span = math.log10(hi / lo) if lo and hi and lo > 0 and hi > lo else 99.0
    subs = (1.0, 2.0, 5.0) if span < 2.5 else (1.0, 3.0) if span < 5 else (1.0,)
    axis.set_major_locator(LogLocator(base=10, subs=subs))
    axis.set_major_formatter(FuncFormatter(_plain))
    axis.set_minor_formatter(NullFormatter())


def unique_labels(
    items: Sequence[T],
    base: Callable[[T], str],
    extras: Sequence[Callable[[T], str | None]],
) -> list[str]:
    """Labels from ``base``; while two items share a label, the next of ``extras`` (device, run,
    ...) is appended to the colliding ones; finally a counter."""
    labels = [base(i) for i in items]
    for extra in extras:
        counts = Counter(labels)
        if all(c == 1 for c in counts.values()):
            break
        for k, item in enumerate(items):
            if counts[labels[k]] > 1:
                e = extra(item)
                if e:
                    labels[k] = f"{labels[k]}, {e}"
    counts = Counter(labels)
    seen: Counter[str] = Counter()
    out = []
    for lab in labels:
        seen[lab] += 1
        out.append(f"{lab} #{seen[lab]}" if counts[lab] > 1 else lab)
    return out


def system_colors(data: Mapping) -> dict[str, tuple]:
    """One colour per system for every figure (order of first appearance in the rows)."""
    names = list(
        dict.fromkeys(
            str(r.get("system"))
            for t in ("efficiency", "accuracy")
            for r in table_rows(data, t)
            if r.get("system")
        )
    )
    cb = sns.color_palette("colorblind", 10)
    colorblind = [cb[k] for k in (0, 1, 2, 3, 4, 5, 6, 9, 8)]  # no grey; yellow last
    palette = colorblind if len(names) <= len(colorblind) else sns.color_palette("husl", len(names))
    return dict(zip(names, palette))


def draw_renderer(fig: Figure) -> RendererBase:
    """Draw ``fig`` and return the renderer that drew it (to measure text and axes in pixels)."""
    fig.canvas.draw()
    # The canvases that draw (Agg, Cairo, PGF) have get_renderer; FigureCanvasBase's stubs lack it.
    return fig.canvas.get_renderer()  # type: ignore[attr-defined]


def axes_bottoms(fig: Figure, renderer: RendererBase) -> list[float]:
    """The lowest pixel row each axes of ``fig`` draws on (its tick and axis labels too)."""
    bottoms = []
    for ax in fig.axes:
        box = ax.get_tightbbox(renderer)
        assert box is not None, "get_tightbbox is None only for an invisible axes; none is"
        bottoms.append(box.y0)
    return bottoms


def wrap(text: str, fig: Figure, fontsize: float, fraction: float = 1.0) -> str:
    width = max(40, int(fraction * fig.get_figwidth() * 72 / (0.52 * fontsize)))
    return "\n".join(textwrap.fill(p, width) for p in text.split("\n"))


def finish(fig: Figure, notes: Sequence[str] = (), legend: dict | None = None) -> Figure:
    """Tight layout, then ``legend`` (fig.legend keyword arguments) under the axes, then the
    notes under everything the axes draw (tick labels, legends)."""
    fig.tight_layout()
    notes = [n for n in notes if n]
    if legend:
        renderer = draw_renderer(fig)
        bottom = min(axes_bottoms(fig, renderer)) / fig.bbox.height
        x0 = min(ax.get_position().x0 for ax in fig.axes)
        x1 = max(ax.get_position().x1 for ax in fig.axes)
        fig.legend(
            **{
                "loc": "upper center",
                "bbox_to_anchor": ((x0 + x1) / 2, bottom - 0.01),
                "borderaxespad": 0.0,
                **legend,
            }
        )
    if notes:
        renderer = draw_renderer(fig)
        bottom = min(axes_bottoms(fig, renderer))
        for leg in fig.legends:
            bottom = min(bottom, leg.get_window_extent(renderer).y0)
        y = bottom / fig.bbox.height - 0.01
        size = plt.rcParams["font.size"] * 0.85
        fig.text(
            0.01,
            y,
            wrap("\n".join(notes), fig, size),
            ha="left",
            va="top",
            fontsize=size,
            color="#444444",
        )
    return fig


@contextmanager
def figure_style() -> Iterator[None]:
    """seaborn's whitegrid / paper look, only inside this block."""
    rc = {
        **sns.axes_style("whitegrid"),
        **sns.plotting_context("paper", font_scale=1.2),
        "savefig.dpi": DPI,
        "figure.dpi": 100,
        "svg.hashsalt": "segbench",
        "axes.titlesize": "medium",
        "figure.titlesize": "large",
        "legend.frameon": True,
        "legend.framealpha": 0.9,
        "image.interpolation": "nearest",
    }
    with plt.rc_context(rc):
        yield
