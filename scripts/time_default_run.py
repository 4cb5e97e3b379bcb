"""Time the newcomer's first run: `python -m bench run` with no arguments, as on a fresh clone.

A fresh checkpoint cache (nothing trained before) and a fresh run folder; the wall time of the
whole command, the load of the machine before and after, and what the run measured, written to
``--out``'s ``timing.json`` beside the run folder itself (results.json, report.md, figures)::

    python scripts/time_default_run.py --out results/reference/default-run

The README quotes the wall time from that file.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.atomic import atomic_write_text  # noqa: E402
from bench.environment import run_header  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True, help="folder for the run and timing")
    args = parser.parse_args()
    run_dir = args.out / "run"
    if run_dir.exists():
        shutil.rmtree(run_dir)
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory() as cache:
        env = {**os.environ, "SEGBENCH_CACHE": cache}
        command = [sys.executable, "-m", "bench", "run", "--out", str(run_dir)]
        start = time.perf_counter()
        proc = subprocess.run(command, cwd=ROOT, env=env)
        wall = time.perf_counter() - start
    load_after = os.getloadavg()
    if proc.returncode != 0:
        raise SystemExit(f"bench run exited with {proc.returncode}")
    results = json.loads((run_dir / "results.json").read_text(encoding="utf-8"))
    timing = {
        "command": "python -m bench run (fresh checkpoint cache, new run folder)",
        "made_by": "python scripts/time_default_run.py --out " + str(args.out),
        "wall_s": round(wall, 1),
        "load_average_before": [round(v, 2) for v in load_before],
        "load_average_after": [round(v, 2) for v in load_after],
        "environment": run_header("cpu"),
        "efficiency_rows": len(results.get("efficiency", [])),
        "accuracy_rows": len(results.get("accuracy", [])),
        "claims": [
            {k: c.get(k) for k in ("claim", "scope", "measured_ratio", "verdict")}
            for c in results.get("claims", [])
        ],
        "training_seconds": {
            r["system"]: round(r["train_seconds"], 1)
            for r in results.get("accuracy", [])
            if r.get("train_seconds") is not None
        },
        "figures": sorted(p.name for p in (run_dir / "figures").glob("*.png")),
    }
    atomic_write_text(args.out / "timing.json", json.dumps(timing, indent=2) + "\n")
    print(f"default run: {wall / 60:.1f} min ({wall:.0f} s); {args.out / 'timing.json'}")


if __name__ == "__main__":
    main()
