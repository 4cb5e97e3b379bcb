"""Figure ``params_flops``: parameters and GFLOPs per system (log bars) with the ENet paper's
values beside them; systems grouped by family under bold headings (when there are several
families), ENet's name in bold, and more than ``LIST_CLASSICAL_AT_MOST`` classical methods (no
parameters, FLOPs not applicable) in one line named in a note."""

from __future__ import annotations

import math
from collections.abc import Mapping

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from bench.figures.rows import is_classical, is_ok, num, size_label, size_of, table_rows
from bench.figures.style import (
    HIGHLIGHT,
    family_title,
    figure_style,
    finish,
    plain_log_axis,
    system_colors,
    system_families,
    systems_by_family,
)
from bench.paper import PUBLISHED

# The ENet paper's published values (Paszke et al. 2016, Table 2/3, 3x640x360 input), drawn as
# "paper" markers: the only numbers in the figures that do not come from a results row.
PAPER_VALUES = PUBLISHED  # the ENet paper's parameters and GFLOPs (bench.paper)
PAPER_FLOPS_SIZE = (640, 360)
LIST_CLASSICAL_AT_MOST = 4  # classical methods with a line each; more share one line


def _flops_row(rows: list[dict]) -> dict | None:
    with_flops = [r for r in rows if num(r.get("gflops")) is not None and size_of(r)]
    if not with_flops:
        return None
    ok = [r for r in with_flops if is_ok(r)] or with_flops
    at_paper = [r for r in ok if size_of(r) == PAPER_FLOPS_SIZE]
    if at_paper:
        return at_paper[0]
    return max(ok, key=_area_then_width)


def _area_then_width(row: dict) -> tuple[int, int]:
    size = size_of(row)
    assert size is not None, "_flops_row keeps only rows with a size"
    return size[0] * size[1], size[0]


def params_flops_figure(data: Mapping) -> Figure | None:
    """Parameters (M) and GFLOPs per image, log bars per system, the paper's values as
    diamonds. None when no deep model has a parameter or FLOP count."""
    eff = table_rows(data, "efficiency")
    systems = list(dict.fromkeys(r["system"] for r in eff if r.get("system")))
    if not systems:
        return None
    families = system_families(data)
    grouped = systems_by_family({s: families.get(s, "heavy") for s in systems})
    entries: list[dict] = []
    folded: list[str] = []
    for family, names in grouped.items():
        if len(grouped) > 1:
            entries.append({"heading": family_title(family, len(names))})
        group = []
        for s in names:
            rows = [r for r in eff if r.get("system") == s]
            classical = any(is_classical(r) for r in rows)
            ok_params = [v for r in rows if is_ok(r) and (v := num(r.get("params"))) is not None]
            any_params = [v for r in rows if (v := num(r.get("params"))) is not None]
            params = ok_params[0] if ok_params else any_params[0] if any_params else None
            frow = None if classical else _flops_row(rows)
            group.append(
                {
                    "system": s,
                    "classical": classical,
                    "params_m": None if classical or params is None else params / 1e6,
                    "gflops": num(frow["gflops"]) if frow else None,
                    "size": size_of(frow) if frow else None,
                    "counter": frow.get("flops_counter") if frow else None,
                }
            )
        classical_names = [str(e["system"]) for e in group if e["classical"]]
        if len(classical_names) > LIST_CLASSICAL_AT_MOST:
            group = [e for e in group if not e["classical"]]
            group.append(
                {
                    "system": f"{len(classical_names)} methods",
                    "classical": True,
                    "params_m": None,
                    "gflops": None,
                    "size": None,
                    "counter": None,
                }
            )
            folded += classical_names
        entries += group
    if not any(e.get("params_m") or e.get("gflops") for e in entries if not e.get("classical")):
        return None
    colors = system_colors(data)
    sizes = list(dict.fromkeys(e["size"] for e in entries if e.get("size")))
    common = sizes[0] if len(sizes) == 1 else None
    with figure_style():
        fig, axes = plt.subplots(1, 2, figsize=(9.5, 1.4 + 0.42 * len(entries)), sharey=True)
        y = np.arange(len(entries))
        paper_drawn = False
        for ax, key, paper_key in (
            (axes[0], "params_m", "params_m"),
            (axes[1], "gflops", "gflops"),
        ):
            values = [e[key] for e in entries if e.get(key)]
            papers = [
                PAPER_VALUES[e["system"]][paper_key]
                for e in entries
                if e.get("system") in PAPER_VALUES
            ]
            every = values + papers
            if every:
                lo = 10.0 ** math.floor(math.log10(min(every)) - 0.3)
                hi = 10.0 ** math.ceil(math.log10(max(every)) + 0.6)
            else:
                lo, hi = 0.1, 10.0
            ax.set_xscale("log")
            ax.set_xlim(lo, hi)
            for k, e in enumerate(entries):
                if "heading" in e:
                    continue
                v = e[key]
                if e["classical"]:
                    ax.text(
                        lo * 1.15,
                        k,
                        "n/a (classical)",
                        va="center",
                        ha="left",
                        fontstyle="italic",
                        color="#666666",
                    )
                    continue
                if v is None or v <= 0:
                    ax.text(
                        lo * 1.15,
                        k,
                        "not measured",
                        va="center",
                        ha="left",
                        fontstyle="italic",
                        color="#666666",
                    )
                    continue
                ax.barh(
                    k,
                    v - lo,
                    left=lo,
                    height=0.6,
                    color=colors.get(e["system"], "C0"),
                    edgecolor="none",
                    zorder=2,
                )
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
                ax.annotate(
                    label,
                    (end, k),
                    xytext=(6, 0),
                    textcoords="offset points",
                    va="center",
                    ha="left",
                    fontsize=plt.rcParams["font.size"] * 0.85,
                )
            plain_log_axis(ax.xaxis)
            ax.grid(axis="y", visible=False)
        axes[0].set_yticks(y, [e.get("heading") or e["system"] for e in entries])
        for tick, e in zip(axes[0].get_yticklabels(), entries):
            if "heading" in e or e.get("system") == HIGHLIGHT:
                tick.set_fontweight("bold")
        axes[0].set_ylim(len(entries) - 0.5, -0.5)
        axes[0].set_xlabel("parameters\n(millions, log scale)")
        axes[0].set_title("Parameters")
        at = (
            f"at {size_label(common)}"
            if common
            else "at 640x360 where measured, else the largest size run (labelled)"
        )
        axes[1].set_xlabel(f"GFLOPs per image (log scale),\n{at}")
        axes[1].set_title("Compute (2 FLOPs per multiply-add)")
        fig.suptitle("Model size and compute per system", fontweight="bold")
        if paper_drawn:
            axes[1].legend(
                [Line2D([], [], linestyle="none", marker="D", color="black")],
                ["paper (ENet paper,\n3x640x360)"],
                loc="upper left",
                bbox_to_anchor=(1.02, 1.0),
                borderaxespad=0.0,
            )
        counters = sorted({e["counter"] for e in entries if e.get("counter")})
        notes = []
        if counters:
            notes.append(
                f"FLOPs counted with {', '.join(counters)}; the paper's values are "
                "for a 3x640x360 input"
                + (
                    "."
                    if any(e.get("size") == PAPER_FLOPS_SIZE for e in entries)
                    else ", not drawn beside FLOPs counted at another size."
                )
            )
        if folded:
            notes.append(
                f"{len(folded)} classical methods (no learned parameters; FLOPs not "
                f"applicable): {', '.join(folded)}."
            )
        return finish(fig, notes)
