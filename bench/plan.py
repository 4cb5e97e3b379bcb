"""The cells a run plans, their stable keys, and the deterministic share of one shard.

A sweep is the grid of efficiency cells (system x size x precision x mode x batch, in that
order; one cell per classical method) and the accuracy cells (a deep model's training and test
score; a classical method's oracle and learned protocols). Every machine computes the same plan
from the same options, so ``--shard I/N`` needs no coordination: shard I takes every N-th cell of
each table, starting at the I-th, which balances the tables' cells over the shards and makes the
union of the N shards the whole plan.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field

from bench.errors import BadInput
from bench.records import accuracy_key, classical_efficiency_key, efficiency_key


@dataclass(frozen=True)
class Cell:
    table: str  # efficiency or accuracy
    key: str
    system: str
    width: int | None = None
    height: int | None = None
    precision: str | None = None
    mode: str | None = None
    batch: int | None = None
    protocol: str | None = None  # accuracy: trained, oracle or learned


@dataclass(frozen=True)
class Shard:
    index: int  # 1-based
    count: int

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"

    def take(self, cells: list[Cell]) -> list[Cell]:
        return [c for i, c in enumerate(cells) if i % self.count == self.index - 1]


def parse_shard(text: str | None) -> Shard | None:
    """'I/N' (1 <= I <= N) as a Shard; None for no sharding."""
    if text is None:
        return None
    m = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+)\s*", text)
    if not m or not 1 <= int(m.group(1)) <= int(m.group(2)):
        raise BadInput(
            f"--shard {text!r}: expected I/N with 1 <= I <= N, e.g. 1/4 for the "
            f"first of four shards"
        )
    return Shard(int(m.group(1)), int(m.group(2)))


@dataclass
class Sweep:
    """What a run measures: the options that make its plan."""

    systems: list[str]
    kinds: dict[str, str]  # system -> model or classical
    device: str
    sizes: list[tuple[int, int]]
    precisions: list[str]
    modes: list[str]
    batch_sizes: list[int]
    channels_last: bool
    dataset: str
    profile: str
    seed: int
    weights: dict[str, str] = field(default_factory=dict)  # system -> 'sha256:<hash>'
    skip: list[str] = field(default_factory=list)
    #: system -> the protocols it is scored under (default: oracle and learned for a classical
    #: method, trained for a model; things-only for an instance model)
    protocols: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def efficiency_cells(self) -> list[Cell]:
        if "efficiency" in self.skip:
            return []
        cells = []
        for name in self.systems:
            if self.kinds[name] == "classical":
                cells.append(Cell("efficiency", classical_efficiency_key(name), name))
                continue
            for w, h in self.sizes:
                for p in self.precisions:
                    for m in self.modes:
                        for b in self.batch_sizes:
                            key = efficiency_key(
                                name, self.device, w, h, b, p, m, self.channels_last
                            )
                            cells.append(Cell("efficiency", key, name, w, h, p, m, b))
        return cells

    def accuracy_cells(self) -> list[Cell]:
        if "accuracy" in self.skip:
            return []
        cells = []
        for name in self.systems:
            protocols: tuple[str, ...]
            default = ("oracle", "learned") if self.kinds[name] == "classical" else ("trained",)
            protocols = self.protocols.get(name) or default
            weights = self.weights.get(name, self.profile)
            runtimes = self.scored_runtimes() if protocols == ("trained",) else [None]
            for protocol in protocols:
                for runtime in runtimes:
                    key = accuracy_key(
                        name, self.dataset, "test", protocol, weights, self.seed, runtime
                    )
                    cells.append(Cell("accuracy", key, name, mode=runtime, protocol=protocol))
        return cells

    def scored_runtimes(self) -> list[str | None]:
        """The runtimes a trained model is scored in: PyTorch itself (None), then each deployment
        runtime of ``modes`` that this device runs (``bench.runtimes``; CUDA graphs and
        compile-cudagraphs compute what eager and compile do, so they are not scored apart)."""
        from bench.runtimes import CPU_ONLY, GPU_ONLY, RUNTIMES

        unusable = GPU_ONLY if self.device == "cpu" else CPU_ONLY
        return [None] + [
            m for m in self.modes if m in RUNTIMES and m != "eager" and m not in unusable
        ]

    def cells(self, shard: Shard | None = None) -> list[Cell]:
        eff, acc = self.efficiency_cells(), self.accuracy_cells()
        if shard is not None:
            eff, acc = shard.take(eff), shard.take(acc)
        return eff + acc

    def sweep_id(self) -> str:
        """A name for the sweep that every shard computes alike (for the default run id)."""
        text = repr(
            (
                self.systems,
                self.device,
                self.sizes,
                self.precisions,
                self.modes,
                self.batch_sizes,
                self.channels_last,
                self.dataset,
                self.profile,
                self.seed,
                sorted(self.weights.items()),
                sorted(self.skip),
            )
        )
        return hashlib.sha256(text.encode()).hexdigest()[:12]


def weights_tag(path: str) -> str:
    """The accuracy cell's name for given weights: their content, not their path."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return f"sha256:{h.hexdigest()}"
