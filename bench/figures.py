"""The report's figures, drawn from saved results only (nothing is measured here).

``write_figures(data, out_dir, prediction_dirs)`` writes every figure it has data for into
``out_dir`` as PNG (150 dpi) and SVG and returns the PNG paths. ``data`` is a results dict
(``runs`` plus the ``efficiency``, ``accuracy`` and ``claims`` rows; merged runs add ``run`` to
each row). Figures (file stems):

- ``accuracy_vs_latency``: test mIoU against median latency at one input size, marker area by
  parameter count, Pareto front; classical ``oracle`` points hollow (upper bounds) and off the
  front. One figure per dataset: ``accuracy_vs_latency`` for one, ``accuracy_vs_latency_<dataset>``
  each when the accuracy rows cover several datasets.
- ``params_flops``: parameters and GFLOPs per system (log bars) with the ENet paper's values.
- ``latency_vs_size``: median latency (p10-p90 bars) against input size, a line per system.
- ``claims``: the paper's ratio beside the measured one for every measured claim.
- ``per_class_iou``: per-class IoU heatmap; one figure per dataset as for accuracy_vs_latency.
- ``qualitative``: image, ground truth and each system's prediction, from saved predictions.

Rules: every number drawn comes from a row (the paper's published values, drawn as "paper", are
the only constants); a value that was not measured is never drawn as 0: it is left out and named
in a "not measured" note. A figure with nothing to show is not written (and a stale file of that
name from an earlier report in ``out_dir`` is removed). Each figure is built by a ``*_figure``
function that returns the matplotlib Figure (or None), and the selection behind it by a pure
function (``accuracy_latency_plan``, ``per_class_matrix``, ...), so both can be tested.

Styling is local (seaborn's whitegrid/paper theme inside an ``rc_context``): importing this module
changes no global style. It selects the Agg backend only when pyplot is not imported yet.
"""
from __future__ import annotations

import json
import math
import sys
import textwrap
import warnings
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Mapping, Sequence

import matplotlib

if "matplotlib.pyplot" not in sys.modules:
    matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import seaborn as sns  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402
from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter  # noqa: E402

from bench.atomic import atomic_path  # noqa: E402
from bench.paper import PUBLISHED  # noqa: E402

__all__ = [
    "FIGURE_STEMS", "PAPER_VALUES", "DPI", "write_figures", "pareto_front", "select_size",
    "profile_note", "accuracy_latency_plan", "accuracy_vs_latency_figure", "params_flops_figure",
    "latency_vs_size_figure", "claims_figure", "per_class_matrix", "per_class_iou_figure",
    "load_predictions", "qualitative_figure",
]

DPI = 150
FIGURE_STEMS = ("accuracy_vs_latency", "params_flops", "latency_vs_size", "claims",
                "per_class_iou", "qualitative")
# The ENet paper's published values (Paszke et al. 2016, Table 2/3, 3x640x360 input), drawn as
# "paper" markers: the only numbers in the figures that do not come from a results row.
PAPER_VALUES = PUBLISHED  # the ENet paper's parameters and GFLOPs (bench.paper)
PAPER_FLOPS_SIZE = (640, 360)
PREFERRED_SIZES = ((480, 360), (640, 360))  # tie-break of select_size, then the larger area
MAX_QUALITATIVE_IMAGES = 4
NOT_MEASURED_COLOR = "#d0d0d0"
_DATASET_NAMES = {"camvid": "CamVid", "cityscapes": "Cityscapes", "synthetic": "synthetic"}
_DEVICE_MARKERS = {"cpu": "o", "cuda": "s"}
_VERDICT_COLORS = {"holds": "#1a7f37", "does not hold": "#cf222e"}


# --------------------------------------------------------------------------------------------
# small helpers

def _num(value: Any) -> float | None:
    """A finite number, or None (missing, None, NaN, a string, a bool)."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def _ok(row: Mapping) -> bool:
    """Status ok; rows written before the status field existed count as ok."""
    return row.get("status", "ok") == "ok"


def _size(row: Mapping) -> tuple[int, int] | None:
    w, h = _num(row.get("width")), _num(row.get("height"))
    return (int(w), int(h)) if w and h else None


def _parse_wxh(value) -> tuple[int, int] | None:
    """``"480x360"`` -> (480, 360); None for anything else."""
    if not isinstance(value, str) or value.count("x") != 1:
        return None
    w, h = value.split("x")
    return (int(w), int(h)) if w.isdigit() and h.isdigit() else None


def size_label(size: Sequence[int]) -> str:
    return f"{size[0]}x{size[1]}"


def _dataset_name(name: str | None) -> str:
    return _DATASET_NAMES.get(name or "", name or "unknown dataset")


def _device_label(device: str | None, names: Iterable[str | None] = ()) -> str:
    kind = {"cpu": "CPU", "cuda": "GPU"}.get(device or "", device or "unknown device")
    names = sorted({n for n in names if n})
    return f"{kind} ({', '.join(names)})" if names else kind


def _is_classical(row: Mapping) -> bool:
    return row.get("kind") == "classical" or row.get("protocol") in ("oracle", "learned")


_TEXT_FIELDS = ("system", "kind", "device", "device_name", "precision", "mode", "run",
                "protocol", "profile", "dataset", "split", "status", "claim", "scope",
                "verdict", "basis", "flops_counter", "error")


def _clean_row(row: dict) -> dict:
    """A copy whose text fields are text (or None) and whose NaNs are None."""
    out = {}
    for k, v in row.items():
        if isinstance(v, float) and not math.isfinite(v):
            v = None
        if k in _TEXT_FIELDS and v is not None and not isinstance(v, str):
            v = str(v)
        out[k] = v
    return out


def _rows(data: Mapping, table: str) -> list[dict]:
    """The rows of a table that are dicts (cleaned copies); efficiency and accuracy rows need a
    system name."""
    rows = [_clean_row(r) for r in (data.get(table) or []) if isinstance(r, dict)]
    if table == "claims":
        return rows
    return [r for r in rows if r.get("system")]


def _batch(row: Mapping) -> float | None:
    """The batch size; a row that does not record it counts as batch 1."""
    return 1.0 if row.get("batch") is None else _num(row.get("batch"))


def _plain(value: float, _pos: Any = None) -> str:
    """Tick labels as plain numbers (0.1, 1, 10, 1000), not 10^k."""
    if value <= 0:
        return ""
    if value >= 1:
        return f"{value:,.0f}"
    return f"{value:.{max(0, -math.floor(math.log10(value)))}f}"


def _plain_log_axis(axis, lo: float | None = None, hi: float | None = None) -> None:
    """Plain-number ticks on a log axis (``lo`` to ``hi``): 1-2-5 per decade when it spans less
    than 2.5 decades, 1-3 when less than 5, else decades only."""
    span = math.log10(hi / lo) if lo and hi and lo > 0 and hi > lo else 99.0
    subs = (1.0, 2.0, 5.0) if span < 2.5 else (1.0, 3.0) if span < 5 else (1.0,)
    axis.set_major_locator(LogLocator(base=10, subs=subs))
    axis.set_major_formatter(FuncFormatter(_plain))
    axis.set_minor_formatter(NullFormatter())


def _unique_labels(items: Sequence[Mapping], base: Callable[[Mapping], str],
                   extras: Sequence[Callable[[Mapping], str | None]]) -> list[str]:
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
    counts, seen = Counter(labels), Counter()
    out = []
    for lab in labels:
        seen[lab] += 1
        out.append(f"{lab} #{seen[lab]}" if counts[lab] > 1 else lab)
    return out


def _system_colors(data: Mapping) -> dict[str, tuple]:
    """One colour per system for every figure (order of first appearance in the rows)."""
    names = list(dict.fromkeys(
        str(r.get("system")) for t in ("efficiency", "accuracy") for r in _rows(data, t)
        if r.get("system")))
    cb = sns.color_palette("colorblind", 10)
    colorblind = [cb[k] for k in (0, 1, 2, 3, 4, 5, 6, 9, 8)]  # no grey; yellow last
    palette = colorblind if len(names) <= len(colorblind) else sns.color_palette("husl",
                                                                                  len(names))
    return dict(zip(names, palette))


def _wrap(text: str, fig: Figure, fontsize: float, fraction: float = 1.0) -> str:
    width = max(40, int(fraction * fig.get_figwidth() * 72 / (0.52 * fontsize)))
    return "\n".join(textwrap.fill(p, width) for p in text.split("\n"))


def _finish(fig: Figure, notes: Sequence[str] = (), legend: dict | None = None) -> Figure:
    """Tight layout, then ``legend`` (fig.legend keyword arguments) under the axes, then the
    notes under everything the axes draw (tick labels, legends)."""
    fig.tight_layout()
    notes = [n for n in notes if n]
    if legend:
        fig.canvas.draw()
        renderer = fig.canvas.get_renderer()
        bottom = min(ax.get_tightbbox(renderer).y0 for ax in fig.axes) / fig.bbox.height
        x0 = min(ax.get_position().x0 for ax in fig.axes)
        x1 = max(ax.get_position().x1 for ax in fig.axes)
        fig.legend(**{"loc": "upper center", "bbox_to_anchor": ((x0 + x1) / 2, bottom - 0.01),
                      "borderaxespad": 0.0, **legend})
    if notes:
        fig.canvas.draw()
        renderer = fig.canvas.get_renderer()
        bottom = min(ax.get_tightbbox(renderer).y0 for ax in fig.axes)
        for legend in fig.legends:
            bottom = min(bottom, legend.get_window_extent(renderer).y0)
        y = bottom / fig.bbox.height - 0.01
        size = plt.rcParams["font.size"] * 0.85
        fig.text(0.01, y, _wrap("\n".join(notes), fig, size), ha="left", va="top",
                 fontsize=size, color="#444444")
    return fig


@contextmanager
def _style() -> Iterator[None]:
    """seaborn's whitegrid / paper look, only inside this block."""
    rc = {**sns.axes_style("whitegrid"), **sns.plotting_context("paper", font_scale=1.2),
          "savefig.dpi": DPI, "figure.dpi": 100, "svg.hashsalt": "segbench",
          "axes.titlesize": "medium", "figure.titlesize": "large", "legend.frameon": True,
          "legend.framealpha": 0.9, "image.interpolation": "nearest"}
    with plt.rc_context(rc):
        yield


# --------------------------------------------------------------------------------------------
# pure helpers

def pareto_front(points: Sequence[tuple[float, float]]) -> list[int]:
    """Indices of the non-dominated points, minimising x and maximising y, in increasing x.

    A point is dominated by another that is no worse in both coordinates and better in one.
    Of identical points only the first (lowest index) is kept; points with a coordinate that is
    not a finite number are never on the front."""
    finite = [i for i, (x, y) in enumerate(points)
              if _num(x) is not None and _num(y) is not None]
    order = sorted(finite, key=lambda i: (points[i][0], -points[i][1], i))
    front, best = [], -math.inf
    for i in order:
        if points[i][1] > best:
            front.append(i)
            best = points[i][1]
    return front


def select_size(coverage: Mapping[tuple[int, int], int]) -> tuple[int, int] | None:
    """The input size covered by the most systems; ties go to 480x360, then 640x360, then the
    larger area (then the wider). None when no size covers any system."""
    best = [s for s, n in coverage.items() if n > 0 and n == max(coverage.values())]
    if not best:
        return None
    for preferred in PREFERRED_SIZES:
        if preferred in best:
            return preferred
    return max(best, key=lambda s: (s[0] * s[1], s[0]))


def profile_note(rows: Iterable[Mapping]) -> str:
    """The training budget of the deep models' accuracy rows, e.g. "deep models: profile quick —
    4 epochs of 120 images at 160x120 (CPU budget, not the paper's 300 epochs)"; '' if none."""
    from bench.profiles import PROFILES

    deep = [_clean_row(r) for r in rows if isinstance(r, Mapping) and not _is_classical(r)]
    parts = []
    for name in dict.fromkeys(r.get("profile") for r in deep):
        rs = [r for r in deep if r.get("profile") == name]
        p = PROFILES.get(name) if name else None
        epochs = sorted({int(e) for r in rs if (e := _num(r.get("epochs"))) is not None})
        done = sorted({int(e) for r in rs if (e := _num(r.get("epochs_done"))) is not None})
        if not epochs and p:
            epochs = [p.epochs]
        sizes = list(dict.fromkeys(tuple(r["train_size"]) for r in rs
                                   if isinstance(r.get("train_size"), (list, tuple))
                                   and len(r["train_size"]) == 2))
        if not sizes and p:
            sizes = [tuple(p.train_size)]
        text = f"profile {name}" if name else "profile not recorded"
        budget = []
        if epochs:
            n = "/".join(map(str, epochs))
            if done and done != epochs:
                n = f"{'/'.join(map(str, done))} of {n}"
            budget.append(f"{n} epoch{'s' if epochs != [1] else ''}")
            if p and p.images_per_epoch:
                budget[-1] += f" of {p.images_per_epoch} images"
        if sizes:
            budget.append("at " + ", ".join(f"{w}x{h}" for w, h in sizes))
        if budget:
            text += " — " + " ".join(budget)
        paper = PROFILES.get("paper")
        if name == "paper":
            text += " (the paper's recipe)"
        elif paper and epochs and max(epochs) < paper.epochs:
            text += f" (CPU budget, not the paper's {paper.epochs} epochs)"
        parts.append(text)
    return "deep models: " + "; ".join(parts) if parts else ""


def _accuracy_groups(data: Mapping) -> dict[str, list[dict]]:
    """Usable accuracy rows (status ok, a mIoU) per dataset, on one split per dataset: test when
    there is one, else the most common split."""
    groups: dict[str, list[dict]] = {}
    for r in _rows(data, "accuracy"):
        if _ok(r) and _num(r.get("miou")) is not None and r.get("system"):
            groups.setdefault(str(r.get("dataset") or "unknown"), []).append(r)
    for ds, rows in groups.items():
        splits = Counter(r.get("split") for r in rows)
        split = "test" if "test" in splits else splits.most_common(1)[0][0]
        groups[ds] = [r for r in rows if r.get("split") == split]
    return groups


def _stem(base: str, dataset: str, several: bool) -> str:
    safe = "".join(c if c.isalnum() or c in "-_" else "_" for c in dataset)
    return f"{base}_{safe}" if several else base


# --------------------------------------------------------------------------------------------
# 1. accuracy vs latency

@dataclass
class Point:
    label: str
    system: str
    classical: bool
    protocol: str | None
    profile: str | None
    device: str | None
    device_name: str | None
    precision: str | None
    latency_ms: float
    p10: float | None
    p90: float | None
    miou: float  # fraction
    params: float | None

    @property
    def oracle(self) -> bool:
        return self.protocol == "oracle"


@dataclass
class LatencyPlan:
    dataset: str
    split: str | None
    size: tuple[int, int]
    points: list[Point]
    front: list[int]  # indices into points (oracle points excluded)
    not_measured: list[str]
    profile_note: str
    accuracy_rows: list[dict] = field(default_factory=list)
    size_note: str | None = None  # when accuracy and latency were measured at different sizes


def _latency_rows(data: Mapping) -> list[dict]:
    """Efficiency rows usable for latency: status ok, batch 1, eager, a median latency, a size."""
    return [r for r in _rows(data, "efficiency")
            if _ok(r) and _num(r.get("latency_ms_median")) is not None and _size(r)
            and _batch(r) == 1 and r.get("mode", "eager") in ("eager", None)]


def _pick_latency(rows: list[dict], run: str | None) -> dict:
    """One row of several candidates: the accuracy row's own run first, then fp32, then first."""
    same = [r for r in rows if run is not None and r.get("run") == run]
    rows = same or rows
    fp32 = [r for r in rows if r.get("precision") == "fp32"]
    return (fp32 or rows)[0]


def _params_of(data: Mapping, system: str) -> float | None:
    values = [v for r in _rows(data, "efficiency")
              if r.get("system") == system and (v := _num(r.get("params"))) is not None]
    return values[0] if values else None


def accuracy_latency_plan(data: Mapping, dataset: str | None = None) -> LatencyPlan | None:
    """What ``accuracy_vs_latency`` draws for one dataset (default: the one with the most accuracy
    rows): the input size, the points, the Pareto front and what was not measured. None when no
    system has both an accuracy and a latency."""
    groups = _accuracy_groups(data)
    if not groups:
        return None
    if dataset is None:
        dataset = max(groups, key=lambda d: len(groups[d]))
    acc = groups.get(dataset)
    if not acc:
        return None
    # one accuracy row per (system, protocol, profile, run); the first wins
    seen: set = set()
    acc = [r for r in acc if not ((k := (r["system"], r.get("protocol"), r.get("profile"),
                                         r.get("run"))) in seen or seen.add(k))]
    systems = list(dict.fromkeys(r["system"] for r in acc))
    lat = [r for r in _latency_rows(data) if r.get("system") in systems]
    coverage: dict[tuple[int, int], set] = {}
    for r in lat:
        coverage.setdefault(_size(r), set()).add(r["system"])
    # Latency at the size the accuracy was measured at (CamVid: 480x360) when it was timed there;
    # otherwise the best-covered size, and the figure says which sizes it pairs.
    seen_sizes = {z for r in acc if (z := _parse_wxh(r.get("inference_size")))}
    if len(seen_sizes) == 1 and next(iter(seen_sizes)) in coverage:
        size = next(iter(seen_sizes))
    else:
        size = select_size({s: len(v) for s, v in coverage.items()})
    if size is None:
        return None
    mismatch = sorted(z for z in seen_sizes if z != size)

    candidates = []  # (accuracy row, latency row)
    for a in acc:
        at_size = [r for r in lat if r["system"] == a["system"] and _size(r) == size]
        for device in dict.fromkeys(r.get("device") for r in at_size):
            candidates.append((a, _pick_latency([r for r in at_size if r.get("device") == device],
                                                a.get("run"))))
    if not candidates:
        return None
    devices = {e.get("device") for _, e in candidates}
    profiles = {a.get("profile") for a, _ in candidates if not _is_classical(a)}

    def base(c):
        a, _ = c
        return f"{a['system']} ({a['protocol']})" if _is_classical(a) and a.get("protocol") \
            else str(a["system"])

    extras = [lambda c: c[0].get("profile") if len(profiles) > 1 and not _is_classical(c[0])
              else None,
              lambda c: _device_label(c[1].get("device")) if len(devices) > 1 else None,
              lambda c: c[0].get("run"), lambda c: c[1].get("precision")]
    labels = _unique_labels(candidates, base, extras)
    points = []
    for label, (a, e) in zip(labels, candidates):
        params = _num(e.get("params"))
        if params is None:
            params = _params_of(data, a["system"])
        points.append(Point(
            label=label, system=a["system"], classical=_is_classical(a),
            protocol=a.get("protocol"), profile=a.get("profile"), device=e.get("device"),
            device_name=e.get("device_name"), precision=e.get("precision"),
            latency_ms=float(e["latency_ms_median"]), p10=_num(e.get("latency_ms_p10")),
            p90=_num(e.get("latency_ms_p90")), miou=float(a["miou"]), params=params))
    eligible = [k for k, p in enumerate(points) if not p.oracle]
    front = [eligible[k] for k in pareto_front([(points[k].latency_ms, points[k].miou)
                                                for k in eligible])]

    not_measured = []
    plotted = {p.system for p in points}
    all_sizes: dict[str, list] = {}
    for r in lat:
        all_sizes.setdefault(r["system"], []).append(_size(r))
    for s in systems:
        if s not in plotted:
            other = sorted(set(all_sizes.get(s, [])), key=lambda z: (z[0] * z[1], z[0]))
            where = (f"; measured at {', '.join(map(size_label, other))}" if other else "")
            not_measured.append(f"{s} (no latency at {size_label(size)}{where})")
    no_acc = list(dict.fromkeys(
        r["system"] for r in _latency_rows(data)
        if _size(r) == size and r.get("system") not in systems))
    if no_acc:
        not_measured.append(f"{', '.join(no_acc)} (latency at {size_label(size)}, "
                            f"no accuracy on {_dataset_name(dataset)})")
    size_note = (f"Sizes differ: accuracy measured with {', '.join(map(size_label, mismatch))} "
                 f"input, latency timed at {size_label(size)}" if mismatch else None)
    return LatencyPlan(dataset=dataset, split=acc[0].get("split"), size=size, points=points,
                       front=front, not_measured=not_measured, profile_note=profile_note(acc),
                       accuracy_rows=acc, size_note=size_note)


def _marker_area(params: float | None) -> float:
    """Marker area (pt^2) by parameter count, log scale; 0 (classical) gets the smallest."""
    if not params or params <= 0:
        return 28.0
    return 28.0 + 75.0 * max(0.0, math.log10(params) - 4.0)


def _fmt_params(p: float) -> str:
    return f"{p / 1e6:g} M"


_LABEL_SPOTS = (((5, 4), "left", "bottom"), ((5, -4), "left", "top"),
                ((-5, 4), "right", "bottom"), ((-5, -4), "right", "top"),
                ((8, 0), "left", "center"), ((-8, 0), "right", "center"),
                ((0, 8), "center", "bottom"), ((0, -8), "center", "top"))


def _place_labels(fig: Figure, ax, annotations: list, markers: list[tuple[float, float, float]],
                  segments: list[tuple[float, float, float, float]]) -> None:
    """Put each point label where it covers no marker, no other label and no front segment
    (and stays inside the axes), trying spots around its point in turn; a label with no free
    spot takes the one with the least overlap. ``markers``: (x, y, area in pt^2) in data
    coordinates; ``segments``: (x0, y0, x1, y1) axis-parallel lines in data coordinates."""
    if not annotations:
        return
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
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
        best = None
        for rank, (offset, ha, va) in enumerate(_LABEL_SPOTS):
            a.xyann = offset
            a.set_horizontalalignment(ha)
            a.set_verticalalignment(va)
            bb = a.get_window_extent(renderer)
            outside = max(0.0, axbox.x0 - bb.x0) + max(0.0, bb.x1 - axbox.x1) + \
                max(0.0, axbox.y0 - bb.y0) + max(0.0, bb.y1 - axbox.y1)
            own = boxes[i] if i < len(boxes) else None
            cost = (sum(overlap(bb, b) for k, b in enumerate(boxes) if b is not own)
                    + sum(overlap(bb, b) for b in lines) + sum(overlap(bb, b) for b in placed)
                    + 1000.0 * outside)
            if best is None or cost < best[0]:
                best = (cost, rank)
            if cost == 0:
                break
        offset, ha, va = _LABEL_SPOTS[best[1]]
        a.xyann = offset
        a.set_horizontalalignment(ha)
        a.set_verticalalignment(va)
        bb = a.get_window_extent(renderer)
        placed.append((bb.x0, bb.y0, bb.x1, bb.y1))


def accuracy_vs_latency_figure(data: Mapping, dataset: str | None = None,
                               plan: LatencyPlan | None = None) -> Figure | None:
    """Test mIoU (%) against median latency (ms, log) at one input size. None: nothing to plot."""
    plan = plan or accuracy_latency_plan(data, dataset)
    if plan is None or not plan.points:
        return None
    colors = _system_colors(data)
    with _style():
        fig, ax = plt.subplots(figsize=(7.6, 4.8))
        for k, p in enumerate(plan.points):
            color = colors.get(p.system, "C0")
            marker = _DEVICE_MARKERS.get(p.device or "", "^")
            ax.scatter([p.latency_ms], [100 * p.miou], s=_marker_area(p.params), marker=marker,
                       facecolors="none" if p.oracle else [color], edgecolors=[color],
                       linewidths=1.6 if p.oracle else 0.8, zorder=4)
        if plan.front:
            fx = [plan.points[k].latency_ms for k in plan.front]
            fy = [100 * plan.points[k].miou for k in plan.front]
            ax.step(fx, fy, where="post", color="#555555", linestyle="--", linewidth=1.2,
                    zorder=3)
        ax.set_xscale("log")
        xs = [p.latency_ms for p in plan.points]
        ax.set_xlim(min(xs) / 2.0, max(xs) * 2.5)
        ymax = max(100 * p.miou for p in plan.points)
        ax.set_ylim(0, min(100.0, ymax * 1.15 + 5))
        _plain_log_axis(ax.xaxis, *ax.get_xlim())
        annotations = [ax.annotate(p.label, (p.latency_ms, 100 * p.miou), xytext=(5, 4),
                                   textcoords="offset points", ha="left", va="bottom",
                                   fontsize=plt.rcParams["font.size"] * 0.9, zorder=5)
                       for p in plan.points]

        precisions = list(dict.fromkeys(p.precision for p in plan.points if p.precision))
        deep_prec = list(dict.fromkeys(p.precision for p in plan.points
                                       if p.precision and not p.classical))
        cl_prec = list(dict.fromkeys(p.precision for p in plan.points
                                     if p.precision and p.classical))
        if deep_prec and cl_prec and deep_prec != cl_prec:
            prec = f"{'/'.join(deep_prec)} (classical: {'/'.join(cl_prec)})"
        else:
            prec = "/".join(precisions) or "precision not recorded"
        devices = list(dict.fromkeys(p.device for p in plan.points))
        dev = ", ".join(_device_label(d, (p.device_name for p in plan.points if p.device == d))
                        for d in devices)
        ax.set_xlabel(f"median latency per image (ms, log scale) at {size_label(plan.size)}, "
                      f"batch 1")
        ax.set_ylabel(f"mIoU on {_dataset_name(plan.dataset)} {plan.split or ''} (%)")
        fig.suptitle(f"Accuracy vs latency — {_dataset_name(plan.dataset)} "
                     f"{plan.split or ''} split".replace("  ", " "), fontweight="bold")
        size = plt.rcParams["font.size"] * 0.95
        ax.set_title(_wrap(f"{dev}, {size_label(plan.size)} input, batch 1, eager, {prec}",
                           fig, size, 0.6), fontsize=size)

        # legend: parameters (marker area), then what the marks mean
        handles, labels = [], []
        params = [p.params for p in plan.points if p.params]
        if any(p.classical for p in plan.points) or any(not p.params for p in plan.points):
            handles.append(Line2D([], [], linestyle="none", marker="o", color="#888888",
                                  markersize=math.sqrt(_marker_area(0))))
            labels.append("0 (classical)" if any(p.classical for p in plan.points)
                          else "not measured")
        if params:
            lo, hi = math.floor(math.log10(min(params))), math.ceil(math.log10(max(params)))
            steps = list(range(lo, hi + 1))
            if len(steps) > 4:
                steps = steps[:: math.ceil(len(steps) / 4)]
            for e in steps:
                handles.append(Line2D([], [], linestyle="none", marker="o", color="#888888",
                                      markersize=math.sqrt(_marker_area(10.0 ** e))))
                labels.append(_fmt_params(10.0 ** e))
        meaning_h, meaning_l = [], []
        if len(plan.front) > 1:
            meaning_h.append(Line2D([], [], color="#555555", linestyle="--"))
            meaning_l.append("Pareto front (lower\nlatency, higher mIoU)")
        if any(not p.oracle for p in plan.points):
            meaning_h.append(Line2D([], [], linestyle="none", marker="o", color="#666666"))
            meaning_l.append("filled: trained (deep)\nor learned (classical)")
        if any(p.oracle for p in plan.points):
            meaning_h.append(Line2D([], [], linestyle="none", marker="o", markerfacecolor="none",
                                    markeredgecolor="#666666", markeredgewidth=1.6))
            meaning_l.append("hollow: classical oracle,\nan upper bound (uses test\n"
                             "labels); not on the front")
        if len(devices) > 1:
            for d in devices:
                meaning_h.append(Line2D([], [], linestyle="none", color="#666666",
                                        marker=_DEVICE_MARKERS.get(d or "", "^")))
                meaning_l.append(_device_label(d))
        blank = Line2D([], [], linestyle="none")
        all_h = [blank] + handles + [blank, blank] + meaning_h
        all_l = ["parameters"] + labels + ["", "marks"] + meaning_l
        n_lines = sum(lab.count("\n") + 1 for lab in all_l) + 0.5 * len(all_l)
        fig.set_figheight(max(4.8, 1.6 + 0.2 * n_lines))
        leg = ax.legend(all_h, all_l, loc="upper left", bbox_to_anchor=(1.02, 1.0),
                        borderaxespad=0.0, fontsize=plt.rcParams["legend.fontsize"] * 0.95,
                        labelspacing=0.7, handletextpad=0.8)
        for text, lab in zip(leg.get_texts(), all_l):
            if lab in ("parameters", "marks"):
                text.set_fontweight("bold")
        fig.tight_layout()
        segments = []
        if plan.front:
            for (x0, y0), (x1, y1) in zip(zip(fx, fy), list(zip(fx, fy))[1:]):
                segments += [(x0, y0, x1, y0), (x1, y0, x1, y1)]
        _place_labels(fig, ax, annotations,
                      [(p.latency_ms, 100 * p.miou, _marker_area(p.params)) for p in plan.points],
                      segments)
        notes = []
        if plan.size_note:
            notes.append(plan.size_note + ".")
        if plan.profile_note:
            notes.append(plan.profile_note + ".")
        if plan.not_measured:
            notes.append("not measured: " + "; ".join(plan.not_measured) + ".")
        return _finish(fig, notes)


# --------------------------------------------------------------------------------------------
# 2. parameters and FLOPs

def _flops_row(rows: list[dict]) -> dict | None:
    with_flops = [r for r in rows if _num(r.get("gflops")) is not None and _size(r)]
    if not with_flops:
        return None
    ok = [r for r in with_flops if _ok(r)] or with_flops
    at_paper = [r for r in ok if _size(r) == PAPER_FLOPS_SIZE]
    if at_paper:
        return at_paper[0]
    return max(ok, key=lambda r: (_size(r)[0] * _size(r)[1], _size(r)[0]))


def params_flops_figure(data: Mapping) -> Figure | None:
    """Parameters (M) and GFLOPs per image, log bars per system, the paper's values as
    diamonds. None when no deep model has a parameter or FLOP count."""
    eff = _rows(data, "efficiency")
    systems = list(dict.fromkeys(r["system"] for r in eff if r.get("system")))
    if not systems:
        return None
    entries = []
    for s in systems:
        rows = [r for r in eff if r.get("system") == s]
        classical = any(_is_classical(r) for r in rows)
        ok_params = [v for r in rows if _ok(r) and (v := _num(r.get("params"))) is not None]
        any_params = [v for r in rows if (v := _num(r.get("params"))) is not None]
        params = (ok_params or any_params or [None])[0]
        frow = None if classical else _flops_row(rows)
        entries.append({"system": s, "classical": classical,
                        "params_m": None if classical or params is None else params / 1e6,
                        "gflops": _num(frow["gflops"]) if frow else None,
                        "size": _size(frow) if frow else None,
                        "counter": frow.get("flops_counter") if frow else None})
    if not any(e["params_m"] or e["gflops"] for e in entries if not e["classical"]):
        return None
    colors = _system_colors(data)
    sizes = list(dict.fromkeys(e["size"] for e in entries if e["size"]))
    common = sizes[0] if len(sizes) == 1 else None
    with _style():
        fig, axes = plt.subplots(1, 2, figsize=(9.5, 1.4 + 0.42 * len(entries)), sharey=True)
        y = np.arange(len(entries))
        paper_drawn = False
        for ax, key, paper_key in ((axes[0], "params_m", "params_m"),
                                   (axes[1], "gflops", "gflops")):
            values = [e[key] for e in entries if e[key]]
            papers = [PAPER_VALUES[e["system"]][paper_key] for e in entries
                      if e["system"] in PAPER_VALUES]
            every = values + papers
            if every:
                lo = 10.0 ** math.floor(math.log10(min(every)) - 0.3)
                hi = 10.0 ** math.ceil(math.log10(max(every)) + 0.6)
            else:
                lo, hi = 0.1, 10.0
            ax.set_xscale("log")
            ax.set_xlim(lo, hi)
            for k, e in enumerate(entries):
                v = e[key]
                if e["classical"]:
                    ax.text(lo * 1.15, k, "n/a (classical)", va="center", ha="left",
                            fontstyle="italic", color="#666666")
                    continue
                if v is None or v <= 0:
                    ax.text(lo * 1.15, k, "not measured", va="center", ha="left",
                            fontstyle="italic", color="#666666")
                    continue
                ax.barh(k, v - lo, left=lo, height=0.6, color=colors.get(e["system"], "C0"),
                        edgecolor="none", zorder=2)
                label = f"{v:.3g}"
                if key == "gflops" and common is None and e["size"]:
                    label += f" @ {size_label(e['size'])}"
                end = v
                comparable = key == "params_m" or e["size"] == PAPER_FLOPS_SIZE
                if e["system"] in PAPER_VALUES and comparable:
                    paper = PAPER_VALUES[e["system"]][paper_key]
                    ax.scatter([paper], [k], marker="D", s=36, color="black", zorder=5)
                    paper_drawn = True
                    end = max(v, paper)
                    label += f" (paper {paper:g})"
                ax.annotate(label, (end, k), xytext=(6, 0), textcoords="offset points",
                            va="center", ha="left", fontsize=plt.rcParams["font.size"] * 0.85)
            _plain_log_axis(ax.xaxis)
            ax.grid(axis="y", visible=False)
        axes[0].set_yticks(y, [e["system"] for e in entries])
        axes[0].set_ylim(len(entries) - 0.5, -0.5)
        axes[0].set_xlabel("parameters (millions, log scale)")
        axes[0].set_title("Parameters")
        at = (f"at {size_label(common)}" if common
              else "at 640x360 where measured, else the largest size run (labelled)")
        axes[1].set_xlabel(f"GFLOPs per image (log scale), {at}")
        axes[1].set_title("Compute (2 FLOPs per multiply-add)")
        fig.suptitle("Model size and compute per system", fontweight="bold")
        if paper_drawn:
            axes[1].legend([Line2D([], [], linestyle="none", marker="D", color="black")],
                           ["paper (ENet paper,\n3x640x360)"], loc="upper left",
                           bbox_to_anchor=(1.02, 1.0), borderaxespad=0.0)
        counters = sorted({e["counter"] for e in entries if e["counter"]})
        notes = []
        if counters:
            notes.append(f"FLOPs counted with {', '.join(counters)}; the paper's values are "
                         "for a 3x640x360 input" + ("." if any(
                             e["size"] == PAPER_FLOPS_SIZE for e in entries) else
                             ", not drawn beside FLOPs counted at another size."))
        return _finish(fig, notes)


# --------------------------------------------------------------------------------------------
# 3. latency vs input size

def latency_vs_size_figure(data: Mapping) -> Figure | None:
    """Median latency (ms, log; p10-p90 error bars) against input size, a line per system.
    Batch 1 eager rows when there are some, else the most common batch and mode."""
    rows = [r for r in _rows(data, "efficiency")
            if _ok(r) and _num(r.get("latency_ms_median")) is not None and _size(r)
            and r.get("system")]
    if not rows:
        return None
    combos = Counter((_batch(r), r.get("mode") or "eager") for r in rows)
    combo = (1.0, "eager") if (1.0, "eager") in combos else combos.most_common(1)[0][0]
    rows = [r for r in rows if (_batch(r), r.get("mode") or "eager") == combo]
    several_prec = any(len({r.get("precision") for r in rows if r["system"] == s}) > 1
                       for s in {r["system"] for r in rows})
    has_runs = len({r.get("run") for r in rows}) > 1

    def style_key(r):
        return (r.get("device"), r.get("precision") if several_prec else None,
                r.get("run") if has_runs else None)

    series: dict[tuple, dict[tuple, dict]] = {}
    for r in rows:  # the first row of a (series, size) wins
        series.setdefault((r["system"], style_key(r)), {}).setdefault(_size(r), r)
    sizes = sorted({s for pts in series.values() for s in pts}, key=lambda z: (z[0] * z[1], z[0]))
    xpos = {s: i for i, s in enumerate(sizes)}
    styles = list(dict.fromkeys(k for _, k in series))
    markers = ["o", "s", "^", "D", "v", "P", "X"]
    lines = ["-", "--", ":", "-."]
    colors = _system_colors(data)
    systems = list(dict.fromkeys(s for s, _ in series))
    device_names: dict = {}
    for r in rows:
        device_names.setdefault(r.get("device"), set()).add(r.get("device_name"))
    with _style():
        fig, ax = plt.subplots(figsize=(7.6, 4.6))
        n = len(series)
        for k, ((system, skey), pts) in enumerate(series.items()):
            si = styles.index(skey)
            order = sorted(pts, key=lambda z: xpos[z])
            dodge = (k - (n - 1) / 2) * min(0.05, 0.3 / max(1, n))
            xs = [xpos[s] + dodge for s in order]
            ys = [float(pts[s]["latency_ms_median"]) for s in order]
            lo = [y - p if (p := _num(pts[s].get("latency_ms_p10"))) is not None and p <= y
                  else 0.0 for s, y in zip(order, ys)]
            hi = [p - y if (p := _num(pts[s].get("latency_ms_p90"))) is not None and p >= y
                  else 0.0 for s, y in zip(order, ys)]
            ax.errorbar(xs, ys, yerr=[lo, hi], color=colors.get(system, "C0"),
                        marker=markers[si % len(markers)], linestyle=lines[si % len(lines)],
                        markersize=5, capsize=3, linewidth=1.4, elinewidth=1.0)
        ax.set_yscale("log")
        _plain_log_axis(ax.yaxis, *ax.get_ylim())
        ax.set_xticks(range(len(sizes)),
                      [f"{size_label(s)}\n{s[0] * s[1] / 1e6:.2f} MP" for s in sizes])
        ax.set_xlim(-0.5, len(sizes) - 0.5)
        ax.set_xlabel("input size (W x H pixels, ordered by area)")
        ax.set_ylabel("median latency per image (ms, log scale)")
        batch, mode = combo
        fig.suptitle("Latency vs input size", fontweight="bold")
        devs = ", ".join(_device_label(d, device_names.get(d, ())) for d in device_names)
        batch = f"batch {batch:g}" if batch is not None else "batch not recorded"
        size = plt.rcParams["font.size"] * 0.95
        ax.set_title(_wrap(f"{devs}; {batch}, {mode}; error bars: p10–p90", fig, size, 0.6),
                     fontsize=size)
        blank = Line2D([], [], linestyle="none")
        handles = [blank] + [Line2D([], [], color=colors.get(s, "C0"), linewidth=2.5)
                             for s in systems]
        labels = ["system"] + systems
        if len(styles) > 1:
            handles += [blank, blank]
            labels += ["", "device" + (", precision" if several_prec else "")
                       + (", run" if has_runs else "")]
            for si, (device, prec, run) in enumerate(styles):
                handles.append(Line2D([], [], color="#555555", marker=markers[si % len(markers)],
                                      linestyle=lines[si % len(lines)]))
                labels.append(", ".join(x for x in (_device_label(device), prec, run) if x))
        leg = ax.legend(handles, labels, loc="upper left", bbox_to_anchor=(1.02, 1.0),
                        borderaxespad=0.0)
        for text, lab in zip(leg.get_texts(), labels):
            if lab == "system" or lab.startswith("device"):
                text.set_fontweight("bold")
        precs = sorted({str(r.get("precision")) for r in rows if r.get("precision")})
        notes = [f"precision: {', '.join(precs)}" + (" (classical methods run on uint8 images)"
                                                     if "uint8" in precs else "") + "."]
        return _finish(fig, notes)


# --------------------------------------------------------------------------------------------
# 4. claims

_CLAIM_NAMES = {"speed": "speed", "flops": "FLOPs", "params": "params"}


def _claim_label(r: Mapping) -> str:
    parts = [_CLAIM_NAMES.get(r.get("claim"), str(r.get("claim")))]
    scope = r.get("scope")
    if scope and scope != "any device":
        parts.append(str(scope))
    if _size(r):
        parts.append(size_label(_size(r)))
    if r.get("precision") and r.get("precision") != "fp32":
        parts.append(str(r["precision"]))
    return " ".join(parts)


def claims_figure(data: Mapping) -> Figure | None:
    """The paper's ratio beside the measured one for every claim with a measured ratio; the
    others are named in a note. None when no claim was measured."""
    from bench.claims import EXACT_TOLERANCE, HOLDS_FRACTION

    rows = [r for r in _rows(data, "claims") if r.get("claim")]
    measured = [r for r in rows if _num(r.get("measured_ratio")) is not None]
    missing = [r for r in rows if _num(r.get("measured_ratio")) is None]
    if not measured:
        return None
    labels = _unique_labels(measured, _claim_label,
                            [lambda r: r.get("device_name"), lambda r: r.get("mode"),
                             lambda r: f"batch {r['batch']}" if r.get("batch") else None,
                             lambda r: r.get("run")])
    values = [float(r["measured_ratio"]) for r in measured]
    papers = [_num(r.get("paper_ratio")) for r in measured]
    every = values + [p for p in papers if p]
    log = max(every) / max(min(every), 1e-9) > 30
    with _style():
        small = plt.rcParams["font.size"] * 0.8
        fig, ax = plt.subplots(figsize=(8.2, 1.5 + 0.62 * len(measured)))
        h = 0.36
        for k, (r, v, p) in enumerate(zip(measured, values, papers)):
            speed = r.get("claim") == "speed"
            threshold = HOLDS_FRACTION * p if p else None
            if p:  # speed holds above 95% of the paper's; exact quantities within +-5%
                ax.barh(k - h / 2, p, height=h, color="#b0b0b0", zorder=2)
                edges = [threshold] if speed else [p * (1 - EXACT_TOLERANCE),
                                                   p * (1 + EXACT_TOLERANCE)]
                for edge in edges:
                    ax.plot([edge] * 2, [k - 0.46, k + 0.46], color="black", linestyle="--",
                            linewidth=1.2, zorder=4)
                ax.annotate(f"{p:.3g}×", (p, k - h / 2), xytext=(4, 0),
                            textcoords="offset points", va="center", ha="left",
                            fontsize=small, color="#555555")
            low, high = _num(r.get("ratio_low")), _num(r.get("ratio_high"))
            spread = ({"xerr": [[v - low], [high - v]], "error_kw": {"capsize": 3}}
                      if speed and r.get("spread") is not None and low and high else {})
            ax.barh(k + h / 2, v, height=h, color="C0", zorder=2, **spread)
            for key, marker in (("paper_ratio_tx1", "^"), ("paper_ratio_titan_x", "D")):
                if speed and _num(r.get(key)):  # the paper's own ratio at this size
                    ax.plot(r[key], k - h / 2, marker=marker, color="#444444", markersize=6,
                            zorder=5, linestyle="none")
            ax.annotate(f"{v:.3g}×", (max(v, threshold or v), k + h / 2), xytext=(4, 0),
                        textcoords="offset points", va="center", ha="left", fontsize=small)
            verdict = str(r.get("verdict") or "")
            color = _VERDICT_COLORS.get(verdict, "#555555")
            ax.text(1.02, k, textwrap.fill(verdict, 26), transform=ax.get_yaxis_transform(),
                    va="center", ha="left", color=color,
                    fontweight="bold" if verdict in _VERDICT_COLORS else "normal",
                    fontsize=plt.rcParams["font.size"] * 0.9)
        ax.set_yticks(range(len(measured)), labels)
        ax.set_ylim(len(measured) - 0.4, -0.6)
        if log:
            ax.set_xscale("log")
            _plain_log_axis(ax.xaxis)
        else:
            ax.set_xlim(0, max(every) * 1.18)
        ax.grid(axis="y", visible=False)
        ax.set_xlabel("SegNet / ENet ratio (×; higher favours ENet)"
                      + (", log scale" if log else ""))
        fig.suptitle("The ENet paper's claims against SegNet: paper vs measured",
                     fontweight="bold")
        handles = [Patch(color="#b0b0b0"), Patch(color="C0")]
        names = ["paper", "measured"]
        if any(papers):
            handles.append(Line2D([], [], color="black", linestyle="--"))
            names.append(f"'holds' limits: speed {HOLDS_FRACTION:.0%} of the paper's; FLOPs "
                         f"and parameters +-{EXACT_TOLERANCE:.0%}")
        for key, marker, name in (("paper_ratio_tx1", "^", "paper's Table 2, TX1"),
                                  ("paper_ratio_titan_x", "D", "paper's Table 2, Titan X")):
            if any(_num(r.get(key)) for r in measured):
                handles.append(Line2D([], [], marker=marker, color="#444444",
                                      linestyle="none"))
                names.append(name + " (same size)")
        notes = []
        speed = [r for r in measured if r.get("claim") == "speed"]
        if speed:
            settings = sorted({", ".join(str(x) for x in (
                " ".join(x for x in ({"cpu": "CPU", "cuda": "GPU"}.get(r.get("device"),
                                                                    r.get("device")),
                                     r.get("device_name")) if x),
                r.get("precision"), f"batch {r['batch']}" if r.get("batch") else None,
                r.get("mode")) if x) for r in speed})
            notes.append("speed: SegNet's median latency over ENet's (error bars: the spread "
                         "over timing rounds; the verdict takes its low end); "
                         + "; ".join(settings) + ".")
        bases = [f"{lab}: {r['basis']}" for lab, r in zip(labels, measured)
                 if r.get("basis") and r.get("claim") != "speed"]
        if bases:
            notes.append("; ".join(bases) + ".")
        if missing:
            notes.append("not measured: " + "; ".join(
                f"{_claim_label(r)}" + (f" ({r['basis']})" if r.get("basis") else "")
                for r in missing) + ".")
        return _finish(fig, notes, legend={"handles": handles, "labels": names, "ncol": 3})


# --------------------------------------------------------------------------------------------
# 5. per-class IoU

def per_class_matrix(rows: Sequence[Mapping]) -> tuple[list[str], list[str], np.ndarray]:
    """(row labels, classes, IoU in %) from accuracy rows of one dataset: classes in the order of
    the per_class_iou dicts; a class a row lacks (or holds as null) is NaN, never 0."""
    scored = [_clean_row(r) for r in rows
              if isinstance(r.get("per_class_iou"), dict) and r["per_class_iou"]]
    classes = list(dict.fromkeys(c for r in scored for c in r["per_class_iou"]))
    profiles = {r.get("profile") for r in scored if not _is_classical(r)}

    def base(r):
        if _is_classical(r) and r.get("protocol"):
            return f"{r['system']} ({r['protocol']})"
        return str(r.get("system"))

    labels = _unique_labels(scored, base, [
        lambda r: r.get("profile") if len(profiles) > 1 and not _is_classical(r) else None,
        lambda r: r.get("device"), lambda r: r.get("run"), lambda r: r.get("split")])
    matrix = np.full((len(scored), len(classes)), np.nan)
    for i, r in enumerate(scored):
        for j, c in enumerate(classes):
            v = _num(r["per_class_iou"].get(c))
            if v is not None:
                matrix[i, j] = 100.0 * v
    return labels, classes, matrix


def per_class_iou_figure(data: Mapping, dataset: str | None = None) -> Figure | None:
    """Heatmap of per-class IoU (%) for one dataset (default: the one with the most rows)."""
    groups = _accuracy_groups(data)
    groups = {d: [r for r in rs if isinstance(r.get("per_class_iou"), dict)
                  and r["per_class_iou"]] for d, rs in groups.items()}
    groups = {d: rs for d, rs in groups.items() if rs}
    if not groups:
        return None
    dataset = dataset if dataset is not None else max(groups, key=lambda d: len(groups[d]))
    rows = groups.get(dataset)
    if not rows:
        return None
    labels, classes, matrix = per_class_matrix(rows)
    mask = np.isnan(matrix)
    with _style():
        fig, ax = plt.subplots(figsize=(max(6.0, 1.9 + 0.62 * len(classes)),
                                        max(2.6, 1.5 + 0.42 * len(labels))))
        ax.set_facecolor(NOT_MEASURED_COLOR)
        sns.heatmap(matrix, ax=ax, mask=mask, annot=True, fmt=".1f", vmin=0, vmax=100,
                    cmap="viridis", linewidths=0.5, linecolor="white",
                    xticklabels=classes, yticklabels=labels,
                    annot_kws={"fontsize": plt.rcParams["font.size"] * 0.8},
                    cbar_kws={"label": "IoU (%)", "pad": 0.02})
        for i, j in zip(*np.nonzero(mask)):
            ax.text(j + 0.5, i + 0.5, "n/m", ha="center", va="center", color="#555555",
                    fontsize=plt.rcParams["font.size"] * 0.8, fontstyle="italic")
        ax.set_xticklabels(ax.get_xticklabels(), rotation=35, ha="right",
                           rotation_mode="anchor")
        ax.set_yticklabels(ax.get_yticklabels(), rotation=0)
        ax.set_xlabel("class")
        ax.set_ylabel("system")
        split = rows[0].get("split")
        fig.suptitle(f"Per-class IoU (%) — {_dataset_name(dataset)} {split or ''} split"
                     .replace("  ", " "), fontweight="bold")
        note = profile_note(rows)
        if note:
            size = plt.rcParams["font.size"] * 0.9
            ax.set_title(_wrap(note, fig, size, 0.7), fontsize=size)
        notes = []
        if any(r.get("protocol") == "oracle" for r in rows):
            notes.append("oracle: each region gets its majority ground-truth class (an upper "
                         "bound that uses the test labels).")
        if mask.any():
            notes.append("n/m: not measured (grey).")
        notes = [n if n.endswith(".") else n + "." for n in notes if n]
        return _finish(fig, notes)


# --------------------------------------------------------------------------------------------
# 6. qualitative results

@dataclass
class Predictions:
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
        if not isinstance(spec, dict) or not isinstance(spec.get("images"), list) \
                or not isinstance(spec.get("systems", {}), dict):
            raise ValueError("expected an object with 'images' (a list) and 'systems'")
        return spec
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        warnings.warn(f"predictions in {folder} skipped: cannot read {index} ({exc})",
                      RuntimeWarning, stacklevel=3)
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
                images = [{"id": str(im["id"]), "image": folder / im["image"],
                           "label": folder / im["label"] if im.get("label") else None}
                          for im in spec["images"] if isinstance(im, dict) and "id" in im
                          and im.get("image")]
                merged = Predictions(
                    dataset=spec.get("dataset"), split=spec.get("split"),
                    class_names=[str(c) for c in spec.get("class_names") or []],
                    palette=[_color(c) for c in spec.get("palette") or []],
                    void_color=_color(spec.get("void_color") or (0, 0, 0)),
                    images=images, systems=[])
            elif (spec.get("dataset"), spec.get("split")) != (merged.dataset, merged.split):
                warnings.warn(f"predictions in {folder} skipped: {spec.get('dataset')} "
                              f"{spec.get('split')}, not {merged.dataset} {merged.split} as the "
                              f"first folder", RuntimeWarning, stacklevel=2)
                continue
            for name, s in spec.get("systems", {}).items():
                s = s if isinstance(s, dict) else {}
                merged.systems.append({"name": str(name), "protocol": s.get("protocol"),
                                       "profile": s.get("profile"), "run": folder.parent.name
                                       or str(folder),
                                       "dir": folder / str(s.get("dir") or name)})
        except (KeyError, TypeError, ValueError) as exc:
            warnings.warn(f"predictions in {folder} skipped: bad index.json ({exc})",
                          RuntimeWarning, stacklevel=2)
    if merged is None or not merged.images:
        return None
    return merged


def _read_png(path: Path | None) -> np.ndarray | None:
    if path is None or not Path(path).is_file():
        return None
    import cv2

    data = np.fromfile(path, dtype=np.uint8)  # read by numpy: any path, even one not UTF-8
    img = cv2.imdecode(data, cv2.IMREAD_UNCHANGED) if data.size else None
    if img is None:
        return None
    if img.ndim == 3 and img.shape[2] == 4:
        img = cv2.cvtColor(img, cv2.COLOR_BGRA2RGB)
    elif img.ndim == 3 and img.shape[2] == 3:
        img = cv2.cvtColor(img, cv2.COLOR_BGR2RGB)
    return img


def _colorize(label: np.ndarray, palette: list, void: tuple) -> np.ndarray:
    if label.ndim == 3:
        label = label[..., 0]
    lut = np.tile(np.array(void, dtype=np.uint8), (256, 1))
    for k, c in enumerate(palette[:255]):
        lut[k] = c
    return lut[label.astype(np.uint8)]


def _as_rgb(img: np.ndarray) -> np.ndarray:
    if img.ndim == 2:
        img = np.stack([img] * 3, axis=-1)
    if img.dtype != np.uint8:  # 16-bit PNGs
        img = (img.astype(np.float64) / max(1.0, float(img.max())) * 255).astype(np.uint8)
    return img


def qualitative_figure(prediction_dirs: Iterable[Path], data: Mapping | None = None
                       ) -> Figure | None:
    """Rows: images (at most 4); columns: image, ground truth, then each system's prediction.
    None when there are no readable predictions."""
    preds = prediction_dirs if isinstance(prediction_dirs, Predictions) \
        else load_predictions(prediction_dirs)
    if preds is None or not preds.systems:
        return None
    images = preds.images[:MAX_QUALITATIVE_IMAGES]
    systems = preds.systems
    titles = _unique_labels(systems, lambda s: s["name"], [lambda s: s.get("run")])
    titles = [t + "\n(" + ", ".join(str(x) for x in (s.get("protocol"), s.get("profile")) if x)
              + ")" if s.get("protocol") or s.get("profile") else t
              for t, s in zip(titles, systems)]
    first = next((im for im in (_read_png(i["image"]) for i in images) if im is not None), None)
    aspect = first.shape[0] / first.shape[1] if first is not None else 0.75
    ncols, nrows = 2 + len(systems), len(images)
    panel_w = 2.2
    with _style():
        fig, axes = plt.subplots(nrows, ncols, figsize=(panel_w * ncols + 0.4,
                                                        panel_w * aspect * nrows + 1.6),
                                 squeeze=False)
        for i, im in enumerate(images):
            panels = [_read_png(im["image"]), _read_png(im.get("label"))]
            panels += [_read_png(s["dir"] / f"{im['id']}.png") for s in systems]
            for j, (ax, img) in enumerate(zip(axes[i], panels)):
                ax.set_xticks([])
                ax.set_yticks([])
                ax.grid(False)
                for spine in ax.spines.values():
                    spine.set_visible(False)
                if img is None:
                    ax.set_facecolor(NOT_MEASURED_COLOR)
                    ax.text(0.5, 0.5, "n/m", transform=ax.transAxes, ha="center",
                            va="center", color="#555555", fontstyle="italic")
                    ax.set_box_aspect(aspect)
                elif j == 0:
                    ax.imshow(_as_rgb(img))
                else:
                    ax.imshow(_colorize(img, preds.palette, preds.void_color))
                if i == 0:
                    ax.set_title(["image", "ground truth", *titles][j],
                                 fontsize=plt.rcParams["font.size"] * 0.95)
                if j == 0:
                    ax.set_ylabel(im["id"], fontsize=plt.rcParams["font.size"] * 0.8)
        handles = [Patch(facecolor=np.array(c) / 255, edgecolor="#888888", label=n)
                   for n, c in zip(preds.class_names, preds.palette)]
        handles.append(Patch(facecolor=np.array(preds.void_color) / 255, edgecolor="#888888",
                             label="void (ignored)"))
        title = f"Qualitative results — {_dataset_name(preds.dataset)} {preds.split or ''}"
        fig.suptitle(title.strip() + " split", fontweight="bold")
        fig.tight_layout(rect=(0, 0.0, 1, 1))
        fig.canvas.draw()
        renderer = fig.canvas.get_renderer()
        bottom = min(ax.get_tightbbox(renderer).y0 for ax in fig.axes) / fig.bbox.height
        fig.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, bottom - 0.005),
                   ncol=min(len(handles), 6), fontsize=plt.rcParams["font.size"] * 0.85,
                   frameon=False, handlelength=1.2, columnspacing=1.2)
        rows = _accuracy_groups(data or {}).get(preds.dataset or "", [])
        names = {s["name"] for s in systems}
        note = profile_note([r for r in rows if r.get("system") in names])
        if note:
            _finish_note_below_legend(fig, note)
        return fig


def _finish_note_below_legend(fig: Figure, note: str) -> None:
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    bottom = min([ax.get_tightbbox(renderer).y0 for ax in fig.axes]
                 + [leg.get_window_extent(renderer).y0 for leg in fig.legends])
    size = plt.rcParams["font.size"] * 0.85
    fig.text(0.01, bottom / fig.bbox.height - 0.01, _wrap(note + ".", fig, size), ha="left",
             va="top", fontsize=size, color="#444444")


# --------------------------------------------------------------------------------------------
# writing

def _save(fig: Figure, out_dir: Path, stem: str) -> Path:
    """PNG and SVG, each written to a temporary name first and then renamed."""
    for ext in ("png", "svg"):
        with atomic_path(out_dir / f"{stem}.{ext}") as tmp:
            fig.savefig(tmp, format=ext, dpi=DPI, bbox_inches="tight", pad_inches=0.08,
                        metadata={"Date": None} if ext == "svg" else None)
    return out_dir / f"{stem}.png"


def _builders(data: Mapping, prediction_dirs: Sequence[Path]) -> list[tuple[str, Callable]]:
    acc_sets = list(_accuracy_groups(data))
    several = len(acc_sets) > 1
    out: list[tuple[str, Callable]] = []
    for ds in acc_sets:
        out.append((_stem("accuracy_vs_latency", ds, several),
                    lambda ds=ds: accuracy_vs_latency_figure(data, ds)))
    out.append(("params_flops", lambda: params_flops_figure(data)))
    out.append(("latency_vs_size", lambda: latency_vs_size_figure(data)))
    out.append(("claims", lambda: claims_figure(data)))
    for ds in acc_sets:
        out.append((_stem("per_class_iou", ds, several),
                    lambda ds=ds: per_class_iou_figure(data, ds)))
    out.append(("qualitative", lambda: qualitative_figure(prediction_dirs, data)))
    return out


def write_figures(data: Mapping, out_dir: Path, prediction_dirs: Sequence[Path] = ()) -> list[Path]:
    """Write every figure there is data for into ``out_dir`` (PNG and SVG); return the PNGs.

    A figure that fails to draw is skipped with a warning so that the rest of the report is
    still written; stale files of this module's figures left in ``out_dir`` by an earlier
    report (a figure that now has no data) are removed, except a qualitative grid when no
    prediction folder is given (its images may not be kept with the results)."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for stem, build in _builders(data, list(prediction_dirs or ())):
        fig = None
        try:
            with _style():
                fig = build()
                if fig is not None:
                    written.append(_save(fig, out_dir, stem))
        except Exception as exc:  # noqa: BLE001 - one bad figure must not lose the report
            warnings.warn(f"figure {stem} not written: {type(exc).__name__}: {exc}",
                          RuntimeWarning, stacklevel=2)
        finally:
            if fig is not None:
                plt.close(fig)
    kept = out_dir / "qualitative.png"
    if not prediction_dirs and kept.is_file() and kept not in written:
        # The saved test images are not always kept (CamVid frames stay out of git): a grid made
        # earlier from them stays until a report with predictions replaces it.
        written.append(kept)
    stems = {p.stem for p in written}
    for old in out_dir.iterdir():
        if old.suffix in (".png", ".svg") and old.stem not in stems and (
                old.stem in FIGURE_STEMS or old.stem.startswith(("accuracy_vs_latency_",
                                                                 "per_class_iou_"))):
            old.unlink()
    return written
