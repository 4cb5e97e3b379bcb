"""The harness's view of the one registry: every deep model and every classical method.

``models.registry`` holds the registry and imports nothing of this project; ``models`` and
``classical`` register their systems when imported. This module imports both, so that a lookup
here sees every system, and it turns an unknown name into :class:`bench.errors.BadInput` (one
line, exit 2 from the CLI). The harness looks systems up here, never in ``models`` directly.
"""

from __future__ import annotations

from typing import Any

import classical  # noqa: F401  (registers the classical methods)
import models  # noqa: F401  (registers the deep models)
from bench.errors import BadInput
from classical.base import ClassicalMethod
from classical.base import create_method as _create_method
from models.registry import SystemInfo, UnknownSystemError, list_systems, system_names  # noqa: F401
from models.registry import create_model as _create_model
from models.registry import get_system as _get_system
from models.wrappers import AnySize, any_size  # noqa: F401


def get_system(name: str) -> SystemInfo:
    """The registry entry of ``name``; BadInput (with the known names) if there is none."""
    try:
        return _get_system(name)
    except UnknownSystemError as exc:
        raise BadInput(str(exc)) from None


def require_kind(name: str, kind: str, why: str = "") -> SystemInfo:
    """``get_system(name)``, and BadInput unless it is of ``kind`` (``model`` or ``classical``)."""
    info = get_system(name)
    if info.kind != kind:
        what = "a deep model" if kind == "model" else "a classical method"
        known = ", ".join(system_names(kind))
        raise BadInput(
            f"'{name}' is not {what}{': ' + why if why else ''}: expected one of {known}"
        )
    return info


def create_model(name: str, num_classes: int, **kwargs: Any):
    """The deep model ``name`` for ``num_classes`` classes (randomly initialised)."""
    require_kind(name, "model")
    return _create_model(name, num_classes, **kwargs)


def create_method(name: str, **kwargs: Any) -> ClassicalMethod:
    """The classical method ``name``."""
    require_kind(name, "classical")
    return _create_method(name, **kwargs)
