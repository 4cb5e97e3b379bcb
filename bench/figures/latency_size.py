"""Figure ``latency_vs_size``: median latency (p10-p90 bars) against input size, a line per
system, coloured by family (``style.system_colors``). Up to ``RIGHT_LEGEND_AT_MOST`` systems the
legend stands right of the axes; with more, under them in columns, a column group per family."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping

import matplotlib.pyplot as plt
from matplotlib.artist import Artist
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.typing import LineStyleType

from bench.figures.rows import batch_of, device_label, is_ok, num, size_label, size_of, table_rows
from bench.figures.style import (
    HIGHLIGHT,
    LegendGroup,
    bold_labels,
    family_title,
    figure_style,
    finish,
    grouped_legend,
    legend_columns,
    plain_log_axis,
    system_colors,
    system_families,
    system_handle,
    systems_by_family,
    wrap,
)

RIGHT_LEGEND_AT_MOST = 12  # systems listed in one column right of the axes


def latency_vs_size_figure(data: Mapping) -> Figure | None:
    """Median latency (ms, log; p10-p90 error bars) against input size, a line per system.
    Batch 1 eager rows when there are some, else the most common batch and mode."""
    rows = [
        r
        for r in table_rows(data, "efficiency")
        if is_ok(r)
        and num(r.get("latency_ms_median")) is not None
        and size_of(r)
        and r.get("system")
    ]
    if not rows:
        return None
    combos = Counter((batch_of(r), r.get("mode") or "eager") for r in rows)
    combo = (1.0, "eager") if (1.0, "eager") in combos else combos.most_common(1)[0][0]
    rows = [r for r in rows if (batch_of(r), r.get("mode") or "eager") == combo]
    several_prec = any(
        len({r.get("precision") for r in rows if r["system"] == s}) > 1
        for s in {r["system"] for r in rows}
    )
    has_runs = len({r.get("run") for r in rows}) > 1

    def style_key(r):
        return (
            r.get("device"),
            r.get("precision") if several_prec else None,
            r.get("run") if has_runs else None,
        )

    series: dict[tuple, dict[tuple[int, int], dict]] = {}
    for r in rows:  # the first row of a (series, size) wins
        wh = size_of(r)
        assert wh is not None, "rows without a size were left out above"
        series.setdefault((r["system"], style_key(r)), {}).setdefault(wh, r)
    sizes = sorted({s for pts in series.values() for s in pts}, key=lambda z: (z[0] * z[1], z[0]))
    xpos = {s: i for i, s in enumerate(sizes)}
    styles = list(dict.fromkeys(k for _, k in series))
    markers = ["o", "s", "^", "D", "v", "P", "X"]
    lines: list[LineStyleType] = ["-", "--", ":", "-."]
    colors = system_colors(data)
    systems = list(dict.fromkeys(s for s, _ in series))
    device_names: dict = {}
    for r in rows:
        device_names.setdefault(r.get("device"), set()).add(r.get("device_name"))
    with figure_style():
        fig, ax = plt.subplots(figsize=(7.6, 4.6))
        n = len(series)
        for k, ((system, skey), pts) in enumerate(series.items()):
            si = styles.index(skey)
            order = sorted(pts, key=lambda z: xpos[z])
            dodge = (k - (n - 1) / 2) * min(0.05, 0.3 / max(1, n))
            xs = [xpos[s] + dodge for s in order]
            ys = [float(pts[s]["latency_ms_median"]) for s in order]
            lo = [
                y - p if (p := num(pts[s].get("latency_ms_p10"))) is not None and p <= y else 0.0
                for s, y in zip(order, ys)
            ]
            hi = [
                p - y if (p := num(pts[s].get("latency_ms_p90"))) is not None and p >= y else 0.0
                for s, y in zip(order, ys)
            ]
            ax.errorbar(
                xs,
                ys,
                yerr=[lo, hi],
                color=colors.get(system, "C0"),
                marker=markers[si % len(markers)],
                linestyle=lines[si % len(lines)],
                markersize=5,
                capsize=3,
                linewidth=2.6 if system == HIGHLIGHT else 1.4,
                elinewidth=1.0,
                zorder=3 if system == HIGHLIGHT else 2,
            )
        ax.set_yscale("log")
        plain_log_axis(ax.yaxis, *ax.get_ylim())
        ax.set_xticks(
            range(len(sizes)), [f"{size_label(s)}\n{s[0] * s[1] / 1e6:.2f} MP" for s in sizes]
        )
        ax.set_xlim(-0.5, len(sizes) - 0.5)
        ax.set_xlabel("input size (W x H pixels, ordered by area)")
        ax.set_ylabel("median latency per image (ms, log scale)")
        batch, mode = combo
        fig.suptitle("Latency vs input size", fontweight="bold")
        devs = ", ".join(device_label(d, device_names.get(d, ())) for d in device_names)
        batch_text = f"batch {batch:g}" if batch is not None else "batch not recorded"
        size = plt.rcParams["font.size"] * 0.95
        ax.set_title(
            wrap(f"{devs}; {batch_text}, {mode}; error bars: p10–p90", fig, size, 0.6),
            fontsize=size,
        )
        families = system_families(data)
        by_family = systems_by_family({s: families.get(s, "heavy") for s in systems})
        style_title = (
            "device" + (", precision" if several_prec else "") + (", run" if has_runs else "")
        )
        style_entries: list[tuple[Artist, str]] = (
            [
                (
                    Line2D(
                        [],
                        [],
                        color="#555555",
                        marker=markers[si % len(markers)],
                        linestyle=lines[si % len(lines)],
                    ),
                    ", ".join(x for x in (device_label(device), prec, run) if x),
                )
                for si, (device, prec, run) in enumerate(styles)
            ]
            if len(styles) > 1
            else []
        )
        legend: dict | None = None
        bold: set[str] = set()
        if len(systems) <= RIGHT_LEGEND_AT_MOST:
            blank = Line2D([], [], linestyle="none")
            handles: list[Artist] = [blank]
            handles += [
                system_handle(f, colors.get(s, "C0"), s, line=True)
                for f, names in by_family.items()
                for s in names
            ]
            labels = ["system"] + [s for names in by_family.values() for s in names]
            if style_entries:
                handles += [blank, blank] + [h for h, _ in style_entries]
                labels += ["", style_title] + [lab for _, lab in style_entries]
            leg = ax.legend(
                handles, labels, loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0.0
            )
            bold_labels(leg, {"system", style_title, HIGHLIGHT})
        else:
            fig.set_figwidth(10.0)
            groups: list[LegendGroup] = [
                (
                    family_title(f, len(names), short=True),
                    [(system_handle(f, colors.get(s, "C0"), s, line=True), s) for s in names],
                )
                for f, names in by_family.items()
            ]
            groups.append((style_title, style_entries))
            labels = [h for h, _ in groups] + [lab for _, e in groups for _, lab in e]
            legend, bold = grouped_legend(groups, legend_columns(fig, labels))
        precs = sorted({str(r.get("precision")) for r in rows if r.get("precision")})
        notes = [
            f"precision: {', '.join(precs)}"
            + (" (classical methods run on uint8 images)" if "uint8" in precs else "")
            + "."
        ]
        return finish(fig, notes, legend, bold)
