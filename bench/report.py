"""report.md from a results dict: the run's header and its tables. Missing values read
'not measured', never 0."""
from __future__ import annotations

from pathlib import Path

from bench.results import atomic_write_text

NOT_MEASURED = "not measured"

EFFICIENCY_COLUMNS = [
    ("system", "system", None),
    ("size (WxH)", lambda r: f"{r['width']}x{r['height']}" if "width" in r else None, None),
    ("batch", "batch", None),
    ("precision", "precision", None),
    ("params (M)", "params", lambda v: f"{v / 1e6:.3f}"),
    ("used params (M)", "params_used", lambda v: f"{v / 1e6:.3f}"),
    ("size fp16 (MiB)", "size_mib_fp16", lambda v: f"{v:.2f}"),
    ("status", lambda r: r.get("status") if r.get("status") == "ok"
     else f"failed: {r.get('error', '')}", None),
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
    lines += [markdown_table(data["efficiency"], EFFICIENCY_COLUMNS) if data["efficiency"]
              else NOT_MEASURED, ""]
    return "\n".join(lines)


def write_report(data: dict, out_dir: str | Path) -> Path:
    path = Path(out_dir) / "report.md"
    atomic_write_text(path, render(data))
    return path
