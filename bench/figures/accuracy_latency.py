"""Figure ``accuracy_vs_latency``: test mIoU against median latency at one input size.

Marker area by parameter count, marker shape and colour by family (``style``), the Pareto front
over all systems dashed; classical ``oracle`` and ``oracle-assisted`` points are hollow (upper
bounds that use the test labels) and never on a front. One figure per dataset
(``accuracy_vs_latency_<dataset>`` when the accuracy rows cover several).
``accuracy_latency_plan`` is the selection behind it, with the front over all systems and one
front per family (drawn by ``accuracy_latency_family``). Up to ``LABEL_ALL_AT_MOST`` points each
point is labelled and the legend stands right of the axes; with more, the front's points and
ENet are labelled and a legend of every system, grouped by family, stands under the axes.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

import matplotlib.pyplot as plt
from matplotlib.artist import Artist
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from bench.figures.labels import place_labels
from bench.figures.rows import (
    FAMILIES,
    UPPER_BOUND_PROTOCOLS,
    accuracy_groups,
    batch_of,
    dataset_name,
    device_label,
    family_of,
    is_classical,
    is_ok,
    num,
    pareto_front,
    parse_wxh,
    profile_note,
    select_size,
    size_label,
    size_of,
    table_rows,
)
from bench.figures.style import (
    HIGHLIGHT,
    LegendGroup,
    add_notes,
    bold_labels,
    family_color,
    family_marker,
    family_title,
    figure_style,
    grouped_legend,
    lay_out,
    legend_columns,
    plain_log_axis,
    system_colors,
    system_handle,
    systems_by_family,
    unique_labels,
    wrap,
)

LABEL_ALL_AT_MOST = 16  # points in one axes that are all labelled; beyond, a legend of systems


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
    family: str = "heavy"  # one of FAMILIES (``family_of`` the accuracy row)

    @property
    def oracle(self) -> bool:
        """An upper bound (``oracle`` or ``oracle-assisted``): hollow, never on a front."""
        return self.protocol in UPPER_BOUND_PROTOCOLS


@dataclass
class LatencyPlan:
    dataset: str
    split: str | None
    size: tuple[int, int]
    points: list[Point]
    front: list[int]  # indices into points (upper bounds excluded), over all systems
    not_measured: list[str]
    profile_note: str
    accuracy_rows: list[dict] = field(default_factory=list)
    size_note: str | None = None  # when accuracy and latency were measured at different sizes
    # each family present (FAMILIES order): its own front, indices into points
    fronts: dict[str, list[int]] = field(default_factory=dict)

    def family_indices(self, family: str) -> list[int]:
        return [k for k, p in enumerate(self.points) if p.family == family]


THINGS_ONLY = "things-only"  # bench.instance's protocol: mIoU over the thing classes only


def front_of(points: list[Point], indices: list[int]) -> list[int]:
    """The Pareto front (lower latency, higher mIoU) of ``points[k]`` for k in ``indices``,
    upper bounds left out; indices into ``points``, in increasing latency."""
    eligible = [k for k in indices if not points[k].oracle]
    return [
        eligible[k]
        for k in pareto_front([(points[k].latency_ms, points[k].miou) for k in eligible])
    ]


def _latency_rows(data: Mapping) -> list[dict]:
    """Efficiency rows usable for latency: status ok, batch 1, eager, a median latency, a size."""
    return [
        r
        for r in table_rows(data, "efficiency")
        if is_ok(r)
        and num(r.get("latency_ms_median")) is not None
        and size_of(r)
        and batch_of(r) == 1
        and r.get("mode", "eager") in ("eager", None)
    ]


def _pick_latency(rows: list[dict], run: str | None) -> dict:
    """One row of several candidates: the accuracy row's own run first, then fp32, then first."""
    same = [r for r in rows if run is not None and r.get("run") == run]
    rows = same or rows
    fp32 = [r for r in rows if r.get("precision") == "fp32"]
    return (fp32 or rows)[0]


def _params_of(data: Mapping, system: str) -> float | None:
    values = [
        v
        for r in table_rows(data, "efficiency")
        if r.get("system") == system and (v := num(r.get("params"))) is not None
    ]
    return values[0] if values else None


def accuracy_latency_plan(data: Mapping, dataset: str | None = None) -> LatencyPlan | None:
    """What ``accuracy_vs_latency`` draws for one dataset (default: the one with the most accuracy
    rows): the input size, the points, the Pareto front and what was not measured. None when no
    system has both an accuracy and a latency."""
    groups = accuracy_groups(data)
    if not groups:
        return None
    if dataset is None:
        dataset = max(groups, key=lambda d: len(groups[d]))
    acc = groups.get(dataset)
    if not acc:
        return None
    # one accuracy row per (system, protocol, profile, run); the first wins
    seen: set[tuple] = set()
    first_rows = []
    for r in acc:
        k = (r["system"], r.get("protocol"), r.get("profile"), r.get("run"))
        if k not in seen:
            seen.add(k)
            first_rows.append(r)
    acc = first_rows
    systems = list(dict.fromkeys(r["system"] for r in acc))
    lat = [r for r in _latency_rows(data) if r.get("system") in systems]
    coverage: dict[tuple[int, int], set] = {}
    for r in lat:
        wh = size_of(r)
        assert wh is not None, "_latency_rows keeps only rows with a size"
        coverage.setdefault(wh, set()).add(r["system"])
    # Latency at the size the accuracy was measured at (CamVid: 480x360) when it was timed there;
    # otherwise the best-covered size, and the figure says which sizes it pairs.
    seen_sizes = {z for r in acc if (z := parse_wxh(r.get("inference_size")))}
    size: tuple[int, int] | None
    if len(seen_sizes) == 1 and next(iter(seen_sizes)) in coverage:
        size = next(iter(seen_sizes))
    else:
        size = select_size({s: len(v) for s, v in coverage.items()})
    if size is None:
        return None
    mismatch = sorted(z for z in seen_sizes if z != size)

    candidates = []  # (accuracy row, latency row)
    for a in acc:
        at_size = [r for r in lat if r["system"] == a["system"] and size_of(r) == size]
        for device in dict.fromkeys(r.get("device") for r in at_size):
            candidates.append(
                (a, _pick_latency([r for r in at_size if r.get("device") == device], a.get("run")))
            )
    if not candidates:
        return None
    devices = {e.get("device") for _, e in candidates}
    profiles = {a.get("profile") for a, _ in candidates if not is_classical(a)}

    def base(c):
        a, _ = c
        return (
            f"{a['system']} ({a['protocol']})"
            if (is_classical(a) or a.get("protocol") == THINGS_ONLY) and a.get("protocol")
            else str(a["system"])
        )

    extras = [
        lambda c: c[0].get("profile") if len(profiles) > 1 and not is_classical(c[0]) else None,
        lambda c: device_label(c[1].get("device")) if len(devices) > 1 else None,
        lambda c: c[0].get("run"),
        lambda c: c[1].get("precision"),
    ]
    labels = unique_labels(candidates, base, extras)
    points = []
    for label, (a, e) in zip(labels, candidates):
        params = num(e.get("params"))
        if params is None:
            params = _params_of(data, a["system"])
        points.append(
            Point(
                label=label,
                system=a["system"],
                classical=is_classical(a),
                protocol=a.get("protocol"),
                profile=a.get("profile"),
                device=e.get("device"),
                device_name=e.get("device_name"),
                precision=e.get("precision"),
                latency_ms=float(e["latency_ms_median"]),
                p10=num(e.get("latency_ms_p10")),
                p90=num(e.get("latency_ms_p90")),
                miou=float(a["miou"]),
                params=params,
                family=family_of(a),
            )
        )
    # a things-only score (an instance model's) is another metric: on its family's front only
    front = front_of(points, [k for k, p in enumerate(points) if p.protocol != THINGS_ONLY])
    fronts = {
        f: front_of(points, [k for k, p in enumerate(points) if p.family == f])
        for f in FAMILIES
        if any(p.family == f for p in points)
    }

    not_measured = []
    plotted = {p.system for p in points}
    all_sizes: dict[str, list] = {}
    for r in lat:
        all_sizes.setdefault(r["system"], []).append(size_of(r))
    for s in systems:
        if s not in plotted:
            other = sorted(set(all_sizes.get(s, [])), key=lambda z: (z[0] * z[1], z[0]))
            where = f"; measured at {', '.join(map(size_label, other))}" if other else ""
            not_measured.append(f"{s} (no latency at {size_label(size)}{where})")
    no_acc = list(
        dict.fromkeys(
            r["system"]
            for r in _latency_rows(data)
            if size_of(r) == size and r.get("system") not in systems
        )
    )
    if no_acc:
        not_measured.append(
            f"{', '.join(no_acc)} (latency at {size_label(size)}, "
            f"no accuracy on {dataset_name(dataset)})"
        )
    size_note = (
        f"Sizes differ: accuracy measured with {', '.join(map(size_label, mismatch))} "
        f"input, latency timed at {size_label(size)}"
        if mismatch
        else None
    )
    return LatencyPlan(
        dataset=dataset,
        split=acc[0].get("split"),
        size=size,
        points=points,
        front=front,
        not_measured=not_measured,
        profile_note=profile_note(acc),
        accuracy_rows=acc,
        size_note=size_note,
        fronts=fronts,
    )


def _marker_area(params: float | None) -> float:
    """Marker area (pt^2) by parameter count, log scale; 0 (classical) gets the smallest."""
    if not params or params <= 0:
        return 28.0
    return 28.0 + 75.0 * max(0.0, math.log10(params) - 4.0)


def _fmt_params(p: float) -> str:
    return f"{p / 1e6:g} M"


def point_color(colors: Mapping[str, tuple], p: Point) -> tuple:
    return colors.get(p.system) or family_color(p.family)


def y_limits(points: list[Point]) -> tuple[float, float]:
    ymax = max(100 * p.miou for p in points)
    return 0.0, min(100.0, ymax * 1.15 + 5)


def draw_points(
    ax,
    points: list[Point],
    front: list[int],
    colors: Mapping[str, tuple],
    *,
    label_all: bool,
    ylim: tuple[float, float],
) -> tuple[list, list[tuple[float, float, float]], list[tuple[float, float, float, float]]]:
    """Scatter ``points`` (marker by family, area by parameters, upper bounds hollow, ENet edged
    in black), the ``front`` (indices into points) as dashed steps, on a log latency axis; label
    every point when ``label_all``, else the front's points and ENet. Returns the labels, the
    markers (the labelled points' first, in the labels' order) and the front's segments, for
    ``place_labels``."""
    for p in points:
        color = point_color(colors, p)
        highlight = p.system == HIGHLIGHT and not p.oracle
        ax.scatter(
            [p.latency_ms],
            [100 * p.miou],
            s=_marker_area(p.params),
            marker=family_marker(p.family),
            facecolors="none" if p.oracle else [color],
            edgecolors=["black" if highlight else color],
            linewidths=1.6 if p.oracle or highlight else 0.8,
            zorder=5 if highlight else 4,
        )
    segments = []
    if front:
        fx = [points[k].latency_ms for k in front]
        fy = [100 * points[k].miou for k in front]
        ax.step(fx, fy, where="post", color="#555555", linestyle="--", linewidth=1.2, zorder=3)
        steps = list(zip(fx, fy))
        for (x0, y0), (x1, y1) in zip(steps, steps[1:]):
            segments += [(x0, y0, x1, y0), (x1, y0, x1, y1)]
    ax.set_xscale("log")
    xs = [p.latency_ms for p in points]
    ax.set_xlim(min(xs) / 2.0, max(xs) * 2.5)
    ax.set_ylim(*ylim)
    plain_log_axis(ax.xaxis, *ax.get_xlim())
    shown = [
        k
        for k, p in enumerate(points)
        if label_all or k in front or (p.system == HIGHLIGHT and not p.oracle)
    ]
    annotations = [
        ax.annotate(
            points[k].label,
            (points[k].latency_ms, 100 * points[k].miou),
            xytext=(5, 4),
            textcoords="offset points",
            ha="left",
            va="bottom",
            fontsize=plt.rcParams["font.size"] * 0.9,
            fontweight="bold" if points[k].system == HIGHLIGHT else "normal",
            zorder=6,
        )
        for k in shown
    ]
    order = shown + [k for k in range(len(points)) if k not in shown]
    markers = [
        (points[k].latency_ms, 100 * points[k].miou, _marker_area(points[k].params)) for k in order
    ]
    return annotations, markers, segments


def _marker(marker: str = "o", size: float | None = None, hollow: bool = False) -> Line2D:
    return Line2D(
        [],
        [],
        linestyle="none",
        marker=marker,
        color="#888888" if size else "#666666",
        markersize=size,
        markerfacecolor="none" if hollow else None,
        markeredgewidth=1.6 if hollow else None,
    )


def param_entries(points: list[Point]) -> list[tuple[Artist, str]]:
    """Legend entries of the marker areas (parameters), a few decades."""
    entries: list[tuple[Artist, str]] = []
    if any(p.classical for p in points) or any(not p.params for p in points):
        label = "0 (classical)" if any(p.classical for p in points) else "not measured"
        entries.append((_marker(size=math.sqrt(_marker_area(0))), label))
    params = [p.params for p in points if p.params]
    if params:
        lo, hi = math.floor(math.log10(min(params))), math.ceil(math.log10(max(params)))
        steps = list(range(lo, hi + 1))
        if len(steps) > 4:
            steps = steps[:: math.ceil(len(steps) / 4)]
        for e in steps:
            entries.append((_marker(size=math.sqrt(_marker_area(10.0**e))), _fmt_params(10.0**e)))
    return entries


def mark_entries(points: list[Point], front_drawn: bool) -> list[tuple[Artist, str]]:
    """Legend entries of what the marks mean: the front, filled and hollow markers."""
    entries: list[tuple[Artist, str]] = []
    if front_drawn:
        entries.append(
            (
                Line2D([], [], color="#555555", linestyle="--"),
                "Pareto front (lower\nlatency, higher mIoU)",
            )
        )
    if any(not p.oracle for p in points):
        entries.append((_marker(), "filled: trained (deep)\nor learned (classical)"))
    bounds = [b for b in UPPER_BOUND_PROTOCOLS if any(p.protocol == b for p in points)]
    if bounds:
        entries.append(
            (
                _marker(hollow=True),
                f"hollow: classical {' or '.join(bounds)},\nan upper bound (uses test\n"
                "labels); not on the front",
            )
        )
    return entries


def family_entries(points: list[Point]) -> list[tuple[Artist, str]]:
    """One entry per family present: its marker in its middle shade."""
    present = [f for f in FAMILIES if any(p.family == f for p in points)]
    return [
        (
            Line2D([], [], linestyle="none", marker=family_marker(f), color=family_color(f)),
            family_title(f),
        )
        for f in present
    ]


def system_groups(points: list[Point], colors: Mapping[str, tuple]) -> list[LegendGroup]:
    """One legend group per family: a heading, then each system in its colour and marker."""
    families: dict[str, str] = {}
    for p in points:
        families.setdefault(p.system, p.family)
    return [
        (
            family_title(f, len(names), short=True),
            [(system_handle(f, colors.get(n, family_color(f)), n), n) for n in names],
        )
        for f, names in systems_by_family(families).items()
    ]


def plan_notes(plan: LatencyPlan, all_labelled: bool) -> list[str]:
    notes = []
    if plan.size_note:
        notes.append(plan.size_note + ".")
    if plan.profile_note:
        notes.append(plan.profile_note + ".")
    if not all_labelled:
        notes.append(
            "Labelled: the points on a Pareto front and ENet; the legend gives every "
            "system's colour (one shade per system, one hue and marker per family)."
        )
    if plan.not_measured:
        notes.append("not measured: " + "; ".join(plan.not_measured) + ".")
    return notes


def setting_text(plan: LatencyPlan) -> str:
    """'CPU (Test CPU), 480x360 input, batch 1, eager, fp32 (classical: uint8)'."""
    points = plan.points
    precisions = list(dict.fromkeys(p.precision for p in points if p.precision))
    deep_prec = list(dict.fromkeys(p.precision for p in points if p.precision and not p.classical))
    cl_prec = list(dict.fromkeys(p.precision for p in points if p.precision and p.classical))
    if deep_prec and cl_prec and deep_prec != cl_prec:
        prec = f"{'/'.join(deep_prec)} (classical: {'/'.join(cl_prec)})"
    else:
        prec = "/".join(precisions) or "precision not recorded"
    devices = list(dict.fromkeys(p.device for p in points))
    dev = ", ".join(
        device_label(d, (p.device_name for p in points if p.device == d)) for d in devices
    )
    return f"{dev}, {size_label(plan.size)} input, batch 1, eager, {prec}"


SIDE_LEGEND_STYLE = {"labelspacing": 0.7, "handletextpad": 0.8}


def side_legend(groups: list[LegendGroup]) -> tuple[list, list[str], set[str]]:
    """Handles and labels of a one-column legend, each group under its heading (in bold), a
    blank line between groups."""
    blank = Line2D([], [], linestyle="none")
    handles: list = []
    labels: list[str] = []
    for heading, entries in groups:
        if not entries:
            continue
        if handles:
            handles.append(blank)
            labels.append("")
        handles += [blank] + [h for h, _ in entries]
        labels += [heading] + [lab for _, lab in entries]
    return handles, labels, {h for h, _ in groups if h}


def accuracy_vs_latency_figure(
    data: Mapping, dataset: str | None = None, plan: LatencyPlan | None = None
) -> Figure | None:
    """Test mIoU (%) against median latency (ms, log) at one input size, the Pareto front over
    all systems (upper bounds left out). None: nothing to plot."""
    plan = plan or accuracy_latency_plan(data, dataset)
    if plan is None or not plan.points:
        return None
    colors = system_colors(data)
    label_all = len(plan.points) <= LABEL_ALL_AT_MOST
    with figure_style():
        fig, ax = plt.subplots(figsize=(7.6, 4.8) if label_all else (10.0, 5.6))
        annotations, markers, segments = draw_points(
            ax, plan.points, plan.front, colors, label_all=label_all, ylim=y_limits(plan.points)
        )
        ax.set_xlabel(
            f"median latency per image (ms, log scale) at {size_label(plan.size)}, batch 1"
        )
        ax.set_ylabel(f"mIoU on {dataset_name(plan.dataset)} {plan.split or ''} (%)")
        fig.suptitle(
            f"Accuracy vs latency — {dataset_name(plan.dataset)} {plan.split or ''} split".replace(
                "  ", " "
            ),
            fontweight="bold",
        )
        size = plt.rcParams["font.size"] * 0.95
        ax.set_title(wrap(setting_text(plan), fig, size, 0.6), fontsize=size)

        # what the marks mean, right of the axes; with labels for some points only, every
        # system by family under the axes, in columns
        handles, labels, bold = side_legend(
            [
                ("parameters", param_entries(plan.points)),
                ("marks", mark_entries(plan.points, len(plan.front) > 1)),
                ("families", family_entries(plan.points)),
            ]
        )
        n_lines = sum(lab.count("\n") + 1 for lab in labels) + 0.5 * len(labels)
        fig.set_figheight(max(fig.get_figheight(), 1.6 + 0.2 * n_lines))
        leg = ax.legend(
            handles,
            labels,
            loc="upper left",
            bbox_to_anchor=(1.02, 1.0),
            borderaxespad=0.0,
            fontsize=plt.rcParams["legend.fontsize"] * 0.95,
            **SIDE_LEGEND_STYLE,
        )
        bold_labels(leg, bold)
        legend: dict | None = None
        if not label_all:
            groups = system_groups(plan.points, colors)
            names = [h for h, _ in groups] + [lab for _, e in groups for _, lab in e]
            legend, more_bold = grouped_legend(groups, legend_columns(fig, names))
            bold |= more_bold
        lay_out(fig, legend, bold)
        place_labels(fig, ax, annotations, markers, segments)
        return add_notes(fig, plan_notes(plan, label_all))
