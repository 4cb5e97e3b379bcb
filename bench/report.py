"""Reports from saved results: report.md, the tables as CSV and LaTeX, and the figures.

``bench run`` rewrites report.md after every row (cheap) and writes the full report (tables and
figures) at the end; ``bench report RUN_DIR [RUN_DIR ...]`` makes the full report again from
saved results.json files, merging several runs (a GPU run and a CPU run, say) without measuring
anything. Every number comes from a row of results.json; missing values read ``not measured``.
"""
from __future__ import annotations

import json
from pathlib import Path

from bench.errors import BadInput
from bench.results import TABLES, atomic_write_text, load_results, utc_stamp
from bench.tables import NOT_MEASURED, build_tables, to_csv, to_latex, to_markdown

__all__ = ["NOT_MEASURED", "load_runs", "render", "write_report", "write_full_report"]


# --------------------------------------------------------------------------------------------
# reading and merging runs

def load_runs(paths: list[str | Path]) -> tuple[dict, list[Path]]:
    """Read run folders (or results.json files) and merge them into one results dict with
    ``runs`` (every header) and the rows of all. With several runs each row gets ``run`` (its
    folder's name) and the claims are computed again from the merged efficiency rows, so that a
    GPU run and a CPU run give one claims table. Returns the data and the runs' prediction
    folders. Bad paths or files raise BadInput."""
    if not paths:
        raise BadInput("no run folder given: expected RUN_DIR [RUN_DIR ...] holding results.json")
    datas, labels, prediction_dirs = [], [], []
    for p in map(Path, paths):
        file = p / "results.json" if p.is_dir() else p
        if not file.is_file():
            raise BadInput(f"{p}: no results.json there (expected a run folder written by "
                           f"`python -m bench run`, or a results.json file)")
        try:
            data = load_results(file)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise BadInput(f"{file} is not valid JSON ({exc}): expected a results.json written "
                           f"by `python -m bench run`") from None
        if not isinstance(data, dict) or not isinstance(data.get("run"), dict) or any(
                not isinstance(data[t], list) for t in TABLES):
            raise BadInput(f"{file} is not a segbench results file: expected an object with "
                           f"'run' and the lists {', '.join(TABLES)}")
        datas.append(data)
        label = file.parent.name or str(file.parent)
        while label in labels:
            label += "'"
        labels.append(label)
        if (file.parent / "predictions" / "index.json").is_file():
            prediction_dirs.append(file.parent / "predictions")
    if len(datas) == 1:
        return {**datas[0], "runs": [datas[0]["run"]]}, prediction_dirs
    merged: dict = {"run": None, "runs": [{**d["run"], "label": l} for d, l in zip(datas, labels)]}
    for table in TABLES:
        merged[table] = [{"run": l, **row} for d, l in zip(datas, labels) for row in d[table]]
    merged["claims"] = _merged_claims(merged["efficiency"], [d["claims"] for d in datas])
    return merged, prediction_dirs


def _merged_claims(efficiency: list[dict], claim_tables: list[list[dict]]) -> list[dict]:
    from bench.claims import claims

    table = claims(efficiency)
    for i, row in enumerate(table):
        if row["measured_ratio"] is None:  # e.g. FLOPs at 640x360 counted apart by one run
            known = [c for t in claim_tables for c in t
                     if c.get("claim") == row["claim"] and c.get("measured_ratio") is not None
                     and c.get("scope") == row.get("scope")]
            if known:
                table[i] = known[0]
    return table


# --------------------------------------------------------------------------------------------
# report.md

def _profile_line(name: str | None) -> str:
    from bench.profiles import PROFILES

    if not name:
        return "n/a"
    p = PROFILES.get(name)
    return f"`{name}` ({p.description})" if p else f"`{name}`"


def _header(run: dict) -> list[str]:
    label = f" `{run['label']}`" if run.get("label") else ""
    return [
        f"### Run{label}" if label else "## Run", "",
        f"- command: `{run.get('command')}`",
        f"- time (UTC): {run.get('time_utc')}, git commit: {run.get('git_commit')}",
        f"- dataset: {run.get('dataset')}, training profile: {_profile_line(run.get('profile'))}",
        f"- device: {run.get('device')} ({run.get('device_name')}), CPU: {run.get('cpu')}, "
        f"threads: {run.get('threads')}",
        f"- torch {run.get('torch')}, CUDA {run.get('cuda')}, cuDNN {run.get('cudnn')}, "
        f"smp {run.get('smp')}, Python {run.get('python')}", ""]


def render(data: dict, figures: list[Path] | None = None, out_dir: Path | None = None) -> str:
    """report.md: the runs' headers, every table, and the figures (linked relative to
    ``out_dir``) when there are some."""
    runs = data.get("runs") or [data["run"]]
    lines = ["# segbench report", ""]
    if len(runs) > 1:
        lines += [f"Merged from {len(runs)} runs by `python -m bench report`; the `run` column "
                  "says where each row comes from.", "", "## Runs", ""]
    for run in runs:
        lines += _header(run)
    tables = {t.name: t for t in build_tables(data)}
    sections = [("efficiency", "##"), ("flops_not_counted", "###"), ("accuracy", "##"),
                ("per_class_iou", "###"), ("claims", "##")]
    if "efficiency" not in tables:
        lines += ["## Efficiency", "", NOT_MEASURED, ""]
    for name, heading in sections:
        if name not in tables:
            continue
        t = tables[name]
        lines += [f"{heading} {t.title}", ""]
        if name == "accuracy":
            profiles = sorted({r["profile"] for r in t.rows if r.get("profile")})
            lines += ["Training profile: " + ("; ".join(_profile_line(p) for p in profiles)
                                              or "n/a") +
                      ". Every deep model had the same recipe.", ""]
        lines += [to_markdown(t), ""]
        if t.note:
            lines += [t.note, ""]
    if figures:
        lines += ["## Figures", ""]
        for f in figures:
            rel = f.relative_to(out_dir) if out_dir else f
            title = f.stem.replace("_", " ")
            lines += [f"![{title}]({rel.as_posix()})", ""]
    return "\n".join(lines)


def write_report(data: dict, out_dir: str | Path) -> Path:
    """report.md alone (tables, no figures): what `run` rewrites after every row."""
    path = Path(out_dir) / "report.md"
    atomic_write_text(path, render(data))
    return path


def write_full_report(data: dict, out_dir: str | Path,
                      prediction_dirs: list[Path] = ()) -> Path:
    """report.md with figures, tables/*.csv and tables/*.tex, figures/*.png and *.svg."""
    from bench.figures import write_figures

    out_dir = Path(out_dir)
    for t in build_tables(data):
        atomic_write_text(out_dir / "tables" / f"{t.name}.csv", to_csv(t))
        atomic_write_text(out_dir / "tables" / f"{t.name}.tex", to_latex(t))
    figures = write_figures(data, out_dir / "figures", list(prediction_dirs))
    path = out_dir / "report.md"
    atomic_write_text(path, render(data, figures, out_dir))
    return path


def default_report_dir(root: str | Path = "results/reports") -> Path:
    return Path(root) / utc_stamp()
