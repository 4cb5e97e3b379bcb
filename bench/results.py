"""results.json and its CSV twins: written row by row, atomically, so an interrupted run keeps
every row already measured (see the results contract in DESIGN.md)."""
from __future__ import annotations

import csv
import io
import datetime as _dt
import json
import math
import os
import tempfile
from pathlib import Path
from typing import Any

TABLES = ("efficiency", "accuracy", "claims")


def utc_stamp() -> str:
    """The current UTC time as a folder-name stamp, e.g. 20261124T102641Z."""
    return _dt.datetime.now(_dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")


def default_run_dir(dataset: str, root: str | Path = "results/runs") -> Path:
    return Path(root) / f"{utc_stamp()}-{dataset}"


def _clean(value: Any) -> Any:
    """JSON has no NaN or infinity: a value that is not a finite number is 'not measured' (null)."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    return value


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def atomic_write_text(path: Path, text: str) -> None:
    """Write a file so that readers see the old or the new content, never half of it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600 files; results are for reading
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def rows_to_csv(rows: list[dict]) -> str:
    """CSV text with the union of the rows' keys, in first-seen order; dicts and lists as JSON."""
    columns = list(dict.fromkeys(k for row in rows for k in row))
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: json.dumps(v) if isinstance(v, (dict, list)) else v
                         for k, v in row.items()})
    return buf.getvalue()


class RunResults:
    """The results of one run, kept on disk after every change."""

    def __init__(self, out_dir: str | Path, run: dict):
        self.dir = Path(out_dir)
        self.data: dict[str, Any] = {"run": run, **{t: [] for t in TABLES}}
        self.save()

    @property
    def path(self) -> Path:
        return self.dir / "results.json"

    def add(self, table: str, row: dict) -> None:
        self._check(table)
        self.data[table].append(_clean(row))
        self.save()

    def set_rows(self, table: str, rows: list[dict]) -> None:
        self._check(table)
        self.data[table] = [_clean(r) for r in rows]
        self.save()

    def rows(self, table: str) -> list[dict]:
        self._check(table)
        return self.data[table]

    def save(self) -> None:
        atomic_write_text(self.path, json.dumps(self.data, indent=2) + "\n")
        for table in TABLES:
            if self.data[table]:
                atomic_write_text(self.dir / f"{table}.csv", rows_to_csv(self.data[table]))

    @staticmethod
    def _check(table: str) -> None:
        if table not in TABLES:
            raise ValueError(f"unknown results table '{table}': expected one of {TABLES}")


def load_results(path: str | Path) -> dict:
    """Read a results.json (or the one inside a run folder)."""
    path = Path(path)
    if path.is_dir():
        path = path / "results.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    for table in TABLES:
        data.setdefault(table, [])
    return data
