"""The `bench check` command: measure the systems, compare with the baseline (or update it),
print the verdicts, append to the history."""

from __future__ import annotations

import json
import sys
import traceback
from dataclasses import asdict, dataclass
from pathlib import Path

from tqdm import tqdm

from bench.check.baseline import (
    CheckSettings,
    baseline_for_update,
    environment_summary,
    load_baseline,
    tolerances_of,
    update_entries,
)
from bench.check.history import append_record, check_history_path, make_record
from bench.check.verdicts import compare, failed, format_table
from bench.errors import BadInput


@dataclass
class CheckRequest:
    baseline: str
    models: list[str] | None = None
    update: bool = False
    tolerances: dict | None = None
    as_json: bool = False
    history: str | None = None


def default_systems() -> list[str]:
    """Every deep model and every classical method in the registry."""
    from bench.systems import system_names

    return system_names("model") + system_names("classical")


def _systems(req: CheckRequest, baseline: dict, path: Path) -> list[str]:
    from bench.systems import get_system

    names = req.models or list(baseline["systems"]) or default_systems()
    if len(set(names)) != len(names):
        raise BadInput(f"--models {','.join(names)}: a system is named twice")
    for name in names:
        get_system(name)  # an unknown name: exit 2 before measuring
        if not req.update and name not in baseline["systems"]:
            raise BadInput(
                f"'{name}' is not in the baseline {path} (it has "
                f"{', '.join(baseline['systems']) or 'no systems'}): add it with "
                f"--update --models {name}"
            )
    return names


def _measure_all(
    names: list[str], baseline: dict, settings: CheckSettings, update: bool
) -> tuple[dict, dict]:
    """Every system prepared first (built, counted, fingerprinted), then ``settings.rounds``
    passes over all of them, each pass one latency round per system and thread count: each
    system's rounds are spread over the whole check, so that their spread sees the machine's
    load come and go as a check of several minutes meets it."""
    from bench.check.measure import finish, prepare, time_round

    prepared: dict = {}
    errors: dict[str, str] = {}

    def failed(name: str, exc: Exception) -> None:
        traceback.print_exc()
        prepared.pop(name, None)
        errors[name] = f"{type(exc).__name__}: {exc}"[:300]

    from bench.systems import get_system

    deep = sum(get_system(n).kind == "model" for n in names)
    with tqdm(
        total=len(names) + settings.rounds * (len(names) + deep),
        desc="check",
        unit="step",
        file=sys.stderr,
    ) as bar:
        for name in names:
            entry = baseline["systems"].get(name)
            size = (
                settings.size_for(name)
                if update or not entry
                else (int(entry["width"]), int(entry["height"]))
            )

            def stage(what: str, name: str = name) -> None:
                bar.set_postfix_str(f"{name}: {what}")

            try:
                prepared[name] = prepare(name, settings, size, stage=stage)
            except Exception as exc:  # a broken model is a failed check, not a crash
                failed(name, exc)
            bar.update()
        for r in range(settings.rounds):
            for metric in ("latency_1t", "latency_mt"):
                for name, p in list(prepared.items()):
                    if metric == "latency_mt" and p.entry["kind"] != "model":
                        continue
                    bar.set_postfix_str(f"{name}: {metric} round {r + 1}/{settings.rounds}")
                    try:
                        time_round(p, settings, metric, first=r == 0)
                    except Exception as exc:
                        failed(name, exc)
                    bar.update()
    measured = {
        name: finish(prepared[name], settings) if name in prepared else None for name in names
    }
    return measured, errors


def run_check(req: CheckRequest) -> int:
    from bench.environment import command_line

    path = Path(req.baseline)
    if path.is_dir():
        raise BadInput(f"--baseline {path} is a folder: expected a baseline JSON file")
    baseline = baseline_for_update(path) if req.update else load_baseline(path)
    settings = CheckSettings.from_dict(baseline.get("settings", {}))
    tolerances = tolerances_of(baseline, req.tolerances)
    names = _systems(req, baseline, path)
    history = check_history_path(req.history) if req.history else None

    measured, errors = _measure_all(names, baseline, settings, req.update)
    env = environment_summary()
    if req.update:
        if errors:
            for name, err in errors.items():
                print(
                    f"segbench: {name} could not be measured ({err}); the baseline is unchanged",
                    file=sys.stderr,
                )
            return 1
        entries = {name: {**m, "environment": env} for name, m in measured.items()}
        new = update_entries(path, {**baseline, "tolerances": tolerances}, entries, command_line())
        if history:
            append_record(history, make_record(measured, None, env, str(path), None))
        if req.as_json:
            print(json.dumps(new, indent=2))
        else:
            print(
                f"baseline written: {path} ({', '.join(measured)} measured; "
                f"{len(new['systems'])} systems in all)"
            )
        return 0

    rows = [
        r
        for name in names
        for r in compare(
            name, baseline["systems"][name], measured[name], tolerances, errors.get(name)
        )
    ]
    bad = failed(rows)
    notes = _environment_notes(baseline, names, env)
    if history:
        append_record(history, make_record(measured, rows, env, str(path), not bad))
    if req.as_json:
        print(
            json.dumps(
                {
                    "baseline": str(path),
                    "passed": not bad,
                    "rows": rows,
                    "measured": measured,
                    "settings": asdict(settings),
                    "tolerances": tolerances,
                    "environment": env,
                    "notes": notes,
                },
                indent=2,
            )
        )
    else:
        print(format_table(rows))
        for note in notes:
            print(f"\nnote: {note}")
        if any(r["verdict"] == "improved" for r in rows):
            print(
                "\nsome metrics improved beyond the tolerance and the noise: keep the gain "
                "with --update"
            )
        if any(r["verdict"] == "noisy" for r in rows):
            print(
                f"\nsome changes exceed the tolerance but not {tolerances['noise_k']:g} times "
                f"the spread this check measured (noisy): not judged; rerun on a quieter "
                f"machine"
            )
        print(f"\n{'FAILED: regression against' if bad else 'passed:'} {path}")
    return 1 if bad else 0


def _environment_notes(baseline: dict, names: list[str], env: dict) -> list[str]:
    """One note per different environment the checked entries were measured in."""
    groups: dict[str, list[str]] = {}
    for name in names:
        then = baseline["systems"][name].get("environment", {})
        diffs = [
            f"{k} {then.get(k)} -> {env.get(k)}"
            for k in ("cpu", "cpu_count", "torch", "numpy", "scikit-image")
            if then.get(k) != env.get(k)
        ]
        if diffs:
            groups.setdefault("; ".join(diffs), []).append(name)
    return [
        f"{', '.join(systems)} measured elsewhere ({diff}): parameters and FLOPs compare "
        f"exactly, latency ratios and fingerprints approximately"
        for diff, systems in groups.items()
    ]
