"""The baseline file of `bench check`: its format, settings and tolerances, reading, and
updating some systems' entries while keeping the others as they are.

Format 2 (``"segbench_baseline": 2``)::

    {"segbench_baseline": 2, "updated_utc": ..., "command": ...,
     "settings": {...CheckSettings...},
     "tolerances": {"params": 0.0, "gflops": 1e-06, "latency_1t": 0.15, "latency_mt": 0.25,
                    "fingerprint": 0.001, "noise_k": 2.0},
     "systems": {NAME: {"kind", "width", "height", "reference", "params", "gflops",
                        "latency_1t": {...}, "latency_mt": {...} | null, "fingerprint": {...},
                        "environment": {...where and from which commit this entry was measured}}}}

Each system carries its own environment: ``--update --models X`` measures X on this machine and
rewrites X's entry only; the other entries stay byte for byte (the file is written with the same
JSON layout every time), with the environment they were measured in.
"""

from __future__ import annotations

import datetime as _dt
import json
from dataclasses import asdict, dataclass, field, fields
from importlib import metadata
from pathlib import Path

from bench.atomic import atomic_write_text
from bench.errors import BadInput

BASELINE_FORMAT = 2

#: Allowed change before a verdict. ``params``, ``gflops``, ``latency_1t`` and ``latency_mt`` are
#: relative (0.15 = 15% more); ``fingerprint`` is the largest relative deviation of a fingerprint
#: statistic (see :mod:`bench.check.fingerprint`); ``noise_k`` is k of the latency rule: a change
#: is a regression only beyond the tolerance *and* beyond k times the spread measured in the same
#: check (see :mod:`bench.check.verdicts` for why 2).
DEFAULT_TOLERANCES = {
    "params": 0.0,
    "gflops": 1e-6,
    "latency_1t": 0.15,
    "latency_mt": 0.25,
    "fingerprint": 1e-3,
    "noise_k": 2.0,
}
METRICS = ("params", "gflops", "latency_1t", "latency_mt", "fingerprint")

#: Heavy and instance models are checked at a smaller size, so that five timed iterations per
#: round of each still fit the check's time budget (about 0.3 s per forward pass on one core at
#: 160x120).
HEAVY_SIZE = [160, 120]


def _default_sizes() -> dict:
    from bench.systems import list_systems

    return {
        s.name: list(HEAVY_SIZE) for s in list_systems("model") if s.family in ("heavy", "instance")
    }


@dataclass
class CheckSettings:
    """How `check` measures; stored in the baseline so that every check measures the same way."""

    width: int = 320  # the check size of every system not in ``sizes``
    height: int = 240
    sizes: dict = field(default_factory=_default_sizes)  # NAME -> [WIDTH, HEIGHT]
    num_classes: int = 11
    seed: int = 0  # weights, inputs, BatchNorm calibration and synthetic images
    all_threads: int = 0  # the "all cores" thread count; 0: torch's default in this process
    rounds: int = 5  # latency: alternating rounds of reference and system, per thread count
    round_s: float = 0.15  # at least this long per side and round ...
    round_min_iters: int = 5  # ... and at least this many timed iterations per side and round
    warmup_s: float = 0.2
    min_speedup: float = 1.0  # all-cores latency only where the reference gains from threads

    @classmethod
    def from_dict(cls, d: dict) -> CheckSettings:
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in d.items() if k in known})

    def size_for(self, name: str) -> tuple[int, int]:
        w, h = self.sizes.get(name, (self.width, self.height))
        return int(w), int(h)


def utc_now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")


def _version(dist: str) -> str | None:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return None


def environment_summary() -> dict:
    """What a measurement depends on, in short: commit, time, CPU, cores, versions."""
    from bench.environment import describe, git_commit

    d = describe("cpu")
    return {
        "commit": git_commit(),
        "time_utc": utc_now(),
        "cpu": d["cpu"],
        "cpu_count": d["cpu_count"],
        "python": d["python"],
        "platform": d["platform"],
        "torch": d["torch"],
        "torchvision": d["torchvision"],
        "smp": d["smp"],
        "numpy": _version("numpy"),
        "scikit-image": _version("scikit-image"),
    }


def new_baseline() -> dict:
    return {
        "segbench_baseline": BASELINE_FORMAT,
        "settings": asdict(CheckSettings()),
        "tolerances": dict(DEFAULT_TOLERANCES),
        "systems": {},
    }


def read_format(path: Path) -> int | None:
    """The format number of the file at ``path``, None if it is not a baseline at all."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data.get("segbench_baseline") if isinstance(data, dict) else None


def load_baseline(path: str | Path) -> dict:
    """The baseline at ``path``; BadInput (one line, exit 2) if missing, corrupt or old."""
    path = Path(path)
    if path.is_dir():
        raise BadInput(f"--baseline {path} is a folder: expected a baseline JSON file")
    if not path.is_file():
        raise BadInput(
            f"no baseline at {path}: make one with `python -m bench check --baseline "
            f"{path} --update`"
        )
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise BadInput(
            f"{path} is not valid JSON ({exc}): expected a baseline written by "
            f"`bench check --update`"
        ) from None
    if (
        not isinstance(data, dict)
        or not isinstance(data.get("segbench_baseline"), int)
        or not isinstance(data.get("systems"), dict)
    ):
        raise BadInput(
            f"{path} is not a segbench baseline (format {BASELINE_FORMAT}): expected "
            f"an object with segbench_baseline: {BASELINE_FORMAT} and systems"
        )
    if data["segbench_baseline"] != BASELINE_FORMAT:
        raise BadInput(
            f"{path} is baseline format {data['segbench_baseline']}, this segbench "
            f"reads format {BASELINE_FORMAT}: rerun with `python -m bench check "
            f"--baseline {path} --update`"
        )
    return data


def baseline_for_update(path: Path) -> dict:
    """The baseline that ``--update`` starts from: the file, or a new one where there is none
    or it has an old format (whose entries measured other things and cannot be kept)."""
    if not path.exists():
        return new_baseline()
    fmt = read_format(path)
    if isinstance(fmt, int) and fmt < BASELINE_FORMAT:
        return new_baseline()
    return load_baseline(path)


def tolerances_of(baseline: dict, overrides: dict | None = None) -> dict:
    return {**DEFAULT_TOLERANCES, **baseline.get("tolerances", {}), **(overrides or {})}


def update_entries(path: Path, baseline: dict, entries: dict[str, dict], command: str) -> dict:
    """Write ``baseline`` with ``entries`` put in (new systems added at the end, the others in
    place) and every other entry as it was; atomically. Returns what was written."""
    systems = dict(baseline["systems"])
    systems.update(entries)
    new = {
        "segbench_baseline": BASELINE_FORMAT,
        "updated_utc": utc_now(),
        "command": command,
        "settings": baseline["settings"],
        "tolerances": baseline["tolerances"],
        "systems": systems,
    }
    atomic_write_text(path, json.dumps(new, indent=2) + "\n")
    return new
