"""The report's tables, built from results rows and written as Markdown, CSV and LaTeX.

A table is a list of columns (title, how to get the value from a row, how to format it) over a
list of rows. Every cell comes from one row of results.json; a value that is missing reads
``not measured``, never 0. The three formats show the same cells.

The efficiency and accuracy tables are grouped by family (``models.registry.FAMILIES`` order:
real-time, heavy, instance, classical; within a family the rows keep their order) and say each
row's family in a first ``family`` column; LaTeX rules the families apart. A row's family is
``bench.figures.rows.family_of`` (its own field, else the registry's, else by kind), the one
rule the figures use too.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

NOT_MEASURED = "not measured"

Getter = str | Callable[[dict], Any]
Formatter = Callable[[Any], str] | None
Column = tuple[str, Getter, Formatter]  # title, how to get the value from a row, how to format it


@dataclass
class Table:
    name: str  # file stem: tables/<name>.csv, tables/<name>.tex
    title: str
    columns: list[Column]
    rows: list[dict]
    note: str = ""
    group: Callable[[dict], str] | None = None  # LaTeX: a rule where this changes between rows

    def header(self) -> list[str]:
        return [c[0] for c in self.columns]

    def cells(self) -> list[list[str]]:
        return [[cell(r, key, fmt) for _, key, fmt in self.columns] for r in self.rows]


def cell(row: dict, key: Getter, fmt: Formatter) -> str:
    value = key(row) if callable(key) else row.get(key)
    if value is None:
        return NOT_MEASURED
    return fmt(value) if fmt else str(value)


def fixed(digits: int) -> Callable[[Any], str]:
    return lambda v: v if isinstance(v, str) else f"{v:.{digits}f}"


def percent(v: float) -> str:
    return f"{100 * v:.1f}"


def _status(r: dict) -> str:
    return "ok" if r.get("status") == "ok" else f"failed: {r.get('error', '')}"


def _classical_na(key: str) -> Callable[[dict], Any]:
    """FLOPs of a classical method are not applicable (and not 0)."""
    return lambda r: "n/a" if r.get("kind") == "classical" else r.get(key)


def _mode_and_layout(r: dict) -> str | None:
    """The execution mode, with the memory format when it is channels_last."""
    mode = r.get("mode")
    return f"{mode}, channels_last" if mode and r.get("channels_last") else mode


def _size(r: dict) -> str | None:
    return f"{r['width']}x{r['height']}" if r.get("width") else None


def _run_column(rows: list[dict]) -> list[Column]:
    """A `run` column, only when the rows come from several merged runs."""
    return [("run", "run", None)] if any("run" in r for r in rows) else []


def _family(row: dict) -> str:
    from bench.figures.rows import family_of  # the figures' rule; imported when first needed

    return family_of(row)


def _by_family(rows: list[dict]) -> list[dict]:
    """The rows grouped by family in FAMILIES order, in their own order within a family."""
    from bench.figures.rows import family_rank

    return sorted(rows, key=lambda r: family_rank(_family(r)))


_FAMILY_COLUMN: Column = ("family", _family, None)


# --------------------------------------------------------------------------------------------
# the tables


def efficiency_table(rows: list[dict]) -> Table:
    rows = _by_family(rows)
    columns = (
        [_FAMILY_COLUMN]
        + _run_column(rows)
        + [
            ("system", "system", None),
            ("device", "device", None),
            ("size (WxH)", _size, None),
            ("batch", "batch", None),
            ("precision", "precision", None),
            ("mode", _mode_and_layout, None),
            ("params (M)", "params", lambda v: f"{v / 1e6:.3f}"),
            ("GFLOPs", _classical_na("gflops"), fixed(2)),
            ("GMACs", _classical_na("gmacs"), fixed(2)),
            ("GFLOPs (fvcore)", _classical_na("gflops_fvcore"), fixed(2)),
            ("latency median (ms)", "latency_ms_median", fixed(2)),
            ("p90 (ms)", "latency_ms_p90", fixed(2)),
            ("images/s", "fps", fixed(1)),
            ("n", "latency_n", None),
            ("peak mem (MB)", "peak_mem_mb", fixed(1)),
        ]
        + (RUNTIME_COLUMNS if any(r.get("build_s") is not None for r in rows) else [])
        + [("status", _status, None)]
    )
    runtimes = any(r.get("build_s") is not None for r in rows)
    return Table(
        "efficiency",
        "Efficiency",
        columns,
        rows,
        "GFLOPs count 2 per multiply-add, per image, at the size run (padded to the "
        "model's divisor); the primary counter is torch.utils.flop_counter "
        "(convolutions and matrix products), fvcore beside it adds element-wise layers. "
        "Latency: median of the timed iterations after warm-up; memory: peak CUDA "
        "allocation on a GPU, peak resident growth on a CPU."
        + (
            " Runtimes (onnxruntime, openvino, int8): build = export, conversion, "
            "quantization and first run; agreement = pixels whose class is eager PyTorch's "
            "on the same input, and the largest logit difference from it."
            if runtimes
            else ""
        ),
        group=_family,
    )


RUNTIME_COLUMNS = [
    ("build (s)", "build_s", fixed(1)),
    ("agrees with eager (%)", "eager_pixel_agreement", lambda v: f"{100 * v:.2f}"),
    ("max logit diff", "eager_max_abs_diff", lambda v: f"{v:.2g}"),
]


def _budget(r: dict) -> str | None:
    if r.get("kind") == "classical":
        return "n/a"
    if r.get("epochs") is None:
        return None
    size = r.get("train_size")
    at = f" at {size[0]}x{size[1]}" if size else ""
    done = r.get("epochs_done")
    epochs = (
        f"{done} of {r['epochs']} epochs"
        if done is not None and done != r["epochs"]
        else f"{r['epochs']} epochs"
    )
    best = f", best {r['best_epoch']}" if r.get("best_epoch") is not None else ""
    return f"{epochs}{at}{best}"


def accuracy_table(rows: list[dict]) -> Table:
    from bench.figures.rows import runtime_drift

    rows = _by_family(rows)
    drift = runtime_drift(rows)
    runtime_columns: list[Column] = (
        [
            ("runtime", lambda r: r.get("runtime") or "eager", None),
            (
                "drift vs eager (points)",
                lambda r: drift.get(id(r), None if r.get("runtime") else "reference"),
                lambda v: v if isinstance(v, str) else f"{v:+.2f}",
            ),
        ]
        if any(r.get("runtime") for r in rows)
        else []
    )
    columns = (
        [_FAMILY_COLUMN]
        + _run_column(rows)
        + [
            ("system", "system", None),
            ("dataset", "dataset", None),
            ("split", "split", None),
            ("protocol", "protocol", None),
            (
                "profile",
                lambda r: r.get("profile") or ("n/a" if r.get("kind") == "classical" else None),
                None,
            ),
            ("training", _budget, None),
            ("input", lambda r: r.get("inference_size"), None),
            *runtime_columns,
            ("mIoU %", "miou", percent),
            ("class avg acc %", "class_avg_acc", percent),
            ("global acc %", "global_acc", percent),
            ("train time (s)", "train_seconds", fixed(0)),
            ("status", _status, None),
        ]
    )
    return Table(
        "accuracy",
        "Accuracy",
        columns,
        rows,
        "One confusion matrix over the whole split, void ignored; mIoU is the mean over "
        "classes present. A `quick` or `smoke` result is a CPU-sized training budget, "
        "not the paper's 300 epochs. Classical methods: `oracle` gives each region its "
        "majority ground-truth class (an upper bound that uses the test labels); "
        "`learned` labels regions with a small classifier trained on the training "
        "split, with no ground truth at test time."
        + (
            " `oracle-assisted`: an interactive method given seeds derived from the "
            "ground truth (an upper bound too, not comparable with unassisted rows)."
            if any(r.get("protocol") == "oracle-assisted" for r in rows)
            else ""
        )
        + (
            " `things-only` (an instance model): the mean IoU of the thing classes alone, "
            "every other class counted as 'not a thing'; another metric than the others' mIoU."
            if any(r.get("protocol") == "things-only" for r in rows)
            else ""
        )
        + (
            " `runtime`: the same trained checkpoint run by a deployment runtime (batch 1, at "
            "the split's size; int8 calibrated on training images); its drift is its mIoU "
            "minus eager PyTorch's, in points."
            if runtime_columns
            else ""
        ),
        group=_family,
    )


def per_class_table(rows: list[dict]) -> Table | None:
    """Per-class IoU (%), one row per accuracy row, classes in the dataset's order."""
    scored = _by_family([r for r in rows if r.get("per_class_iou")])
    if not scored:
        return None
    classes = list(dict.fromkeys(c for r in scored for c in r["per_class_iou"]))
    columns = _run_column(scored) + [
        ("system", "system", None),
        ("dataset", "dataset", None),
        ("protocol", "protocol", None),
    ]
    if any(r.get("runtime") for r in scored):
        columns.append(("runtime", lambda r: r.get("runtime") or "eager", None))
    columns += [
        (c, (lambda name: lambda r: r["per_class_iou"].get(name))(c), percent) for c in classes
    ]
    return Table(
        "per_class_iou",
        "Per-class IoU (%)",
        columns,
        scored,
        "IoU of each class on the test split; `not measured` where a row has no value "
        "for the class (another dataset, or a class absent from the split).",
    )


def claims_table(rows: list[dict]) -> Table:
    from bench.claims import EXACT_TOLERANCE, HOLDS_FRACTION

    def spread(r: dict) -> str | None:
        if r.get("claim") != "speed":
            return "n/a"  # exact quantities: no timing rounds
        if r.get("measured_ratio") is None:
            return None
        if r.get("spread") is None:
            return "one round"
        return f"{r['ratio_low']:.1f}-{r['ratio_high']:.1f}x"

    columns: list[Column] = [
        ("claim", "claim", None),
        ("scope", "scope", None),
        ("paper", "paper_ratio", lambda v: f"{v:.0f}x"),
        ("measured", "measured_ratio", lambda v: f"{v:.1f}x"),
        ("spread", spread, None),
        (
            "paper's Table 2 at this size",
            lambda r: r.get("paper_times") or ("n/a" if r.get("claim") != "speed" else None),
            None,
        ),
        ("basis", "basis", None),
        ("verdict", "verdict", None),
    ]
    return Table(
        "claims",
        "The ENet paper's claims against SegNet",
        columns,
        rows,
        f"Rules: FLOPs and parameters hold within {EXACT_TOLERANCE:.0%} of the paper's "
        f"ratio either way, FLOPs counted under the paper's convention; speed holds if "
        f"the largest GPU ratio, at the low end of its spread over timing rounds, is "
        f"at least {HOLDS_FRACTION:.0%} of the paper's 18x (\"up to\"; the paper's 18x "
        "is the TX1 at 640x360, its Titan X ratios are 9.9x to 13.8x). CPU ratios are "
        "listed for reference.",
    )


def not_counted_table(rows: list[dict]) -> Table | None:
    """Per system, the operators each FLOP counter did not count."""
    seen: dict[str, dict] = {}
    for r in rows:
        if r.get("flops_not_counted") is not None:
            seen.setdefault(r["system"], r)
    if not seen:
        return None
    table = [
        {
            "system": k,
            "torch": ", ".join(r["flops_not_counted"]) or "none",
            "fvcore": ", ".join(r.get("flops_fvcore_not_counted") or []) or "none",
        }
        for k, r in seen.items()
    ]
    cols: list[Column] = [
        ("system", "system", None),
        ("not counted by torch.utils.flop_counter", "torch", None),
        ("not counted by fvcore itself (our handles count them)", "fvcore", None),
    ]
    return Table("flops_not_counted", "Operators the FLOP counters leave out", cols, table)


def build_tables(data: dict) -> list[Table]:
    """Every table the data has rows for, in report order."""
    tables: list[Table | None] = []
    if data.get("efficiency"):
        tables += [efficiency_table(data["efficiency"]), not_counted_table(data["efficiency"])]
    if data.get("accuracy"):
        tables += [accuracy_table(data["accuracy"]), per_class_table(data["accuracy"])]
    if data.get("claims"):
        tables.append(claims_table(data["claims"]))
    return [t for t in tables if t is not None]


# --------------------------------------------------------------------------------------------
# formats


def to_markdown(table: Table) -> str:
    head = "| " + " | ".join(table.header()) + " |"
    rule = "| " + " | ".join("---" for _ in table.columns) + " |"
    body = ["| " + " | ".join(c.replace("|", "/") for c in row) + " |" for row in table.cells()]
    return "\n".join([head, rule, *body])


def to_csv(table: Table) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(table.header())
    writer.writerows(table.cells())
    return buf.getvalue()


_LATEX_SPECIAL = {
    "\\": r"\textbackslash{}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "{": r"\{",
    "}": r"\}",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
}


def latex_escape(text: str) -> str:
    return "".join(_LATEX_SPECIAL.get(ch, ch) for ch in text)


def to_latex(table: Table) -> str:
    """A booktabs table (needs \\usepackage{booktabs}); numbers right-aligned."""
    cells = table.cells()
    align = "".join(
        "r" if cells and all(_numeric(row[i]) for row in cells) else "l"
        for i in range(len(table.columns))
    )
    lines = [
        f"% {table.title}: made by `python -m bench report` from results.json",
        f"\\begin{{tabular}}{{{align}}}",
        r"\toprule",
        " & ".join(latex_escape(h) for h in table.header()) + r" \\",
        r"\midrule",
    ]
    previous = None
    for k, row in enumerate(cells):
        group = table.group(table.rows[k]) if table.group else None
        if k and group != previous:
            lines.append(r"\midrule")
        previous = group
        lines.append(" & ".join(latex_escape(c) for c in row) + r" \\")
    lines += [r"\bottomrule", r"\end{tabular}", ""]
    return "\n".join(lines)


def _numeric(text: str) -> bool:
    try:
        float(text.rstrip("x"))
        return True
    except ValueError:
        return text == NOT_MEASURED
