"""One registry for every system the suite measures: deep models and classical methods.

Modelled on timm's ``register_model`` / ``create_model``: each module registers thin builders with a
decorator, and the registry holds the metadata that the harness and ``bench list`` need.

The registry imports nothing of this project. It holds what has been registered: importing
``models`` registers the deep models, importing ``classical`` the classical methods (which import
this module to register themselves). ``bench.systems`` imports both, so the harness sees every
system; code that imports only ``models`` sees the deep models only.

    >>> from models import create_model, list_systems
    >>> model = create_model("enet", num_classes=11)
    >>> [s.name for s in list_systems(kind="model")]
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

KINDS = ("model", "classical")
#: What reports group systems by: ENet's class, the accurate heavy models it is compared with,
#: instance models scored as semantic ones, and classical methods.
FAMILIES = ("real-time", "heavy", "instance", "classical")
#: How a classical method's regions get classes (``classical.protocols``): ``oracle`` and
#: ``learned`` for unassisted methods; ``oracle-assisted`` for interactive methods, which are
#: given seeds derived from the ground truth and are never reported beside unassisted rows.
CLASSICAL_PROTOCOLS = ("oracle", "learned", "oracle-assisted")
#: What a system reads: one ``image``, or a ``sequence`` of frames from a still camera (motion).
INPUTS = ("image", "sequence")


@dataclass(frozen=True)
class Capabilities:
    """What a system supports, each claim checked by the test suite."""

    half: bool = True  # runs after .half() and .bfloat16()
    compile: bool = True  # torch.compile(fullgraph=True) with no graph break
    onnx: bool = True  # torch.onnx.export, default exporter, and onnxruntime agrees


@dataclass(frozen=True)
class SystemInfo:
    name: str
    kind: str
    description: str
    paper: str
    builder: Callable[..., Any] = field(repr=False, compare=False)
    input_divisor: int = 1  # H and W must be multiples of this; the harness pads and crops back
    min_size: int = 1  # smallest H or W the system accepts (after padding)
    capabilities: Capabilities = Capabilities()
    notes: str = ""  # what the entry is, in a sentence or two (encoder, output stride, ...)
    family: str = "classical"  # one of FAMILIES
    protocols: tuple[str, ...] = ()  # classical: the CLASSICAL_PROTOCOLS it is scored under
    inputs: str = "image"  # one of INPUTS


class UnknownSystemError(KeyError):
    """Raised for a name that is not in the registry; the message lists the known names."""

    def __init__(self, name: str, known: list[str]):
        self.name, self.known = name, known
        close = difflib.get_close_matches(name, known, n=1)
        hint = f" Did you mean '{close[0]}'?" if close else ""
        super().__init__(f"unknown system '{name}'.{hint} Known systems: {', '.join(known)}")

    def __str__(self) -> str:  # KeyError would wrap the message in quotes
        return self.args[0]


_REGISTRY: dict[str, SystemInfo] = {}


def register(
    name: str,
    *,
    kind: str,
    description: str,
    paper: str,
    input_divisor: int = 1,
    min_size: int = 1,
    capabilities: Capabilities | None = None,
    notes: str = "",
    family: str | None = None,
    protocols: tuple[str, ...] = (),
    inputs: str = "image",
):
    """Decorator that registers a builder under ``name`` with its metadata."""
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
    if name != name.lower():
        raise ValueError(f"system names are lower case, got {name!r}")
    family = family or ("classical" if kind == "classical" else "heavy")
    if family not in FAMILIES:
        raise ValueError(f"family must be one of {FAMILIES}, got {family!r}")
    if kind == "classical" and not protocols:
        protocols = ("oracle", "learned")
    unknown = [p for p in protocols if p not in CLASSICAL_PROTOCOLS]
    if unknown or (protocols and kind != "classical"):
        raise ValueError(
            f"protocols are for classical methods, each one of {CLASSICAL_PROTOCOLS}; "
            f"got {protocols!r} for a {kind}"
        )
    if inputs not in INPUTS:
        raise ValueError(f"inputs must be one of {INPUTS}, got {inputs!r}")

    def decorator(builder: Callable[..., Any]) -> Callable[..., Any]:
        if name in _REGISTRY:
            raise ValueError(f"system '{name}' is registered twice")
        _REGISTRY[name] = SystemInfo(
            name,
            kind,
            description,
            paper,
            builder,
            input_divisor,
            min_size,
            capabilities or Capabilities(),
            notes,
            family,
            tuple(protocols),
            inputs,
        )
        return builder

    return decorator


def register_model(name: str, **meta: Any):
    """Register a deep model builder ``fn(num_classes, **kwargs) -> nn.Module``."""
    return register(name, kind="model", **meta)


NO_CAPABILITIES = Capabilities(half=False, compile=False, onnx=False)


def register_classical(name: str, **meta: Any):
    """Register a classical method builder ``fn(**kwargs) -> method``; no tensor capabilities."""
    meta.setdefault("capabilities", NO_CAPABILITIES)
    return register(name, kind="classical", **meta)


def list_systems(kind: str | None = None) -> list[SystemInfo]:
    """Every registered system (optionally of one kind), sorted by kind then name."""
    if kind is not None and kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
    rows = [s for s in _REGISTRY.values() if kind is None or s.kind == kind]
    return sorted(rows, key=lambda s: (KINDS.index(s.kind), s.name))


def system_names(kind: str | None = None) -> list[str]:
    return [s.name for s in list_systems(kind)]


def get_system(name: str) -> SystemInfo:
    try:
        return _REGISTRY[name]
    except KeyError:
        raise UnknownSystemError(name, system_names()) from None


def create_model(name: str, num_classes: int, **kwargs: Any):
    """Build the deep model ``name`` for ``num_classes`` classes (randomly initialised).

    Extra keyword arguments go to the builder (for example ``encoder="resnet50"`` for the smp
    models). Raises :class:`UnknownSystemError` for an unknown name and ``ValueError`` for a
    classical method, which is not an ``nn.Module``.
    """
    info = get_system(name)
    if info.kind != "model":
        raise ValueError(
            f"'{name}' is a {info.kind} method, not a deep model; "
            f"deep models: {', '.join(system_names('model'))}"
        )
    if not isinstance(num_classes, int) or num_classes < 1:
        raise ValueError(f"num_classes must be a positive integer, got {num_classes!r}")
    return info.builder(num_classes, **kwargs)
