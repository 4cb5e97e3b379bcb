"""Figure ``accuracy_vs_latency``: test mIoU against median latency at one input size.

Marker area by parameter count, the Pareto front dashed; classical ``oracle`` points are hollow
(upper bounds) and off the front. One figure per dataset (``accuracy_vs_latency_<dataset>`` when
the accuracy rows cover several). ``accuracy_latency_plan`` is the selection behind it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

import matplotlib.pyplot as plt
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from bench.figures.labels import place_labels
from bench.figures.rows import (
    accuracy_groups,
    batch_of,
    dataset_name,
    device_label,
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
    figure_style,
    finish,
    plain_log_axis,
    system_colors,
    unique_labels,
    wrap,
)

_DEVICE_MARKERS = {"cpu": "o", "cuda": "s"}


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
            if is_classical(a) and a.get("protocol")
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
            )
        )
    eligible = [k for k, p in enumerate(points) if not p.oracle]
    front = [
        eligible[k]
        for k in pareto_front([(points[k].latency_ms, points[k].miou) for k in eligible])
    ]

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
    )


def _marker_area(params: float | None) -> float:
    """Marker area (pt^2) by parameter count, log scale; 0 (classical) gets the smallest."""
    if not params or params <= 0:
        return 28.0
    return 28.0 + 75.0 * max(0.0, math.log10(params) - 4.0)


def _fmt_params(p: float) -> str:
    return f"{p / 1e6:g} M"


def accuracy_vs_latency_figure(
    data: Mapping, dataset: str | None = None, plan: LatencyPlan | None = None
) -> Figure | None:
    """Test mIoU (%) against median latency (ms, log) at one input size. None: nothing to plot."""
    plan = plan or accuracy_latency_plan(data, dataset)
    if plan is None or not plan.points:
        return None
    colors = system_colors(data)
    with figure_style():
        fig, ax = plt.subplots(figsize=(7.6, 4.8))
        for p in plan.points:
            color = colors.get(p.system, "C0")
            marker = _DEVICE_MARKERS.get(p.device or "", "^")
            ax.scatter(
                [p.latency_ms],
                [100 * p.miou],
                s=_marker_area(p.params),
                marker=marker,
                facecolors="none" if p.oracle else [color],
                edgecolors=[color],
                linewidths=1.6 if p.oracle else 0.8,
                zorder=4,
            )
        if plan.front:
            fx = [plan.points[k].latency_ms for k in plan.front]
            fy = [100 * plan.points[k].miou for k in plan.front]
            ax.step(fx, fy, where="post", color="#555555", linestyle="--", linewidth=1.2, zorder=3)
        ax.set_xscale("log")
        xs = [p.latency_ms for p in plan.points]
        ax.set_xlim(min(xs) / 2.0, max(xs) * 2.5)
        ymax = max(100 * p.miou for p in plan.points)
        ax.set_ylim(0, min(100.0, ymax * 1.15 + 5))
        plain_log_axis(ax.xaxis, *ax.get_xlim())
        annotations = [
            ax.annotate(
                p.label,
                (p.latency_ms, 100 * p.miou),
                xytext=(5, 4),
                textcoords="offset points",
                ha="left",
                va="bottom",
                fontsize=plt.rcParams["font.size"] * 0.9,
                zorder=5,
            )
            for p in plan.points
        ]

        precisions = list(dict.fromkeys(p.precision for p in plan.points if p.precision))
        deep_prec = list(
            dict.fromkeys(p.precision for p in plan.points if p.precision and not p.classical)
        )
        cl_prec = list(
            dict.fromkeys(p.precision for p in plan.points if p.precision and p.classical)
        )
        if deep_prec and cl_prec and deep_prec != cl_prec:
            prec = f"{'/'.join(deep_prec)} (classical: {'/'.join(cl_prec)})"
        else:
            prec = "/".join(precisions) or "precision not recorded"
        devices = list(dict.fromkeys(p.device for p in plan.points))
        dev = ", ".join(
            device_label(d, (p.device_name for p in plan.points if p.device == d)) for d in devices
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
        ax.set_title(
            wrap(f"{dev}, {size_label(plan.size)} input, batch 1, eager, {prec}", fig, size, 0.6),
            fontsize=size,
        )

        # legend: parameters (marker area), then what the marks mean
        handles, labels = [], []
        params = [p.params for p in plan.points if p.params]
        if any(p.classical for p in plan.points) or any(not p.params for p in plan.points):
            handles.append(
                Line2D(
                    [],
                    [],
                    linestyle="none",
                    marker="o",
                    color="#888888",
                    markersize=math.sqrt(_marker_area(0)),
                )
            )
            labels.append(
                "0 (classical)" if any(p.classical for p in plan.points) else "not measured"
            )
        if params:
            lo, hi = math.floor(math.log10(min(params))), math.ceil(math.log10(max(params)))
            steps = list(range(lo, hi + 1))
            if len(steps) > 4:
                steps = steps[:: math.ceil(len(steps) / 4)]
            for e in steps:
                handles.append(
                    Line2D(
                        [],
                        [],
                        linestyle="none",
                        marker="o",
                        color="#888888",
                        markersize=math.sqrt(_marker_area(10.0**e)),
                    )
                )
                labels.append(_fmt_params(10.0**e))
        meaning_h, meaning_l = [], []
        if len(plan.front) > 1:
            meaning_h.append(Line2D([], [], color="#555555", linestyle="--"))
            meaning_l.append("Pareto front (lower\nlatency, higher mIoU)")
        if any(not p.oracle for p in plan.points):
            meaning_h.append(Line2D([], [], linestyle="none", marker="o", color="#666666"))
            meaning_l.append("filled: trained (deep)\nor learned (classical)")
        if any(p.oracle for p in plan.points):
            meaning_h.append(
                Line2D(
                    [],
                    [],
                    linestyle="none",
                    marker="o",
                    markerfacecolor="none",
                    markeredgecolor="#666666",
                    markeredgewidth=1.6,
                )
            )
            meaning_l.append(
                "hollow: classical oracle,\nan upper bound (uses test\nlabels); not on the front"
            )
        if len(devices) > 1:
            for d in devices:
                meaning_h.append(
                    Line2D(
                        [],
                        [],
                        linestyle="none",
                        color="#666666",
                        marker=_DEVICE_MARKERS.get(d or "", "^"),
                    )
                )
                meaning_l.append(device_label(d))
        blank = Line2D([], [], linestyle="none")
        all_h = [blank] + handles + [blank, blank] + meaning_h
        all_l = ["parameters"] + labels + ["", "marks"] + meaning_l
        n_lines = sum(lab.count("\n") + 1 for lab in all_l) + 0.5 * len(all_l)
        fig.set_figheight(max(4.8, 1.6 + 0.2 * n_lines))
        leg = ax.legend(
            all_h,
            all_l,
            loc="upper left",
            bbox_to_anchor=(1.02, 1.0),
            borderaxespad=0.0,
            fontsize=plt.rcParams["legend.fontsize"] * 0.95,
            labelspacing=0.7,
            handletextpad=0.8,
        )
        for text, lab in zip(leg.get_texts(), all_l):
            if lab in ("parameters", "marks"):
                text.set_fontweight("bold")
        fig.tight_layout()
        segments = []
        if plan.front:
            for (x0, y0), (x1, y1) in zip(zip(fx, fy), list(zip(fx, fy))[1:]):
                segments += [(x0, y0, x1, y0), (x1, y0, x1, y1)]
        place_labels(
            fig,
            ax,
            annotations,
            [(p.latency_ms, 100 * p.miou, _marker_area(p.params)) for p in plan.points],
            segments,
        )
        notes = []
        if plan.size_note:
            notes.append(plan.size_note + ".")
        if plan.profile_note:
            notes.append(plan.profile_note + ".")
        if plan.not_measured:
            notes.append("not measured: " + "; ".join(plan.not_measured) + ".")
        return finish(fig, notes)
