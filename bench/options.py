"""Parsing and checking of the CLI's option values (sizes, lists, devices, precisions)."""

from __future__ import annotations

import re

import torch

from bench.errors import BadInput

#: fp32 is strict fp32 (TF32 off); tf32 is fp32 tensors with TF32 convolutions and matrix
#: products, which Ampere and newer GPUs use for fp32 by default (GPU only).
PRECISIONS = {
    "fp32": torch.float32,
    "tf32": torch.float32,
    "fp16": torch.float16,
    "bf16": torch.bfloat16,
}
PAPER_SIZES = ((480, 320), (640, 360), (1280, 720))  # WIDTHxHEIGHT, the ENet paper's timings


CPU_SIZES = ((640, 360),)  # the default on a CPU: the size of the paper's FLOPs and claims


def default_sizes(device: str) -> list[tuple[int, int]]:
    """The paper's three sizes on a GPU; on a CPU 640x360 only, where the heavy models take
    seconds per image (1280x720 alone would take most of the default run's minutes)."""
    return list(PAPER_SIZES if device == "cuda" else CPU_SIZES)


def split_list(text: str) -> list[str]:
    """'a, b,,c' -> ['a', 'b', 'c'] (order kept, duplicates dropped)."""
    items = [t.strip() for t in text.split(",") if t.strip()]
    return list(dict.fromkeys(items))


def parse_sizes(text: str) -> list[tuple[int, int]]:
    """'480x320,640x360' -> [(480, 320), (640, 360)]: WIDTHxHEIGHT, as the paper writes sizes."""
    sizes = []
    for item in split_list(text):
        m = re.fullmatch(r"(\d+)[xX](\d+)", item)
        if not m or int(m[1]) < 1 or int(m[2]) < 1:
            raise BadInput(
                f"bad size '{item}': expected WIDTHxHEIGHT with positive integers, "
                f"for example 640x360"
            )
        sizes.append((int(m[1]), int(m[2])))
    if not sizes:
        raise BadInput("no size given: expected a comma-separated list such as 480x320,640x360")
    return sizes


def parse_ints(text: str, what: str) -> list[int]:
    out = []
    for item in split_list(text):
        if not item.isdigit() or int(item) < 1:
            raise BadInput(f"bad {what} '{item}': expected positive integers such as 1,8")
        out.append(int(item))
    if not out:
        raise BadInput(f"no {what} given: expected a comma-separated list such as 1,8")
    return out


def parse_precisions(text: str) -> list[str]:
    out = split_list(text)
    for p in out:
        if p not in PRECISIONS:
            raise BadInput(f"unknown precision '{p}': expected one of {', '.join(PRECISIONS)}")
    if not out:
        raise BadInput(f"no precision given: expected some of {', '.join(PRECISIONS)}")
    return out


def resolve_device(name: str) -> str:
    """'auto' -> 'cuda' when a GPU is usable, else 'cpu'; 'cuda' without one is bad input."""
    if name == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if name == "cuda" and not torch.cuda.is_available():
        raise BadInput(
            "--device cuda was asked for, but PyTorch sees no CUDA device here; "
            "expected --device cpu or auto"
        )
    if name not in ("cpu", "cuda"):
        raise BadInput(f"unknown device '{name}': expected auto, cpu or cuda")
    return name


def device_memory_bytes(device: str) -> int:
    """All the memory of the device that a run measures on (the GPU's, or the machine's RAM)."""
    import os

    if device == "cuda":
        return torch.cuda.get_device_properties(torch.cuda.current_device()).total_memory
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")


def check_fits(
    sizes: list[tuple[int, int]],
    batch_sizes: list[int],
    precisions: list[str],
    device: str,
    num_classes: int,
) -> None:
    """Refuse, before any tensor is made, a size and batch whose input and class scores alone
    (a lower bound of what a forward pass holds) exceed the device's memory."""
    budget = device_memory_bytes(device)
    for width, height in sizes:
        for batch in batch_sizes:
            for precision in precisions:
                element = torch.empty((), dtype=PRECISIONS[precision]).element_size()
                need = batch * width * height * (3 + num_classes) * element
                if need > budget:
                    raise BadInput(
                        f"size {width}x{height} at batch {batch} in {precision} needs at least "
                        f"{need / 2**30:,.1f} GiB (the input and the {num_classes} class scores "
                        f"alone), more than the {budget / 2**30:,.1f} GiB of memory on {device}: "
                        f"expected a smaller size or batch"
                    )
