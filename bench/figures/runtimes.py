"""Figure ``latency_by_runtime``: each system's median latency in each runtime it was measured
in (eager, compile, CUDA graphs, ONNX Runtime, OpenVINO, int8, ...), a bar per runtime, grouped
by system; each bar says its speed-up over the same system's eager row of its precision (in the
default memory format; a channels_last row is a bar of its own) and, where the same checkpoint
was scored in that runtime (in the default memory format), its mIoU drift from eager in points.
A cell
that failed is a cross with the word "failed" (its reason is in the efficiency table).

``runtime_plan(data)`` is the selection behind it: one panel per device, at batch 1 (else the
most common batch) and each device's most covered size; drawn only when some system has more
than one runtime."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field

import matplotlib.pyplot as plt
import seaborn as sns
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from bench.figures.rows import (
    batch_of,
    device_label,
    is_ok,
    num,
    runtime_drift,
    select_size,
    size_label,
    size_of,
    table_rows,
)
from bench.figures.style import figure_style, finish, plain_log_axis, wrap

#: Modes in the order bars are drawn; others follow in order of appearance.
MODE_ORDER = (
    "eager",
    "compile",
    "cudagraphs",
    "compile-cudagraphs",
    "onnxruntime",
    "openvino",
    "int8",
    "tensorrt",
)


@dataclass
class Bar:
    system: str
    variant: str  # "<mode>" or "<precision> <mode>" when a panel has several precisions
    latency_ms: float | None  # None: the cell failed
    speedup: float | None = None  # over the same system's eager row of the same precision
    drift: float | None = None  # mIoU points, the same checkpoint scored in this runtime


@dataclass
class Panel:
    device: str
    device_name: str | None
    size: tuple[int, int]
    batch: float | None
    variants: list[str]
    systems: list[str]
    bars: list[Bar] = field(default_factory=list)


def _mode(row: Mapping) -> str:
    return str(row.get("mode") or "eager")


def _layout(row: Mapping) -> str:
    """' channels_last' for a row run in that memory format, else ''."""
    return " channels_last" if row.get("channels_last") else ""


def _drift_by_runtime(data: Mapping) -> dict[tuple[str, str], float]:
    """(system, runtime) -> mIoU drift in points, from the accuracy rows (first of each)."""
    rows = [r for r in table_rows(data, "accuracy") if is_ok(r)]
    drift = runtime_drift(rows)
    out: dict[tuple[str, str], float] = {}
    for r in rows:
        if id(r) in drift:
            out.setdefault((str(r["system"]), str(r["runtime"])), drift[id(r)])
    return out


def runtime_plan(data: Mapping) -> list[Panel]:
    """The panels of the figure (see the module doc); empty when no system has two runtimes."""
    rows = [
        r
        for r in table_rows(data, "efficiency")
        if r.get("kind") != "classical" and size_of(r) and (not is_ok(r) or _latency(r))
    ]
    modes: dict[tuple, set[str]] = {}
    for r in rows:
        modes.setdefault((r.get("device"), r["system"]), set()).add(_mode(r))
    if not any(len(m) > 1 for m in modes.values()):
        return []
    drifts = _drift_by_runtime(data)
    panels = []
    for device in dict.fromkeys(r.get("device") for r in rows):
        mine = [r for r in rows if r.get("device") == device]
        batches = Counter(batch_of(r) for r in mine)
        batch = 1.0 if 1.0 in batches else batches.most_common(1)[0][0]
        mine = [r for r in mine if batch_of(r) == batch]
        coverage: Counter[tuple[int, int]] = Counter()
        for _system, wh in {(r["system"], size_of(r)) for r in mine}:
            if wh is not None:
                coverage[wh] += 1
        size = select_size(coverage)
        mine = [r for r in mine if size_of(r) == size]
        precisions = list(dict.fromkeys(str(r.get("precision")) for r in mine))

        def variant(r: Mapping, several: bool = len(precisions) > 1) -> str:
            mode = _mode(r) + _layout(r)
            return f"{r.get('precision')} {mode}" if several else mode

        order = {m: i for i, m in enumerate(MODE_ORDER)}
        by_mode = sorted(mine, key=lambda r: (order.get(_mode(r), len(order)), variant(r)))
        variants = list(dict.fromkeys(variant(r) for r in by_mode))
        eager: dict[tuple, float | None] = {}  # the default memory format's eager row first
        for r in sorted(mine, key=lambda r: bool(r.get("channels_last"))):
            if _mode(r) == "eager" and is_ok(r):
                eager.setdefault((r["system"], r.get("precision")), _latency(r))
        cells: dict[tuple[str, str], Bar] = {}
        for r in mine:  # an ok row wins over a failed one of the same cell
            key = (str(r["system"]), variant(r))
            lat = _latency(r) if is_ok(r) else None
            if key in cells and cells[key].latency_ms is not None:
                continue
            base = eager.get((r["system"], r.get("precision")))
            cells[key] = Bar(
                key[0],
                key[1],
                lat,
                speedup=base / lat if lat and base and not _is_baseline(r) else None,
                drift=None if _layout(r) else drifts.get((key[0], _mode(r))),
            )
        names = {r.get("device_name") for r in mine}
        panels.append(
            Panel(
                str(device),
                next(iter(names)) if len(names) == 1 else None,
                size,  # type: ignore[arg-type]
                batch,
                variants,
                list(dict.fromkeys(str(r["system"]) for r in mine)),
                list(cells.values()),
            )
        )
    return panels


def _is_baseline(row: Mapping) -> bool:
    """An eager row in the default memory format: what the other bars are compared with."""
    return _mode(row) == "eager" and not _layout(row)


def _ms(value: float) -> str:
    return f"{value:.0f} ms" if value >= 100 else f"{value:.3g} ms"


def _latency(row: Mapping) -> float | None:
    value = num(row.get("latency_ms_median"))
    return value if value is not None and value > 0 else None


def _label(bar: Bar) -> str:
    assert bar.latency_ms is not None, "failed cells have no label"
    text = _ms(bar.latency_ms)
    if bar.speedup is not None:
        text += f"  {bar.speedup:.2f}x"
    if bar.drift is not None:
        text += f"  mIoU {bar.drift:+.2f} pt"
    return text


def latency_by_runtime_figure(data: Mapping) -> Figure | None:
    """Horizontal bars of median latency (ms, log scale), a group per system, a bar per runtime,
    one panel per device; None when no system was measured in two runtimes."""
    panels = runtime_plan(data)
    if not panels:
        return None
    variants = list(dict.fromkeys(v for p in panels for v in p.variants))
    palette = dict(zip(variants, sns.color_palette("colorblind", len(variants))))
    heights = [len(p.bars) + 0.8 * len(p.systems) for p in panels]
    with figure_style():
        fig, axes = plt.subplots(
            len(panels),
            1,
            figsize=(8.6, 1.6 + 0.17 * sum(heights)),
            gridspec_kw={"height_ratios": heights},
            squeeze=False,
        )
        for ax, panel in zip(axes[:, 0], panels):
            _draw_panel(ax, panel, palette)
        axes[-1, 0].set_xlabel("median latency per image (ms, log scale)")
        handles = [Patch(color=palette[v], label=v) for v in variants]
        legend = {
            "handles": handles,
            "labels": variants,
            "title": "runtime",
            "ncol": min(len(variants), 4),
        }
        notes = [
            "Each bar: median latency; then its speed-up over the same system's eager row of "
            "its precision, and, where the same trained checkpoint was scored in that runtime, "
            "its mIoU drift from eager in points. A cross: the runtime could not take the "
            "system (the reason is in the efficiency table)."
        ]
        return finish(fig, notes, legend, {"runtime"})


def _draw_panel(ax, panel: Panel, palette: Mapping[str, tuple]) -> None:
    """A group of bars per system, only the runtimes it has, in the panel's runtime order."""
    bars = {(b.system, b.variant): b for b in panel.bars}
    finite = [b.latency_ms for b in panel.bars if b.latency_ms is not None]
    lo, hi = (min(finite), max(finite)) if finite else (1.0, 10.0)
    left = lo / 2
    ticks, y = [], 0.0
    for system in panel.systems:
        mine = [bars[(system, v)] for v in panel.variants if (system, v) in bars]
        ticks.append(y + (len(mine) - 1) / 2)
        for bar in mine:
            color = palette[bar.variant]
            if bar.latency_ms is None:
                ax.plot([left * 1.15], [y], marker="x", color=color, markersize=6)
                ax.text(left * 1.3, y, "failed", va="center", fontsize=7, color="#444444")
            else:
                ax.barh(y, bar.latency_ms - left, left=left, height=0.8, color=color)
                ax.text(bar.latency_ms * 1.04, y, _label(bar), va="center", fontsize=7)
            y += 1
        y += 0.8  # between systems
    ax.grid(axis="y", visible=False)
    ax.set_xscale("log")
    ax.set_xlim(left, hi * 12)
    plain_log_axis(ax.xaxis, left, hi * 12)
    ax.set_yticks(ticks, panel.systems)
    ax.set_ylim(y - 0.5, -0.7)
    ax.set_ylabel("system")
    device = device_label(panel.device, [panel.device_name] if panel.device_name else [])
    batch = f"batch {panel.batch:g}" if panel.batch is not None else "batch not recorded"
    size = plt.rcParams["font.size"]
    ax.set_title(
        wrap(f"Latency by runtime: {device}; {size_label(panel.size)}, {batch}", ax.figure, size),
        fontsize=size,
        fontweight="bold",
    )
