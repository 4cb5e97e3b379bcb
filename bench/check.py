"""`bench check`: compare systems against a committed baseline and fail on a regression.

What is compared, per system (the baseline says which systems):

``params``
    Parameter count, exact (deterministic).
``gflops``
    FLOPs per image at the check size (torch.utils.flop_counter, 2 per multiply-add), exact.
``latency``
    CPU latency as a multiple of a fixed reference workload (:mod:`bench.measure.reference`)
    timed in alternating rounds in the same process (:func:`bench.measure.latency.
    relative_latency`), so that a slower or busier machine moves both and the ratio stays,
    while a model that became slower moves the ratio.
``miou``
    Test mIoU after a short deterministic training on the synthetic set (seeded: the same code
    gives the same number on the same machine), or for a classical method its ``learned``
    protocol; a drop beyond the tolerance is a regression.

Tolerances live in the baseline (``tolerances``) and can be overridden on the command line.
Verdicts: ``ok``, ``improved`` (better beyond the tolerance: update the baseline to keep the
gain), ``REGRESSION`` and ``FAILED`` (the measurement itself failed). Exit code 1 if any system
regressed or failed, 0 otherwise, 2 for bad input (no baseline, unknown system, bad tolerance).
"""
from __future__ import annotations

import datetime as _dt
import json
import math
import sys
import tempfile
import traceback
from dataclasses import asdict, dataclass, fields
from pathlib import Path

import torch
from tqdm import tqdm

from bench.errors import BadInput
from bench.atomic import atomic_write_text

BASELINE_FORMAT = 1
DEFAULT_SYSTEMS = ("enet", "segnet", "otsu", "watershed")
METRICS = ("params", "gflops", "latency", "miou")
#: Allowed change before a verdict: relative for params, gflops and latency (0.25 = 25% more),
#: absolute for miou (0.02 = 2 points lower).
DEFAULT_TOLERANCES = {"params": 0.0, "gflops": 1e-6, "latency": 0.25, "miou": 0.02}
UNITS = {"params": "", "gflops": " GFLOPs", "latency": "x ref", "miou": ""}


@dataclass
class CheckSettings:
    """How `check` measures; stored in the baseline so that every check measures the same way."""

    width: int = 320
    height: int = 240
    threads: int = 1  # one thread: less sensitive to other work on the machine
    num_classes: int = 11
    seed: int = 0
    profile: str = "smoke"  # training data and size; on the synthetic set
    epochs: int = 20  # ENet reaches about 6% mIoU, SegNet 16%: enough for a drop to show
    rounds: int = 7  # latency: alternating rounds of reference and system
    round_s: float = 0.3  # seconds per side and round (at least 2 iterations)

    @classmethod
    def from_dict(cls, d: dict) -> "CheckSettings":
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in d.items() if k in known})


# --------------------------------------------------------------------------------------------
# the baseline file

def load_baseline(path: str | Path) -> dict:
    path = Path(path)
    if not path.is_file():
        raise BadInput(f"no baseline at {path}: make one with `python -m bench check --baseline "
                       f"{path} --update`")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise BadInput(f"{path} is not valid JSON ({exc}): expected a baseline written by "
                       f"`bench check --update`") from None
    if not isinstance(data, dict) or data.get("segbench_baseline") != BASELINE_FORMAT or \
            not isinstance(data.get("systems"), dict):
        raise BadInput(f"{path} is not a segbench baseline (format {BASELINE_FORMAT}): expected "
                       f"an object with segbench_baseline: {BASELINE_FORMAT} and systems")
    return data


def parse_tolerances(items: list[str] | None) -> dict[str, float]:
    """``["latency=0.3", "miou=0.05,params=0"]`` -> {"latency": 0.3, ...}."""
    out: dict[str, float] = {}
    for item in items or []:
        for part in filter(None, (p.strip() for p in item.split(","))):
            metric, sep, value = part.partition("=")
            if not sep or metric not in METRICS:
                raise BadInput(f"--tolerance '{part}': expected METRIC=VALUE with METRIC one of "
                               f"{', '.join(METRICS)}")
            try:
                number = float(value)
            except ValueError:
                number = -1.0
            if not math.isfinite(number) or number < 0:
                raise BadInput(f"--tolerance '{part}': expected a number >= 0 (relative for "
                               f"params, gflops and latency, absolute mIoU for miou)")
            out[metric] = number
    return out


# --------------------------------------------------------------------------------------------
# measuring

def measure(name: str, settings: CheckSettings, stage=lambda s: None) -> dict:
    """The four metrics of one system, measured the way ``settings`` say."""
    from bench.environment import torch_threads
    from bench.measure.latency import RelativePolicy, relative_latency
    from bench.measure.reference import REFERENCE_NAME, reference_workload
    from models import get_system

    info = get_system(name)
    w, h = settings.width, settings.height
    with torch_threads(settings.threads):
        stage("size")
        if info.kind == "model":
            from bench.efficiency import build
            from bench.measure.flops import count_flops
            from bench.measure.params import count_parameters

            model = build(name, settings.num_classes, settings.seed)
            x = torch.randn(1, 3, h, w, generator=torch.Generator().manual_seed(settings.seed))
            params, gflops = count_parameters(model), count_flops(model, x).gflops

            def fn():
                with torch.inference_mode():
                    return model(x)
        else:
            import itertools

            from bench.datasets import open_dataset
            from classical.base import create_method

            method = create_method(name)
            images = itertools.cycle(
                [open_dataset("synthetic", "test", size=(w, h), seed=settings.seed,
                              length=3).raw(i)[0] for i in range(3)])
            params, gflops = 0, None

            def fn():
                return method.partition(next(images))
        stage("latency")
        latency = relative_latency(fn, reference_workload(w, h, settings.seed),
                                   policy=RelativePolicy(rounds=settings.rounds,
                                                         round_s=settings.round_s))
        stage("accuracy")
        miou = _accuracy(name, info.kind, settings)
    return {"params": params, "gflops": gflops, "latency": latency["latency_rel"],
            "miou": miou, "latency_ms": latency["latency_ms"],
            "reference_ms": latency["reference_ms"],
            "latency_rel_spread": latency["latency_rel_spread"], "reference": REFERENCE_NAME}


def _accuracy(name: str, kind: str, settings: CheckSettings) -> float:
    from bench.datasets import open_dataset
    from bench.profiles import get_profile

    profile = get_profile(settings.profile)
    # The check's synthetic frames are generated at the training size, so that the model is
    # scored at the size it trained at (the one protocol: the size the dataset stores) and the
    # check stays fast; the latency part times the check size separately.
    test = open_dataset("synthetic", "test", seed=settings.seed,
                        size=None if kind == "classical" else profile.train_size,
                        length=profile.synthetic_test_images)
    if kind == "classical":
        from classical.base import evaluate_classical

        train = open_dataset("synthetic", "train", seed=settings.seed,
                             length=profile.synthetic_train_images)
        return evaluate_classical(name, train, test, "learned", seed=settings.seed,
                                  max_train_images=profile.classical_train_images,
                                  progress=False)["miou"]
    from bench.train import TrainConfig, evaluate_checkpoint, train

    with tempfile.TemporaryDirectory(prefix="segbench-check-") as tmp:
        result = train(TrainConfig(system=name, dataset="synthetic", profile=settings.profile,
                                   seed=settings.seed, epochs=settings.epochs, check_data=False,
                                   checkpoints=tmp, val_size=profile.train_size),
                       progress=False)
        return evaluate_checkpoint(name, result.checkpoint, test, progress=False)["miou"]


# --------------------------------------------------------------------------------------------
# comparing

def compare(system: str, base: dict, now: dict | None, tolerances: dict[str, float],
            error: str | None = None) -> list[dict]:
    """One row per metric the baseline has for ``system``."""
    rows = []
    for metric in METRICS:
        if metric not in base:
            continue
        b, n, tol = base[metric], (now or {}).get(metric), tolerances[metric]
        row = {"system": system, "metric": metric, "baseline": b, "now": n, "change": None,
               "tolerance": tol}
        if b is None and n is None:
            row["verdict"] = "ok"  # not applicable (a classical method's FLOPs)
        elif n is None or b is None:
            row["verdict"] = "FAILED"
            row["error"] = error or ("not measured now" if n is None else "not in baseline")
        elif metric == "miou":
            row["change"] = n - b
            row["verdict"] = ("REGRESSION" if row["change"] < -tol - 1e-12 else
                              "improved" if row["change"] > tol + 1e-12 else "ok")
        else:
            row["change"] = (n - b) / b if b else (0.0 if n == b else math.inf)
            row["verdict"] = ("REGRESSION" if row["change"] > tol + 1e-12 else
                              "improved" if row["change"] < -tol - 1e-12 else "ok")
        rows.append(row)
    return rows


def _fmt(metric: str, v) -> str:
    if v is None:
        return "n/a"
    if metric == "params":
        return f"{int(v):,}"
    if metric == "miou":
        return f"{100 * v:.2f}%"
    if metric == "gflops":
        return f"{v:.4f}"
    return f"{v:.3f}x"


def _fmt_change(row: dict) -> str:
    c = row["change"]
    if c is None:
        return "-"
    if row["metric"] == "miou":
        return f"{100 * c:+.2f} pt"
    return "inf" if math.isinf(c) else f"{100 * c:+.1f}%"


def _fmt_tol(row: dict) -> str:
    t = row["tolerance"]
    return f"-{100 * t:.1f} pt" if row["metric"] == "miou" else f"+{100 * t:g}%"


def format_table(rows: list[dict]) -> str:
    head = ["system", "metric", "baseline", "now", "change", "tolerance", "verdict"]
    body = [[r["system"], r["metric"] + ("" if r["metric"] != "latency" else " (x ref)"),
             _fmt(r["metric"], r["baseline"]), _fmt(r["metric"], r["now"]), _fmt_change(r),
             _fmt_tol(r), r["verdict"] + (f" ({r['error']})" if r.get("error") else "")]
            for r in rows]
    widths = [max(len(x) for x in col) for col in zip(head, *body)]

    def line(cells: list[str]) -> str:
        return "  ".join(c.ljust(w) for c, w in zip(cells, widths)).rstrip()
    return "\n".join([line(head), line(["-" * w for w in widths]), *map(line, body)])


def _environment_note(baseline: dict, env: dict) -> str | None:
    then = baseline.get("environment", {})
    diffs = [f"{k} {then.get(k)} -> {env.get(k)}" for k in ("cpu", "cpu_count", "torch")
             if then.get(k) != env.get(k)]
    if not diffs:
        return None
    return ("baseline made elsewhere (" + "; ".join(diffs) + "): parameters and FLOPs compare "
            "exactly, latency ratios and trained mIoU approximately")


# --------------------------------------------------------------------------------------------
# the command

@dataclass
class CheckRequest:
    baseline: str
    models: list[str] | None = None
    update: bool = False
    tolerances: dict | None = None
    as_json: bool = False


def run_check(req: CheckRequest) -> int:
    from bench.environment import run_header
    from models import get_system

    path = Path(req.baseline)
    if req.update and not path.exists():
        baseline = {"segbench_baseline": BASELINE_FORMAT, "settings": asdict(CheckSettings()),
                    "tolerances": dict(DEFAULT_TOLERANCES), "systems": {}}
    else:
        baseline = load_baseline(path)
    settings = CheckSettings.from_dict(baseline.get("settings", {}))
    tolerances = {**DEFAULT_TOLERANCES, **baseline.get("tolerances", {}),
                  **(req.tolerances or {})}
    names = req.models or list(baseline["systems"]) or list(DEFAULT_SYSTEMS)
    for name in names:
        get_system(name)  # unknown names: exit 2 before measuring
        if not req.update and name not in baseline["systems"]:
            raise BadInput(f"'{name}' is not in the baseline {path} (it has "
                           f"{', '.join(baseline['systems']) or 'no systems'}): add it with "
                           f"--update --models {name}")

    measured: dict[str, dict | None] = {}
    errors: dict[str, str] = {}
    with tqdm(names, desc="check", unit="system", file=sys.stderr) as bar:
        for name in bar:
            bar.set_postfix_str(name)
            try:
                measured[name] = measure(name, settings,
                                         stage=lambda s, n=name: bar.set_postfix_str(f"{n}: {s}"))
            except Exception as exc:  # a broken model is a failed check, not a crash
                traceback.print_exc()
                measured[name], errors[name] = None, f"{type(exc).__name__}: {exc}"[:300]

    env = run_header("cpu")
    if req.update:
        return _update(path, baseline, measured, errors, tolerances, env, req.as_json)
    rows = [r for name in names
            for r in compare(name, baseline["systems"][name], measured[name], tolerances,
                             errors.get(name))]
    failed = any(r["verdict"] in ("REGRESSION", "FAILED") for r in rows)
    note = _environment_note(baseline, env)
    if req.as_json:
        print(json.dumps({"baseline": str(path), "passed": not failed, "rows": rows,
                          "measured": measured, "settings": asdict(settings), "note": note},
                         indent=2))
    else:
        print(format_table(rows))
        if note:
            print(f"\nnote: {note}")
        if any(r["verdict"] == "improved" for r in rows):
            print("\nsome metrics improved beyond the tolerance: keep the gain with --update")
        print(f"\n{'FAILED: regression against' if failed else 'passed:'} {path}")
    return 1 if failed else 0


def _update(path: Path, baseline: dict, measured: dict, errors: dict, tolerances: dict,
            env: dict, as_json: bool) -> int:
    if errors:
        for name, err in errors.items():
            print(f"segbench: {name} could not be measured ({err}); the baseline is unchanged",
                  file=sys.stderr)
        return 1
    systems = dict(baseline["systems"])
    for name, m in measured.items():
        systems[name] = {k: m[k] for k in (*METRICS, "latency_ms", "reference_ms", "reference")}
    new = {"segbench_baseline": BASELINE_FORMAT,
           "updated_utc": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
           "command": env.get("command"), "settings": baseline["settings"],
           "tolerances": tolerances, "environment": env, "systems": systems}
    atomic_write_text(path, json.dumps(new, indent=2) + "\n")
    if as_json:
        print(json.dumps(new, indent=2))
    else:
        print(f"baseline written: {path} ({', '.join(measured)} measured; "
              f"{len(systems)} systems in all)")
    return 0
