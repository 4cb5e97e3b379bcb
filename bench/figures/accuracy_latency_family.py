"""Figure ``accuracy_vs_latency_by_family``: accuracy vs latency, one panel per family.

The points of ``accuracy_latency_plan`` (one dataset, one input size), a panel for each family
present (real-time, heavy, instance, classical, in that order) with the family's own Pareto
front (``LatencyPlan.fronts``; ``oracle`` and ``oracle-assisted`` points hollow and never on a
front); panels share the mIoU axis, each has its own latency range. Written beside
``accuracy_vs_latency`` (the front over all systems) when the points span two families or more.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import matplotlib.pyplot as plt
from matplotlib.figure import Figure

from bench.figures.accuracy_latency import (
    LABEL_ALL_AT_MOST,
    SIDE_LEGEND_STYLE,
    LatencyPlan,
    accuracy_latency_plan,
    draw_points,
    mark_entries,
    param_entries,
    plan_notes,
    setting_text,
    side_legend,
    system_groups,
    y_limits,
)
from bench.figures.labels import place_labels
from bench.figures.rows import dataset_name, size_label
from bench.figures.style import (
    add_notes,
    family_title,
    figure_style,
    grouped_legend,
    lay_out,
    legend_columns,
    system_colors,
)

PANEL_SIZE = (5.4, 3.9)  # inches per panel


def accuracy_vs_latency_by_family_figure(
    data: Mapping, dataset: str | None = None, plan: LatencyPlan | None = None
) -> Figure | None:
    """Test mIoU (%) against median latency (ms, log), a panel per family with its own Pareto
    front. None when there is nothing to plot or the points are all of one family (the
    all-systems figure shows them)."""
    plan = plan or accuracy_latency_plan(data, dataset)
    if plan is None or not plan.points or len(plan.fronts) < 2:
        return None
    colors = system_colors(data)
    families = list(plan.fronts)
    ncols = 2
    nrows = math.ceil(len(families) / ncols)
    ylim = y_limits(plan.points)
    with figure_style():
        fig, grid = plt.subplots(
            nrows,
            ncols,
            figsize=(PANEL_SIZE[0] * ncols, 0.9 + PANEL_SIZE[1] * nrows),
            sharey=True,
            squeeze=False,
        )
        axes = [ax for row in grid for ax in row]
        for ax in axes[len(families) :]:
            fig.delaxes(ax)
        panels = []
        all_labelled = True
        for ax, family in zip(axes, families):
            idx = plan.family_indices(family)
            points = [plan.points[k] for k in idx]
            front = [idx.index(k) for k in plan.fronts[family]]
            label_all = len(points) <= LABEL_ALL_AT_MOST
            all_labelled = all_labelled and label_all
            panels.append(
                (ax, *draw_points(ax, points, front, colors, label_all=label_all, ylim=ylim))
            )
            n_systems = len({p.system for p in points})
            ax.set_title(f"{family_title(family, n_systems)}", fontweight="bold")
            ax.set_xlabel("median latency per image (ms, log scale)")
            ax.yaxis.set_tick_params(labelleft=True)
            ax.set_ylabel("mIoU (%)")
        fig.suptitle(
            f"Accuracy vs latency by family — {dataset_name(plan.dataset)} "
            f"{plan.split or ''} split, {size_label(plan.size)}".replace("  ", " "),
            fontweight="bold",
        )
        handles, labels, bold = side_legend(
            [
                (
                    "marks",
                    mark_entries(plan.points, any(len(f) > 1 for f in plan.fronts.values())),
                ),
                ("parameters", param_entries(plan.points)),
            ]
        )
        side = {
            "handles": handles,
            "labels": labels,
            "fontsize": plt.rcParams["legend.fontsize"] * 0.95,
            **SIDE_LEGEND_STYLE,
        }
        legend: dict | None = None
        if not all_labelled:
            groups = system_groups(plan.points, colors)
            names = [h for h, _ in groups] + [lab for _, e in groups for _, lab in e]
            legend, more_bold = grouped_legend(groups, legend_columns(fig, names))
            bold |= more_bold
        lay_out(fig, legend, bold, side)
        for ax, annotations, markers, segments in panels:
            place_labels(fig, ax, annotations, markers, segments)
        setting = (
            f"{setting_text(plan)}. Dashed: each family's Pareto front (lower latency, higher "
            "mIoU), upper bounds left out."
        )
        return add_notes(fig, [setting, *plan_notes(plan, all_labelled)])
