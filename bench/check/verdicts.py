"""Verdicts of `bench check`: one row per system and metric, and the table that shows them
(columns: baseline, now, change, tolerance, the spread over rounds, the noise bound, verdict).

``params`` and ``gflops``: relative change against the tolerance (exact by default).

``latency_1t`` and ``latency_mt``: the change of the latency ratio (system over reference,
timed in alternating rounds in the same process) is ``now / baseline - 1``. The noise bound is
``k * spread + drift``, both measured in this same check:

* ``spread``: the interquartile range of the rounds' ratios over their median;
* ``drift``: how far the yardstick itself moved since the baseline, beyond the 10% it moves
  between processes on one machine (``DRIFT_FREE``): the reference's own time (thread CPU
  time on one thread: a core shared with cache-hungry work slows the small reference more than
  a big model, up to 25% here, so the ratio moves although the model did not), and on all cores
  also its parallel speedup (cores partly taken by other work shift multi-threaded ratios
  steadily, which the rounds' spread cannot see). A baseline from another machine drifts too.

The rule:

* ``REGRESSION`` when the change exceeds the tolerance *and* the noise bound;
* ``noisy`` when it exceeds the tolerance but not the bound: not judged, not failed (the
  table shows the bound and the drift's cause, so that a reader sees why);
* ``improved`` when it is faster beyond both; ``ok`` otherwise; ``skipped`` when either side
  could not be timed fairly (the cores were busy; the reason is shown).

Why k = 2 (``noise_k``): with R = 5 rounds the median ratio's standard error is about
1.25 sigma / sqrt(5) = 0.56 sigma (sigma: one round's noise), so the difference of two checks
has about 0.79 sigma; the interquartile range is 1.35 sigma. k = 2 thus asks for a change of
2.7 sigma = 3.4 standard errors of the difference (a false alarm about once in 3000 metrics
under normal noise), while a spread inflated by a busy machine raises the bar with it. The
interquartile range, not the max - min range, so that one disturbed round out of five does not
hide a regression. The tolerance on top (15% on one thread, 25% on all cores) covers what
neither sees: differences between processes (memory layout, frequency).

``fingerprint``: ``CHANGED`` when the largest relative deviation of a fingerprint statistic
exceeds its tolerance (:mod:`bench.check.fingerprint`): what the system computes changed.

A check fails (exit 1) on ``REGRESSION``, ``CHANGED`` or ``FAILED`` (not measured).
"""

from __future__ import annotations

import math

from bench.check.baseline import DEFAULT_TOLERANCES, METRICS
from bench.check.fingerprint import compare_fingerprints
from bench.errors import BadInput

FAILING = ("REGRESSION", "CHANGED", "FAILED")
DRIFT_FREE = 0.10  # the reference's own time moves this much between processes on one machine
LATENCY = ("latency_1t", "latency_mt")


def parse_tolerances(items: list[str] | None) -> dict[str, float]:
    """``["latency_1t=0.3", "noise_k=3,params=0"]`` -> {...}; ``latency`` sets both latencies."""
    out: dict[str, float] = {}
    names = (*DEFAULT_TOLERANCES, "latency")
    for item in items or []:
        for part in filter(None, (p.strip() for p in item.split(","))):
            metric, sep, value = part.partition("=")
            metric = metric.strip()
            if not sep or metric not in names:
                raise BadInput(
                    f"--tolerance '{part}': expected METRIC=VALUE with METRIC one of "
                    f"{', '.join(names)}"
                )
            try:
                number = float(value)
            except ValueError:
                number = -1.0
            if not math.isfinite(number) or number < 0:
                raise BadInput(
                    f"--tolerance '{part}': expected a number >= 0 (relative for "
                    f"params, gflops, latencies and fingerprint; k for noise_k)"
                )
            for m in LATENCY if metric == "latency" else (metric,):
                out[m] = number
    return out


def _row(system: str, metric: str, base, now, tol: float, **extra) -> dict:
    return {
        "system": system,
        "metric": metric,
        "baseline": base,
        "now": now,
        "change": None,
        "tolerance": tol,
        "spread": None,
        "noise": None,
        "verdict": "ok",
        "note": None,
        **extra,
    }


def _relative_verdict(row: dict, b: float, n: float) -> None:
    row["change"] = (n - b) / b if b else (0.0 if n == b else math.inf)
    tol = row["tolerance"]
    row["verdict"] = (
        "REGRESSION"
        if row["change"] > tol + 1e-12
        else "improved"
        if row["change"] < -tol - 1e-12
        else "ok"
    )


def _drift(b: dict, n: dict) -> tuple[float, str]:
    """How far the yardstick itself moved since the baseline: the reference's own time (same
    network, size, threads and clock), and on all cores its parallel speedup too. Zero where
    it moved less than ``DRIFT_FREE`` (as between two checks on one quiet machine), the part
    beyond it otherwise."""
    parts = []
    if b.get("reference_ms") and n.get("reference_ms") and b.get("clock") == n.get("clock"):
        parts.append(
            (
                abs(n["reference_ms"] / b["reference_ms"] - 1),
                f"reference {b['reference_ms']:.3g} -> {n['reference_ms']:.3g} ms",
            )
        )
    if b.get("speedup") and n.get("speedup"):
        parts.append(
            (
                abs(n["speedup"] / b["speedup"] - 1),
                f"parallel speedup {b['speedup']:.2f}x -> {n['speedup']:.2f}x",
            )
        )
    drift, why = max(parts, default=(0.0, ""))
    return (drift - DRIFT_FREE, why) if drift > DRIFT_FREE else (0.0, "")


def _latency(row: dict, b: dict | None, n: dict | None, k: float) -> None:
    row["baseline"] = b and b.get("ratio")
    row["now"] = n and n.get("ratio")
    if b is None and n is None:
        row["note"] = "not applicable"
        return
    if b is None or n is None:
        row["verdict"], row["note"] = (
            "FAILED",
            ("not measured now" if n is None else "not in the baseline: --update"),
        )
        return
    if b.get("skipped") or n.get("skipped"):
        row["verdict"] = "skipped"
        row["note"] = f"now: {n['skipped']}" if n.get("skipped") else f"baseline: {b['skipped']}"
        return
    row["spread"] = n["spread"]
    drift, why = _drift(b, n)
    row["noise"] = k * n["spread"] + drift
    notes = [f"{why}: +{100 * drift:.0f}% allowed"] if drift >= 0.005 else []
    if b.get("threads") != n.get("threads"):
        notes.append(f"threads {b.get('threads')} -> {n.get('threads')}")
    row["note"] = "; ".join(notes) or None
    row["change"] = n["ratio"] / b["ratio"] - 1
    tol = row["tolerance"]
    if row["change"] > tol:
        row["verdict"] = "REGRESSION" if row["change"] > row["noise"] else "noisy"
    elif row["change"] < -tol and -row["change"] > row["noise"]:
        row["verdict"] = "improved"


def compare(
    system: str,
    base: dict,
    now: dict | None,
    tolerances: dict[str, float],
    error: str | None = None,
) -> list[dict]:
    """One row per metric of ``METRICS`` that the baseline entry has."""
    from bench.measure.reference import REFERENCE_NAME

    rows = []
    k = tolerances.get("noise_k", DEFAULT_TOLERANCES["noise_k"])
    for metric in METRICS:
        if metric not in base:
            continue
        row = _row(system, metric, base[metric], None, tolerances[metric])
        if metric in LATENCY and isinstance(base[metric], dict):
            row["baseline"] = base[metric].get("ratio")
        rows.append(row)
        if now is None or metric not in now:
            if base[metric] is None:
                row["note"] = "not applicable"
                continue
            row["verdict"], row["note"] = "FAILED", error or "not measured now"
            continue
        n = now[metric]
        row["now"] = n
        if metric in LATENCY:
            _latency(row, base[metric], n, k)
            if base.get("reference", REFERENCE_NAME) != now.get("reference", REFERENCE_NAME):
                row["verdict"], row["note"] = "FAILED", "another reference workload: --update"
        elif metric == "fingerprint":
            dev, stat = compare_fingerprints(base[metric], n)
            row["change"] = dev
            if dev > row["tolerance"]:
                row["verdict"], row["note"] = "CHANGED", f"largest deviation: {stat}"
        elif base[metric] is None and n is None:
            row["note"] = "not applicable"
        elif base[metric] is None or n is None:
            row["verdict"], row["note"] = (
                "FAILED",
                "not measured now" if n is None else "not in the baseline",
            )
        else:
            _relative_verdict(row, base[metric], n)
    return rows


def failed(rows: list[dict]) -> bool:
    return any(r["verdict"] in FAILING for r in rows)


# --------------------------------------------------------------------------------------------
# the table


def _fmt(metric: str, v) -> str:
    if v is None:
        return "n/a"
    if metric == "params":
        return f"{int(v):,}"
    if metric == "gflops":
        return f"{v:.4f}"
    if metric == "fingerprint":
        return f"std {v['std']:.4g}" if v.get("kind") == "logits" else f"{v.get('regions')} regions"
    return f"{v:.3f}x"


def _fmt_change(row: dict) -> str:
    c = row["change"]
    if c is None:
        return "-"
    if math.isinf(c):
        return "inf"
    return f"{c:.1e}" if row["metric"] == "fingerprint" else f"{100 * c:+.1f}%"


def _fmt_tol(row: dict) -> str:
    t = row["tolerance"]
    return f"{t:.0e}" if row["metric"] == "fingerprint" else f"+{100 * t:g}%"


def format_table(rows: list[dict]) -> str:
    head = [
        "system",
        "metric",
        "baseline",
        "now",
        "change",
        "tolerance",
        "spread",
        "bound",
        "verdict",
    ]
    body = [
        [
            r["system"],
            r["metric"],
            _fmt(r["metric"], r["baseline"]),
            _fmt(r["metric"], r["now"]),
            _fmt_change(r),
            _fmt_tol(r),
            "-" if r["spread"] is None else f"{100 * r['spread']:.1f}%",
            "-" if r["noise"] is None else f"+{100 * r['noise']:.1f}%",
            r["verdict"] + (f" ({r['note']})" if r.get("note") else ""),
        ]
        for r in rows
    ]
    widths = [max(len(x) for x in col) for col in zip(head, *body)]

    def line(cells: list[str]) -> str:
        return "  ".join(c.ljust(w) for c, w in zip(cells, widths)).rstrip()

    return "\n".join([line(head), line(["-" * w for w in widths]), *map(line, body)])
