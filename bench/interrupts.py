"""SIGTERM handled like Ctrl-C: the work stops, finished rows are kept, the report is rendered.

The handler raises :class:`Terminated` (a KeyboardInterrupt, so every ``except
KeyboardInterrupt`` path treats both alike). Python drops an exception raised while it runs a
finaliser or a weakref callback (and prints it as "Exception ignored"), so the handler also
records the signal, the dropped exception is not printed, and long loops call :func:`check`
between units of work to raise it again.
"""

from __future__ import annotations

import contextlib
import signal
import sys
import threading


class Terminated(KeyboardInterrupt):
    """The process received SIGTERM."""


_received: int | None = None


def _on_sigterm(signum, frame) -> None:
    global _received
    _received = signum
    raise Terminated()


def check() -> None:
    """Raise Terminated if SIGTERM arrived (and its first exception was lost)."""
    if _received is not None:
        raise Terminated()


@contextlib.contextmanager
def sigterm_as_interrupt():
    """Within the block, SIGTERM raises Terminated (main thread only; elsewhere a no-op)."""
    global _received
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    _received = None
    previous = signal.signal(signal.SIGTERM, _on_sigterm)
    previous_hook = sys.unraisablehook

    def hook(unraisable) -> None:
        if not isinstance(unraisable.exc_value, Terminated):  # ours is raised again by check()
            previous_hook(unraisable)

    sys.unraisablehook = hook
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
        sys.unraisablehook = previous_hook
        _received = None
