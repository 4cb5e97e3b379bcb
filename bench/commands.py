"""The commands of the CLI: each takes the parsed options, checks them (BadInput for anything
wrong, before any work starts), calls the harness and prints where the results are.

``bench.cli`` defines the options and dispatches here; nothing here parses ``sys.argv``.
"""

from __future__ import annotations

import argparse

from bench.errors import EXIT_OK, BadInput


def cmd_list(args: argparse.Namespace) -> int:
    from bench.datasets import DATASETS
    from bench.profiles import PROFILES
    from bench.systems import list_systems
    from models.registry import FAMILIES

    systems = list_systems()
    width = max(len(s.name) for s in systems)
    families = ", ".join(
        f"{sum(s.family == f for s in systems)} {f}"
        for f in FAMILIES
        if any(s.family == f for s in systems)
    )
    print(f"Systems ({len(systems)}: {families}):")
    for s in systems:
        caps = ", ".join(k for k, v in vars(s.capabilities).items() if v) or "none"
        tag = s.kind if s.kind == s.family else f"{s.kind}, {s.family}"
        print(f"  {s.name:<{width}}  [{tag}] {s.description}")
        print(f"  {'':<{width}}  paper: {s.paper}")
        if s.kind == "classical":
            scored = f"scored: {', '.join(s.protocols)}"
            reads = "a frame sequence" if s.inputs == "sequence" else "one image"
            print(f"  {'':<{width}}  reads: {reads}, {scored}")
        else:
            print(
                f"  {'':<{width}}  input divisor: {s.input_divisor}, min size: {s.min_size}, "
                f"supports: {caps}"
            )
        if s.notes and (args.verbose or s.kind == "model"):  # a deep model's card, in short
            print(f"  {'':<{width}}  card: {s.notes}")
    print("\nDatasets:")
    for d in DATASETS.values():
        print(f"  {d.name:<16} {d.num_classes} classes: {d.description}")
    print(f"  {'folder':<16} your own data: --data-root DIR with images/, masks/ and classes.json")
    print("\nProfiles:")
    for p in PROFILES.values():
        print(
            f"  {p.name:<8} {p.description} ({p.epochs} epochs, batch {p.batch_size}, "
            f"{p.train_size[0]}x{p.train_size[1]})"
        )
    return EXIT_OK


def cmd_run(args: argparse.Namespace) -> int:
    from bench import runner
    from bench.datasets import get_dataset_spec
    from bench.efficiency import GPU_MODES, MODES
    from bench.options import (
        check_fits,
        default_sizes,
        parse_ints,
        parse_precisions,
        parse_sizes,
        resolve_device,
        split_list,
    )
    from bench.plan import parse_shard
    from bench.profiles import get_profile
    from bench.systems import get_system

    systems = split_list(args.models) if args.models else list(runner.DEEP_MODELS)
    for name in systems:
        get_system(name)  # unknown names fail here, before anything is measured
    skip = split_list(args.skip or "")
    for s in skip:
        if s not in ("accuracy", "efficiency"):
            raise BadInput(f"--skip '{s}': expected accuracy or efficiency")
    spec = get_dataset_spec(args.dataset, args.data_root)
    get_profile(args.profile)
    modes = split_list(args.modes)
    if args.compile and "compile" not in modes:
        modes.append("compile")
    for m in modes:
        if m not in MODES:
            raise BadInput(f"unknown mode '{m}': expected some of {', '.join(MODES)}")
    device = resolve_device(args.device)
    for m in modes:
        if m in GPU_MODES and device != "cuda":
            raise BadInput(f"mode {m} needs a GPU: expected --device cuda")
    if "tf32" in split_list(args.precision) and device != "cuda":
        raise BadInput(
            "precision tf32 is a GPU mode (TF32 tensor cores): expected --device "
            "cuda, or fp32 on a CPU"
        )
    if args.threads is not None and args.threads < 1:
        raise BadInput(f"--threads {args.threads}: expected a positive number")
    if args.repeats < 1:
        raise BadInput(f"--repeats {args.repeats}: expected at least 1")
    if args.max_time <= 0:
        raise BadInput(f"--max-time {args.max_time}: expected a positive number of seconds")
    sizes = parse_sizes(args.sizes) if args.sizes else default_sizes(device)
    precisions = parse_precisions(args.precision)
    batch_sizes = parse_ints(args.batch_sizes, "batch size")
    if "efficiency" not in skip:
        check_fits(sizes, batch_sizes, precisions, device, spec.num_classes)
    config = runner.RunConfig(
        systems=systems,
        dataset=args.dataset,
        data_root=args.data_root,
        device=device,
        sizes=sizes,
        precisions=precisions,
        batch_sizes=batch_sizes,
        modes=modes,
        channels_last=args.channels_last,
        profile=args.profile,
        skip=skip,
        out=args.out,
        weights=_parse_weights(args.weights, systems),
        force=args.force,
        shard=str(parse_shard(args.shard)) if args.shard else None,
        run_id=args.run_id,
        seed=args.seed,
        threads=args.threads,
        isolate=args.isolate,
        fvcore=not args.no_fvcore,
        max_time_s=args.max_time,
        repeats=args.repeats,
    )
    runner.check_datasets(config)
    out_dir = runner.run(config)
    print(f"results: {out_dir / 'results.json'}\nreport:  {out_dir / 'report.md'}")
    return EXIT_OK


def _train_config(args: argparse.Namespace):
    """The TrainConfig that the train and eval options describe (validated)."""
    from bench.datasets import get_dataset_spec
    from bench.options import resolve_device
    from bench.profiles import get_profile
    from bench.systems import require_kind
    from bench.train import TrainConfig

    require_kind(
        args.model,
        "model",
        "only deep models are trained and evaluated from "
        "checkpoints (classical methods are scored by `run`)",
    )
    get_dataset_spec(args.dataset, args.data_root)
    profile = get_profile(args.profile)
    for name in ("epochs", "lr_step", "batch_size"):
        value = getattr(args, name, None)
        if value is not None and value < 1:
            raise BadInput(f"--{name.replace('_', '-')} {value}: expected at least 1")
    epochs = getattr(args, "epochs", None) or profile.epochs
    first = getattr(args, "encoder_first_epochs", 0)
    if not 0 <= first < epochs:
        raise BadInput(
            f"--encoder-first-epochs {first}: expected 0 to {epochs - 1} (fewer "
            f"than the {epochs} epochs in all)"
        )
    if first and args.model != "enet":
        raise BadInput("--encoder-first-epochs is ENet's two-stage schedule: only for enet")
    limit = getattr(args, "time_limit", None)
    if limit is not None and limit <= 0:
        raise BadInput(f"--time-limit {limit}: expected a positive number of seconds")
    return TrainConfig(
        system=args.model,
        dataset=args.dataset,
        data_root=args.data_root,
        profile=args.profile,
        seed=args.seed,
        device=resolve_device(args.device),
        epochs=getattr(args, "epochs", None),
        lr_step_epochs=getattr(args, "lr_step", None),
        batch_size=getattr(args, "batch_size", None),
        encoder_first_epochs=first,
        amp=args.amp,
        channels_last=args.channels_last,
        compile=getattr(args, "compile", False),
        checkpoints=args.checkpoints,
        time_limit_s=limit,
    )


def _parse_weights(specs: list[str] | None, systems: list[str]) -> dict[str, str]:
    """``NAME=PATH`` options -> {name: path}, each name a deep model of the run, each file there."""
    from pathlib import Path

    from bench.systems import get_system

    out = {}
    for spec in specs or []:
        name, sep, path = spec.partition("=")
        if not sep or not name or not path:
            raise BadInput(
                f"--weights {spec!r}: expected NAME=PATH, e.g. "
                f"enet=results/reference/camvid-enet-h100/enet-camvid.pt"
            )
        if name not in systems or get_system(name).kind != "model":
            raise BadInput(
                f"--weights {spec!r}: {name} is not a deep model of this run "
                f"(--models {','.join(systems)})"
            )
        if not Path(path).is_file():
            raise BadInput(f"--weights {spec!r}: no file at {path}: expected a checkpoint")
        out[name] = path
    return out


def cmd_train(args: argparse.Namespace) -> int:
    from bench import distributed
    from bench.train import train

    result = train(_train_config(args))
    if not distributed.is_main():  # under torchrun, rank 0 speaks for all
        return EXIT_OK
    state = (
        ""
        if result.complete
        else (
            f" (stopped by --time-limit after {result.epochs_done} "
            f"epochs: run the same command again to resume)"
        )
    )
    print(
        f"best val mIoU {result.best_val_miou:.4f} at epoch {result.best_epoch}/"
        f"{result.epochs}, {result.seconds:.0f} s, {result.images_per_s:.1f} training "
        f"images/s{state}\ncheckpoint: {result.checkpoint}"
    )
    return EXIT_OK


def cmd_eval(args: argparse.Namespace) -> int:
    import json
    from pathlib import Path

    from bench.atomic import atomic_write_text
    from bench.checkpoints import file_sha256
    from bench.datasets import open_dataset
    from bench.environment import run_header
    from bench.train import cached_checkpoint, evaluate_checkpoint

    cfg = _train_config(args)
    out = Path(args.out) if args.out else None
    if out is not None and out.exists() and not out.is_dir():
        raise BadInput(f"--out {out} is a file: expected a folder for metrics.json")
    path = Path(args.checkpoint) if args.checkpoint else cached_checkpoint(cfg)
    if not path.is_file():
        raise BadInput(
            f"no checkpoint at {path}: train first (`python -m bench train --model "
            f"{args.model} --dataset {args.dataset} --profile {args.profile}`) or "
            f"pass --checkpoint PATH"
        )
    dataset = open_dataset(args.dataset, args.split, data_root=args.data_root, seed=args.seed)
    metrics = evaluate_checkpoint(
        args.model, path, dataset, device=cfg.device, desc=f"{args.model} {args.split}"
    )
    print(
        f"{args.model} on {args.dataset} {args.split} at {metrics['inference_size']}: "
        f"mIoU {metrics['miou']:.4f}, class avg acc {metrics['class_avg_acc']:.4f}, "
        f"global acc {metrics['global_acc']:.4f}"
    )
    for name, iou in metrics["per_class_iou"].items():
        print(f"  {name:<14} IoU {iou:.4f}")
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        record = {
            "system": args.model,
            "dataset": args.dataset,
            "split": args.split,
            "checkpoint": str(path),
            "checkpoint_sha256": file_sha256(path),
            "device": cfg.device,
            "run": run_header(cfg.device),
            **metrics,
        }
        atomic_write_text(out / "metrics.json", json.dumps(record, indent=1) + "\n")
        print(f"metrics: {out / 'metrics.json'}")
    return EXIT_OK


def cmd_train_speed(args: argparse.Namespace) -> int:
    from bench import train_speed
    from bench.datasets import get_dataset_spec
    from bench.datasets.base import parse_size
    from bench.options import check_fits, resolve_device, split_list
    from bench.systems import require_kind

    systems = split_list(args.models)
    for name in systems:
        require_kind(name, "model", "only deep models are trained")
    variants = split_list(args.variants)
    for v in variants:
        if v not in train_speed.VARIANTS:
            raise BadInput(
                f"unknown variant '{v}': expected some of {', '.join(train_speed.VARIANTS)}"
            )
    if args.steps < 1 or args.batch_size < 1 or args.warmup < 0:
        raise BadInput("--steps and --batch-size must be at least 1, --warmup at least 0")
    spec = get_dataset_spec(args.dataset, args.data_root)
    size = parse_size(args.size)
    assert size is not None, "--size has a default"
    check_fits([size], [args.batch_size], ["fp32"], resolve_device(args.device), spec.num_classes)
    if args.threads:
        import torch

        torch.set_num_threads(args.threads)
    rows = train_speed.run(
        systems,
        args.dataset,
        variants,
        data_root=args.data_root,
        size=parse_size(args.size),
        batch=args.batch_size,
        steps=args.steps,
        warmup=args.warmup,
        device=resolve_device(args.device),
        out=args.out,
    )
    print(train_speed.markdown(rows), end="")
    if args.out:
        print(f"rows: {args.out}/train_speed.json")
    return EXIT_OK


def cmd_curve(args: argparse.Namespace) -> int:
    from bench.learning_curve import plot_learning_curve

    path = plot_learning_curve(args.logs, args.out)
    print(f"learning curve: {path} (and {path.with_suffix('.svg').name})")
    return EXIT_OK


def cmd_report(args: argparse.Namespace) -> int:
    from pathlib import Path

    from bench.report import default_report_dir, load_runs, write_full_report

    if args.history:
        _report_history(args)
        if not args.runs:
            return EXIT_OK
    data, predictions = load_runs(args.runs)
    if args.out:
        out = Path(args.out)
    elif len(args.runs) == 1:
        given = Path(args.runs[0])
        out = given if given.is_dir() else given.parent
    else:
        out = default_report_dir()
    if out.exists() and not out.is_dir():
        raise BadInput(f"--out {out} is a file: expected a folder for the report")
    path = write_full_report(data, out, predictions)
    figures = sorted((out / "figures").glob("*.png"))
    missing, shards = data.get("missing") or [], data.get("missing_shards") or []
    if missing or shards:
        print(
            f"missing: {len(missing)} planned cells have no row"
            + (f"; shards given no folder: {', '.join(shards)}" if shards else "")
            + " (listed in report.md)"
        )
    print(
        f"report:  {path}\ntables:  {out / 'tables'} (Markdown in report.md, CSV, LaTeX)\n"
        f"figures: {out / 'figures'} ({len(figures)} PNG, each with an SVG twin)"
    )
    return EXIT_OK


def _report_history(args: argparse.Namespace) -> None:
    """`report --history FILE`: the trend of `check` over commits, figure and table."""
    from pathlib import Path

    from bench.check.history import read_history
    from bench.check.trend import write_trend

    records = read_history(args.history)
    out = Path(args.out) if args.out else Path(args.history).parent
    if out.exists() and not out.is_dir():
        raise BadInput(f"--out {out} is a file: expected a folder for the trend report")
    png, md = write_trend(records, out)
    print(f"trend:   {md} ({len(records)} checks)\nfigure:  {png}")


def cmd_check(args: argparse.Namespace) -> int:
    from bench.check import CheckRequest, parse_tolerances, run_check
    from bench.options import split_list

    return run_check(
        CheckRequest(
            baseline=args.baseline,
            models=split_list(args.models) if args.models else None,
            update=args.update,
            tolerances=parse_tolerances(args.tolerance),
            as_json=args.json,
            history=args.history,
        )
    )
