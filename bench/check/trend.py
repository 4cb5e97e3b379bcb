"""Trends of `bench check` over commits, from its history file (as asv does for Python
projects): ``figures/check_trend.png`` (one panel per system: the latency ratios on one thread
and on all cores, check after check, with the rounds' interquartile range as error bars) and
``check_trend.md`` (a Markdown table of every metric over the last checks)."""

from __future__ import annotations

from pathlib import Path

from bench.atomic import atomic_path, atomic_write_text

SERIES = (("latency_1t", "1 thread", "o-"), ("latency_mt", "all cores", "s--"))
TABLE_CHECKS = 8  # the table shows the last checks, the figure every one


def _label(record: dict, i: int) -> str:
    commit = record.get("commit") or "?"
    short = commit[:7] + ("*" if commit.endswith("-dirty") else "")
    return f"{i + 1}: {short}\n{(record.get('time_utc') or '')[:16].replace('T', ' ')}"


def _systems(records: list[dict]) -> list[str]:
    names: list[str] = []
    for r in records:
        names += [n for n in r["systems"] if n not in names]
    return names


def _latency(record: dict, name: str, metric: str) -> dict | None:
    m = (record["systems"].get(name) or {}).get(metric)
    return m if isinstance(m, dict) and m.get("ratio") is not None else None


def trend_figure(records: list[dict]):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = _systems(records)
    cols = min(4, len(names)) or 1
    rows = -(-len(names) // cols) or 1
    fig, axes = plt.subplots(
        rows, cols, figsize=(3.6 * cols + 0.6, 2.9 * rows + 0.8), squeeze=False
    )
    labels = [_label(r, i) for i, r in enumerate(records)]
    for ax, name in zip(axes.flat, names):
        for metric, what, style in SERIES:
            xs, ys, lo, hi = [], [], [], []
            for i, r in enumerate(records):
                m = _latency(r, name, metric)
                if m:
                    xs.append(i)
                    ys.append(m["ratio"])
                    lo.append(max(m["ratio"] - m.get("lo", m["ratio"]), 0.0))
                    hi.append(max(m.get("hi", m["ratio"]) - m["ratio"], 0.0))
            if xs:
                ax.errorbar(xs, ys, yerr=[lo, hi], fmt=style, capsize=3, markersize=4, label=what)
        ax.set_title(name, fontsize=10)
        ax.set_ylabel("latency (x reference)", fontsize=8)
        ax.grid(alpha=0.3)
        ax.tick_params(labelsize=7)
    for ax in axes.flat[len(names) :]:
        ax.set_visible(False)
    for ax in axes.flat[: len(names)]:
        ax.set_xticks(range(len(records)))
        ax.set_xticklabels(labels, rotation=45, ha="right", fontsize=6)
        ax.set_xlabel("check (commit, UTC time), in order", fontsize=8)
        if ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize=7)
    fig.suptitle(
        "bench check: latency relative to the reference workload\n"
        "(error bars: interquartile range over rounds)",
        fontsize=10,
    )
    fig.tight_layout()
    return fig


def _cell(record: dict, name: str, metric: str) -> str:
    s = record["systems"].get(name) or {}
    if s.get("failed"):
        return "failed"
    v = s.get(metric)
    if metric.startswith("latency"):
        if not isinstance(v, dict):
            return "n/a"
        if v.get("skipped"):
            return "skipped"
        return f"{v['ratio']:.3f}x ±{100 * v.get('spread', 0) / 2:.1f}%"
    if metric == "fingerprint":
        return (s.get("verdicts") or {}).get("fingerprint", "-")
    if v is None:
        return "n/a"
    return f"{int(v):,}" if metric == "params" else f"{v:.4f}"


def trend_table(records: list[dict]) -> str:
    shown = records[-TABLE_CHECKS:]
    first = len(records) - len(shown)
    head = [
        "system",
        "metric",
        *[_label(r, first + i).replace("\n", " ") for i, r in enumerate(shown)],
    ]
    lines = ["| " + " | ".join(head) + " |", "|" + " --- |" * len(head)]
    for name in _systems(records):
        for metric in ("latency_1t", "latency_mt", "params", "gflops", "fingerprint"):
            cells = [_cell(r, name, metric) for r in shown]
            if all(c in ("n/a", "-") for c in cells):
                continue
            lines.append("| " + " | ".join([name, metric, *cells]) + " |")
    return "\n".join(lines)


def write_trend(records: list[dict], out_dir: str | Path) -> tuple[Path, Path]:
    """Write ``out_dir/figures/check_trend.png`` and ``out_dir/check_trend.md``."""
    import matplotlib.pyplot as plt

    out_dir = Path(out_dir)
    png = out_dir / "figures" / "check_trend.png"
    fig = trend_figure(records)
    try:
        with atomic_path(png) as tmp:
            fig.savefig(tmp, format="png", dpi=110)
    finally:
        plt.close(fig)
    md = out_dir / "check_trend.md"
    passed = [
        "-" if r.get("passed") is None else "passed" if r["passed"] else "FAILED" for r in records
    ]
    text = [
        "# bench check: trend",
        "",
        f"{len(records)} checks, oldest first; latency as a multiple of the reference "
        f"workload, ± half the interquartile range over rounds; the last "
        f"{min(len(records), TABLE_CHECKS)} in the table, every one in "
        f"[figures/check_trend.png](figures/check_trend.png).",
        "",
        "| # | commit | time (UTC) | verdict |",
        "| --- | --- | --- | --- |",
        *[
            f"| {i + 1} | {r.get('commit') or '?'} | {r.get('time_utc') or '?'} | {p} |"
            for i, (r, p) in enumerate(zip(records, passed))
        ],
        "",
        trend_table(records),
        "",
    ]
    atomic_write_text(md, "\n".join(text))
    return png, md
