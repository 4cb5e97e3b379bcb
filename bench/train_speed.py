"""Training throughput: images per second of the real training step (augmentation on the
device, forward, weighted cross-entropy, backward, Adam step) for each model and variant.

``python -m bench train-speed --models enet --dataset camvid --variants fp32,channels_last,...``
times ``--steps`` steps after ``--warmup`` steps, at the paper's setting by default (480x360,
batch 10), and writes ``train_speed.json`` (rows: system, variant, device, threads, size, batch,
images_per_s, step_ms_median, step_ms_p90, steps) and a Markdown table. Variants:

* ``fp32``: the step as it is, contiguous memory format;
* ``channels_last``: model and input in channels_last;
* ``bf16``: bf16 autocast (channels_last too);
* ``compile``: ``torch.compile`` of the model (inductor), fp32, contiguous; ``compile_cl`` the
  same in channels_last, ``compile_bf16`` with bf16 autocast (channels_last); the compile time
  is recorded apart (``compile_s``, the first step) and the warm-up steps absorb it.

The variants compute the same function (fp32 up to rounding, bf16 at lower precision); whether
bf16 learns as well is a question for a training, not for this timer.
"""

from __future__ import annotations

import json
import statistics
import time
from pathlib import Path
from typing import cast

import torch
from torch import nn

from bench.batches import load_split, training_batches
from bench.errors import BadInput
from bench.train import optimizer_step

VARIANTS = ("fp32", "channels_last", "bf16", "compile", "compile_cl", "compile_bf16")


def time_training(
    system: str,
    split,
    variant: str,
    *,
    batch: int = 10,
    steps: int = 8,
    warmup: int = 2,
    device: str = "cpu",
    seed: int = 0,
) -> dict:
    """One row: the median step time of ``steps`` real training steps after ``warmup``."""
    from bench.systems import any_size, create_model, get_system

    if variant not in VARIANTS:
        raise BadInput(f"unknown variant '{variant}': expected one of {', '.join(VARIANTS)}")
    torch.manual_seed(seed)
    channels_last = variant in ("channels_last", "bf16", "compile_cl", "compile_bf16")
    model = create_model(system, split.spec.num_classes).to(device).train()
    if channels_last:
        model = model.to(memory_format=torch.channels_last)
    net = any_size(model, get_system(system).input_divisor)
    compile_s = None
    if variant.startswith("compile"):
        # torch.compile of a module gives a module (OptimizedModule); its stubs say a callable.
        net = cast(nn.Module, torch.compile(net))
    criterion = nn.CrossEntropyLoss(ignore_index=split.spec.ignore_index)
    optim = torch.optim.Adam(model.parameters(), lr=5e-4, weight_decay=2e-4)
    amp = "bf16" if variant in ("bf16", "compile_bf16") else None
    scaler = torch.amp.GradScaler(enabled=False)

    def step(images, labels):
        if channels_last:
            images = images.contiguous(memory_format=torch.channels_last)
        return optimizer_step(
            lambda: criterion(net(images).float(), labels), optim, scaler, device, amp
        )

    times: list[float] = []
    epoch = 0
    while len(times) < steps:
        for images, labels in training_batches(split, batch, seed, epoch):
            if device != "cpu":
                torch.cuda.synchronize()  # the batch's augmentation stays out of the step time
            t0 = time.perf_counter()
            loss = step(images, labels)
            loss.item()
            elapsed = time.perf_counter() - t0
            if variant.startswith("compile") and compile_s is None:
                compile_s = elapsed
            if warmup > 0:
                warmup -= 1
                continue
            times.append(elapsed)
            if len(times) >= steps:
                break
        epoch += 1
    times.sort()
    median = statistics.median(times)
    return {
        "system": system,
        "variant": variant,
        "device": device,
        "threads": torch.get_num_threads(),
        "size": f"{split.size[0]}x{split.size[1]}",
        "batch": batch,
        "steps": len(times),
        "step_ms_median": 1e3 * median,
        "step_ms_p90": 1e3 * times[min(len(times) - 1, int(0.9 * len(times)))],
        "images_per_s": batch / median,
        "compile_s": compile_s,
        "note": "step = augmentation on the device + forward + loss + backward + Adam",
    }


def markdown(rows: list[dict]) -> str:
    lines = [
        "| system | variant | size | batch | images/s | step ms (median) | p90 | vs fp32 |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    base = {r["system"]: r["images_per_s"] for r in rows if r["variant"] == "fp32"}
    for r in rows:
        ratio = f"{r['images_per_s'] / base[r['system']]:.2f}x" if r["system"] in base else "n/a"
        lines.append(
            f"| {r['system']} | {r['variant']} | {r['size']} | {r['batch']} | "
            f"{r['images_per_s']:.2f} | {r['step_ms_median']:.0f} | "
            f"{r['step_ms_p90']:.0f} | {ratio} |"
        )
    return "\n".join(lines) + "\n"


def run(
    systems,
    dataset,
    variants,
    *,
    data_root=None,
    size=(480, 360),
    batch=10,
    steps=8,
    warmup=2,
    device="cpu",
    out: str | Path | None = None,
    progress=print,
) -> list[dict]:
    from bench.datasets import open_dataset
    from bench.environment import run_header

    ds = open_dataset(
        dataset,
        "train",
        data_root=data_root,
        size=size,
        **({"length": 4 * batch} if dataset == "synthetic" else {}),
    )
    split = load_split(ds, device)
    rows = []
    for system in systems:
        for variant in variants:
            row = time_training(
                system, split, variant, batch=batch, steps=steps, warmup=warmup, device=device
            )
            row["dataset"] = dataset
            rows.append(row)
            progress(
                f"{system} {variant}: {row['images_per_s']:.2f} images/s "
                f"({row['step_ms_median']:.0f} ms per step of {batch})"
            )
    if out:
        out = Path(out)
        out.mkdir(parents=True, exist_ok=True)
        (out / "train_speed.json").write_text(
            json.dumps({"run": run_header(device), "rows": rows}, indent=1) + "\n", encoding="utf-8"
        )
        (out / "train_speed.md").write_text(markdown(rows), encoding="utf-8")
    return rows
