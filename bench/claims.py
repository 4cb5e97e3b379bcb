"""The ENet paper's headline claims against SegNet, checked from measured efficiency rows.

Claims (Paszke et al. 2016): ENet is up to 18x faster, needs 75x fewer FLOPs and has 79x fewer
parameters than SegNet. The FLOPs ratio uses the paper's convention, a 3x360x640 input; the
parameter ratio is independent of size.

Verdict rule: a claim *holds* if the measured ratio is at least 95% of the paper's ratio
(``HOLDS_FRACTION``), and *does not hold* otherwise. The speed claim is about GPUs: its verdict is
given on the largest GPU ratio measured ("up to"); CPU ratios are listed beside it, labelled CPU,
with no verdict on the claim.
"""
from __future__ import annotations

PAPER_RATIOS = {"speed": 18.0, "flops": 75.0, "params": 79.0}
PAPER_BASIS = {
    "speed": "paper: up to 18x, NVIDIA TX1 / Titan X, 480x320 to 1280x720",
    "flops": "paper: 3.83 vs 286.03 GFLOPs at 3x640x360 (2 per multiply-add)",
    "params": "paper: 0.37M vs 29.46M",
}
HOLDS_FRACTION = 0.95
FLOPS_SIZE = (640, 360)


def verdict(measured: float | None, paper: float) -> str:
    if measured is None:
        return "not measured"
    return "holds" if measured >= HOLDS_FRACTION * paper else "does not hold"


def _ok(rows: list[dict], system: str) -> list[dict]:
    return [r for r in rows if r.get("system") == system and r.get("status") == "ok"]


def _with_params(rows: list[dict], system: str) -> list[dict]:
    return [r for r in rows if r.get("system") == system and r.get("params")]


def _key(row: dict) -> tuple:
    return (row["device"], row.get("device_name"), row["width"], row["height"],
            row["precision"], row["batch"], row.get("mode", "eager"),
            row.get("channels_last", False), row.get("run"))


def speed_rows(rows: list[dict]) -> list[dict]:
    """SegNet median latency over ENet median latency for every setting where both ran, in the
    same run (merged reports tag rows with ``run``: timings of two runs are never paired)."""
    enet = {_key(r): r for r in _ok(rows, "enet") if r.get("latency_ms_median")}
    out = []
    for r in _ok(rows, "segnet"):
        k = _key(r)
        if k in enet and r.get("latency_ms_median"):
            e = enet[k]
            device, device_name, w, h, precision, batch, mode, cl, run = k
            out.append({
                "claim": "speed", "paper_ratio": PAPER_RATIOS["speed"],
                "measured_ratio": r["latency_ms_median"] / e["latency_ms_median"],
                "device": device, "device_name": device_name, "width": w, "height": h,
                "precision": precision, "batch": batch, "mode": mode, "channels_last": cl,
                "enet_ms": e["latency_ms_median"], "segnet_ms": r["latency_ms_median"],
                "basis": f"{'GPU' if device == 'cuda' else 'CPU'} {device_name}, {w}x{h}, "
                         f"{precision}, batch {batch}, {mode}, median latency"
                         + (f", run {run}" if run else ""),
                **({"run": run} if run else {}),
            })
    return out


def claims(rows: list[dict], flops_at_paper_size: dict | None = None) -> list[dict]:
    """The claims table. ``flops_at_paper_size`` ({'enet': row, 'segnet': row}) supplies FLOPs at
    640x360 when the run measured other sizes only. Empty unless both ENet and SegNet ran."""
    if not _with_params(rows, "enet") or not _with_params(rows, "segnet"):
        return []
    table: list[dict] = []

    speeds = speed_rows(rows)
    gpu = [s for s in speeds if s["device"] == "cuda"]
    if gpu:
        best = max(gpu, key=lambda s: s["measured_ratio"])
        table.append({**best, "scope": "GPU (up to)",
                      "verdict": verdict(best["measured_ratio"], PAPER_RATIOS["speed"]),
                      "rule": f"holds if the largest GPU ratio >= {HOLDS_FRACTION:.0%} of 18"})
    else:
        table.append({"claim": "speed", "scope": "GPU (up to)",
                      "paper_ratio": PAPER_RATIOS["speed"], "measured_ratio": None,
                      "basis": "no GPU rows in this run", "verdict": "not measured"})
    for s in speeds:
        scope = "GPU" if s["device"] == "cuda" else "CPU"
        table.append({**s, "scope": scope,
                      "verdict": "CPU: for reference, the claim is about GPUs"
                      if scope == "CPU" else verdict(s["measured_ratio"], PAPER_RATIOS["speed"])})

    def at_paper_size(system: str) -> dict | None:
        for r in _with_params(rows, system):
            if (r.get("width"), r.get("height")) == FLOPS_SIZE and r.get("gflops"):
                return r
        return (flops_at_paper_size or {}).get(system)

    e, s = at_paper_size("enet"), at_paper_size("segnet")
    if e and s:
        ratio = s["gflops"] / e["gflops"]
        fv = (s["gflops_fvcore"] / e["gflops_fvcore"]
              if e.get("gflops_fvcore") and s.get("gflops_fvcore") else None)
        table.append({
            "claim": "flops", "scope": "any device", "paper_ratio": PAPER_RATIOS["flops"],
            "measured_ratio": ratio, "enet_gflops": e["gflops"], "segnet_gflops": s["gflops"],
            "measured_ratio_fvcore": fv,
            "basis": f"3x360x640, {e.get('flops_counter')} (convolutions), "
                     f"{e['num_classes']} classes; fvcore ratio {fv:.1f}x" if fv else
                     f"3x360x640, {e.get('flops_counter')}, {e['num_classes']} classes",
            "verdict": verdict(ratio, PAPER_RATIOS["flops"])})
    else:
        table.append({"claim": "flops", "scope": "any device", "paper_ratio": PAPER_RATIOS["flops"],
                      "measured_ratio": None, "basis": "no FLOP count at 640x360",
                      "verdict": "not measured"})

    pe, ps = _with_params(rows, "enet")[0], _with_params(rows, "segnet")[0]
    ratio = ps["params"] / pe["params"]
    table.append({"claim": "params", "scope": "any device", "paper_ratio": PAPER_RATIOS["params"],
                  "measured_ratio": ratio, "enet_params": pe["params"],
                  "segnet_params": ps["params"],
                  "basis": f"total parameters, {pe['num_classes']} classes",
                  "verdict": verdict(ratio, PAPER_RATIOS["params"])})
    return table
