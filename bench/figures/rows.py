"""Data selection: which rows of a results dict a figure may draw, and how they are named.

Pure functions of the rows (no matplotlib): ``num`` turns anything that is not a finite number
into None (never 0), ``table_rows`` gives cleaned copies of a table's rows, ``accuracy_groups``
the usable accuracy rows per dataset (one split each), ``select_size`` and ``pareto_front`` what
accuracy_vs_latency draws, ``family_of`` the family a row belongs to (tables and figures alike).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from models.registry import CLASSICAL_PROTOCOLS, FAMILIES

#: Protocols whose rows use the test labels (an upper bound, never on a Pareto front).
UPPER_BOUND_PROTOCOLS = ("oracle", "oracle-assisted")

PREFERRED_SIZES = ((480, 360), (640, 360))  # tie-break of select_size, then the larger area
_DATASET_NAMES = {"camvid": "CamVid", "cityscapes": "Cityscapes", "synthetic": "synthetic"}


def num(value: Any) -> float | None:
    """A finite number, or None (missing, None, NaN, a string, a bool)."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def is_ok(row: Mapping) -> bool:
    """Status ok; rows written before the status field existed count as ok."""
    return row.get("status", "ok") == "ok"


def size_of(row: Mapping) -> tuple[int, int] | None:
    w, h = num(row.get("width")), num(row.get("height"))
    return (int(w), int(h)) if w and h else None


def parse_wxh(value) -> tuple[int, int] | None:
    """``"480x360"`` -> (480, 360); None for anything else."""
    if not isinstance(value, str) or value.count("x") != 1:
        return None
    w, h = value.split("x")
    return (int(w), int(h)) if w.isdigit() and h.isdigit() else None


def size_label(size: Sequence[int]) -> str:
    return f"{size[0]}x{size[1]}"


def dataset_name(name: str | None) -> str:
    return _DATASET_NAMES.get(name or "", name or "unknown dataset")


def device_label(device: str | None, names: Iterable[str | None] = ()) -> str:
    kind = {"cpu": "CPU", "cuda": "GPU"}.get(device or "", device or "unknown device")
    names = sorted({n for n in names if n})
    return f"{kind} ({', '.join(names)})" if names else kind


def is_classical(row: Mapping) -> bool:
    return row.get("kind") == "classical" or row.get("protocol") in CLASSICAL_PROTOCOLS


def is_upper_bound(row: Mapping) -> bool:
    """A classical row scored with the test labels' help (``oracle``, ``oracle-assisted``)."""
    return row.get("protocol") in UPPER_BOUND_PROTOCOLS


def registered_family(name: str) -> str | None:
    """The registry's family of the system ``name``; None when no system has that name."""
    from bench.errors import BadInput
    from bench.systems import get_system  # registers every model and classical method

    try:
        family = get_system(name).family
    except BadInput:
        return None
    return family if family in FAMILIES else None


def family_of(row: Mapping) -> str:
    """The family (one of ``FAMILIES``) a results row belongs to: the row's own ``family``, else
    the registry's family of its system, else ``classical`` for a classical row, else ``heavy``
    (rows written before the field existed, of systems no longer registered)."""
    family = row.get("family")
    if isinstance(family, str) and family in FAMILIES:
        return family
    name = row.get("system")
    if isinstance(name, str) and name:
        registered = registered_family(name)
        if registered is not None:
            return registered
    return "classical" if is_classical(row) else "heavy"


def family_rank(family: str) -> int:
    """Position of ``family`` in ``FAMILIES`` (an unknown one after them all)."""
    return FAMILIES.index(family) if family in FAMILIES else len(FAMILIES)


def by_family(rows: Iterable[Mapping]) -> list:
    """``rows`` grouped by family in the order of ``FAMILIES``, each family's rows in the order
    given (a stable sort)."""
    return sorted(rows, key=lambda r: family_rank(family_of(r)))


_TEXT_FIELDS = (
    "system",
    "kind",
    "device",
    "device_name",
    "precision",
    "mode",
    "run",
    "protocol",
    "profile",
    "dataset",
    "split",
    "status",
    "claim",
    "scope",
    "verdict",
    "basis",
    "flops_counter",
    "error",
)


def clean_row(row: Mapping[str, Any]) -> dict[str, Any]:
    """A copy whose text fields are text (or None) and whose NaNs are None."""
    out = {}
    for k, v in row.items():
        if isinstance(v, float) and not math.isfinite(v):
            v = None
        if k in _TEXT_FIELDS and v is not None and not isinstance(v, str):
            v = str(v)
        out[k] = v
    return out


def table_rows(data: Mapping, table: str) -> list[dict]:
    """The rows of a table that are dicts (cleaned copies); efficiency and accuracy rows need a
    system name."""
    rows = [clean_row(r) for r in (data.get(table) or []) if isinstance(r, dict)]
    if table == "claims":
        return rows
    return [r for r in rows if r.get("system")]


def runtime_drift(rows: list[dict]) -> dict[int, float]:
    """For each row scored in a deployment runtime (by ``id``), its mIoU minus that of the same
    run's, system's, dataset's, split's and checkpoint's eager row, in points."""

    def same(r: dict) -> tuple:
        return tuple(r.get(k) for k in ("run", "system", "dataset", "split", "checkpoint"))

    eager = {same(r): r["miou"] for r in rows if not r.get("runtime") and r.get("miou") is not None}
    return {
        id(r): 100 * (r["miou"] - eager[same(r)])
        for r in rows
        if r.get("runtime") and r.get("miou") is not None and same(r) in eager
    }


def batch_of(row: Mapping) -> float | None:
    """The batch size; a row that does not record it counts as batch 1."""
    return 1.0 if row.get("batch") is None else num(row.get("batch"))


def pareto_front(points: Sequence[tuple[float, float]]) -> list[int]:
    """Indices of the non-dominated points, minimising x and maximising y, in increasing x.

    A point is dominated by another that is no worse in both coordinates and better in one.
    Of identical points only the first (lowest index) is kept; points with a coordinate that is
    not a finite number are never on the front."""
    finite = [i for i, (x, y) in enumerate(points) if num(x) is not None and num(y) is not None]
    order = sorted(finite, key=lambda i: (points[i][0], -points[i][1], i))
    front, best = [], -math.inf
    for i in order:
        if points[i][1] > best:
            front.append(i)
            best = points[i][1]
    return front


def select_size(coverage: Mapping[tuple[int, int], int]) -> tuple[int, int] | None:
    """The input size covered by the most systems; ties go to 480x360, then 640x360, then the
    larger area (then the wider). None when no size covers any system."""
    best = [s for s, n in coverage.items() if n > 0 and n == max(coverage.values())]
    if not best:
        return None
    for preferred in PREFERRED_SIZES:
        if preferred in best:
            return preferred
    return max(best, key=lambda s: (s[0] * s[1], s[0]))


def profile_note(rows: Iterable[Mapping]) -> str:
    """The training budget of the deep models' accuracy rows, e.g. "deep models: profile quick —
    4 epochs of 120 images at 160x120 (CPU budget, not the paper's 300 epochs)"; '' if none."""
    from bench.profiles import PROFILES

    deep = [clean_row(r) for r in rows if isinstance(r, Mapping) and not is_classical(r)]
    parts = []
    for name in dict.fromkeys(r.get("profile") for r in deep):
        rs = [r for r in deep if r.get("profile") == name]
        p = PROFILES.get(name) if name else None
        epochs = sorted({int(e) for r in rs if (e := num(r.get("epochs"))) is not None})
        done = sorted({int(e) for r in rs if (e := num(r.get("epochs_done"))) is not None})
        if not epochs and p:
            epochs = [p.epochs]
        sizes = list(
            dict.fromkeys(
                tuple(r["train_size"])
                for r in rs
                if isinstance(r.get("train_size"), (list, tuple)) and len(r["train_size"]) == 2
            )
        )
        if not sizes and p:
            sizes = [tuple(p.train_size)]
        text = f"profile {name}" if name else "profile not recorded"
        budget = []
        if epochs:
            n = "/".join(map(str, epochs))
            if done and done != epochs:
                n = f"{'/'.join(map(str, done))} of {n}"
            budget.append(f"{n} epoch{'s' if epochs != [1] else ''}")
            per_epoch = {r.get("images_per_epoch") for r in rs} - {None}
            if len(per_epoch) == 1:  # rows made before it was recorded say nothing
                budget[-1] += f" of {per_epoch.pop()} images"
        if sizes:
            budget.append("at " + ", ".join(f"{w}x{h}" for w, h in sizes))
        if budget:
            text += " — " + " ".join(budget)
        paper = PROFILES.get("paper")
        if name == "paper":
            text += " (the paper's recipe)"
        elif paper and epochs and max(epochs) < paper.epochs:
            text += f" (CPU budget, not the paper's {paper.epochs} epochs)"
        parts.append(text)
    return "deep models: " + "; ".join(parts) if parts else ""


def accuracy_groups(data: Mapping) -> dict[str, list[dict]]:
    """Usable accuracy rows (status ok, a mIoU) per dataset, on one split per dataset: test when
    there is one, else the most common split."""
    groups: dict[str, list[dict]] = {}
    for r in table_rows(data, "accuracy"):
        if is_ok(r) and num(r.get("miou")) is not None and r.get("system"):
            groups.setdefault(str(r.get("dataset") or "unknown"), []).append(r)
    for ds, rows in groups.items():
        splits = Counter(r.get("split") for r in rows)
        split = "test" if "test" in splits else splits.most_common(1)[0][0]
        groups[ds] = [r for r in rows if r.get("split") == split]
    return groups


def figure_stem(base: str, dataset: str, several: bool) -> str:
    safe = "".join(c if c.isalnum() or c in "-_" else "_" for c in dataset)
    return f"{base}_{safe}" if several else base
