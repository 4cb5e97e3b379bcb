"""The ENet paper's headline claims against SegNet, checked from measured efficiency rows.

Claims (Paszke et al. 2016): ENet is up to 18x faster, needs 75x fewer FLOPs and has 79x fewer
parameters than SegNet (:mod:`bench.paper`).

Verdict rules:

- Exact quantities (FLOPs, parameters) are judged two-sided: the claim *holds* if the measured
  ratio is within ``EXACT_TOLERANCE`` (5%) of the paper's, either way; a ratio far above the
  paper's is a disagreement to explain too. FLOPs are judged under the paper's own convention
  (transposed convolutions counted densely over their output, element-wise layers counted:
  ``gflops_paper``); the convolution-only ratio and fvcore's are shown beside it.
- Speed is judged one-sided, "up to": the claim holds if the largest GPU ratio is at least
  ``HOLDS_FRACTION`` (95%) of 18, where each ratio is taken at the low end of its spread (the
  slowest SegNet round against the fastest ENet round would be the high end; ``--repeats`` gives
  the rounds), so a lucky cell cannot carry the verdict. CPU ratios are listed beside it, with no
  verdict: the claim is about GPUs. The paper's own times at each size (its Table 2: TX1 and
  Titan X) are shown in every speed row; its 18x is the TX1 at 640x360.
"""

from __future__ import annotations

from bench.paper import CLAIMED_RATIOS, FLOPS_SIZE, table2_note, table2_ratios

PAPER_RATIOS = CLAIMED_RATIOS
HOLDS_FRACTION = 0.95
EXACT_TOLERANCE = 0.05
__all__ = [
    "EXACT_TOLERANCE",
    "FLOPS_SIZE",
    "HOLDS_FRACTION",
    "PAPER_RATIOS",
    "claims",
    "speed_rows",
    "verdict",
    "verdict_exact",
]


def verdict(measured: float | None, paper: float) -> str:
    """One-sided ("up to"): holds at 95% of the paper's ratio or more."""
    if measured is None:
        return "not measured"
    return "holds" if measured >= HOLDS_FRACTION * paper else "does not hold"


def verdict_exact(measured: float | None, paper: float) -> str:
    """Two-sided: holds within 5% of the paper's ratio; otherwise says which way it is off."""
    if measured is None:
        return "not measured"
    off = measured / paper - 1
    if abs(off) <= EXACT_TOLERANCE:
        return "holds"
    return f"does not hold: {off:+.0%} {'above' if off > 0 else 'below'} the paper's"


def _ok(rows: list[dict], system: str) -> list[dict]:
    return [r for r in rows if r.get("system") == system and r.get("status") == "ok"]


def _with_params(rows: list[dict], system: str) -> list[dict]:
    return [r for r in rows if r.get("system") == system and r.get("params")]


def _key(row: dict) -> tuple:
    return (
        row["device"],
        row.get("device_name"),
        row["width"],
        row["height"],
        row["precision"],
        row["batch"],
        row.get("mode") or "eager",
        bool(row.get("channels_last")),
        row.get("run"),
    )


def _rounds(row: dict) -> list[float]:
    return list(row.get("latency_round_medians_ms") or []) or [row["latency_ms_median"]]


def speed_rows(rows: list[dict]) -> list[dict]:
    """SegNet median latency over ENet median latency for every setting where both ran, in the
    same run (merged reports tag rows with ``run``: timings of two runs are never paired), with
    the ratio's spread over the timing rounds and the paper's times at that size."""
    enet = {_key(r): r for r in _ok(rows, "enet") if r.get("latency_ms_median")}
    out = []
    for r in _ok(rows, "segnet"):
        k = _key(r)
        if k not in enet or not r.get("latency_ms_median"):
            continue
        e = enet[k]
        device, device_name, w, h, precision, batch, mode, cl, run = k
        ratio = r["latency_ms_median"] / e["latency_ms_median"]
        seg, en = _rounds(r), _rounds(e)
        rounds = min(len(seg), len(en))
        low, high = min(seg) / max(en), max(seg) / min(en)
        paper = table2_ratios(w, h)
        out.append(
            {
                "claim": "speed",
                "paper_ratio": PAPER_RATIOS["speed"],
                "measured_ratio": ratio,
                "ratio_low": low,
                "ratio_high": high,
                "spread": (high - low) / ratio if rounds > 1 else None,
                "rounds": rounds,
                "device": device,
                "device_name": device_name,
                "width": w,
                "height": h,
                "precision": precision,
                "batch": batch,
                "mode": mode,
                "channels_last": cl,
                "enet_ms": e["latency_ms_median"],
                "segnet_ms": r["latency_ms_median"],
                "paper_ratio_tx1": paper.get("NVIDIA TX1"),
                "paper_ratio_titan_x": paper.get("NVIDIA Titan X"),
                "paper_times": table2_note(w, h) or "none at this size",
                "basis": f"{'GPU' if device == 'cuda' else 'CPU'} {device_name}, {w}x{h}, "
                f"{precision}, batch {batch}, {mode}, median latency"
                + (f" over {rounds} rounds" if rounds > 1 else ", one round (no spread)")
                + (f", run {run}" if run else ""),
                **({"run": run} if run else {}),
            }
        )
    return out


def _speed_claims(rows: list[dict]) -> list[dict]:
    speeds = speed_rows(rows)
    table = []
    gpu = [s for s in speeds if s["device"] == "cuda"]
    if gpu:
        best = max(gpu, key=lambda s: s["ratio_low"])
        table.append(
            {
                **best,
                "scope": "GPU (up to)",
                "verdict": verdict(best["ratio_low"], PAPER_RATIOS["speed"]),
                "rule": f"holds if the largest GPU ratio, at the low end of its spread, "
                f"is >= {HOLDS_FRACTION:.0%} of 18",
            }
        )
    else:
        table.append(
            {
                "claim": "speed",
                "scope": "GPU (up to)",
                "paper_ratio": PAPER_RATIOS["speed"],
                "measured_ratio": None,
                "basis": "no GPU rows in this run",
                "verdict": "not measured",
            }
        )
    for s in speeds:
        scope = "GPU" if s["device"] == "cuda" else "CPU"
        table.append(
            {
                **s,
                "scope": scope,
                "verdict": "CPU: for reference, the claim is about GPUs"
                if scope == "CPU"
                else verdict(s["ratio_low"], PAPER_RATIOS["speed"]),
            }
        )
    return table


def _flops_claim(rows: list[dict], flops_at_paper_size: dict | None) -> dict:
    def at_paper_size(system: str) -> dict | None:
        for r in _with_params(rows, system):
            if (r.get("width"), r.get("height")) == FLOPS_SIZE and r.get("gflops"):
                return r
        return (flops_at_paper_size or {}).get(system)

    e, s = at_paper_size("enet"), at_paper_size("segnet")
    if not (e and s):
        return {
            "claim": "flops",
            "scope": "any device",
            "paper_ratio": PAPER_RATIOS["flops"],
            "measured_ratio": None,
            "basis": "no FLOP count at 640x360",
            "verdict": "not measured",
        }
    conv = s["gflops"] / e["gflops"]
    fv = (
        s["gflops_fvcore"] / e["gflops_fvcore"]
        if e.get("gflops_fvcore") and s.get("gflops_fvcore")
        else None
    )
    paper_way = (
        s["gflops_paper"] / e["gflops_paper"]
        if e.get("gflops_paper") and s.get("gflops_paper")
        else None
    )
    beside = f"convolutions only {conv:.1f}x" + (f", fvcore {fv:.1f}x" if fv else "")
    basis = (
        f"3x360x640, {e['num_classes']} classes, the paper's convention (ENet "
        f"{e['gflops_paper']:.2f}, SegNet {s['gflops_paper']:.1f} GFLOPs); {beside}"
        if paper_way
        else f"3x360x640, {e['num_classes']} classes, convolutions only ({e.get('flops_counter')}"
        f"): these rows have no paper-convention count"
    )
    ratio = paper_way if paper_way else conv
    return {
        "claim": "flops",
        "scope": "any device",
        "paper_ratio": PAPER_RATIOS["flops"],
        "measured_ratio": ratio,
        "measured_ratio_conv": conv,
        "measured_ratio_fvcore": fv,
        "measured_ratio_paper_convention": paper_way,
        "enet_gflops": e["gflops"],
        "segnet_gflops": s["gflops"],
        "enet_gflops_paper": e.get("gflops_paper"),
        "segnet_gflops_paper": s.get("gflops_paper"),
        "basis": basis,
        "verdict": verdict_exact(ratio, PAPER_RATIOS["flops"]),
    }


def claims(rows: list[dict], flops_at_paper_size: dict | None = None) -> list[dict]:
    """The claims table. ``flops_at_paper_size`` ({'enet': row, 'segnet': row}) supplies FLOPs at
    640x360 when the run measured other sizes only. Empty unless both ENet and SegNet ran."""
    if not _with_params(rows, "enet") or not _with_params(rows, "segnet"):
        return []
    table = _speed_claims(rows)
    table.append(_flops_claim(rows, flops_at_paper_size))
    pe, ps = _with_params(rows, "enet")[0], _with_params(rows, "segnet")[0]
    ratio = ps["params"] / pe["params"]
    table.append(
        {
            "claim": "params",
            "scope": "any device",
            "paper_ratio": PAPER_RATIOS["params"],
            "measured_ratio": ratio,
            "enet_params": pe["params"],
            "segnet_params": ps["params"],
            "basis": f"total parameters, {pe['num_classes']} classes",
            "verdict": verdict_exact(ratio, PAPER_RATIOS["params"]),
        }
    )
    return table
