"""report.md from a results dict: the run's header and its tables. Missing values read
'not measured', never 0."""
from __future__ import annotations

from pathlib import Path

from bench.results import atomic_write_text

NOT_MEASURED = "not measured"

def _f(digits: int):
    return lambda v: f"{v:.{digits}f}"


def _status(r: dict) -> str:
    return "ok" if r.get("status") == "ok" else f"failed: {r.get('error', '')}"


EFFICIENCY_COLUMNS = [
    ("system", "system", None),
    ("device", "device", None),
    ("size (WxH)", lambda r: f"{r['width']}x{r['height']}" if "width" in r else None, None),
    ("batch", "batch", None),
    ("precision", "precision", None),
    ("mode", "mode", None),
    ("params (M)", "params", lambda v: f"{v / 1e6:.3f}"),
    ("GFLOPs", lambda r: "n/a" if r.get("kind") == "classical" else r.get("gflops"),
     lambda v: v if isinstance(v, str) else f"{v:.2f}"),
    ("GMACs", lambda r: "n/a" if r.get("kind") == "classical" else r.get("gmacs"),
     lambda v: v if isinstance(v, str) else f"{v:.2f}"),
    ("GFLOPs (fvcore)", lambda r: "n/a" if r.get("kind") == "classical"
     else r.get("gflops_fvcore"), lambda v: v if isinstance(v, str) else f"{v:.2f}"),
    ("latency median (ms)", "latency_ms_median", _f(2)),
    ("p90 (ms)", "latency_ms_p90", _f(2)),
    ("images/s", "fps", _f(1)),
    ("n", "latency_n", None),
    ("peak mem (MB)", "peak_mem_mb", _f(1)),
    ("status", _status, None),
]

def _pct(v: float) -> str:
    return f"{100 * v:.1f}"


ACCURACY_COLUMNS = [
    ("system", "system", None),
    ("dataset", "dataset", None),
    ("split", "split", None),
    ("protocol", "protocol", None),
    ("profile", lambda r: r.get("profile") or ("n/a" if r.get("kind") == "classical" else None),
     None),
    ("epochs (best)", lambda r: f"{r['epochs']} ({r['best_epoch']})" if "epochs" in r
     else ("n/a" if r.get("kind") == "classical" else None), None),
    ("mIoU %", "miou", _pct),
    ("class avg acc %", "class_avg_acc", _pct),
    ("global acc %", "global_acc", _pct),
    ("train time (s)", "train_seconds", _f(0)),
    ("status", _status, None),
]

CLAIM_COLUMNS = [
    ("claim", "claim", None),
    ("scope", "scope", None),
    ("paper", "paper_ratio", lambda v: f"{v:.0f}x"),
    ("measured", "measured_ratio", lambda v: f"{v:.1f}x"),
    ("basis", "basis", None),
    ("verdict", "verdict", None),
]


def _cell(row: dict, key, fmt) -> str:
    value = key(row) if callable(key) else row.get(key)
    if value is None:
        return NOT_MEASURED
    return fmt(value) if fmt else str(value)


def markdown_table(rows: list[dict], columns) -> str:
    head = "| " + " | ".join(c[0] for c in columns) + " |"
    rule = "| " + " | ".join("---" for _ in columns) + " |"
    body = ["| " + " | ".join(_cell(r, k, f).replace("|", "/") for _, k, f in columns) + " |"
            for r in rows]
    return "\n".join([head, rule, *body])


def _not_counted(rows: list[dict]) -> list[str]:
    """Per system, the operators each FLOP counter did not count."""
    seen: dict[str, dict] = {}
    for r in rows:
        if "flops_not_counted" in r:
            seen.setdefault(r["system"], r)
    if not seen:
        return []
    table = [{"system": k, "torch": ", ".join(r["flops_not_counted"]) or "none",
              "fvcore": ", ".join(r.get("flops_fvcore_not_counted") or []) or "none"}
             for k, r in seen.items()]
    cols = [("system", "system", None), ("not counted by torch.utils.flop_counter", "torch", None),
            ("not counted by fvcore itself (our handles count them)", "fvcore", None)]
    return ["### Operators the FLOP counters leave out", "", markdown_table(table, cols), ""]


def render(data: dict) -> str:
    run = data["run"]
    lines = [
        "# segbench report", "",
        f"- command: `{run.get('command')}`",
        f"- time (UTC): {run.get('time_utc')}, git commit: {run.get('git_commit')}",
        f"- dataset: {run.get('dataset')}, profile: {run.get('profile')}",
        f"- device: {run.get('device')} ({run.get('device_name')}), CPU: {run.get('cpu')}, "
        f"threads: {run.get('threads')}",
        f"- torch {run.get('torch')}, CUDA {run.get('cuda')}, cuDNN {run.get('cudnn')}, "
        f"smp {run.get('smp')}, Python {run.get('python')}",
        "",
    ]
    lines += ["## Efficiency", ""]
    if data["efficiency"]:
        lines += [markdown_table(data["efficiency"], EFFICIENCY_COLUMNS), "",
                  "GFLOPs count 2 per multiply-add, per image, at the size run "
                  "(padded to the model's divisor); the primary counter is "
                  "torch.utils.flop_counter (convolutions and matrix products), fvcore beside it "
                  "adds element-wise layers. Latency: median of the timed iterations after "
                  "warm-up; memory: peak CUDA allocation on a GPU, peak resident growth on a "
                  "CPU.", ""]
        lines += _not_counted(data["efficiency"])
    else:
        lines += [NOT_MEASURED, ""]
    if data["accuracy"]:
        profiles = sorted({r["profile"] for r in data["accuracy"] if r.get("profile")}) or ["n/a"]
        lines += ["## Accuracy", "", markdown_table(data["accuracy"], ACCURACY_COLUMNS), "",
                  f"Training profile: {', '.join(map(str, profiles))}; every model had the same "
                  "recipe. One confusion matrix over the whole split, void ignored; mIoU is the "
                  "mean over classes present. A `quick` or `smoke` result is a CPU-sized "
                  "training budget, not the paper's 300 epochs. Classical methods: `oracle` "
                  "gives each region its majority ground-truth class (an upper bound of the "
                  "partition's pixel accuracy); `learned` labels regions with a small "
                  "classifier trained on the training split, with no ground truth at test "
                  "time.", ""]
    if data["claims"]:
        from bench.claims import HOLDS_FRACTION

        lines += ["## The ENet paper's claims against SegNet", "",
                  markdown_table(data["claims"], CLAIM_COLUMNS), "",
                  f"Rule: a claim holds if the measured ratio is at least {HOLDS_FRACTION:.0%} "
                  "of the paper's. Speed is the paper's GPU claim (\"up to\": the largest GPU "
                  "ratio); CPU ratios are listed for reference.", ""]
    return "\n".join(lines)


def write_report(data: dict, out_dir: str | Path) -> Path:
    path = Path(out_dir) / "report.md"
    atomic_write_text(path, render(data))
    return path
