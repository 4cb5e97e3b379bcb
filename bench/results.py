"""A run's results: rows appended to its store as they are measured, and the views rendered
from it (results.json, one CSV per table) that `report` and users read.

Writing a row appends one line to the store (:mod:`bench.store`): O(1) in the rows already
written. The views are rendered from all rows (O(n)) when a system is done, when the run ends and
when it is interrupted, never per row. ``load_results`` reads any results a segbench ever wrote:
a run folder's store (the source of truth, complete after a crash), or a results.json of schema
1 or 2; anything else is BadInput (exit 2).
"""

from __future__ import annotations

import csv
import datetime as _dt
import io
import json
from pathlib import Path
from typing import Any

from bench.atomic import atomic_write_text
from bench.errors import BadInput
from bench.records import READABLE_VERSIONS, SCHEMA_VERSION, TABLES, normalize, row_key
from bench.store import STORE_NAME, StoreContents, StoreWriter, clean, read_store

__all__ = [
    "TABLES",
    "RunResults",
    "default_run_dir",
    "load_results",
    "results_data",
    "rows_to_csv",
    "utc_stamp",
]

PAPER_FLOPS = "paper_flops"  # store table: ENet and SegNet FLOPs at 640x360, for the claim


def utc_stamp() -> str:
    """The current UTC time as a folder-name stamp, e.g. 20261124T102641Z."""
    return _dt.datetime.now(_dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")


def default_run_dir(dataset: str, root: str | Path = "results/runs") -> Path:
    return Path(root) / f"{utc_stamp()}-{dataset}"


def remove_stale_temporaries(folder: Path) -> None:
    """Temporary files of atomic writes that a killed process could not remove."""
    for tmp in (
        list(folder.glob(".*.tmp"))
        + list(folder.glob("tables/.*.tmp"))
        + list(folder.glob("figures/.*.tmp"))
    ):
        tmp.unlink(missing_ok=True)


def rows_to_csv(rows: list[dict]) -> str:
    """CSV text with the union of the rows' keys, in first-seen order; dicts and lists as JSON."""
    columns = list(dict.fromkeys(k for row in rows for k in row))
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow(
            {k: json.dumps(v) if isinstance(v, (dict, list)) else v for k, v in row.items()}
        )
    return buf.getvalue()


def results_data(contents: StoreContents, label: str | None = None) -> dict:
    """The results dict (schema 2) of a store's contents: rows normalised to their records,
    claims derived from the efficiency rows, and the planned cells not measured yet."""
    from bench.claims import claims

    data: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "run": dict(contents.run),
        "sessions": contents.sessions,
        "plan": contents.plan,
    }
    if label and not data["run"].get("run_id"):
        data["run"]["run_id"] = label
    for table in ("efficiency", "accuracy", "training"):
        data[table] = [
            normalize(table, {**r, "cell": key})
            for key, r in contents.tables.get(table, {}).items()
        ]
    paper = {r["system"]: r for r in contents.rows(PAPER_FLOPS)}
    data["claims"] = [normalize("claims", c) for c in claims(data["efficiency"], paper)]
    data[PAPER_FLOPS] = list(paper.values())
    done = contents.keys()
    data["missing"] = [k for k in contents.plan if k not in done]
    return data


class RunResults:
    """The results of one run: ``add`` appends a row to the store (kept on disk at once),
    ``render`` writes results.json and the CSVs from every row. The caller holds the folder's
    lock (:class:`bench.store.FolderLock`)."""

    def __init__(
        self,
        out_dir: str | Path,
        run: dict,
        plan: list[str] | None = None,
        shard: str | None = None,
        sync: bool = True,
    ):
        self.dir = Path(out_dir)
        self.writer = StoreWriter(self.dir, sync=sync)
        self.contents = StoreContents() if self.writer.is_new else read_store(self.writer.path)
        self.begin(run, plan, shard)

    def begin(self, run: dict, plan: list[str] | None = None, shard: str | None = None) -> None:
        """A session: the run header of this process, and the cells it plans."""
        self.writer.begin(run, list(plan or []), shard)
        self.contents.sessions.append(run)
        self.contents.plan = list(dict.fromkeys([*self.contents.plan, *(plan or [])]))

    @property
    def path(self) -> Path:
        return self.dir / "results.json"

    def add(self, table: str, row: dict, key: str | None = None) -> None:
        if table not in TABLES and table != PAPER_FLOPS:
            raise ValueError(f"unknown results table '{table}': expected one of {TABLES}")
        row = clean(row)
        key = key or row_key(table, row)
        self.writer.add(table, key, row)
        self.contents.tables.setdefault(table, {})[key] = row

    def ok(self) -> set[str]:
        """Keys of the cells measured successfully."""
        return {
            k
            for rows in self.contents.tables.values()
            for k, r in rows.items()
            if r.get("status", "ok") == "ok"
        }

    def rows(self, table: str) -> list[dict]:
        return self.contents.rows(table)

    @property
    def data(self) -> dict:
        return results_data(self.contents)

    def render(self) -> dict:
        """results.json and one CSV per table that has rows; returns the data rendered."""
        data = self.data
        atomic_write_text(self.path, json.dumps(data, indent=2) + "\n")
        for table in TABLES:
            if data[table]:
                atomic_write_text(self.dir / f"{table}.csv", rows_to_csv(data[table]))
        return data

    def close(self) -> None:
        self.writer.close()


def _upgrade_v1(data: dict) -> dict:
    """A schema-1 results.json as a schema-2 results dict (rows normalised, no plan)."""
    out = {
        "schema_version": SCHEMA_VERSION,
        "run": dict(data["run"]),
        "sessions": [data["run"]],
        "plan": [],
        "missing": [],
    }
    for table in TABLES:
        out[table] = [
            normalize(table, {**r, "cell": r.get("cell") or row_key(table, r)})
            for r in data.get(table, [])
        ]
    out[PAPER_FLOPS] = []
    return out


def load_results(path: str | Path) -> dict:
    """Any results a segbench wrote, as a schema-2 dict: a run folder (its store when it has one,
    else its results.json) or a results.json file. BadInput for anything else."""
    path = Path(path)
    if path.is_dir() and (path / STORE_NAME).is_file():
        return results_data(read_store(path), label=path.name)
    file = path / "results.json" if path.is_dir() else path
    if not file.is_file():
        raise BadInput(
            f"{path}: no results there: expected a run folder written by "
            f"`python -m bench run` (with {STORE_NAME} or results.json), or a "
            f"results.json file"
        )
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadInput(
            f"{file} is not valid JSON ({str(exc)[:120]}): expected a results.json "
            f"written by `python -m bench run`"
        ) from None
    except OSError as exc:
        raise BadInput(
            f"cannot read {file}: {exc.strerror}: expected a readable results.json"
        ) from None
    what = (
        f"{file} is not a segbench results file: expected an object with 'run' and the "
        f"lists {', '.join(TABLES[:3])}"
    )
    if not isinstance(data, dict) or not isinstance(data.get("run"), dict):
        raise BadInput(what)
    version = data.get("schema_version", 1)
    if version not in READABLE_VERSIONS:
        raise BadInput(
            f"{file} has schema version {version!r}: expected one of "
            f"{', '.join(map(str, READABLE_VERSIONS))} (a newer segbench wrote it? "
            f"upgrade to read it)"
        )
    if any(
        not isinstance(data.get(t, []), list)
        or not all(isinstance(r, dict) for r in data.get(t, []))
        for t in TABLES
    ):
        raise BadInput(what)
    if version == 1:
        return _upgrade_v1(data)
    for table in TABLES:
        data[table] = [
            normalize(table, {**r, "cell": r.get("cell") or row_key(table, r)})
            for r in data.get(table, [])
        ]
    data.setdefault(PAPER_FLOPS, [])
    data.setdefault("sessions", [data["run"]])
    data.setdefault("plan", [])
    data.setdefault("missing", [])
    return data
