"""Writing the figures: which figures a results dict gets (``_builders``), PNG and SVG files
written through ``bench.atomic``, and stale figure files removed."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import matplotlib.pyplot as plt
from matplotlib.figure import Figure

from bench.atomic import atomic_path
from bench.figures.accuracy_latency import accuracy_vs_latency_figure
from bench.figures.accuracy_latency_family import accuracy_vs_latency_by_family_figure
from bench.figures.claims import claims_figure
from bench.figures.latency_size import latency_vs_size_figure
from bench.figures.params_flops import params_flops_figure
from bench.figures.per_class import per_class_iou_figure
from bench.figures.qualitative import qualitative_figure
from bench.figures.rows import accuracy_groups, figure_stem
from bench.figures.runtimes import latency_by_runtime_figure
from bench.figures.style import DPI, figure_style

FIGURE_STEMS = (
    "accuracy_vs_latency",
    "accuracy_vs_latency_by_family",
    "params_flops",
    "latency_vs_size",
    "latency_by_runtime",
    "claims",
    "per_class_iou",
    "qualitative",
)


def _save(fig: Figure, out_dir: Path, stem: str) -> Path:
    """PNG and SVG, each written to a temporary name first and then renamed."""
    for ext in ("png", "svg"):
        with atomic_path(out_dir / f"{stem}.{ext}") as tmp:
            fig.savefig(
                tmp,
                format=ext,
                dpi=DPI,
                bbox_inches="tight",
                pad_inches=0.08,
                metadata={"Date": None} if ext == "svg" else None,
            )
    return out_dir / f"{stem}.png"


def _builders(data: Mapping, prediction_dirs: Sequence[Path]) -> list[tuple[str, Callable]]:
    """(file stem, build) for every figure this results dict can have, in report order: a new
    figure module's ``*_figure`` is listed here (and its stem in ``FIGURE_STEMS``)."""
    acc_sets = list(accuracy_groups(data))
    several = len(acc_sets) > 1
    out: list[tuple[str, Callable]] = []
    for ds in acc_sets:
        out.append(
            (
                figure_stem("accuracy_vs_latency", ds, several),
                lambda ds=ds: accuracy_vs_latency_figure(data, ds),
            )
        )
        out.append(
            (
                figure_stem("accuracy_vs_latency_by_family", ds, several),
                lambda ds=ds: accuracy_vs_latency_by_family_figure(data, ds),
            )
        )
    out.append(("params_flops", lambda: params_flops_figure(data)))
    out.append(("latency_vs_size", lambda: latency_vs_size_figure(data)))
    out.append(("latency_by_runtime", lambda: latency_by_runtime_figure(data)))
    out.append(("claims", lambda: claims_figure(data)))
    for ds in acc_sets:
        out.append(
            (
                figure_stem("per_class_iou", ds, several),
                lambda ds=ds: per_class_iou_figure(data, ds),
            )
        )
    out.append(("qualitative", lambda: qualitative_figure(prediction_dirs, data)))
    return out


def write_figures(data: Mapping, out_dir: Path, prediction_dirs: Sequence[Path] = ()) -> list[Path]:
    """Write every figure there is data for into ``out_dir`` (PNG and SVG); return the PNGs.

    A figure that fails to draw is skipped with a warning so that the rest of the report is
    still written; stale files of these figures left in ``out_dir`` by an earlier
    report (a figure that now has no data) are removed, except a qualitative grid when no
    prediction folder is given (its images may not be kept with the results)."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for stem, build in _builders(data, list(prediction_dirs or ())):
        fig = None
        try:
            with figure_style():
                fig = build()
                if fig is not None:
                    written.append(_save(fig, out_dir, stem))
        except Exception as exc:  # noqa: BLE001 - one bad figure must not lose the report
            warnings.warn(
                f"figure {stem} not written: {type(exc).__name__}: {exc}",
                RuntimeWarning,
                stacklevel=2,
            )
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
        if (
            old.suffix in (".png", ".svg")
            and old.stem not in stems
            and (
                old.stem in FIGURE_STEMS
                or old.stem.startswith(("accuracy_vs_latency_", "per_class_iou_"))
            )
        ):
            old.unlink()
    return written
