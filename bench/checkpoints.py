"""Checkpoint files: read safely (tensors and plain data only: loading never runs code), written
atomically, and checked against the model they are for, with one-line errors that say what is
wrong and what was expected."""

from __future__ import annotations

import hashlib
import warnings
from pathlib import Path

import torch
from torch import nn

from bench.atomic import atomic_path
from bench.errors import BadInput
from bench.systems import create_model

_ZIP, _PICKLE = b"PK\x03\x04", b"\x80"  # torch.save's format, and the legacy pickle one
EXPECTED = "expected a file written by torch.save holding a state dict"


def load_state(path: str | Path, device: str = "cpu"):
    """A checkpoint file read with ``weights_only=True``; BadInput if it is not one we can read
    that way (not a checkpoint at all, cut short, or holding objects whose loading runs code)."""
    path = Path(path)
    try:
        with open(path, "rb") as f:
            head = f.read(4)
    except OSError as exc:
        raise BadInput(f"cannot read {path}: {exc.strerror}: {EXPECTED}") from None
    if not (head.startswith(_ZIP) or head.startswith(_PICKLE)):
        raise BadInput(
            f"{path} is not a PyTorch checkpoint (neither torch.save's zip format nor "
            f"a pickle): {EXPECTED}"
        )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return torch.load(path, map_location=device, weights_only=True)
    except Exception as exc:  # noqa: BLE001 - any failure means "not a checkpoint we can read"
        text = str(exc)
        if "Unsupported global" in text:
            raise BadInput(
                f"{path} holds Python objects other than tensors and plain data, and "
                f"loading those could run code, so it is refused: {EXPECTED}; to "
                f"use a file you trust, load it once yourself with "
                f"weights_only=False and torch.save its state_dict()"
            ) from None
        if "Weights only load failed" in text:
            raise BadInput(
                f"{path} is a pickle that torch.save did not write, which cannot be "
                f"read safely: {EXPECTED}"
            ) from None
        first = (text.strip().splitlines() or [type(exc).__name__])[0].split(". ")[0][:160]
        raise BadInput(
            f"cannot read {path} as a PyTorch checkpoint, it is cut short or damaged "
            f"({first}): {EXPECTED}"
        ) from None


def save_atomic(obj: dict, path: Path) -> None:
    """torch.save so that readers find the old file or the new one, never half of one."""
    with atomic_path(path) as tmp:
        torch.save(obj, tmp)


def state_dict_of(state, path: str | Path) -> dict:
    """The model's state dict in a checkpoint of ours ({'model': ...}) or a bare state dict."""
    if isinstance(state, dict) and isinstance(state.get("model"), dict):
        state = state["model"]
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise BadInput(
            f"{path} holds a {type(state).__name__}, not a state dict: expected a "
            f"checkpoint of `bench train` or a model's state_dict()"
        )
    return state


def mismatch(model: nn.Module, state: dict) -> str | None:
    """How ``state`` does not fit ``model``, in a few words (None if it fits)."""
    mine = model.state_dict()
    missing = [k for k in mine if k not in state]
    extra = [k for k in state if k not in mine]
    shapes = [
        (k, tuple(state[k].shape), tuple(v.shape))
        for k, v in mine.items()
        if k in state and tuple(state[k].shape) != tuple(v.shape)
    ]
    parts = []
    if shapes:
        k, theirs, ours = shapes[-1]  # the last differing tensor: the classifier, usually
        parts.append(
            f"{len(shapes)} tensors differ in shape, e.g. {k} is "
            f"{list(theirs)} in the file and {list(ours)} in the model"
        )
    if missing:
        parts.append(f"{len(missing)} tensors missing (e.g. {missing[0]})")
    if extra:
        parts.append(f"{len(extra)} unexpected (e.g. {extra[0]})")
    return "; ".join(parts) or None


def _classes_in(model: nn.Module, state: dict, num_classes: int) -> int | None:
    """The class count the file seems made for: the differing dimension of a tensor whose
    model dimension is ``num_classes``."""
    for k, v in reversed(list(model.state_dict().items())):
        if k in state and state[k].dim() == v.dim() and tuple(state[k].shape) != tuple(v.shape):
            for theirs, ours in zip(state[k].shape, v.shape):
                if ours == num_classes and theirs != ours:
                    return int(theirs)
    return None


def load_checkpoint(system: str, num_classes: int, path: str | Path, device: str = "cpu"):
    """A model from a checkpoint of ours or a bare state dict; BadInput (one line: what is
    wrong, what was expected) for a file that is not one, or not this model's."""
    state = state_dict_of(load_state(path, device), path)
    model = create_model(system, num_classes)
    problem = mismatch(model, state)
    if problem:
        theirs = _classes_in(model, state, num_classes)
        classes = (
            f"it was made for {theirs} classes, this dataset has {num_classes} "
            f"({theirs} vs {num_classes}); "
            if theirs
            else ""
        )
        raise BadInput(
            f"{path} does not fit a {system} for {num_classes} classes: {classes}"
            f"{problem}: expected weights of this model for this dataset"
        )
    model.load_state_dict(state)
    return model.to(device).eval()


def file_sha256(path: str | Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()
