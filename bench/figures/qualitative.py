"""Figure ``qualitative``: image, ground truth and each system's prediction, drawn from the
prediction folders that runs saved (their format is ``bench.predictions``'s)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from bench.figures.rows import accuracy_groups, dataset_name, profile_note
from bench.figures.style import (
    NOT_MEASURED_COLOR,
    axes_bottoms,
    draw_renderer,
    figure_style,
    unique_labels,
    wrap,
)
from bench.predictions import Predictions, colorize, load_predictions, read_png

MAX_QUALITATIVE_IMAGES = 4


def _as_rgb(img: np.ndarray) -> np.ndarray:
    if img.ndim == 2:
        img = np.stack([img] * 3, axis=-1)
    if img.dtype != np.uint8:  # 16-bit PNGs
        img = (img.astype(np.float64) / max(1.0, float(img.max())) * 255).astype(np.uint8)
    return img


def _unit_rgb(color: tuple[int, int, int]) -> tuple[float, float, float]:
    """A 0..255 RGB colour as matplotlib's 0..1 floats."""
    r, g, b = color
    return r / 255, g / 255, b / 255


def qualitative_figure(
    prediction_dirs: Iterable[Path], data: Mapping | None = None
) -> Figure | None:
    """Rows: images (at most 4); columns: image, ground truth, then each system's prediction.
    None when there are no readable predictions."""
    preds = (
        prediction_dirs
        if isinstance(prediction_dirs, Predictions)
        else load_predictions(prediction_dirs)
    )
    if preds is None or not preds.systems:
        return None
    images = preds.images[:MAX_QUALITATIVE_IMAGES]
    systems = preds.systems
    titles = unique_labels(systems, lambda s: s["name"], [lambda s: s.get("run")])
    titles = [
        t + "\n(" + ", ".join(str(x) for x in (s.get("protocol"), s.get("profile")) if x) + ")"
        if s.get("protocol") or s.get("profile")
        else t
        for t, s in zip(titles, systems)
    ]
    first = next((im for im in (read_png(i["image"]) for i in images) if im is not None), None)
    aspect = first.shape[0] / first.shape[1] if first is not None else 0.75
    ncols, nrows = 2 + len(systems), len(images)
    panel_w = 2.2
    with figure_style():
        fig, axes = plt.subplots(
            nrows,
            ncols,
            figsize=(panel_w * ncols + 0.4, panel_w * aspect * nrows + 1.6),
            squeeze=False,
        )
        for i, im in enumerate(images):
            panels = [read_png(im["image"]), read_png(im.get("label"))]
            panels += [read_png(s["dir"] / f"{im['id']}.png") for s in systems]
            for j, (ax, img) in enumerate(zip(axes[i], panels)):
                ax.set_xticks([])
                ax.set_yticks([])
                ax.grid(False)
                for spine in ax.spines.values():
                    spine.set_visible(False)
                if img is None:
                    ax.set_facecolor(NOT_MEASURED_COLOR)
                    ax.text(
                        0.5,
                        0.5,
                        "n/m",
                        transform=ax.transAxes,
                        ha="center",
                        va="center",
                        color="#555555",
                        fontstyle="italic",
                    )
                    ax.set_box_aspect(aspect)
                elif j == 0:
                    ax.imshow(_as_rgb(img))
                else:
                    ax.imshow(colorize(img, preds.palette, preds.void_color))
                if i == 0:
                    ax.set_title(
                        ["image", "ground truth", *titles][j],
                        fontsize=plt.rcParams["font.size"] * 0.95,
                    )
                if j == 0:
                    ax.set_ylabel(im["id"], fontsize=plt.rcParams["font.size"] * 0.8)
        handles = [
            Patch(facecolor=_unit_rgb(c), edgecolor="#888888", label=n)
            for n, c in zip(preds.class_names, preds.palette)
        ]
        handles.append(
            Patch(
                facecolor=_unit_rgb(preds.void_color),
                edgecolor="#888888",
                label="void (ignored)",
            )
        )
        title = f"Qualitative results — {dataset_name(preds.dataset)} {preds.split or ''}"
        fig.suptitle(title.strip() + " split", fontweight="bold")
        fig.tight_layout(rect=(0, 0.0, 1, 1))
        renderer = draw_renderer(fig)
        bottom = min(axes_bottoms(fig, renderer)) / fig.bbox.height
        fig.legend(
            handles=handles,
            loc="upper center",
            bbox_to_anchor=(0.5, bottom - 0.005),
            ncol=min(len(handles), 6),
            fontsize=plt.rcParams["font.size"] * 0.85,
            frameon=False,
            handlelength=1.2,
            columnspacing=1.2,
        )
        rows = accuracy_groups(data or {}).get(preds.dataset or "", [])
        names = {s["name"] for s in systems}
        note = profile_note([r for r in rows if r.get("system") in names])
        if note:
            _finish_note_below_legend(fig, note)
        return fig


def _finish_note_below_legend(fig: Figure, note: str) -> None:
    renderer = draw_renderer(fig)
    bottom = min(
        axes_bottoms(fig, renderer) + [leg.get_window_extent(renderer).y0 for leg in fig.legends]
    )
    size = plt.rcParams["font.size"] * 0.85
    fig.text(
        0.01,
        bottom / fig.bbox.height - 0.01,
        wrap(note + ".", fig, size),
        ha="left",
        va="top",
        fontsize=size,
        color="#444444",
    )
