"""The command line: `python -m bench` and `segbench` (the same program)."""
from __future__ import annotations

import argparse
import errno
import signal
import sys

from bench.errors import EXIT_BAD_INPUT, EXIT_OK, BadInput

DESCRIPTION = ("segbench: compare semantic-segmentation systems (ENet, SegNet, UNet, PSPNet, "
               "DeepLabv3+ and classical methods) on parameters, FLOPs, latency, memory and mIoU, "
               "and check the ENet paper's claims.")


def _cmd_list(args: argparse.Namespace) -> int:
    from bench.datasets import DATASETS
    from bench.profiles import PROFILES
    from bench.systems import list_systems

    systems = list_systems()
    width = max(len(s.name) for s in systems)
    print("Systems:")
    for s in systems:
        caps = ", ".join(k for k, v in vars(s.capabilities).items() if v) or "none"
        print(f"  {s.name:<{width}}  [{s.kind}] {s.description}")
        print(f"  {'':<{width}}  paper: {s.paper}")
        print(f"  {'':<{width}}  input divisor: {s.input_divisor}, min size: {s.min_size}, "
              f"supports: {caps}")
        if s.notes and (args.verbose or s.kind == "model"):  # a deep model's card, in short
            print(f"  {'':<{width}}  card: {s.notes}")
    print("\nDatasets:")
    for d in DATASETS.values():
        print(f"  {d.name:<12} {d.num_classes} classes: {d.description}")
    print(f"  {'folder':<12} your own data: --data-root DIR with images/, masks/ and "
          f"classes.json")
    print("\nProfiles:")
    for p in PROFILES.values():
        print(f"  {p.name:<8} {p.description} ({p.epochs} epochs, batch {p.batch_size}, "
              f"{p.train_size[0]}x{p.train_size[1]})")
    return EXIT_OK


def _cmd_run(args: argparse.Namespace) -> int:
    from bench import runner
    from bench.efficiency import MODES
    from bench.datasets import get_dataset_spec
    from bench.options import (check_fits, parse_ints, parse_precisions, parse_sizes,
                               resolve_device, split_list)
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
    if "cudagraphs" in modes and device != "cuda":
        raise BadInput("mode cudagraphs needs a GPU: expected --device cuda")
    if "tf32" in split_list(args.precision) and device != "cuda":
        raise BadInput("precision tf32 is a GPU mode (TF32 tensor cores): expected --device "
                       "cuda, or fp32 on a CPU")
    if args.threads is not None and args.threads < 1:
        raise BadInput(f"--threads {args.threads}: expected a positive number")
    if args.repeats < 1:
        raise BadInput(f"--repeats {args.repeats}: expected at least 1")
    if args.max_time <= 0:
        raise BadInput(f"--max-time {args.max_time}: expected a positive number of seconds")
    sizes, precisions = parse_sizes(args.sizes), parse_precisions(args.precision)
    batch_sizes = parse_ints(args.batch_sizes, "batch size")
    if "efficiency" not in skip:
        check_fits(sizes, batch_sizes, precisions, device, spec.num_classes)
    config = runner.RunConfig(
        systems=systems, dataset=args.dataset, data_root=args.data_root,
        device=device, sizes=sizes, precisions=precisions, batch_sizes=batch_sizes, modes=modes,
        channels_last=args.channels_last, profile=args.profile, skip=skip, out=args.out,
        weights=_parse_weights(args.weights, systems), force=args.force,
        shard=str(parse_shard(args.shard)) if args.shard else None, run_id=args.run_id,
        seed=args.seed, threads=args.threads, isolate=args.isolate, fvcore=not args.no_fvcore,
        max_time_s=args.max_time, repeats=args.repeats)
    runner.check_datasets(config)
    out_dir = runner.run(config)
    print(f"results: {out_dir / 'results.json'}\nreport:  {out_dir / 'report.md'}")
    return EXIT_OK


def _train_config(args: argparse.Namespace):
    """The TrainConfig that the train and eval options describe (validated)."""
    from bench.datasets import get_dataset_spec
    from bench.options import resolve_device
    from bench.profiles import get_profile
    from bench.train import TrainConfig
    from bench.systems import require_kind

    require_kind(args.model, "model", "only deep models are trained and evaluated from "
                 "checkpoints (classical methods are scored by `run`)")
    get_dataset_spec(args.dataset, args.data_root)
    profile = get_profile(args.profile)
    for name in ("epochs", "lr_step", "batch_size"):
        value = getattr(args, name, None)
        if value is not None and value < 1:
            raise BadInput(f"--{name.replace('_', '-')} {value}: expected at least 1")
    epochs = getattr(args, "epochs", None) or profile.epochs
    first = getattr(args, "encoder_first_epochs", 0)
    if not 0 <= first < epochs:
        raise BadInput(f"--encoder-first-epochs {first}: expected 0 to {epochs - 1} (fewer "
                       f"than the {epochs} epochs in all)")
    if first and args.model != "enet":
        raise BadInput("--encoder-first-epochs is ENet's two-stage schedule: only for enet")
    limit = getattr(args, "time_limit", None)
    if limit is not None and limit <= 0:
        raise BadInput(f"--time-limit {limit}: expected a positive number of seconds")
    return TrainConfig(system=args.model, dataset=args.dataset, data_root=args.data_root,
                       profile=args.profile, seed=args.seed, device=resolve_device(args.device),
                       epochs=getattr(args, "epochs", None),
                       lr_step_epochs=getattr(args, "lr_step", None),
                       batch_size=getattr(args, "batch_size", None), encoder_first_epochs=first,
                       amp=args.amp, channels_last=args.channels_last,
                       compile=getattr(args, "compile", False),
                       checkpoints=args.checkpoints, time_limit_s=limit)


def _parse_weights(specs: list[str] | None, systems: list[str]) -> dict[str, str]:
    """``NAME=PATH`` options -> {name: path}, each name a deep model of the run, each file there."""
    from pathlib import Path

    from bench.systems import get_system

    out = {}
    for spec in specs or []:
        name, sep, path = spec.partition("=")
        if not sep or not name or not path:
            raise BadInput(f"--weights {spec!r}: expected NAME=PATH, e.g. "
                           f"enet=results/reference/camvid-enet-h100/enet-camvid.pt")
        if name not in systems or get_system(name).kind != "model":
            raise BadInput(f"--weights {spec!r}: {name} is not a deep model of this run "
                           f"(--models {','.join(systems)})")
        if not Path(path).is_file():
            raise BadInput(f"--weights {spec!r}: no file at {path}: expected a checkpoint")
        out[name] = path
    return out


def _cmd_train(args: argparse.Namespace) -> int:
    from bench import distributed
    from bench.train import train

    result = train(_train_config(args))
    if not distributed.is_main():  # under torchrun, rank 0 speaks for all
        return EXIT_OK
    state = "" if result.complete else (f" (stopped by --time-limit after {result.epochs_done} "
                                        f"epochs: run the same command again to resume)")
    print(f"best val mIoU {result.best_val_miou:.4f} at epoch {result.best_epoch}/"
          f"{result.epochs}, {result.seconds:.0f} s, {result.images_per_s:.1f} training "
          f"images/s{state}\ncheckpoint: {result.checkpoint}")
    return EXIT_OK


def _cmd_eval(args: argparse.Namespace) -> int:
    import json
    from pathlib import Path

    from bench.datasets import open_dataset
    from bench.environment import run_header
    from bench.atomic import atomic_write_text
    from bench.checkpoints import file_sha256
    from bench.train import cached_checkpoint, evaluate_checkpoint

    cfg = _train_config(args)
    out = Path(args.out) if args.out else None
    if out is not None and out.exists() and not out.is_dir():
        raise BadInput(f"--out {out} is a file: expected a folder for metrics.json")
    path = Path(args.checkpoint) if args.checkpoint else cached_checkpoint(cfg)
    if not path.is_file():
        raise BadInput(f"no checkpoint at {path}: train first (`python -m bench train --model "
                       f"{args.model} --dataset {args.dataset} --profile {args.profile}`) or "
                       f"pass --checkpoint PATH")
    dataset = open_dataset(args.dataset, args.split, data_root=args.data_root, seed=args.seed)
    metrics = evaluate_checkpoint(args.model, path, dataset, device=cfg.device,
                                  desc=f"{args.model} {args.split}")
    print(f"{args.model} on {args.dataset} {args.split} at {metrics['inference_size']}: "
          f"mIoU {metrics['miou']:.4f}, class avg acc {metrics['class_avg_acc']:.4f}, "
          f"global acc {metrics['global_acc']:.4f}")
    for name, iou in metrics["per_class_iou"].items():
        print(f"  {name:<14} IoU {iou:.4f}")
    if args.out:
        out.mkdir(parents=True, exist_ok=True)
        record = {"system": args.model, "dataset": args.dataset, "split": args.split,
                  "checkpoint": str(path), "checkpoint_sha256": file_sha256(path),
                  "device": cfg.device, "run": run_header(cfg.device), **metrics}
        atomic_write_text(out / "metrics.json", json.dumps(record, indent=1) + "\n")
        print(f"metrics: {out / 'metrics.json'}")
    return EXIT_OK


def _cmd_train_speed(args: argparse.Namespace) -> int:
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
            raise BadInput(f"unknown variant '{v}': expected some of "
                           f"{', '.join(train_speed.VARIANTS)}")
    if args.steps < 1 or args.batch_size < 1 or args.warmup < 0:
        raise BadInput("--steps and --batch-size must be at least 1, --warmup at least 0")
    spec = get_dataset_spec(args.dataset, args.data_root)
    check_fits([parse_size(args.size)], [args.batch_size], ["fp32"], resolve_device(args.device),
               spec.num_classes)
    if args.threads:
        import torch
        torch.set_num_threads(args.threads)
    rows = train_speed.run(systems, args.dataset, variants, data_root=args.data_root,
                           size=parse_size(args.size), batch=args.batch_size, steps=args.steps,
                           warmup=args.warmup, device=resolve_device(args.device), out=args.out)
    print(train_speed.markdown(rows), end="")
    if args.out:
        print(f"rows: {args.out}/train_speed.json")
    return EXIT_OK


def _cmd_curve(args: argparse.Namespace) -> int:
    from bench.learning_curve import plot_learning_curve

    path = plot_learning_curve(args.logs, args.out)
    print(f"learning curve: {path} (and {path.with_suffix('.svg').name})")
    return EXIT_OK


def _cmd_report(args: argparse.Namespace) -> int:
    from pathlib import Path

    from bench.report import default_report_dir, load_runs, write_full_report

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
        print(f"missing: {len(missing)} planned cells have no row"
              + (f"; shards given no folder: {', '.join(shards)}" if shards else "")
              + " (listed in report.md)")
    print(f"report:  {path}\ntables:  {out / 'tables'} (Markdown in report.md, CSV, LaTeX)\n"
          f"figures: {out / 'figures'} ({len(figures)} PNG, each with an SVG twin)")
    return EXIT_OK


def _cmd_check(args: argparse.Namespace) -> int:
    from bench.check import CheckRequest, parse_tolerances, run_check
    from bench.options import split_list

    return run_check(CheckRequest(
        baseline=args.baseline, models=split_list(args.models) if args.models else None,
        update=args.update, tolerances=parse_tolerances(args.tolerance), as_json=args.json))


def _add_data_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--dataset", default="synthetic",
                   help="synthetic (default), camvid, cityscapes, or folder (with --data-root)")
    p.add_argument("--data-root", metavar="DIR",
                   help="folder holding CamVid/ and cityscapes/ (default: $SEGBENCH_DATA, "
                        "else ./data); for folder, the dataset's own folder")


def _add_train_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--model", required=True, help="deep model name (see `list`)")
    _add_data_args(p)
    p.add_argument("--profile", default="quick", help="smoke, quick (default) or paper")
    p.add_argument("--device", default="auto", help="auto (default), cpu or cuda")
    p.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    p.add_argument("--amp", choices=("off", "bf16", "fp16"),
                   help="mixed precision of the training step (default: bf16 on a GPU, off on "
                        "a CPU); part of the checkpoint's key")
    p.add_argument("--channels-last", action=argparse.BooleanOptionalAction, default=None,
                   help="channels_last memory format (default: on a GPU only)")
    p.add_argument("--checkpoints", metavar="DIR",
                   help="folder for best.pt, last.pt and train_log.json (default: the cache, "
                        "in a folder keyed by everything that determines the weights)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="segbench", description=DESCRIPTION)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    p = sub.add_parser("list", help="list systems, datasets and profiles",
                       description="List every registered system with its kind, description, "
                                   "paper and capabilities, then the datasets and profiles.")
    p.add_argument("-v", "--verbose", action="store_true",
                   help="also show the classical methods' notes (deep models' cards are always "
                        "shown)")
    p.set_defaults(func=_cmd_list)

    p = sub.add_parser("run", help="measure systems and write results.json and report.md",
                       description="Measure the systems on the grid of sizes, precisions and "
                                   "batch sizes and write results.json, CSVs and report.md into "
                                   "the run folder. With no arguments: the five deep models on "
                                   "the synthetic dataset, quick profile, the paper's sizes.")
    p.add_argument("--models", metavar="A,B,...",
                   help="comma-separated system names (default: enet,segnet,unet,pspnet,"
                        "deeplabv3plus; see `list`)")
    _add_data_args(p)
    p.add_argument("--device", default="auto", help="auto (default), cpu or cuda")
    p.add_argument("--sizes", default="480x320,640x360,1280x720", metavar="WxH,...",
                   help="input sizes, WIDTHxHEIGHT (default: the paper's 480x320,640x360,"
                        "1280x720)")
    p.add_argument("--precision", default="fp32", metavar="P,...",
                   help="fp32 (default; strict, TF32 off), tf32 (GPU: fp32 with TF32 "
                        "convolutions, the default of PyTorch on Ampere and newer), fp16, bf16; "
                        "comma-separated")
    p.add_argument("--batch-sizes", default="1", metavar="N,...", help="default: 1")
    p.add_argument("--profile", default="quick", help="training profile: smoke, quick "
                                                      "(default) or paper")
    p.add_argument("--skip", metavar="WHAT", help="skip accuracy or efficiency")
    p.add_argument("--out", metavar="DIR",
                   help="run folder (default: results/runs/<UTC time>-<dataset>/); an existing "
                        "run folder is resumed: only the cells it lacks are measured")
    p.add_argument("--force", action="store_true",
                   help="measure every cell again, even those the run folder has (the new rows "
                        "replace the old ones; nothing else is deleted)")
    p.add_argument("--shard", metavar="I/N",
                   help="measure only shard I of N (a deterministic share of the cells), for a "
                        "sweep split over machines; `report` merges the shards")
    p.add_argument("--run-id", metavar="ID",
                   help="the run's id, which `report` merges shards by (default: new for each "
                        "run; for shards, derived from the sweep's options so that every shard "
                        "agrees; pass e.g. $SLURM_ARRAY_JOB_ID to tell two sweeps apart)")
    p.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    p.add_argument("--weights", action="append", metavar="NAME=PATH",
                   help="score this checkpoint for model NAME instead of training it "
                        "(repeatable), e.g. enet=results/reference/camvid-enet-h100/"
                        "enet-camvid.pt")
    g = p.add_argument_group("efficiency")
    g.add_argument("--modes", default="eager", metavar="M,...",
                   help="execution modes: eager (default), compile (torch.compile; compile "
                        "time recorded apart), cudagraphs (GPU only)")
    g.add_argument("--compile", action="store_true", help="add the compile mode")
    g.add_argument("--channels-last", action="store_true",
                   help="run models and inputs in channels_last memory format")
    g.add_argument("--threads", type=int, metavar="N",
                   help="CPU threads for PyTorch (default: every core)")
    g.add_argument("--isolate", action="store_true",
                   help="measure each system in its own process")
    g.add_argument("--max-time", type=float, default=15.0, metavar="S",
                   help="cap on timed seconds per cell for very slow cases (default: 15; "
                        "at least 3 iterations are timed)")
    g.add_argument("--repeats", type=int, default=1, metavar="R",
                   help="timed rounds per cell; rows record each round's median and their "
                        "spread, a noise estimate (default: 1)")
    g.add_argument("--no-fvcore", action="store_true",
                   help="skip the fvcore FLOP cross-check")
    p.set_defaults(func=_cmd_run)

    p = sub.add_parser("train", help="train one deep model on one dataset",
                       description="Train with a profile's recipe; checkpoints go to a cache "
                                   "($SEGBENCH_CACHE, else ~/.cache/segbench) keyed by model, "
                                   "dataset, profile and seed; an interrupted training resumes. "
                                   "The best epoch is chosen on val, never on test.")
    _add_train_args(p)
    p.add_argument("--epochs", type=int, help="override the profile's number of epochs")
    p.add_argument("--lr-step", type=int, metavar="N",
                   help="override the profile's schedule: lr x0.1 every N epochs")
    p.add_argument("--batch-size", type=int, metavar="N", help="override the profile's batch")
    p.add_argument("--compile", action="store_true",
                   help="torch.compile the model for the training step (about 2x the training "
                        "images/s of eager on a CPU for ENet; the first step compiles)")
    p.add_argument("--time-limit", type=float, metavar="S",
                   help="stop before an epoch would end past S seconds (checkpointed: the same "
                        "command resumes)")
    p.add_argument("--encoder-first-epochs", type=int, default=0, metavar="N",
                   help="ENet's two-stage schedule: train the encoder alone (on labels "
                        "downsampled by 8) for the first N epochs, then the whole network")
    p.set_defaults(func=_cmd_train)

    p = sub.add_parser("eval", help="evaluate one trained model on a split",
                       description="mIoU, per-class IoU, class-average and global accuracy from "
                                   "one confusion matrix over the split, void ignored.")
    _add_train_args(p)
    p.add_argument("--split", default="test", help="train, val or test (default: test)")
    p.add_argument("--checkpoint", metavar="PATH",
                   help="your own weights (a state dict, or our checkpoint); default: the "
                        "cached best checkpoint of this model, dataset, recipe and seed")
    p.add_argument("--out", metavar="DIR",
                   help="write metrics.json (full precision, per class) into DIR")
    p.set_defaults(func=_cmd_eval)

    p = sub.add_parser("train-speed", help="training throughput (images/s) per model and "
                                           "variant",
                       description="Time real training steps (augmentation, forward, loss, "
                                   "backward, Adam) at the paper's setting and write "
                                   "train_speed.json and a Markdown table.")
    p.add_argument("--models", default="enet", metavar="A,B,...", help="default: enet")
    _add_data_args(p)
    p.add_argument("--variants", default="fp32,channels_last,bf16,compile", metavar="V,...",
                   help="fp32, channels_last, bf16, compile, compile_cl, compile_bf16 "
                        "(default: fp32,channels_last,bf16,compile)")
    p.add_argument("--size", default="480x360", metavar="WxH", help="default: 480x360")
    p.add_argument("--batch-size", type=int, default=10, metavar="N", help="default: 10")
    p.add_argument("--steps", type=int, default=8, help="timed steps (default: 8)")
    p.add_argument("--warmup", type=int, default=2, help="untimed steps first (default: 2)")
    p.add_argument("--device", default="auto", help="auto (default), cpu or cuda")
    p.add_argument("--threads", type=int, metavar="N", help="CPU threads (default: all)")
    p.add_argument("--out", metavar="DIR", help="write train_speed.json and train_speed.md")
    p.set_defaults(func=_cmd_train_speed)

    p = sub.add_parser("curve", help="plot training logs (loss, val mIoU, lr per epoch)",
                       description="Draw the learning curve of one or more train_log.json files "
                                   "(written by `bench train` beside its checkpoints) as PNG "
                                   "and SVG.")
    p.add_argument("logs", nargs="+", metavar="TRAIN_LOG", help="train_log.json files")
    p.add_argument("--out", default="learning_curve.png", metavar="PNG",
                   help="output PNG (an SVG is written beside it; default: learning_curve.png)")
    p.set_defaults(func=_cmd_curve)

    p = sub.add_parser("report", help="make tables and figures again from saved runs",
                       description="Read one or more run folders (results.json) and write "
                                   "report.md, tables/*.csv and *.tex, and figures/*.png and "
                                   "*.svg, measuring nothing. Several runs (a GPU run and a CPU "
                                   "run, say) are merged into one report, each row tagged with "
                                   "its run.")
    p.add_argument("runs", nargs="+", metavar="RUN_DIR",
                   help="run folders written by `run` (or their results.json files)")
    p.add_argument("--out", metavar="DIR",
                   help="report folder (default: the run folder itself for one run, "
                        "results/reports/<UTC time>/ for several)")
    p.set_defaults(func=_cmd_report)

    p = sub.add_parser("check", help="compare against a baseline; exit 1 on a regression",
                       description="Measure again what the baseline records (parameters and "
                                   "FLOPs exactly, CPU latency as a multiple of a reference "
                                   "workload timed in the same process, mIoU after a seeded "
                                   "smoke training on the synthetic set) and compare. Exit 0 "
                                   "if nothing regressed, 1 on a regression, 2 on bad input.")
    p.add_argument("--baseline", required=True, metavar="PATH",
                   help="baseline JSON (for example results/baseline.json)")
    p.add_argument("--models", metavar="A,B,...",
                   help="check only these systems (default: every system in the baseline)")
    p.add_argument("--update", action="store_true",
                   help="measure and rewrite the baseline (atomically) after a deliberate "
                        "change; creates it if missing")
    p.add_argument("--tolerance", action="append", metavar="METRIC=VALUE",
                   help="override a stored tolerance: params, gflops, latency (relative, "
                        "0.25 = 25%% slower) or miou (absolute drop, 0.02 = 2 points); "
                        "repeatable or comma-separated")
    p.add_argument("--json", action="store_true", help="print the comparison as JSON")
    p.set_defaults(func=_cmd_check)
    return parser


def _os_error_line(exc: OSError) -> str:
    """One line for a file-system failure: what failed, where, and what was expected."""
    expected = {errno.ENOSPC: "free space on that disk", errno.EDQUOT: "free space in the quota",
                errno.EROFS: "a writable file system", errno.EACCES: "permission to use it",
                errno.EPERM: "permission to use it", errno.ENOTDIR: "a folder there, not a file",
                errno.EEXIST: "a folder there, not a file",
                errno.EISDIR: "a file there, not a folder",
                errno.ENOENT: "a path that exists"}.get(exc.errno, "a usable path")
    where = f" {exc.filename}" if exc.filename else ""
    return f"cannot use{where}: {exc.strerror or exc}: expected {expected}"


def main(argv: list[str] | None = None) -> int:
    for stream in (sys.stdout, sys.stderr):  # a path with a byte that is not UTF-8 prints
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="backslashreplace")
    args = build_parser().parse_args(argv)
    from bench.interrupts import Terminated, sigterm_as_interrupt

    try:
        with sigterm_as_interrupt():
            return args.func(args)
    except BadInput as exc:
        print(f"segbench: error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except OSError as exc:
        print(f"segbench: error: {_os_error_line(exc)}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt as exc:
        what = "terminated (SIGTERM)" if isinstance(exc, Terminated) else "interrupted"
        detail = (exc.args[0] if exc.args and isinstance(exc.args[0], str)
                  else "rows already measured are kept")
        print(f"segbench: {what}; {detail}", file=sys.stderr)
        return 128 + (signal.SIGTERM if isinstance(exc, Terminated) else signal.SIGINT)


def main_entry() -> None:
    """Console-script entry point (``segbench``)."""
    sys.exit(main())
