"""Figure ``claims``: the ENet paper's ratio beside the measured one for every measured claim."""

from __future__ import annotations

import textwrap
from collections.abc import Mapping
from typing import Any

import matplotlib.pyplot as plt
from matplotlib.artist import Artist
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from bench.figures.rows import num, size_label, size_of, table_rows
from bench.figures.style import figure_style, finish, plain_log_axis, unique_labels

_VERDICT_COLORS = {"holds": "#1a7f37", "does not hold": "#cf222e"}


_CLAIM_NAMES = {"speed": "speed", "flops": "FLOPs", "params": "params"}


def _claim_label(r: Mapping) -> str:
    claim = str(r.get("claim"))  # rows come through clean_row: the claim is text or None
    parts = [_CLAIM_NAMES.get(claim, claim)]
    scope = r.get("scope")
    if scope and scope != "any device":
        parts.append(str(scope))
    size = size_of(r)
    if size:
        parts.append(size_label(size))
    if r.get("precision") and r.get("precision") != "fp32":
        parts.append(str(r["precision"]))
    return " ".join(parts)


def claims_figure(data: Mapping) -> Figure | None:
    """The paper's ratio beside the measured one for every claim with a measured ratio; the
    others are named in a note. None when no claim was measured."""
    from bench.claims import EXACT_TOLERANCE, HOLDS_FRACTION

    rows = [r for r in table_rows(data, "claims") if r.get("claim")]
    measured = [r for r in rows if num(r.get("measured_ratio")) is not None]
    missing = [r for r in rows if num(r.get("measured_ratio")) is None]
    if not measured:
        return None
    labels = unique_labels(
        measured,
        _claim_label,
        [
            lambda r: r.get("device_name"),
            lambda r: r.get("mode"),
            lambda r: f"batch {r['batch']}" if r.get("batch") else None,
            lambda r: r.get("run"),
        ],
    )
    values = [float(r["measured_ratio"]) for r in measured]
    papers = [num(r.get("paper_ratio")) for r in measured]
    every = values + [p for p in papers if p]
    log = max(every) / max(min(every), 1e-9) > 30
    with figure_style():
        small = plt.rcParams["font.size"] * 0.8
        fig, ax = plt.subplots(figsize=(8.2, 1.5 + 0.62 * len(measured)))
        h = 0.36
        for k, (r, v, p) in enumerate(zip(measured, values, papers)):
            speed = r.get("claim") == "speed"
            threshold = HOLDS_FRACTION * p if p else None
            if p:  # speed holds above 95% of the paper's; exact quantities within +-5%
                assert threshold is not None, "set from p just above"
                ax.barh(k - h / 2, p, height=h, color="#b0b0b0", zorder=2)
                edges = (
                    [threshold] if speed else [p * (1 - EXACT_TOLERANCE), p * (1 + EXACT_TOLERANCE)]
                )
                for edge in edges:
                    ax.plot(
                        [edge] * 2,
                        [k - 0.46, k + 0.46],
                        color="black",
                        linestyle="--",
                        linewidth=1.2,
                        zorder=4,
                    )
                ax.annotate(
                    f"{p:.3g}×",
                    (p, k - h / 2),
                    xytext=(4, 0),
                    textcoords="offset points",
                    va="center",
                    ha="left",
                    fontsize=small,
                    color="#555555",
                )
            low, high = num(r.get("ratio_low")), num(r.get("ratio_high"))
            spread: dict[str, Any] = (
                {"xerr": [[v - low], [high - v]], "error_kw": {"capsize": 3}}
                if speed and r.get("spread") is not None and low and high
                else {}
            )
            ax.barh(k + h / 2, v, height=h, color="C0", zorder=2, **spread)
            for key, marker in (("paper_ratio_tx1", "^"), ("paper_ratio_titan_x", "D")):
                if speed and num(r.get(key)):  # the paper's own ratio at this size
                    ax.plot(
                        r[key],
                        k - h / 2,
                        marker=marker,
                        color="#444444",
                        markersize=6,
                        zorder=5,
                        linestyle="none",
                    )
            ax.annotate(
                f"{v:.3g}×",
                (max(v, threshold or v), k + h / 2),
                xytext=(4, 0),
                textcoords="offset points",
                va="center",
                ha="left",
                fontsize=small,
            )
            verdict = str(r.get("verdict") or "")
            color = _VERDICT_COLORS.get(verdict, "#555555")
            ax.text(
                1.02,
                k,
                textwrap.fill(verdict, 26),
                transform=ax.get_yaxis_transform(),
                va="center",
                ha="left",
                color=color,
                fontweight="bold" if verdict in _VERDICT_COLORS else "normal",
                fontsize=plt.rcParams["font.size"] * 0.9,
            )
        ax.set_yticks(range(len(measured)), labels)
        ax.set_ylim(len(measured) - 0.4, -0.6)
        if log:
            ax.set_xscale("log")
            plain_log_axis(ax.xaxis)
        else:
            ax.set_xlim(0, max(every) * 1.18)
        ax.grid(axis="y", visible=False)
        ax.set_xlabel(
            "SegNet / ENet ratio (×; higher favours ENet)" + (", log scale" if log else "")
        )
        fig.suptitle("The ENet paper's claims against SegNet: paper vs measured", fontweight="bold")
        handles: list[Artist] = [Patch(color="#b0b0b0"), Patch(color="C0")]
        names = ["paper", "measured"]
        if any(papers):
            handles.append(Line2D([], [], color="black", linestyle="--"))
            names.append(
                f"'holds' limits: speed {HOLDS_FRACTION:.0%} of the paper's; FLOPs "
                f"and parameters +-{EXACT_TOLERANCE:.0%}"
            )
        for key, marker, name in (
            ("paper_ratio_tx1", "^", "paper's Table 2, TX1"),
            ("paper_ratio_titan_x", "D", "paper's Table 2, Titan X"),
        ):
            if any(num(r.get(key)) for r in measured):
                handles.append(Line2D([], [], marker=marker, color="#444444", linestyle="none"))
                names.append(name + " (same size)")
        notes = []
        speed = [r for r in measured if r.get("claim") == "speed"]
        if speed:
            settings = sorted(
                {
                    ", ".join(
                        str(x)
                        for x in (
                            " ".join(
                                x
                                for x in (
                                    {"cpu": "CPU", "cuda": "GPU"}.get(
                                        r.get("device"), r.get("device")
                                    ),
                                    r.get("device_name"),
                                )
                                if x
                            ),
                            r.get("precision"),
                            f"batch {r['batch']}" if r.get("batch") else None,
                            r.get("mode"),
                        )
                        if x
                    )
                    for r in speed
                }
            )
            notes.append(
                "speed: SegNet's median latency over ENet's (error bars: the spread "
                "over timing rounds; the verdict takes its low end); " + "; ".join(settings) + "."
            )
        bases = [
            f"{lab}: {r['basis']}"
            for lab, r in zip(labels, measured)
            if r.get("basis") and r.get("claim") != "speed"
        ]
        if bases:
            notes.append("; ".join(bases) + ".")
        if missing:
            notes.append(
                "not measured: "
                + "; ".join(
                    f"{_claim_label(r)}" + (f" ({r['basis']})" if r.get("basis") else "")
                    for r in missing
                )
                + "."
            )
        return finish(fig, notes, legend={"handles": handles, "labels": names, "ncol": 3})
