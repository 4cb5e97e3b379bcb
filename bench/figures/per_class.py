"""Figure ``per_class_iou``: per-class IoU heatmap, one figure per dataset as for
accuracy_vs_latency, rows grouped by family; ``per_class_matrix`` is the selection behind it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
import seaborn as sns
from matplotlib.figure import Figure

from bench.figures.rows import (
    accuracy_groups,
    by_family,
    clean_row,
    dataset_name,
    is_classical,
    num,
    profile_note,
)
from bench.figures.style import NOT_MEASURED_COLOR, figure_style, finish, unique_labels, wrap


def per_class_matrix(rows: Sequence[Mapping]) -> tuple[list[str], list[str], np.ndarray]:
    """(row labels, classes, IoU in %) from accuracy rows of one dataset: classes in the order of
    the per_class_iou dicts; a class a row lacks (or holds as null) is NaN, never 0."""
    scored = [
        clean_row(r)
        for r in rows
        if isinstance(r.get("per_class_iou"), dict) and r["per_class_iou"]
    ]
    classes = list(dict.fromkeys(c for r in scored for c in r["per_class_iou"]))
    profiles = {r.get("profile") for r in scored if not is_classical(r)}

    def base(r):
        if is_classical(r) and r.get("protocol"):
            return f"{r['system']} ({r['protocol']})"
        return str(r.get("system"))

    labels = unique_labels(
        scored,
        base,
        [
            lambda r: r.get("profile") if len(profiles) > 1 and not is_classical(r) else None,
            lambda r: r.get("device"),
            lambda r: r.get("run"),
            lambda r: r.get("split"),
        ],
    )
    matrix = np.full((len(scored), len(classes)), np.nan)
    for i, r in enumerate(scored):
        for j, c in enumerate(classes):
            v = num(r["per_class_iou"].get(c))
            if v is not None:
                matrix[i, j] = 100.0 * v
    return labels, classes, matrix


def per_class_iou_figure(data: Mapping, dataset: str | None = None) -> Figure | None:
    """Heatmap of per-class IoU (%) for one dataset (default: the one with the most rows)."""
    groups = accuracy_groups(data)
    groups = {
        d: [r for r in rs if isinstance(r.get("per_class_iou"), dict) and r["per_class_iou"]]
        for d, rs in groups.items()
    }
    groups = {d: rs for d, rs in groups.items() if rs}
    if not groups:
        return None
    dataset = dataset if dataset is not None else max(groups, key=lambda d: len(groups[d]))
    rows = groups.get(dataset)
    if not rows:
        return None
    labels, classes, matrix = per_class_matrix(by_family(rows))
    mask = np.isnan(matrix)
    with figure_style():
        fig, ax = plt.subplots(
            figsize=(max(6.0, 1.9 + 0.62 * len(classes)), max(2.6, 1.5 + 0.42 * len(labels)))
        )
        ax.set_facecolor(NOT_MEASURED_COLOR)
        sns.heatmap(
            matrix,
            ax=ax,
            mask=mask,
            annot=True,
            fmt=".1f",
            vmin=0,
            vmax=100,
            cmap="viridis",
            linewidths=0.5,
            linecolor="white",
            xticklabels=classes,
            yticklabels=labels,
            annot_kws={"fontsize": plt.rcParams["font.size"] * 0.8},
            cbar_kws={"label": "IoU (%)", "pad": 0.02},
        )
        for i, j in zip(*np.nonzero(mask)):
            ax.text(
                j + 0.5,
                i + 0.5,
                "n/m",
                ha="center",
                va="center",
                color="#555555",
                fontsize=plt.rcParams["font.size"] * 0.8,
                fontstyle="italic",
            )
        ax.set_xticklabels(ax.get_xticklabels(), rotation=35, ha="right", rotation_mode="anchor")
        ax.set_yticklabels(ax.get_yticklabels(), rotation=0)
        ax.set_xlabel("class")
        ax.set_ylabel("system")
        split = rows[0].get("split")
        fig.suptitle(
            f"Per-class IoU (%) — {dataset_name(dataset)} {split or ''} split".replace("  ", " "),
            fontweight="bold",
        )
        note = profile_note(rows)
        if note:
            size = plt.rcParams["font.size"] * 0.9
            ax.set_title(wrap(note, fig, size, 0.7), fontsize=size)
        notes = []
        if any(r.get("protocol") == "oracle" for r in rows):
            notes.append(
                "oracle: each region gets its majority ground-truth class (an upper "
                "bound that uses the test labels)."
            )
        if any(r.get("protocol") == "oracle-assisted" for r in rows):
            notes.append(
                "oracle-assisted: an interactive method given seeds derived from the ground "
                "truth (an upper bound too)."
            )
        if mask.any():
            notes.append("n/m: not measured (grey).")
        notes = [n if n.endswith(".") else n + "." for n in notes if n]
        return finish(fig, notes)
