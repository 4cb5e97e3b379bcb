"""How every figure looks: the local seaborn style, colours, tick formatting, wrapped notes.

``figure_style()`` is seaborn's whitegrid / paper look inside an ``rc_context`` (no global style
is changed); ``finish`` lays a figure out (``lay_out``: a legend under the axes, inside the
figure) and puts its notes under the axes (``add_notes``); ``system_colors`` gives each system
one colour across all figures: a shade of its family's hue (blues for real-time models,
red-oranges for heavy ones, purples for instance models, greens for classical methods), with
``FAMILY_MARKERS`` one marker per family, and ENet (``HIGHLIGHT``, the paper's model) in a colour
of its own, edged in black. ``grouped_legend`` lays legend entries out in columns, each group
(a family, say) under a bold heading starting a column of its own.
"""

from __future__ import annotations

import colorsys
import math
import textwrap
from collections import Counter
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any, TypeVar

import matplotlib.pyplot as plt
import seaborn as sns
from matplotlib.artist import Artist
from matplotlib.backend_bases import RendererBase
from matplotlib.figure import Figure
from matplotlib.legend import Legend
from matplotlib.lines import Line2D
from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

from bench.figures.rows import family_of, family_rank, table_rows

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


#: The paper's model: its own colour, a black edge and a bold label in every figure.
HIGHLIGHT = "enet"
HIGHLIGHT_COLOR = (0.05, 0.22, 0.62)
FAMILY_MARKERS = {"real-time": "o", "heavy": "s", "instance": "D", "classical": "^"}
# Each family's hues (HLS hue, 0-1, from-to): cyan to blue, crimson to orange, violet to
# magenta, yellow-green to sea green. Shades alternate in lightness so that neighbours differ.
_FAMILY_HUES = {
    "real-time": (0.50, 0.68),
    "heavy": (-0.03, 0.085),
    "instance": (0.74, 0.88),
    "classical": (0.22, 0.44),
}
_LIGHTNESS = (0.38, 0.56, 0.30, 0.47)
_SATURATION = 0.72


def family_marker(family: str) -> str:
    return FAMILY_MARKERS.get(family, "v")


def family_color(family: str) -> tuple[float, float, float]:
    """The family's middle shade (its entries in legends of families)."""
    lo, hi = _FAMILY_HUES.get(family, (0.0, 0.0))
    sat = _SATURATION if family in _FAMILY_HUES else 0.0
    return colorsys.hls_to_rgb(((lo + hi) / 2) % 1.0, 0.42, sat)


def family_shades(family: str, n: int) -> list[tuple[float, float, float]]:
    """``n`` distinct shades of the family's hue (greys for a family with no hue)."""
    lo, hi = _FAMILY_HUES.get(family, (0.0, 0.0))
    sat = _SATURATION if family in _FAMILY_HUES else 0.0
    out = []
    for k in range(n):
        t = 0.5 if n == 1 else k / (n - 1)
        hue = (lo + t * (hi - lo)) % 1.0
        out.append(colorsys.hls_to_rgb(hue, _LIGHTNESS[k % len(_LIGHTNESS)], sat))
    return out


def system_families(data: Mapping) -> dict[str, str]:
    """Each system's family (``family_of`` its first row), systems in order of first appearance
    in the efficiency then the accuracy rows."""
    out: dict[str, str] = {}
    for t in ("efficiency", "accuracy"):
        for r in table_rows(data, t):
            name = str(r.get("system"))
            if name not in out:
                out[name] = family_of(r)
    return out


def system_colors(data: Mapping) -> dict[str, tuple]:
    """One colour per system for every figure: a shade of its family's hue, the shades handed
    out in order of first appearance in the rows; ENet in its own strong blue."""
    families = system_families(data)
    colors: dict[str, tuple] = {}
    for family in dict.fromkeys(families.values()):
        names = [n for n, f in families.items() if f == family and n != HIGHLIGHT]
        colors.update(zip(names, family_shades(family, len(names))))
    if HIGHLIGHT in families:
        colors[HIGHLIGHT] = HIGHLIGHT_COLOR
    return colors


def systems_by_family(families: Mapping[str, str]) -> dict[str, list[str]]:
    """``{family: [system, ...]}`` in FAMILIES order, the systems in their given order."""
    out: dict[str, list[str]] = {}
    for name, family in sorted(families.items(), key=lambda kv: family_rank(kv[1])):
        out.setdefault(family, []).append(name)
    return out


def family_title(family: str, n: int | None = None, short: bool = False) -> str:
    """'real-time models (14)', 'classical methods (18)', ...; ``short``: 'real-time (14)'."""
    what = "" if short else " methods" if family == "classical" else " models"
    return f"{family}{what}" + (f" ({n})" if n is not None else "")


def system_handle(family: str, color, system: str, line: bool = False) -> Line2D:
    """A legend handle for one system: its family's marker in its colour (ENet edged in black);
    with ``line``, a line of that colour instead."""
    if line:
        return Line2D([], [], color=color, linewidth=2.5)
    return Line2D(
        [],
        [],
        linestyle="none",
        marker=family_marker(family),
        markersize=7,
        markerfacecolor=color,
        markeredgecolor="black" if system == HIGHLIGHT else color,
        markeredgewidth=1.4 if system == HIGHLIGHT else 0.5,
    )


LegendGroup = tuple[str, list[tuple[Artist, str]]]  # heading, (handle, label) entries


def grouped_legend(groups: Sequence[LegendGroup], max_cols: int) -> tuple[dict, set[str]]:
    """Legend keyword arguments (handles, labels, ncol) for ``groups`` laid out in columns: every
    group starts a column under its heading (padded with blank entries), with as few rows as
    keep the columns to ``max_cols`` (more only when the groups alone need more), or a few more
    where that spares splitting a group; and the labels to set in bold (the headings, ENet)."""
    groups = [(h, e) for h, e in groups if e]
    if not groups:
        return {"handles": [], "labels": [], "ncol": 1}, set()
    sizes = [1 + len(e) for _, e in groups]
    rows = max(sizes)
    for r in range(1, max(sizes) + 1):
        if sum(math.ceil(n / r) for n in sizes) <= max(max_cols, len(groups)):
            rows = r
            break
    # a group a little longer than the columns is not split for a short column of its own
    rows = max([rows] + [n for n in sizes if n <= rows + max(2, rows // 4)])
    blank = Line2D([], [], linestyle="none")
    handles: list[Artist] = []
    labels: list[str] = []
    for (heading, entries), n in zip(groups, sizes):
        handles += [blank] + [h for h, _ in entries]
        labels += [heading] + [lab for _, lab in entries]
        pad = math.ceil(n / rows) * rows - n
        handles += [blank] * pad
        labels += [""] * pad
    bold = {h for h, _ in groups} | ({HIGHLIGHT} if HIGHLIGHT in labels else set())
    return {"handles": handles, "labels": labels, "ncol": len(labels) // rows}, bold


def legend_columns(fig: Figure, labels: Sequence[str], fontsize: float | None = None) -> int:
    """How many legend columns of ``labels`` fit across ``fig`` (an estimate; ``lay_out`` widens
    the figure when a legend is wider)."""
    size = fontsize or plt.rcParams["legend.fontsize"]
    if isinstance(size, str):
        size = plt.rcParams["font.size"]
    longest = max((len(line) for lab in labels for line in lab.split("\n")), default=8)
    column = float(size) * (0.58 * longest + 5.0) / 72.0  # handle, padding and text, inches
    return max(1, int((fig.get_figwidth() - 0.3) / column))


def bold_labels(legend: Legend, bold: Collection[str]) -> None:
    for text in legend.get_texts():
        if text.get_text() in bold:
            text.set_fontweight("bold")


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


def lay_out(
    fig: Figure,
    legend: dict | None = None,
    bold: Collection[str] = (),
    side: dict | None = None,
) -> None:
    """Tight layout, then the figure legends, each inside the figure: ``legend`` (fig.legend
    keyword arguments) under the axes, ``side`` right of them, level with the top axes. The
    figure grows by their size so that the axes keep theirs. Labels in ``bold`` are set in
    bold."""
    fig.tight_layout()
    if not legend and not side:
        return
    pad = 0.12  # inches around a legend
    below = right = None
    if legend:
        below = fig.legend(**{"loc": "upper center", "borderaxespad": 0.0, **legend})
    if side:
        right = fig.legend(**{"loc": "upper left", "borderaxespad": 0.0, **side})
    renderer = draw_renderer(fig)
    width, height = fig.get_size_inches()
    extra_w = extra_h = below_w = 0.0
    for leg in (below, right):
        if leg is None:
            continue
        bold_labels(leg, bold)
        box = leg.get_window_extent(renderer)
        if leg is below:
            extra_h, below_w = box.height / fig.dpi + 2 * pad, box.width / fig.dpi + 2 * pad
        else:
            extra_w = box.width / fig.dpi + 2 * pad
            height = max(height, box.height / fig.dpi + 2 * pad)
    new_w, new_h = max(width + extra_w, below_w), height + extra_h
    fig.set_size_inches(new_w, new_h)
    fig.tight_layout(rect=(0.0, extra_h / new_h, 1.0 - extra_w / new_w, 1.0))
    renderer = draw_renderer(fig)
    x0 = min(ax.get_position().x0 for ax in fig.axes)
    x1 = max(ax.get_position().x1 for ax in fig.axes)
    if right is not None:  # level with the top axes, unless it would then reach below them
        tall = right.get_window_extent(renderer).height / fig.bbox.height
        top = max(ax.get_position().y1 for ax in fig.axes)
        top = min(max(top, extra_h / new_h + tall), 1.0 - pad / new_h)
        right.set_bbox_to_anchor((1.0 - (extra_w - pad) / new_w, top), fig.transFigure)
    if below is not None:
        bottom = min(axes_bottoms(fig, renderer)) / fig.bbox.height
        half = below.get_window_extent(renderer).width / fig.bbox.width / 2
        center = min(max((x0 + x1) / 2, half + 0.005), 1.0 - half - 0.005)
        below.set_bbox_to_anchor((center, bottom - pad / 2 / new_h), fig.transFigure)


def add_notes(fig: Figure, notes: Sequence[str] = ()) -> Figure:
    """The notes under everything the axes draw (tick labels, legends)."""
    notes = [n for n in notes if n]
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


def finish(
    fig: Figure,
    notes: Sequence[str] = (),
    legend: dict | None = None,
    bold: Collection[str] = (),
) -> Figure:
    """``lay_out`` (tight layout, ``legend`` under the axes), then ``add_notes``."""
    lay_out(fig, legend, bold)
    return add_notes(fig, notes)


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
