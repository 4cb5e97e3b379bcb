"""One typed record per kind of results row, the schema version, and the cell keys.

Rows travel as flat dicts (JSON, CSV), but every reader and writer goes through these records, so
that every consumer sees the same columns: a value that was not measured is ``None``, never a
missing key that each consumer fills its own way. Fields that a record does not declare (a new
measurement, an older file's column) are kept in ``extra`` and written back unchanged.

Schema versions:

- 1: results.json with ``run`` and the lists ``efficiency``, ``accuracy``, ``claims`` and no
  ``schema_version`` (every run before the append-only store; the committed references).
- 2: ``schema_version``, ``run`` (with ``run_id``), ``plan``, and a ``training`` list; rows are
  rendered from the run's append-only store (:mod:`bench.store`).

A *cell* is one measurement a run plans: an efficiency cell per (system, device, size, batch,
precision, mode, memory format), an accuracy cell per (system, dataset, split, protocol, weights,
seed). Its key is a stable string, the same on every machine, so that a rerun measures only the
cells that are missing and shards of one sweep can be merged.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

SCHEMA_VERSION = 2
READABLE_VERSIONS = (1, 2)
TABLES = ("efficiency", "accuracy", "claims", "training")


@dataclass
class Record:
    """Base: a flat row with declared fields (typed, default None) and anything else in extra."""

    table: ClassVar[str] = ""
    extra: dict[str, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def fields(cls) -> list[str]:
        return [f.name for f in dataclasses.fields(cls) if f.name != "extra"]

    @classmethod
    def from_row(cls, row: dict) -> Record:
        if not isinstance(row, dict):
            raise TypeError(f"a {cls.table} row must be an object, not {type(row).__name__}")
        names = set(cls.fields())
        return cls(
            **{k: v for k, v in row.items() if k in names},
            extra={k: v for k, v in row.items() if k not in names and k != "extra"},
        )

    def to_row(self) -> dict:
        """Declared fields first (None where not measured), then the extra ones."""
        row = {name: getattr(self, name) for name in self.fields()}
        row.update({k: v for k, v in self.extra.items() if k not in row})
        return row


@dataclass
class EfficiencyRecord(Record):
    table: ClassVar[str] = "efficiency"
    system: str | None = None
    kind: str | None = None
    device: str | None = None
    device_name: str | None = None
    width: int | None = None
    height: int | None = None
    run_width: int | None = None
    run_height: int | None = None
    batch: int | None = None
    precision: str | None = None
    mode: str | None = None
    channels_last: bool | None = None
    num_classes: int | None = None
    params: int | None = None
    params_trainable: int | None = None
    params_used: int | None = None
    gflops: float | None = None
    gmacs: float | None = None
    flops_counter: str | None = None
    flops_not_counted: list | None = None
    gflops_fvcore: float | None = None
    gflops_paper: float | None = None  # the ENet paper's convention (bench.measure.flops)
    latency_ms_median: float | None = None
    latency_ms_p90: float | None = None
    latency_ms_mean: float | None = None
    latency_ms_std: float | None = None
    latency_n: int | None = None
    fps: float | None = None
    peak_mem_mb: float | None = None
    peak_mem_kind: str | None = None
    threads: int | None = None
    cpu: str | None = None
    torch: str | None = None
    cuda: str | None = None
    cudnn: str | None = None
    status: str | None = None
    error: str | None = None


@dataclass
class AccuracyRecord(Record):
    table: ClassVar[str] = "accuracy"
    system: str | None = None
    kind: str | None = None
    dataset: str | None = None
    split: str | None = None
    protocol: str | None = None
    profile: str | None = None
    seed: int | None = None
    device: str | None = None
    inference_size: str | None = None
    miou: float | None = None
    class_avg_acc: float | None = None
    global_acc: float | None = None
    per_class_iou: dict | None = None
    weights: str | None = None
    weights_commit: str | None = None
    weights_date: str | None = None
    weights_key: str | None = None
    checkpoint: str | None = None
    checkpoint_sha256: str | None = None
    epochs: int | None = None
    epochs_done: int | None = None
    best_epoch: int | None = None
    val_miou: float | None = None
    train_size: list | None = None
    train_seconds: float | None = None
    train_images_per_s: float | None = None
    status: str | None = None
    error: str | None = None


@dataclass
class ClaimRecord(Record):
    table: ClassVar[str] = "claims"
    claim: str | None = None
    scope: str | None = None
    paper_ratio: float | None = None
    measured_ratio: float | None = None
    ratio_low: float | None = None
    ratio_high: float | None = None
    spread: float | None = None
    basis: str | None = None
    verdict: str | None = None


@dataclass
class TrainingRecord(Record):
    """One training of a deep model in a run (or its reuse from the checkpoint cache)."""

    table: ClassVar[str] = "training"
    system: str | None = None
    dataset: str | None = None
    profile: str | None = None
    seed: int | None = None
    device: str | None = None
    weights: str | None = None  # trained in this run / reused from the cache
    weights_key: str | None = None
    checkpoint: str | None = None
    epochs: int | None = None
    epochs_done: int | None = None
    best_epoch: int | None = None
    val_miou: float | None = None
    train_seconds: float | None = None
    train_images_per_s: float | None = None
    status: str | None = None
    error: str | None = None


RECORDS: dict[str, type[Record]] = {
    r.table: r for r in (EfficiencyRecord, AccuracyRecord, ClaimRecord, TrainingRecord)
}


ERROR_CHARS = 500  # a failed row's ``error``: enough for the reason, short enough for a table


_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")  # terminal colours some libraries put in messages


def error_text(reason: BaseException | str) -> str:
    """One line for a failure: ``Type: message`` of an exception, or the reason given. An
    exception raised from another (``raise ... from``, as exporters wrap their tracer's errors)
    gives the first line of its own message, then the root cause, which says what went wrong."""
    if isinstance(reason, BaseException):
        root = reason
        while root.__cause__ is not None and root.__cause__ is not root:
            root = root.__cause__
        text = f"{type(reason).__name__}: {reason}"
        if root is not reason:
            first = (str(reason).strip().splitlines() or [""])[0]
            text = f"{type(reason).__name__}: {first} Caused by {type(root).__name__}: {root}"
    else:
        text = str(reason)
    return " ".join(_ANSI.sub("", text).split())[:ERROR_CHARS]


def failed_row(reason: BaseException | str, **fields: Any) -> dict:
    """The one way to record a cell that failed: its identifying ``fields``, ``status`` failed
    and the ``error`` (so the run goes on and the report says why)."""
    return {**fields, "status": "failed", "error": error_text(reason)}


def normalize(table: str, row: dict) -> dict:
    """``row`` with every declared column of its table (None where missing), extras after."""
    return record_type(table).from_row(row).to_row()


def record_type(table: str) -> type[Record]:
    try:
        return RECORDS[table]
    except KeyError:
        raise ValueError(
            f"unknown results table '{table}': expected one of {', '.join(TABLES)}"
        ) from None


# --------------------------------------------------------------------------------------------
# cell keys


def efficiency_key(
    system: str,
    device: str,
    width: int | None,
    height: int | None,
    batch: int | None,
    precision: str | None,
    mode: str | None,
    channels_last: bool | None,
) -> str:
    size = f"{width}x{height}" if width and height else "any"
    return (
        f"efficiency/{system}/{device}/{size}/b{batch}/{precision}/{mode}"
        f"{'/cl' if channels_last else ''}"
    )


def classical_efficiency_key(system: str) -> str:
    """A classical method is timed once, on the dataset's own frames, on the CPU."""
    return f"efficiency/{system}/cpu/native"


def accuracy_key(
    system: str,
    dataset: str,
    split: str,
    protocol: str,
    weights: str,
    seed: int,
    runtime: str | None = None,
) -> str:
    """``weights``: the profile that trains the model, or 'sha256:<hash>' of given weights, or
    the classical protocol's budget; ``runtime``: the deployment runtime that ran the trained
    model (None or eager: PyTorch itself)."""
    key = f"accuracy/{system}/{dataset}/{split}/{protocol}/{weights}/seed{seed}"
    return key if runtime in (None, "eager") else f"{key}/{runtime}"


def training_key(system: str, dataset: str, profile: str, seed: int) -> str:
    return f"training/{system}/{dataset}/{profile}/seed{seed}"


def _column(row: Mapping[str, Any], name: str) -> Any:
    """A column of a schema-1 row: any JSON value, or None where that file lacks it (the key then
    reads 'None')."""
    return row.get(name)


def row_key(table: str, row: dict) -> str:
    """The key of a row that was stored without one (results files of schema 1)."""
    if table == "efficiency":
        if row.get("kind") == "classical":
            return classical_efficiency_key(_column(row, "system"))
        if row.get("width") is None:  # a system that could not be built: one failed row
            return f"efficiency/{row.get('system')}/{row.get('device')}/build"
        return efficiency_key(
            _column(row, "system"),
            _column(row, "device"),
            row.get("width"),
            row.get("height"),
            row.get("batch"),
            row.get("precision"),
            row.get("mode") or "eager",
            row.get("channels_last"),
        )
    if table == "accuracy":
        weights = (
            f"sha256:{row['checkpoint_sha256']}"
            if row.get("weights", "") and str(row.get("weights")).startswith("given")
            else _column(row, "profile")
        )
        return accuracy_key(
            _column(row, "system"),
            _column(row, "dataset"),
            _column(row, "split"),
            _column(row, "protocol"),
            weights,
            _column(row, "seed"),
            row.get("runtime"),
        )
    if table == "training":
        return training_key(
            _column(row, "system"),
            _column(row, "dataset"),
            _column(row, "profile"),
            _column(row, "seed"),
        )
    return f"{table}/{row.get('claim')}/{row.get('scope')}/{row.get('basis')}"
