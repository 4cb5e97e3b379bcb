"""`bench check`: compare systems against a committed baseline and fail on a regression.

What is compared, per system (every deep model and classical method by default):

``params``, ``gflops``
    Parameters and FLOPs at the system's check size, exactly (:mod:`bench.measure.params`,
    :mod:`bench.measure.flops`); not applicable to classical methods.
``latency_1t``, ``latency_mt``
    CPU latency as a multiple of a fixed reference workload timed in alternating rounds in the
    same process (:func:`bench.measure.latency.relative_latency`), on one thread and on all
    cores, with the spread over rounds; a change is a regression only beyond the tolerance and
    beyond k times that spread (:mod:`bench.check.verdicts`).
``fingerprint``
    What the system computes, in a few robust numbers of its output on a fixed seeded input
    (:mod:`bench.check.fingerprint`).

Modules: :mod:`~bench.check.baseline` (the file), :mod:`~bench.check.measure`,
:mod:`~bench.check.fingerprint`, :mod:`~bench.check.verdicts`, :mod:`~bench.check.run` (the
command), :mod:`~bench.check.history` (``--history``) and :mod:`~bench.check.trend`
(``bench report --history``).
"""

from bench.check.baseline import (
    BASELINE_FORMAT,
    DEFAULT_TOLERANCES,
    METRICS,
    CheckSettings,
    load_baseline,
)
from bench.check.run import CheckRequest, run_check
from bench.check.verdicts import compare, format_table, parse_tolerances

__all__ = [
    "CheckRequest",
    "parse_tolerances",
    "run_check",
    "compare",
    "format_table",
    "load_baseline",
    "CheckSettings",
    "BASELINE_FORMAT",
    "DEFAULT_TOLERANCES",
    "METRICS",
]
