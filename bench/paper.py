"""The ENet paper's published numbers, in one place (Paszke, Chaurasia, Kim, Culurciello 2016,
ENet: A Deep Neural Network Architecture for Real-Time Semantic Segmentation, arXiv:1606.02147).
Transcribed from the paper; every other module takes them from here."""

from __future__ import annotations

CITATION = "Paszke et al. 2016, arXiv:1606.02147"

#: The abstract's headline claims: SegNet / ENet.
CLAIMED_RATIOS = {"speed": 18.0, "flops": 75.0, "params": 79.0}

#: Table 3 (parameters, millions) and the FLOPs at 3x640x360 (GFLOPs, 2 per multiply-add).
PUBLISHED = {
    "enet": {"params_m": 0.37, "gflops": 3.83},
    "segnet": {"params_m": 29.46, "gflops": 286.03},
}

#: Where the paper counts FLOPs: a 3 x 360 x 640 input (WIDTH, HEIGHT).
FLOPS_SIZE = (640, 360)

#: Table 2: inference time in ms at batch 1, (device, WIDTH, HEIGHT) -> (SegNet, ENet); None
#: where the paper gives no time (SegNet at 1280x720 on the TX1).
TABLE2_MS: dict[tuple[str, int, int], tuple[float | None, float]] = {
    ("NVIDIA TX1", 480, 320): (757.0, 47.0),
    ("NVIDIA TX1", 640, 360): (1251.0, 69.0),
    ("NVIDIA TX1", 1280, 720): (None, 262.0),
    ("NVIDIA Titan X", 640, 360): (69.0, 7.0),
    ("NVIDIA Titan X", 1280, 720): (289.0, 21.0),
    ("NVIDIA Titan X", 1920, 1080): (637.0, 46.0),
}


def table2_ratios(width: int, height: int) -> dict[str, float]:
    """The paper's own SegNet/ENet time ratio per device at one size (where it has both)."""
    return {
        device: segnet / enet
        for (device, w, h), (segnet, enet) in TABLE2_MS.items()
        if (w, h) == (width, height) and segnet is not None
    }


def table2_note(width: int, height: int) -> str:
    """The paper's times at one size, as text for a claims row ('' where it has none)."""
    parts = []
    for (device, w, h), (segnet, enet) in TABLE2_MS.items():
        if (w, h) == (width, height):
            seg = f"{segnet:g}" if segnet is not None else "n/a"
            ratio = f" = {segnet / enet:.1f}x" if segnet is not None else ""
            parts.append(f"{device.replace('NVIDIA ', '')}: SegNet {seg} / ENet {enet:g} ms{ratio}")
    return "; ".join(parts)
