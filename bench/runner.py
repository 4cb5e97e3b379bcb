"""`bench run`: measure every asked-for system and write the run folder as rows arrive."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import traceback
from dataclasses import asdict, dataclass, field
from pathlib import Path

import torch
from tqdm import tqdm

from bench.claims import FLOPS_SIZE, claims
from bench.datasets import get_dataset_spec
from bench.efficiency import EfficiencyOptions, build, flop_fields, measure_system
from bench.environment import run_header
from bench.errors import BadInput
from bench.measure.latency import LatencyPolicy
from bench.options import PAPER_SIZES
from bench.report import write_full_report, write_report
from bench.results import RunResults, default_run_dir

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

    def efficiency_options(self) -> EfficiencyOptions:
        return EfficiencyOptions(
            device=self.device, sizes=list(self.sizes), precisions=list(self.precisions),
            batch_sizes=list(self.batch_sizes), modes=list(self.modes),
            channels_last=self.channels_last, fvcore=self.fvcore, seed=self.seed,
            dataset=self.dataset, data_root=self.data_root, repeats=self.repeats, policy=LatencyPolicy(max_time_s=self.max_time_s))


def set_threads(threads: int | None) -> int:
    n = threads or os.cpu_count() or 1
    torch.set_num_threads(n)
    return n


def run(config: RunConfig) -> Path:
    spec = get_dataset_spec(config.dataset, config.data_root)
    set_threads(config.threads)
    if config.device == "cuda":
        torch.backends.cudnn.benchmark = True
    out_dir = Path(config.out) if config.out else default_run_dir(config.dataset)
    header = run_header(config.device)
    header.update({"dataset": config.dataset, "profile": config.profile,
                   "config": {k: v for k, v in asdict(config).items() if k != "out"},
                   "latency_policy": asdict(config.efficiency_options().policy)})
    results = RunResults(out_dir, header)

    if "efficiency" not in config.skip:
        _efficiency_pass(config, spec.num_classes, results)
    if "accuracy" not in config.skip:
        _accuracy_pass(config, results)
    predictions = out_dir / "predictions"
    write_full_report(results.data, out_dir,
                      [predictions] if (predictions / "index.json").is_file() else [])
    return out_dir


def check_datasets(config: RunConfig) -> None:
    """Open every file of every split the accuracy pass needs, so that bad data fails with
    exit code 2 before anything is measured or trained."""
    if "accuracy" in config.skip:
        return
    from bench.datasets import check_files, open_dataset

    for split in ("train", "val", "test"):
        check_files(open_dataset(config.dataset, split, data_root=config.data_root,
                                 seed=config.seed))


def _accuracy_pass(config: RunConfig, results: RunResults) -> None:
    """Train each deep model with the profile (or reuse its cached checkpoint), then score it on
    the test split; score each classical method under both protocols (oracle and learned)."""
    from classical.base import evaluate_classical
    from bench.datasets import open_dataset
    from bench.predictions import PredictionWriter
    from bench.profiles import get_profile
    from bench.train import (TrainConfig, evaluate_checkpoint, given_weights, train,
                             weights_provenance)
    from models import get_system

    profile = get_profile(config.profile)
    synthetic = config.dataset == "synthetic"
    test = open_dataset(config.dataset, "test", data_root=config.data_root, seed=config.seed,
                        **({"length": profile.synthetic_test_images} if synthetic else {}))
    saved = PredictionWriter(results.dir / "predictions", test)
    train_split = None
    for name in config.systems:
        info = get_system(name)
        if info.kind == "classical":
            if train_split is None:
                train_split = open_dataset(
                    config.dataset, "train", data_root=config.data_root, seed=config.seed,
                    **({"length": profile.synthetic_train_images} if synthetic else {}))
            for protocol in ("oracle", "learned"):
                base = {"system": name, "kind": "classical", "dataset": config.dataset,
                        "split": "test", "protocol": protocol, "profile": None,
                        "seed": config.seed, "device": "cpu"}
                try:
                    metrics = evaluate_classical(
                        name, train_split, test, protocol, seed=config.seed,
                        max_train_images=profile.classical_train_images,
                        on_prediction=(lambda i, p, n=name: saved.add(n, i, p))
                        if protocol == "learned" else None)
                    row = {**base, **metrics, "train_seconds": metrics.get("train_s"),
                           "inference_size": _stored_size(test), "status": "ok"}
                    if protocol == "learned":
                        saved.finish(name, protocol, None)
                except Exception as exc:  # one method failing must not lose the others
                    traceback.print_exc()
                    row = {**base, "status": "failed",
                           "error": f"{type(exc).__name__}: {exc}"[:500]}
                results.add("accuracy", row)
                write_report(results.data, results.dir)
            continue
        base = {"system": name, "kind": "model", "dataset": config.dataset, "split": "test",
                "protocol": "trained", "profile": config.profile, "seed": config.seed,
                "device": config.device}
        try:
            if name in config.weights:  # the user's (or a committed) checkpoint: scored, not trained
                path = config.weights[name]
                origin = given_weights(path)
                base["profile"] = origin.pop("profile", None)
                label = base["profile"] or "given weights"
            else:
                trained = train(TrainConfig(system=name, dataset=config.dataset,
                                            data_root=config.data_root, profile=config.profile,
                                            seed=config.seed, device=config.device,
                                            check_data=False))  # check_datasets did it
                path, label = trained.checkpoint, config.profile
                origin = {**weights_provenance(trained), "train_size": list(profile.train_size)}
            metrics = evaluate_checkpoint(
                name, path, test, device=config.device, desc=f"{name} test",
                on_prediction=lambda i, p, n=name: saved.add(n, i, p))
            saved.finish(name, "trained", label)
            row = {**base, **metrics, **origin, "checkpoint": str(path), "status": "ok"}
        except BadInput:
            raise  # bad data is the user's to fix: exit 2, the rows so far are saved
        except Exception as exc:  # one model failing to train must not lose the others
            traceback.print_exc()
            row = {**base, "status": "failed", "error": f"{type(exc).__name__}: {exc}"[:500]}
        results.add("accuracy", row)
        write_report(results.data, results.dir)


def _stored_size(dataset) -> str:
    """WIDTHxHEIGHT of the dataset's first frame as the systems see it."""
    label = dataset.label(0)
    return f"{label.shape[1]}x{label.shape[0]}"


def _efficiency_pass(config: RunConfig, num_classes: int, results: RunResults) -> None:
    opts = config.efficiency_options()
    per_system = (len(opts.sizes) * len(opts.precisions) * len(opts.batch_sizes)
                  * len(opts.modes))
    paper_size_flops: dict = {}
    with tqdm(total=per_system * len(config.systems), desc="efficiency", unit="cell") as bar:
        for i, name in enumerate(config.systems):
            rows = (_isolated(name, num_classes, opts) if config.isolate
                    else measure_system(name, num_classes, opts, progress=bar.set_postfix_str))
            for row in rows:
                results.add("efficiency", row)
                bar.update(1)
            bar.n = (i + 1) * per_system
            bar.refresh()
            measured = {r["system"] for r in results.rows("efficiency")}
            if {"enet", "segnet"} <= measured and FLOPS_SIZE not in config.sizes \
                    and not paper_size_flops:
                paper_size_flops = _paper_size_flops(config, num_classes)
            results.set_rows("claims", claims(results.rows("efficiency"), paper_size_flops))
            write_report(results.data, results.dir)


def _paper_size_flops(config: RunConfig, num_classes: int) -> dict:
    """FLOPs of ENet and SegNet at 640x360, for the claim, when the run measured other sizes."""
    return {name: {**flop_fields(build(name, num_classes, config.seed), *FLOPS_SIZE,
                                 config.fvcore), "num_classes": num_classes}
            for name in ("enet", "segnet")}


def _isolated(name: str, num_classes: int, opts: EfficiencyOptions) -> list[dict]:
    """Measure one system in a fresh Python process, so that allocator and compile caches of one
    model cannot affect the next. A crash of the child becomes a failed row."""
    with tempfile.TemporaryDirectory() as tmp:
        rows_path = Path(tmp) / "rows.jsonl"
        job = {"name": name, "num_classes": num_classes, "options": asdict(opts),
               "threads": torch.get_num_threads(), "rows": str(rows_path)}
        proc = subprocess.run([sys.executable, "-m", "bench.worker", json.dumps(job)],
                              stderr=subprocess.PIPE, text=True)
        rows = ([json.loads(line) for line in rows_path.read_text().splitlines()]
                if rows_path.exists() else [])
        if proc.returncode != 0:
            reason = (proc.stderr.strip().splitlines() or ["no output"])[-1]
            rows.append({"system": name, "device": opts.device, "status": "failed",
                         "error": f"worker exited with {proc.returncode}: {reason}"[:500]})
        return rows
