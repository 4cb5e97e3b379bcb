"""The report's figures, drawn from saved results only (nothing is measured here).

``write_figures(data, out_dir, prediction_dirs)`` writes every figure it has data for into
``out_dir`` as PNG (150 dpi) and SVG and returns the PNG paths. ``data`` is a results dict
(``runs`` plus the ``efficiency``, ``accuracy`` and ``claims`` rows; merged runs add ``run`` to
each row).

Rules: every number drawn comes from a row (the paper's published values, drawn as "paper", are
the only constants); a value that was not measured is never drawn as 0: it is left out and named
in a "not measured" note. A figure with nothing to show is not written (and a stale file of that
name from an earlier report in ``out_dir`` is removed). Each figure is built by a ``*_figure``
function that returns the matplotlib Figure (or None), and the selection behind it by a pure
function (``accuracy_latency_plan``, ``per_class_matrix``, ...), so both can be tested.

Layout, one concern per module:

- ``rows``: data selection (which rows a figure may draw, sizes, labels, the Pareto front, the
  family of a row: ``family_of``, which the tables use too).
- ``style``: the look (local seaborn style, colours and markers by family, legends grouped by
  family, log-axis ticks, notes under the axes).
- ``labels``: placing point labels clear of markers, lines and each other.
- one module per figure (file stem): ``accuracy_latency`` (``accuracy_vs_latency``),
  ``accuracy_latency_family`` (``accuracy_vs_latency_by_family``, a panel per family),
  ``params_flops``, ``latency_size`` (``latency_vs_size``), ``claims``, ``per_class``
  (``per_class_iou``), ``qualitative`` (which reads the prediction files through
  ``bench.predictions``, the module that owns their format).
- ``writer``: which figures a results dict gets, and writing them (``bench.atomic``).

A new figure: add a module with a ``*_figure(data) -> Figure | None`` function and list it in
``writer.py``'s ``_builders`` (and its stem in ``FIGURE_STEMS``).

Styling is local (seaborn's whitegrid/paper theme inside an ``rc_context``): importing this
package changes no global style. It selects the Agg backend only when pyplot is not imported yet.
"""

from __future__ import annotations

import sys

import matplotlib

# Before any module of the package imports pyplot.
if "matplotlib.pyplot" not in sys.modules:
    matplotlib.use("Agg")

from bench.figures.accuracy_latency import (  # noqa: E402
    LatencyPlan,
    Point,
    accuracy_latency_plan,
    accuracy_vs_latency_figure,
)
from bench.figures.accuracy_latency_family import accuracy_vs_latency_by_family_figure  # noqa: E402
from bench.figures.claims import claims_figure  # noqa: E402
from bench.figures.latency_size import latency_vs_size_figure  # noqa: E402
from bench.figures.params_flops import PAPER_VALUES, params_flops_figure  # noqa: E402
from bench.figures.per_class import per_class_iou_figure, per_class_matrix  # noqa: E402
from bench.figures.qualitative import qualitative_figure  # noqa: E402
from bench.figures.rows import family_of, pareto_front, profile_note, select_size  # noqa: E402
from bench.figures.style import DPI, system_colors  # noqa: E402
from bench.figures.writer import FIGURE_STEMS, _builders, write_figures  # noqa: E402, F401
from bench.predictions import Predictions, load_predictions  # noqa: E402

__all__ = [
    "FIGURE_STEMS",
    "PAPER_VALUES",
    "DPI",
    "write_figures",
    "pareto_front",
    "select_size",
    "profile_note",
    "accuracy_latency_plan",
    "accuracy_vs_latency_figure",
    "accuracy_vs_latency_by_family_figure",
    "family_of",
    "system_colors",
    "params_flops_figure",
    "latency_vs_size_figure",
    "claims_figure",
    "per_class_matrix",
    "per_class_iou_figure",
    "load_predictions",
    "qualitative_figure",
    "LatencyPlan",
    "Point",
    "Predictions",
]
