"""Reports from saved results: report.md, the tables as CSV and LaTeX, and the figures.

``bench run`` rewrites report.md after each system (tables only) and writes the full report
(tables and figures) at the end or when interrupted; ``bench report RUN_DIR [RUN_DIR ...]`` makes
the full report again from saved runs (their stores, or results.json files), merging shards of
one sweep by run id and several runs (a GPU run and a CPU run, say), measuring nothing. Every
number comes from a stored row; missing values read ``not measured``; planned cells that no row
holds are listed as missing.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from bench.atomic import atomic_write_text
from bench.errors import BadInput
from bench.results import PAPER_FLOPS, TABLES, load_results, utc_stamp
from bench.tables import NOT_MEASURED, build_tables, to_csv, to_latex, to_markdown

__all__ = ["NOT_MEASURED", "load_runs", "render", "write_report", "write_full_report"]


# --------------------------------------------------------------------------------------------
# reading and merging runs


def load_runs(paths: list[str | Path]) -> tuple[dict, list[Path]]:
    """Read run folders (or results.json files) and merge them into one results dict with
    ``runs`` (every run's header) and the rows of all, and return it with the runs' prediction
    folders. Files with the same run id (the shards of one sweep, or copies of one run) are one
    run: their cells are united, the claims computed again, and the planned cells that none of
    them measured are listed in ``missing``. Different runs keep their rows apart: each row gets
    ``run`` (its run id) and the claims are computed again from the merged efficiency rows
    (timings of two runs are never paired). Bad paths or files raise BadInput."""
    if not paths:
        raise BadInput("no run folder given: expected RUN_DIR [RUN_DIR ...] holding results.json")
    groups: dict[str, list[dict]] = {}
    prediction_dirs = []
    for p in map(Path, paths):
        if not p.exists():
            raise BadInput(
                f"{p}: no such file or folder: expected a run folder written by "
                f"`python -m bench run`, or its results.json"
            )
        data = load_results(p)
        folder = p if p.is_dir() else p.parent
        run_id = data["run"].get("run_id") or folder.name or str(folder)
        groups.setdefault(run_id, []).append(data)
        if (folder / "predictions" / "index.json").is_file():
            prediction_dirs.append(folder / "predictions")
    runs = [_unite(run_id, members) for run_id, members in groups.items()]
    if len(runs) == 1:  # one run (perhaps from several shards): no run labels
        run = {k: v for k, v in runs[0]["run"].items() if k != "label"}
        return {**runs[0], "run": run, "runs": [run]}, prediction_dirs
    merged: dict = {
        "run": None,
        "runs": [d["run"] for d in runs],
        "missing": [f"{d['run']['label']}: {k}" for d in runs for k in d["missing"]],
        "missing_shards": [f"{d['run']['label']}: {s}" for d in runs for s in d["missing_shards"]],
    }
    for table in TABLES:
        merged[table] = [{"run": d["run"]["label"], **row} for d in runs for row in d[table]]
    merged["claims"] = _merged_claims(merged["efficiency"], [d["claims"] for d in runs])
    return merged, prediction_dirs


def _merged_claims(efficiency: list[dict], claim_tables: list[list[dict]]) -> list[dict]:
    """Claims of several runs' rows; a claim that the merged rows cannot give (FLOPs at 640x360
    counted apart by one run) is taken from a run's own claims table."""
    from bench.claims import claims

    table = claims(efficiency)
    for i, row in enumerate(table):
        if row["measured_ratio"] is None:
            known = [
                c
                for t in claim_tables
                for c in t
                if c.get("claim") == row["claim"]
                and c.get("measured_ratio") is not None
                and c.get("scope") == row.get("scope")
            ]
            if known:
                table[i] = known[0]
    return table


def _unite(run_id: str, members: list[dict]) -> dict:
    """One run from the files that carry its id: rows united by cell (a later file's row for a
    cell replaces an earlier one's), sessions and plans joined, claims derived again."""
    from bench.claims import claims
    from bench.records import normalize

    data: dict = {
        "schema_version": members[0]["schema_version"],
        "run": {**members[0]["run"], "label": run_id},
        "sessions": [s for m in members for s in m.get("sessions", [m["run"]])],
        "plan": list(dict.fromkeys(k for m in members for k in m.get("plan", []))),
    }
    for table in ("efficiency", "accuracy", "training", PAPER_FLOPS):
        cells: dict = {}
        for m in members:
            for row in m.get(table, []):
                cells[row.get("cell") or len(cells)] = row
        data[table] = list(cells.values())
    if len(members) == 1:
        data["claims"] = members[0]["claims"]
    else:
        paper = {r["system"]: r for r in data[PAPER_FLOPS]}
        data["claims"] = [normalize("claims", c) for c in claims(data["efficiency"], paper)]
    measured = {r.get("cell") for t in ("efficiency", "accuracy") for r in data[t]}
    data["missing"] = [k for k in data["plan"] if k not in measured]
    data["missing_shards"] = _missing_shards([s.get("shard") for s in data["sessions"]])
    return data


def _missing_shards(shards: list[str | None]) -> list[str]:
    """'I/N' of the shards of a sweep that no file holds (a sharded sweep records I/N in each
    session's header)."""
    counts = {int(s.split("/")[1]) for s in shards if s}
    present = {s for s in shards if s}
    return [
        f"{i}/{n}" for n in sorted(counts) for i in range(1, n + 1) if f"{i}/{n}" not in present
    ]


# --------------------------------------------------------------------------------------------
# report.md


def _profile_line(name: str | None, runs: list[dict]) -> str:
    """The profile and what it was when ``runs`` ran (their header's record, or the profile's
    definition at their time: a profile may have changed since)."""
    from bench.profiles import profile_description

    if not name:
        return "n/a"
    recorded = [
        r["profile_description"]
        for r in runs
        if r.get("profile") == name and r.get("profile_description")
    ]
    times = sorted(t for r in runs if (t := r.get("time_utc")))
    text = recorded[0] if recorded else profile_description(name, times[0] if times else None)
    return f"`{name}` ({text})" if text else f"`{name}`"


def _header(run: dict) -> list[str]:
    label = f" `{run['label']}`" if run.get("label") else ""
    return [
        f"### Run{label}" if label else "## Run",
        "",
        f"- command: `{run.get('command')}`",
        f"- time (UTC): {run.get('time_utc')}, git commit: {run.get('git_commit')}",
        f"- dataset: {run.get('dataset')}, "
        f"training profile: {_profile_line(run.get('profile'), [run])}",
        f"- device: {run.get('device')} ({run.get('device_name')}), CPU: {run.get('cpu')}, "
        f"threads: {run.get('threads')}",
        f"- torch {run.get('torch')}, CUDA {run.get('cuda')}, cuDNN {run.get('cudnn')}, "
        f"smp {run.get('smp')}, Python {run.get('python')}",
        "",
    ]


def render(data: dict, figures: list[Path] | None = None, out_dir: Path | None = None) -> str:
    """report.md: the runs' headers, every table, and the figures (linked relative to
    ``out_dir``) when there are some."""
    runs = data.get("runs") or [data["run"]]
    lines = ["# segbench report", ""]
    if len(runs) > 1:
        lines += [
            f"Merged from {len(runs)} runs by `python -m bench report`; the `run` column "
            "says where each row comes from.",
            "",
            "## Runs",
            "",
        ]
    for run in runs:
        lines += _header(run)
    tables = {t.name: t for t in build_tables(data)}
    sections = [
        ("efficiency", "##"),
        ("flops_not_counted", "###"),
        ("accuracy", "##"),
        ("per_class_iou", "###"),
        ("claims", "##"),
    ]
    if "efficiency" not in tables:
        lines += ["## Efficiency", "", NOT_MEASURED, ""]
    for name, heading in sections:
        if name not in tables:
            continue
        t = tables[name]
        lines += [f"{heading} {t.title}", ""]
        if name == "accuracy":
            profiles = sorted({r["profile"] for r in t.rows if r.get("profile")})
            lines += [
                "Training profile: "
                + ("; ".join(_profile_line(p, runs) for p in profiles) or "n/a")
                + ". Every deep model had the same recipe.",
                "",
            ]
        lines += [to_markdown(t), ""]
        if t.note:
            lines += [t.note, ""]
    lines += _missing_section(data)
    if figures:
        lines += ["## Figures", ""]
        for f in figures:
            rel = f.relative_to(out_dir) if out_dir else f
            title = f.stem.replace("_", " ")
            lines += [f"![{title}]({rel.as_posix()})", ""]
    return "\n".join(lines)


MISSING_LISTED = 40


def _missing_section(data: dict) -> list[str]:
    """The planned cells that no row holds yet, and the shards that no folder was given for."""
    missing, shards = data.get("missing") or [], data.get("missing_shards") or []
    if not missing and not shards:
        return []
    lines = [
        "## Missing cells",
        "",
        f"{len(missing)} planned cells have no row"
        + (f"; shards given no folder: {', '.join(shards)}" if shards else "")
        + ". Run the same command again (for a shard: with its --shard) to measure them, "
        "then `python -m bench report` again.",
        "",
    ]
    lines += [f"- `{k}`" for k in missing[:MISSING_LISTED]]
    if len(missing) > MISSING_LISTED:
        lines.append(f"- and {len(missing) - MISSING_LISTED} more")
    return lines + [""]


def write_report(data: dict, out_dir: str | Path) -> Path:
    """report.md alone (tables, no figures): what `run` rewrites after every row."""
    path = Path(out_dir) / "report.md"
    atomic_write_text(path, render(data))
    return path


def write_full_report(
    data: dict, out_dir: str | Path, prediction_dirs: Sequence[Path] = ()
) -> Path:
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
