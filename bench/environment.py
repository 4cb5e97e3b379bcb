"""What a result was measured on: versions, device, CPU, threads, git commit.

Recorded in every run."""

from __future__ import annotations

import datetime as _dt
import os
import platform
import subprocess
import sys
from functools import lru_cache
from importlib import metadata
from pathlib import Path

import torch

from models.threads import torch_threads  # noqa: F401  (re-exported: the harness's helper)

REPO_ROOT = Path(__file__).resolve().parent.parent


def _version(dist: str) -> str | None:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return None


@lru_cache(maxsize=1)
def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def git_commit() -> str | None:
    """HEAD of the suite's checkout, with '-dirty' when tracked files have changed.
    $SEGBENCH_COMMIT, when set, names it instead (a copy of the code on another machine, whose
    .git, if any, is not the code's)."""
    if os.environ.get("SEGBENCH_COMMIT"):
        return os.environ["SEGBENCH_COMMIT"]
    try:
        run = lambda *a: subprocess.run(
            ["git", *a],
            cwd=REPO_ROOT,
            capture_output=True,  # noqa: E731
            text=True,
            timeout=10,
        )
        head = run("rev-parse", "HEAD")
        if head.returncode:
            return None
        dirty = run("status", "--porcelain", "--untracked-files=no").stdout.strip()
        return head.stdout.strip() + ("-dirty" if dirty else "")
    except (OSError, subprocess.SubprocessError):
        return None


def gpu_info(device: str) -> dict:
    if device != "cuda" or not torch.cuda.is_available():
        return {}
    props = torch.cuda.get_device_properties(torch.cuda.current_device())
    driver = None
    try:
        out = subprocess.run(
            ["nvidia-smi", "--query-gpu=driver_version", "--format=csv,noheader"],
            capture_output=True,
            text=True,
            timeout=10,
        )
        driver = out.stdout.strip().splitlines()[0] if out.returncode == 0 else None
    except (OSError, subprocess.SubprocessError, IndexError):
        pass
    return {
        "gpu_name": props.name,
        "gpu_memory_gib": round(props.total_memory / 2**30, 1),
        "gpu_driver": driver,
        "cudnn_benchmark": torch.backends.cudnn.benchmark,
    }


def device_name(device: str) -> str:
    return gpu_info(device).get("gpu_name", cpu_model()) if device == "cuda" else cpu_model()


def command_line() -> str:
    """The command as the user typed it: ``python -m bench ...`` or ``segbench ...``."""
    prog = Path(sys.argv[0]).name
    prog = "python -m bench" if prog == "__main__.py" else prog
    return " ".join([prog, *sys.argv[1:]])


def describe(device: str = "cpu") -> dict:
    """A flat dict of everything that a measurement depends on, for the ``run`` block and rows."""
    info = {
        "device": device,
        "device_name": device_name(device),
        "cpu": cpu_model(),
        "cpu_count": os.cpu_count(),
        "threads": torch.get_num_threads(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "torch": torch.__version__,
        "torchvision": _version("torchvision"),
        "smp": _version("segmentation-models-pytorch"),
        "cuda": torch.version.cuda,
        "cudnn": torch.backends.cudnn.version() if torch.backends.cudnn.is_available() else None,
    }
    info.update(gpu_info(device))
    return info


def run_header(device: str) -> dict:
    """The ``run`` block of results.json."""
    return {
        "command": command_line(),
        "time_utc": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "git_commit": git_commit(),
        "segbench": _version("segbench"),
        **describe(device),
    }
