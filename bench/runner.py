"""`bench run`: measure every asked-for system on the grid of sizes, batches and precisions."""
from __future__ import annotations

import traceback
from dataclasses import asdict, dataclass, field
from pathlib import Path

import torch
from tqdm import tqdm

from bench.datasets import get_dataset_spec
from bench.environment import run_header
from bench.measure.params import parameter_report
from bench.options import PAPER_SIZES
from bench.report import write_report
from bench.results import RunResults, default_run_dir
from models import any_size, create_model, get_system

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
    profile: str = "quick"
    skip: list[str] = field(default_factory=list)
    out: str | None = None
    seed: int = 0


def _failure(exc: BaseException) -> dict:
    return {"status": "failed", "error": f"{type(exc).__name__}: {exc}".strip()[:500]}


def run(config: RunConfig) -> Path:
    spec = get_dataset_spec(config.dataset)
    out_dir = Path(config.out) if config.out else default_run_dir(config.dataset)
    header = run_header(config.device)
    header["config"] = {k: v for k, v in asdict(config).items() if k != "out"}
    header["dataset"] = config.dataset
    header["profile"] = config.profile
    results = RunResults(out_dir, header)

    if "efficiency" not in config.skip:
        for name in tqdm(config.systems, desc="efficiency", unit="system"):
            for row in measure_efficiency(name, spec.num_classes, config):
                results.add("efficiency", row)
    write_report(results.data, out_dir)
    return out_dir


def measure_efficiency(name: str, num_classes: int, config: RunConfig) -> list[dict]:
    """Rows of one system's efficiency over the grid. Failures become rows, never exceptions."""
    info = get_system(name)
    base = {"system": name, "kind": info.kind, "device": config.device,
            "num_classes": num_classes}
    torch.manual_seed(config.seed)
    try:
        model = any_size(create_model(name, num_classes), info.input_divisor)
        params = parameter_report(model, torch.randn(1, 3, 64, 96))
    except Exception as exc:  # one broken system must not stop the run
        traceback.print_exc()
        return [{**base, **_failure(exc)}]
    rows = []
    for width, height in config.sizes:
        run_h, run_w = (model.run_size(height, width) if hasattr(model, "run_size")
                        else (height, width))
        for batch in config.batch_sizes:
            for precision in config.precisions:
                rows.append({**base, "width": width, "height": height, "run_width": run_w,
                             "run_height": run_h, "batch": batch, "precision": precision,
                             **params, "status": "ok"})
    return rows
