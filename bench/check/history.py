"""The check history: one JSON line per `bench check --history FILE`, for trends over commits.

Each line: ``{"segbench_check_history": 1, "commit", "time_utc", "environment", "baseline",
"passed", "systems": {NAME: {"width", "height", "params", "gflops", "latency_1t",
"latency_mt", "fingerprint", "verdicts"}}}``, with the latency metrics as the check measured
them (ratio to the reference, spread, the rounds' quartiles ``lo`` and ``hi``, milliseconds,
threads). A line is appended with one write, flushed and synced, so that a crash leaves the
file's earlier lines whole; the file is read back by ``bench report --history FILE``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from bench.errors import BadInput

HISTORY_FORMAT = 1
KEPT = ("kind", "width", "height", "params", "gflops", "latency_1t", "latency_mt", "fingerprint")


def check_history_path(path: str | Path) -> Path:
    """``path`` if a check can append to it (validated before measuring): not a folder, and if
    it exists, a readable history. BadInput otherwise."""
    path = Path(path)
    if path.is_dir():
        raise BadInput(f"--history {path} is a folder: expected a JSON-lines file to append to")
    for parent in path.parents:
        if parent.exists() and not parent.is_dir():
            raise BadInput(f"--history {path}: {parent} is a file: expected a folder there")
    if path.exists():
        read_history(path, allow_empty=True)
    return path


def read_history(path: str | Path, allow_empty: bool = False) -> list[dict]:
    """Every check recorded in ``path``, oldest first; BadInput (one line) if the file is
    missing, a folder, unreadable, or holds a line that is not a check record."""
    path = Path(path)
    if path.is_dir():
        raise BadInput(
            f"--history {path} is a folder: expected a JSON-lines file written by "
            f"`bench check --history`"
        )
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise BadInput(
            f"no history at {path}: write one with `python -m bench check "
            f"--baseline results/baseline.json --history {path}`"
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise BadInput(
            f"cannot read the history {path} ({type(exc).__name__}: "
            f"{getattr(exc, 'strerror', None) or exc}): expected a readable "
            f"JSON-lines file"
        ) from None
    records = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise BadInput(
                f"{path}, line {number}: not JSON ({exc.msg}): expected one check "
                f"record per line, as `bench check --history` writes"
            ) from None
        if not isinstance(record, dict) or not isinstance(record.get("systems"), dict):
            raise BadInput(
                f"{path}, line {number}: not a check record: expected an object "
                f"with systems, as `bench check --history` writes"
            )
        records.append(record)
    if not records and not allow_empty:
        raise BadInput(f"{path} holds no check: expected lines written by `bench check --history`")
    return records


def make_record(
    entries: dict[str, dict],
    rows: list[dict] | None,
    environment: dict,
    baseline: str,
    passed: bool | None,
) -> dict:
    """The history line of one check: the measured entries (without their environment) and the
    verdicts (none for an ``--update``)."""
    systems = {}
    for name, entry in entries.items():
        if entry is None:
            systems[name] = {"failed": True}
            continue
        systems[name] = {k: entry.get(k) for k in KEPT}
        if rows is not None:
            systems[name]["verdicts"] = {
                r["metric"]: r["verdict"] for r in rows if r["system"] == name
            }
    return {
        "segbench_check_history": HISTORY_FORMAT,
        "commit": environment.get("commit"),
        "time_utc": environment.get("time_utc"),
        "environment": environment,
        "baseline": baseline,
        "passed": passed,
        "systems": systems,
    }


def append_record(path: str | Path, record: dict) -> None:
    """Append ``record`` as one line: one write, flushed and synced; the folder is created."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    line = json.dumps(record, separators=(",", ":")) + "\n"
    with open(path, "a", encoding="utf-8") as f:
        f.write(line)
        f.flush()
        os.fsync(f.fileno())
