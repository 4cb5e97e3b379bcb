"""The command line: `python -m bench` and `segbench` (the same program)."""

from __future__ import annotations

import argparse
import contextlib
import errno
import os
import signal
import sys

from bench import commands
from bench.errors import EXIT_BAD_INPUT, EXIT_OK, BadInput

DESCRIPTION = (
    "segbench: compare semantic-segmentation systems (ENet, SegNet, UNet, PSPNet, "
    "DeepLabv3+ and classical methods) on parameters, FLOPs, latency, memory and mIoU, "
    "and check the ENet paper's claims."
)


def _add_data_args(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--dataset",
        default="synthetic",
        help="synthetic (default), camvid, cityscapes, or folder (with --data-root)",
    )
    p.add_argument(
        "--data-root",
        metavar="DIR",
        help="folder holding CamVid/ and cityscapes/ (default: $SEGBENCH_DATA, "
        "else ./data); for folder, the dataset's own folder",
    )


def _add_train_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--model", required=True, help="deep model name (see `list`)")
    _add_data_args(p)
    p.add_argument("--profile", default="quick", help="smoke, quick (default) or paper")
    p.add_argument("--device", default="auto", help="auto (default), cpu or cuda")
    p.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    p.add_argument(
        "--amp",
        choices=("off", "bf16", "fp16"),
        help="mixed precision of the training step (default: bf16 on a GPU, off on "
        "a CPU); part of the checkpoint's key",
    )
    p.add_argument(
        "--channels-last",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="channels_last memory format (default: on a GPU only)",
    )
    p.add_argument(
        "--checkpoints",
        metavar="DIR",
        help="folder for best.pt, last.pt and train_log.json (default: the cache, "
        "in a folder keyed by everything that determines the weights)",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="segbench", description=DESCRIPTION)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    p = sub.add_parser(
        "list",
        help="list systems, datasets and profiles",
        description="List every registered system with its kind, description, "
        "paper and capabilities, then the datasets and profiles.",
    )
    p.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        help="also show the classical methods' notes (deep models' cards are always shown)",
    )
    p.set_defaults(func=commands.cmd_list)

    p = sub.add_parser(
        "run",
        help="measure systems and write results.json and report.md",
        description="Measure the systems on the grid of sizes, precisions and "
        "batch sizes and write results.json, CSVs and report.md into "
        "the run folder. With no arguments: the five deep models on "
        "the synthetic dataset, quick profile, 640x360 on a CPU (the "
        "paper's three sizes on a GPU): "
        "a few minutes on 2 CPU cores.",
    )
    p.add_argument(
        "--models",
        metavar="A,B,...",
        help="comma-separated system names (default: enet,segnet,unet,pspnet,"
        "deeplabv3plus; see `list`)",
    )
    _add_data_args(p)
    p.add_argument("--device", default="auto", help="auto (default), cpu or cuda")
    p.add_argument(
        "--sizes",
        metavar="WxH,...",
        help="input sizes, WIDTHxHEIGHT (default: the paper's 480x320,640x360,"
        "1280x720 on a GPU; 640x360 on a CPU)",
    )
    p.add_argument(
        "--precision",
        default="fp32",
        metavar="P,...",
        help="fp32 (default; strict, TF32 off), tf32 (GPU: fp32 with TF32 "
        "convolutions, the default of PyTorch on Ampere and newer), fp16, bf16; "
        "comma-separated",
    )
    p.add_argument("--batch-sizes", default="1", metavar="N,...", help="default: 1")
    p.add_argument(
        "--profile", default="quick", help="training profile: smoke, quick (default) or paper"
    )
    p.add_argument("--skip", metavar="WHAT", help="skip accuracy or efficiency")
    p.add_argument(
        "--out",
        metavar="DIR",
        help="run folder (default: results/runs/<UTC time>-<dataset>/); an existing "
        "run folder is resumed: only the cells it lacks are measured",
    )
    p.add_argument(
        "--force",
        action="store_true",
        help="measure every cell again, even those the run folder has (the new rows "
        "replace the old ones; nothing else is deleted)",
    )
    p.add_argument(
        "--shard",
        metavar="I/N",
        help="measure only shard I of N (a deterministic share of the cells), for a "
        "sweep split over machines; `report` merges the shards",
    )
    p.add_argument(
        "--run-id",
        metavar="ID",
        help="the run's id, which `report` merges shards by (default: new for each "
        "run; for shards, derived from the sweep's options so that every shard "
        "agrees; pass e.g. $SLURM_ARRAY_JOB_ID to tell two sweeps apart)",
    )
    p.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    p.add_argument(
        "--weights",
        action="append",
        metavar="NAME=PATH",
        help="score this checkpoint for model NAME instead of training it "
        "(repeatable), e.g. enet=results/reference/camvid-enet-h100/"
        "enet-camvid.pt",
    )
    g = p.add_argument_group("efficiency")
    g.add_argument(
        "--modes",
        default="eager",
        metavar="M,...",
        help="execution modes and runtimes: eager (default), compile (torch.compile; "
        "compile time recorded apart), cudagraphs (GPU only), compile-cudagraphs "
        "(torch.compile reduce-overhead, GPU only), onnxruntime (CPU, or CUDA with "
        "onnxruntime-gpu), openvino (CPU), int8 (CPU: ONNX Runtime static quantization "
        "calibrated on training images), tensorrt (GPU: torch_tensorrt or ONNX Runtime's "
        "TensorRT provider); the runtimes record their build time and their agreement with eager",
    )
    g.add_argument(
        "--runtimes",
        dest="modes",
        default=argparse.SUPPRESS,
        metavar="R,...",
        help="the same as --modes, e.g. eager,compile,onnxruntime,openvino,int8",
    )
    g.add_argument("--compile", action="store_true", help="add the compile mode")
    g.add_argument(
        "--channels-last",
        action="store_true",
        help="run models and inputs in channels_last memory format",
    )
    g.add_argument(
        "--threads", type=int, metavar="N", help="CPU threads for PyTorch (default: every core)"
    )
    g.add_argument("--isolate", action="store_true", help="measure each system in its own process")
    g.add_argument(
        "--max-time",
        type=float,
        default=15.0,
        metavar="S",
        help="cap on timed seconds per cell for very slow cases (default: 15; "
        "at least 3 iterations are timed)",
    )
    g.add_argument(
        "--repeats",
        type=int,
        default=1,
        metavar="R",
        help="timed rounds per cell; rows record each round's median and their "
        "spread, a noise estimate (default: 1)",
    )
    g.add_argument("--no-fvcore", action="store_true", help="skip the fvcore FLOP cross-check")
    p.set_defaults(func=commands.cmd_run)

    p = sub.add_parser(
        "train",
        help="train one deep model on one dataset",
        description="Train with a profile's recipe; checkpoints go to a cache "
        "($SEGBENCH_CACHE, else ~/.cache/segbench) keyed by model, "
        "dataset, profile and seed; an interrupted training resumes. "
        "The best epoch is chosen on val, never on test.",
    )
    _add_train_args(p)
    p.add_argument("--epochs", type=int, help="override the profile's number of epochs")
    p.add_argument(
        "--lr-step",
        type=int,
        metavar="N",
        help="override the profile's schedule: lr x0.1 every N epochs",
    )
    p.add_argument("--batch-size", type=int, metavar="N", help="override the profile's batch")
    p.add_argument(
        "--compile",
        action="store_true",
        help="torch.compile the model for the training step (about 2x the training "
        "images/s of eager on a CPU for ENet; the first step compiles)",
    )
    p.add_argument(
        "--time-limit",
        type=float,
        metavar="S",
        help="stop before an epoch would end past S seconds (checkpointed: the same "
        "command resumes)",
    )
    p.add_argument(
        "--encoder-first-epochs",
        type=int,
        default=0,
        metavar="N",
        help="ENet's two-stage schedule: train the encoder alone (on labels "
        "downsampled by 8) for the first N epochs, then the whole network",
    )
    p.set_defaults(func=commands.cmd_train)

    p = sub.add_parser(
        "eval",
        help="evaluate one trained model on a split",
        description="mIoU, per-class IoU, class-average and global accuracy from "
        "one confusion matrix over the split, void ignored.",
    )
    _add_train_args(p)
    p.add_argument("--split", default="test", help="train, val or test (default: test)")
    p.add_argument(
        "--checkpoint",
        metavar="PATH",
        help="your own weights (a state dict, or our checkpoint); default: the "
        "cached best checkpoint of this model, dataset, recipe and seed",
    )
    p.add_argument(
        "--out", metavar="DIR", help="write metrics.json (full precision, per class) into DIR"
    )
    p.set_defaults(func=commands.cmd_eval)

    p = sub.add_parser(
        "train-speed",
        help="training throughput (images/s) per model and variant",
        description="Time real training steps (augmentation, forward, loss, "
        "backward, Adam) at the paper's setting and write "
        "train_speed.json and a Markdown table.",
    )
    p.add_argument("--models", default="enet", metavar="A,B,...", help="default: enet")
    _add_data_args(p)
    p.add_argument(
        "--variants",
        default="fp32,channels_last,bf16,compile",
        metavar="V,...",
        help="fp32, channels_last, bf16, compile, compile_cl, compile_bf16 "
        "(default: fp32,channels_last,bf16,compile)",
    )
    p.add_argument("--size", default="480x360", metavar="WxH", help="default: 480x360")
    p.add_argument("--batch-size", type=int, default=10, metavar="N", help="default: 10")
    p.add_argument("--steps", type=int, default=8, help="timed steps (default: 8)")
    p.add_argument("--warmup", type=int, default=2, help="untimed steps first (default: 2)")
    p.add_argument("--device", default="auto", help="auto (default), cpu or cuda")
    p.add_argument("--threads", type=int, metavar="N", help="CPU threads (default: all)")
    p.add_argument("--out", metavar="DIR", help="write train_speed.json and train_speed.md")
    p.set_defaults(func=commands.cmd_train_speed)

    p = sub.add_parser(
        "curve",
        help="plot training logs (loss, val mIoU, lr per epoch)",
        description="Draw the learning curve of one or more train_log.json files "
        "(written by `bench train` beside its checkpoints) as PNG "
        "and SVG.",
    )
    p.add_argument("logs", nargs="+", metavar="TRAIN_LOG", help="train_log.json files")
    p.add_argument(
        "--out",
        default="learning_curve.png",
        metavar="PNG",
        help="output PNG (an SVG is written beside it; default: learning_curve.png)",
    )
    p.set_defaults(func=commands.cmd_curve)

    p = sub.add_parser(
        "report",
        help="make tables and figures again from saved runs",
        description="Read one or more run folders (results.json) and write "
        "report.md, tables/*.csv and *.tex, and figures/*.png and "
        "*.svg, measuring nothing. Several runs (a GPU run and a CPU "
        "run, say) are merged into one report, each row tagged with "
        "its run.",
    )
    p.add_argument(
        "runs",
        nargs="*",
        metavar="RUN_DIR",
        help="run folders written by `run` (or their results.json files)",
    )
    p.add_argument(
        "--history",
        metavar="FILE",
        help="also (or only) draw the trend of `check --history FILE` over commits: "
        "DIR/figures/check_trend.png and DIR/check_trend.md (DIR: --out, "
        "default the history file's folder)",
    )
    p.add_argument(
        "--out",
        metavar="DIR",
        help="report folder (default: the run folder itself for one run, "
        "results/reports/<UTC time>/ for several)",
    )
    p.set_defaults(func=commands.cmd_report)

    p = sub.add_parser(
        "check",
        help="compare against a baseline; exit 1 on a regression",
        description="Measure again what the baseline records (parameters and "
        "FLOPs exactly; CPU latency on one thread and on all cores "
        "as a multiple of a reference workload timed in the same "
        "process, judged against the tolerance and k times the "
        "spread over rounds; a numerical fingerprint of each "
        "system's output) and compare. Exit 0 if nothing "
        "regressed, 1 on a regression, 2 on bad input.",
    )
    p.add_argument(
        "--baseline",
        required=True,
        metavar="PATH",
        help="baseline JSON (for example results/baseline.json)",
    )
    p.add_argument(
        "--models",
        metavar="A,B,...",
        help="check only these systems (default: every system in the baseline; "
        "for a new baseline, every deep model and classical method)",
    )
    p.add_argument(
        "--update",
        action="store_true",
        help="measure and rewrite these systems' entries (atomically) after a "
        "deliberate change, keeping the others; creates the file if missing",
    )
    p.add_argument(
        "--tolerance",
        action="append",
        metavar="METRIC=VALUE",
        help="override a stored tolerance: params, gflops, latency_1t, latency_mt "
        "(relative, 0.15 = 15%% slower; latency sets both), fingerprint "
        "(relative deviation) or noise_k (k of the k*spread rule); "
        "repeatable or comma-separated",
    )
    p.add_argument("--json", action="store_true", help="print the comparison as JSON")
    p.add_argument(
        "--history",
        metavar="FILE",
        help="append this check's measurements as one JSON line to FILE (folders "
        "created); `bench report --history FILE` draws the trend",
    )
    p.set_defaults(func=commands.cmd_check)
    return parser


def _os_error_line(exc: OSError) -> str:
    """One line for a file-system failure: what failed, where, and what was expected."""
    expected = {
        errno.ENOSPC: "free space on that disk",
        errno.EDQUOT: "free space in the quota",
        errno.EROFS: "a writable file system",
        errno.EACCES: "permission to use it",
        errno.EPERM: "permission to use it",
        errno.ENOTDIR: "a folder there, not a file",
        errno.EEXIST: "a folder there, not a file",
        errno.EISDIR: "a file there, not a folder",
        errno.ENOENT: "a path that exists",
    }.get(exc.errno or 0, "a usable path")
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
    except BrokenPipeError:  # the reader went away (`| head`): nothing more to say
        with contextlib.suppress(OSError):
            sys.stdout = open(os.devnull, "w")  # noqa: SIM115  (so the exit flush is silent)
        return EXIT_OK
    except OSError as exc:
        print(f"segbench: error: {_os_error_line(exc)}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt as exc:
        what = "terminated (SIGTERM)" if isinstance(exc, Terminated) else "interrupted"
        detail = (
            exc.args[0]
            if exc.args and isinstance(exc.args[0], str)
            else "rows already measured are kept"
        )
        print(f"segbench: {what}; {detail}", file=sys.stderr)
        return 128 + (signal.SIGTERM if isinstance(exc, Terminated) else signal.SIGINT)


def main_entry() -> None:
    """Console-script entry point (``segbench``)."""
    sys.exit(main())
