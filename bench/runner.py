"""`bench run`: measure every asked-for system and write the run folder as rows arrive."""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import subprocess
import sys
import tempfile
import traceback
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import torch
from tqdm import tqdm

from bench import interrupts
from bench.claims import FLOPS_SIZE
from bench.datasets.loader import get_dataset_spec
from bench.efficiency import EfficiencyOptions, build, flop_fields, measure_system
from bench.environment import run_header
from bench.errors import BadInput
from bench.measure.latency import LatencyPolicy
from bench.options import PAPER_SIZES
from bench.plan import Cell, Shard, Sweep, parse_shard, weights_tag
from bench.profiles import get_profile
from bench.records import failed_row, row_key, training_key
from bench.report import write_full_report, write_report
from bench.results import (
    PAPER_FLOPS,
    RunResults,
    default_run_dir,
    load_results,
    remove_stale_temporaries,
    utc_stamp,
)
from bench.store import STORE_NAME, FolderLock

DEEP_MODELS = ("enet", "segnet", "unet", "pspnet", "deeplabv3plus")


@dataclass
class RunConfig:
    systems: list[str] = field(default_factory=lambda: list(DEEP_MODELS))
    dataset: str = "synthetic"
    data_root: str | None = None
    device: str = "cpu"
    sizes: list[tuple[int, int]] = field(default_factory=lambda: list(PAPER_SIZES))
    precisions: list[str] = field(default_factory=lambda: ["fp32"])
    batch_sizes: list[int] = field(default_factory=lambda: [1])
    modes: list[str] = field(default_factory=lambda: ["eager"])
    channels_last: bool = False
    profile: str = "quick"
    skip: list[str] = field(default_factory=list)
    out: str | None = None
    seed: int = 0
    threads: int | None = None  # CPU threads for torch; default: all cores
    isolate: bool = False  # each system in its own process
    fvcore: bool = True
    max_time_s: float = 15.0  # per cell, for very slow cases
    repeats: int = 1  # timed rounds per cell, for a noise estimate
    weights: dict[str, str] = field(default_factory=dict)  # system -> checkpoint: no training
    force: bool = False  # measure every cell again, even those the folder has
    shard: str | None = None  # 'I/N': this machine's share of the cells
    run_id: str | None = None  # default: new per run; derived from the sweep for shards

    def efficiency_options(self) -> EfficiencyOptions:
        return EfficiencyOptions(
            device=self.device,
            sizes=list(self.sizes),
            precisions=list(self.precisions),
            batch_sizes=list(self.batch_sizes),
            modes=list(self.modes),
            channels_last=self.channels_last,
            fvcore=self.fvcore,
            seed=self.seed,
            dataset=self.dataset,
            data_root=self.data_root,
            repeats=self.repeats,
            policy=LatencyPolicy(max_time_s=self.max_time_s),
        )


def set_threads(threads: int | None) -> int:
    n = threads or os.cpu_count() or 1
    torch.set_num_threads(n)
    return n


#: Settings that make two sessions' rows comparable: a run folder is resumed only with these
#: unchanged (the grid of systems, sizes, precisions, batches and modes may grow).
SETTINGS = (
    "dataset",
    "profile",
    "seed",
    "device",
    "device_name",
    "threads",
    "channels_last",
    "fvcore",
    "max_time_s",
    "repeats",
    "torch",
)


def _protocols(info) -> tuple[str, ...]:
    """How a system's accuracy is scored: a classical method's own protocols, things-only for
    an instance model, nothing special (trained) for the others."""
    from bench.instance import THINGS_ONLY

    return (THINGS_ONLY,) if info.family == "instance" else info.protocols


def sweep_of(config: RunConfig) -> Sweep:
    from bench.systems import get_system

    return Sweep(
        systems=list(config.systems),
        kinds={n: get_system(n).kind for n in config.systems},
        protocols={n: _protocols(get_system(n)) for n in config.systems},
        device=config.device,
        sizes=list(config.sizes),
        precisions=list(config.precisions),
        modes=list(config.modes),
        batch_sizes=list(config.batch_sizes),
        channels_last=config.channels_last,
        dataset=config.dataset,
        profile=config.profile,
        seed=config.seed,
        weights={n: weights_tag(p) for n, p in config.weights.items()},
        skip=list(config.skip),
    )


def run(config: RunConfig) -> Path:
    """Measure the cells of the sweep (this shard's share) that the run folder lacks, appending
    each row to the folder's store as it is measured; render results.json, the CSVs, report.md
    and the figures from the store. Interrupted (SIGINT, SIGTERM), it renders what finished."""
    spec = get_dataset_spec(config.dataset, config.data_root)
    set_threads(config.threads)
    if config.device == "cuda":
        torch.backends.cudnn.benchmark = True
    out_dir = Path(config.out) if config.out else default_run_dir(config.dataset)
    if out_dir.exists() and not out_dir.is_dir():
        raise BadInput(f"--out {out_dir} is a file: expected a run folder (new, or one to resume)")
    sweep, shard = sweep_of(config), parse_shard(config.shard)
    with FolderLock(out_dir):
        remove_stale_temporaries(out_dir)
        legacy = not (out_dir / STORE_NAME).is_file()
        previous = _previous_run(out_dir)
        header = _header(config, sweep, shard, previous)
        plan = [c.key for c in sweep.cells()]
        if legacy and previous is not None:  # its header and rows first, then this session
            results = RunResults(out_dir, previous["run"])
            _import_legacy(previous, results)
            results.begin(header, plan, str(shard) if shard else None)
        else:
            results = RunResults(out_dir, header, plan, str(shard) if shard else None)
        try:
            mine = sweep.cells(shard)
            done = results.ok()
            todo = [c for c in mine if config.force or c.key not in done]
            if len(todo) < len(mine):
                tqdm.write(
                    f"resuming {out_dir}: {len(mine) - len(todo)} of {len(mine)} cells "
                    f"already measured, measuring the other {len(todo)} (--force "
                    f"measures every cell again)",
                    file=sys.stderr,
                )
            try:
                eff = [c for c in todo if c.table == "efficiency"]
                if eff or _needs_paper_flops(config, shard, results):
                    _efficiency_pass(config, spec.num_classes, results, eff, shard)
                acc = [c for c in todo if c.table == "accuracy"]
                if acc:
                    _accuracy_pass(config, results, acc)
            except KeyboardInterrupt as exc:
                _render(results)
                left = len([c for c in mine if c.key not in results.ok()])
                exc.args = (
                    f"every finished row is kept in {out_dir} ({STORE_NAME}, with "
                    f"results.json and report.md rendered from it); run the same "
                    f"command again to measure the {left} cells left",
                )
                raise
            except Exception:
                with contextlib.suppress(Exception):  # the views, if the disk still allows
                    _render(results)
                raise
            data = results.render()
        finally:
            results.close()
        predictions = out_dir / "predictions"
        write_full_report(
            data, out_dir, [predictions] if (predictions / "index.json").is_file() else []
        )
    return out_dir


def _previous_run(out_dir: Path) -> dict | None:
    """The results already in a run folder (its store, or a results.json of an older segbench
    that had none), or None for a new folder."""
    if (out_dir / STORE_NAME).is_file() or (out_dir / "results.json").is_file():
        return load_results(out_dir)
    return None


def _import_legacy(previous: dict, results: RunResults) -> None:
    """Rows of a folder written before the store existed become the store's first rows."""
    profile = previous["run"].get("profile")  # classical rows name none; their cells do
    for table in ("efficiency", "accuracy", "training"):
        for row in previous[table]:
            row = {k: v for k, v in row.items() if v is not None and k != "cell"}
            results.add(
                table,
                row,
                key=row_key(table, {"profile": profile, **row})
                if row.get("profile") is None
                else None,
            )


def _header(config: RunConfig, sweep: Sweep, shard, previous: dict | None) -> dict:
    """This session's run header; a resumed folder keeps its run id and must keep SETTINGS."""
    header = run_header(config.device)
    header.update(
        {
            "dataset": config.dataset,
            "profile": config.profile,
            "profile_description": get_profile(config.profile).description,
            "config": {k: v for k, v in asdict(config).items() if k != "out"},
            "latency_policy": asdict(config.efficiency_options().policy),
            "shard": str(shard) if shard else None,
            "sweep": sweep.sweep_id(),
        }
    )
    settings = {
        **header["config"],
        "device_name": header.get("device_name"),
        "threads": header.get("threads"),
        "torch": header.get("torch"),
    }
    header["settings"] = {k: settings.get(k) for k in SETTINGS}
    if previous is None:
        header["run_id"] = config.run_id or (
            f"sweep-{sweep.sweep_id()}"
            if shard
            else f"{utc_stamp()}-{config.dataset}-{secrets.token_hex(3)}"
        )
        return header
    before = previous["run"]
    old = before.get("settings") or {
        **(before.get("config") or {}),
        **{k: before.get(k) for k in ("device_name", "threads", "torch")},
    }
    changed = [
        f"{k}: {old[k]!r} then, {header['settings'][k]!r} now"
        for k in SETTINGS
        if old.get(k) is not None and old[k] != header["settings"][k]
    ]
    if changed:
        raise BadInput(
            f"{config.out} holds a run with other settings ({'; '.join(changed)}): "
            f"expected the same settings to resume it, or another --out for a new "
            f"run"
        )
    assert config.out is not None, "a run folder to resume is always named"
    run_id = before.get("run_id") or Path(config.out).name
    if config.run_id and config.run_id != run_id:
        raise BadInput(
            f"--run-id {config.run_id}: {config.out} holds run {run_id}: expected "
            f"the same run id to resume it, or another --out"
        )
    header["run_id"] = run_id
    return header


def _render(results: RunResults) -> dict:
    """results.json, the CSVs and report.md from every row so far (no figures: fast)."""
    data = results.render()
    write_report(data, results.dir)
    return data


def check_datasets(config: RunConfig) -> None:
    """Open every file of every split the accuracy pass needs, so that bad data fails with
    exit code 2 before anything is measured or trained."""
    if "accuracy" in config.skip:
        return
    from bench.datasets import check_files, open_dataset

    for split in ("train", "val", "test"):
        check_files(
            open_dataset(config.dataset, split, data_root=config.data_root, seed=config.seed)
        )


def _by_system(cells: list[Cell]) -> dict[str, list[Cell]]:
    out: dict[str, list[Cell]] = {}
    for c in cells:
        out.setdefault(c.system, []).append(c)
    return out


def _efficiency_pass(
    config: RunConfig, num_classes: int, results: RunResults, cells: list[Cell], shard: Shard | None
) -> None:
    """Measure ``cells``, one system at a time; each row is stored as it arrives, the views are
    rendered after each system."""
    opts = config.efficiency_options()
    with tqdm(total=len(cells), desc="efficiency", unit="cell") as bar:
        for name, mine in _by_system(cells).items():
            chosen = {(c.width, c.height, c.precision, c.mode, c.batch) for c in mine}
            rows = (
                _isolated(name, num_classes, opts, chosen)
                if config.isolate
                else measure_system(
                    name,
                    num_classes,
                    opts,
                    progress=bar.set_postfix_str,
                    wanted=lambda *cell, chosen=chosen: cell in chosen,
                )
            )
            for row in rows:
                results.add("efficiency", row)
                bar.update(1)
                interrupts.check()
            _render(results)
    if _needs_paper_flops(config, shard, results):
        for name in ("enet", "segnet"):
            row = {
                "system": name,
                "num_classes": num_classes,
                **flop_fields(build(name, num_classes, config.seed), *FLOPS_SIZE, config.fvcore),
            }
            results.add(PAPER_FLOPS, row, key=f"{PAPER_FLOPS}/{name}")
        _render(results)


def _needs_paper_flops(config: RunConfig, shard: Shard | None, results: RunResults) -> bool:
    """FLOPs of ENet and SegNet at 640x360 are counted apart, for the claim, when the run has
    both but not that size (by the first shard only, once per folder unless --force)."""
    return (
        "efficiency" not in config.skip
        and {"enet", "segnet"} <= set(config.systems)
        and FLOPS_SIZE not in config.sizes
        and (shard is None or shard.index == 1)
        and (config.force or len(results.rows(PAPER_FLOPS)) < 2)
    )


def _accuracy_pass(config: RunConfig, results: RunResults, cells: list[Cell]) -> None:
    """Train each deep model with the profile (or reuse its cached checkpoint, or score given
    weights), then score it on the test split; score each classical method under the protocols
    asked for (oracle and learned). One row per cell, stored as it is scored."""
    from bench.predictions import PredictionWriter
    from bench.systems import get_system

    profile = get_profile(config.profile)
    test = _open_split(config, "test", profile.scoring_size(config.dataset))
    saved = PredictionWriter(results.dir / "predictions", test)
    train_split = None
    for cell in cells:
        if get_system(cell.system).kind == "classical":
            if train_split is None:
                train_split = _open_split(config, "train")
            row = _score_classical(config, cell, profile, train_split, test, saved)
        elif get_system(cell.system).family == "instance":
            row = _score_instance(config, cell, profile, test, saved)
        else:
            row = _score_model(config, cell, profile, test, saved, results)
        results.add("accuracy", row, key=cell.key)
        _render(results)
        interrupts.check()


def _open_split(config: RunConfig, split: str, size: tuple[int, int] | None = None):
    """A split of the run's dataset at ``size`` (None: as stored); on the synthetic dataset, as
    many images as the profile gives that split."""
    from bench.datasets import open_dataset

    profile = get_profile(config.profile)
    length = profile.synthetic_test_images if split == "test" else profile.synthetic_train_images
    return open_dataset(
        config.dataset,
        split,
        data_root=config.data_root,
        seed=config.seed,
        size=size,
        **({"length": length} if config.dataset == "synthetic" else {}),
    )


def _score_classical(config: RunConfig, cell: Cell, profile, train_split, test, saved) -> dict:
    from bench.measure.classical import evaluate_classical
    from bench.systems import get_system

    name, protocol = cell.system, cell.protocol
    base = {
        "system": name,
        "kind": "classical",
        "dataset": config.dataset,
        "split": "test",
        "protocol": protocol,
        "profile": None,
        "seed": config.seed,
        "device": "cpu",
    }
    assert protocol is not None, "accuracy cells of classical methods name their protocol"
    try:
        score: Any = evaluate_classical
        if get_system(name).inputs == "sequence":  # motion: frames streamed in order
            from bench.measure.motion import evaluate_motion

            score = evaluate_motion
        metrics = score(
            name,
            train_split,
            test,
            protocol,
            seed=config.seed,
            max_train_images=profile.classical_train_images,
            on_prediction=(lambda i, p: saved.add(name, i, p)) if protocol == "learned" else None,
        )
        if protocol == "learned":
            saved.finish(name, protocol, None)
        return {
            **base,
            **metrics,
            "train_seconds": metrics.get("train_s"),
            "inference_size": _stored_size(test),
            "status": "ok",
        }
    except Exception as exc:  # one method failing must not lose the others
        traceback.print_exc()
        return failed_row(exc, **base)


def _score_instance(config: RunConfig, cell: Cell, profile, test, saved) -> dict:
    """An instance model: trained with the profile's budget on instances made from the labels,
    scored things-only (``bench.instance``); given weights are scored without training."""
    from bench.instance import PROTOCOL_NOTE, evaluate_things_only, train_instance_model
    from bench.systems import create_model

    name = cell.system
    base = {
        "system": name,
        "kind": "model",
        "dataset": config.dataset,
        "split": "test",
        "protocol": cell.protocol,
        "protocol_note": PROTOCOL_NOTE,
        "profile": config.profile,
        "seed": config.seed,
        "device": "cpu",
    }
    try:
        torch.manual_seed(config.seed)
        model = create_model(name, test.spec.num_classes)
        if name in config.weights:
            state = torch.load(config.weights[name], map_location="cpu", weights_only=True)
            model.load_state_dict(state.get("model", state))
            trained: dict = {"profile": None, "checkpoint": str(config.weights[name])}
            base["profile"] = None
        else:
            train_split = _open_split(config, "train", profile.train_size)
            trained = train_instance_model(model, train_split, profile, seed=config.seed)
            trained.update(
                epochs=profile.epochs,
                train_size=list(profile.train_size),
                images_per_epoch=profile.images_per_epoch,
            )
        metrics = evaluate_things_only(
            model, test, on_prediction=lambda i, p: saved.add(name, i, p)
        )
        saved.finish(name, cell.protocol or "things-only", config.profile)
        return {
            **base,
            **metrics,
            **trained,
            "inference_size": _stored_size(test),
            "status": "ok",
        }
    except BadInput:
        raise
    except Exception as exc:  # one model failing must not lose the others
        traceback.print_exc()
        return failed_row(exc, **base)


def _score_model(config: RunConfig, cell: Cell, profile, test, saved, results: RunResults) -> dict:
    from bench.train import (
        TrainConfig,
        evaluate_checkpoint,
        given_weights,
        train,
        weights_provenance,
    )

    name = cell.system
    base = {
        "system": name,
        "kind": "model",
        "dataset": config.dataset,
        "split": "test",
        "protocol": "trained",
        "profile": config.profile,
        "seed": config.seed,
        "device": config.device,
    }
    try:
        if name in config.weights:  # the user's (or a committed) checkpoint: scored, not trained
            path: str | Path = config.weights[name]
            origin = given_weights(path)
            base["profile"] = origin.pop("profile", None)
            label = base["profile"] or "given weights"
        else:
            trained = train(
                TrainConfig(
                    system=name,
                    dataset=config.dataset,
                    data_root=config.data_root,
                    profile=config.profile,
                    seed=config.seed,
                    device=config.device,
                    check_data=False,
                )
            )  # check_datasets did it
            path, label = trained.checkpoint, config.profile
            origin = {**weights_provenance(trained), "train_size": list(profile.train_size)}
            results.add(
                "training",
                {
                    "system": name,
                    "dataset": config.dataset,
                    "profile": config.profile,
                    "seed": config.seed,
                    "device": config.device,
                    "checkpoint": str(path),
                    **origin,
                    "status": "ok",
                },
                key=training_key(name, config.dataset, config.profile, config.seed),
            )
        if cell.mode is not None:  # the trained model in a deployment runtime
            metrics = _score_in_runtime(config, cell.mode, name, path, test)
            return {**base, **metrics, **origin, "checkpoint": str(path), "status": "ok"}
        metrics = evaluate_checkpoint(
            name,
            path,
            test,
            device=config.device,
            desc=f"{name} test",
            on_prediction=lambda i, p: saved.add(name, i, p),
        )
        saved.finish(name, "trained", label)
        return {**base, **metrics, **origin, "checkpoint": str(path), "status": "ok"}
    except BadInput:
        raise  # bad data is the user's to fix: exit 2, the rows so far are saved
    except Exception as exc:  # one model failing to train must not lose the others
        traceback.print_exc()
        return failed_row(exc, **base)


def _score_in_runtime(config: RunConfig, runtime: str, name: str, path, test) -> dict:
    """A trained checkpoint's metrics on ``test`` run by ``runtime`` (``bench.runtimes``),
    built for batch 1 at the split's size with the model's padding inside the built graph; int8
    is calibrated on training images at that size. Its drift from eager is the table's."""
    from bench.checkpoints import load_checkpoint
    from bench.runtime_accuracy import calibration_from, runtime_accuracy
    from bench.systems import any_size, get_system

    model = load_checkpoint(name, test.spec.num_classes, path, config.device)
    calibration = None
    if runtime == "int8":
        size = get_profile(config.profile).scoring_size(config.dataset)
        calibration = calibration_from(_open_split(config, "train", size))
    (row,) = runtime_accuracy(
        any_size(model, get_system(name).input_divisor),
        test,
        [runtime],
        calibration,
        device=config.device,
    )
    row.pop("miou_drift", None)
    row["runtime_notes"] = "; ".join(row["runtime_notes"]) or None
    return row


def _stored_size(dataset) -> str:
    """WIDTHxHEIGHT of the dataset's first frame as the systems see it."""
    label = dataset.label(0)
    return f"{label.shape[1]}x{label.shape[0]}"


def _isolated(
    name: str, num_classes: int, opts: EfficiencyOptions, cells: set[tuple] | None = None
) -> list[dict]:
    """Measure one system in a fresh Python process, so that allocator and compile caches of one
    model cannot affect the next. A crash of the child becomes a failed row."""
    with tempfile.TemporaryDirectory() as tmp:
        rows_path = Path(tmp) / "rows.jsonl"
        job = {
            "name": name,
            "num_classes": num_classes,
            "options": asdict(opts),
            "threads": torch.get_num_threads(),
            "rows": str(rows_path),
            "cells": None if cells is None else sorted(cells),
        }
        proc = subprocess.run(
            [sys.executable, "-m", "bench.worker", json.dumps(job)],
            stderr=subprocess.PIPE,
            text=True,
        )
        rows = (
            [json.loads(line) for line in rows_path.read_text().splitlines()]
            if rows_path.exists()
            else []
        )
        if proc.returncode != 0:
            reason = (proc.stderr.strip().splitlines() or ["no output"])[-1]
            rows.append(
                failed_row(
                    f"worker exited with {proc.returncode}: {reason}",
                    system=name,
                    device=opts.device,
                )
            )
        return rows
