"""What writing one row costs as a run's store grows: O(1) in the rows already written.

Appends N efficiency-sized rows (about 40 columns each) to a fresh store through
``RunResults.add`` (one line, written and fsynced) and reports the median time per append in
each tenth of the run, so a cost that grows with the rows written would show as a rising
series. For contrast it times the old way, rewriting results.json and a CSV after every row,
for the first rows only (it is quadratic). Writes a JSON file when --out is given.

    python scripts/store_append_cost.py --rows 10000 --out results/reference/store-append/cost.json
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.atomic import atomic_write_text  # noqa: E402
from bench.environment import run_header  # noqa: E402
from bench.results import RunResults, rows_to_csv  # noqa: E402


def sample_row(i: int) -> dict:
    """A row shaped like a real efficiency row (same columns, plausible values)."""
    return {
        "system": "enet",
        "kind": "model",
        "device": "cpu",
        "device_name": "AMD EPYC",
        "width": 32 + i % 97,
        "height": 32 + i // 97,
        "run_width": 32,
        "run_height": 32,
        "batch": 1,
        "precision": "fp32",
        "mode": "eager",
        "channels_last": False,
        "num_classes": 11,
        "params": 363069,
        "params_trainable": 363069,
        "params_used": 363069,
        "gflops": 3.83,
        "gmacs": 1.915,
        "flops_counter": "torch.utils.flop_counter",
        "flops_not_counted": ["max_pool2d"],
        "gflops_fvcore": 3.9,
        "latency_ms_median": 30.0 + i * 1e-3,
        "latency_ms_p90": 33.0,
        "latency_ms_mean": 30.5,
        "latency_ms_std": 1.2,
        "latency_n": 200,
        "fps": 33.3,
        "peak_mem_mb": 120.5,
        "peak_mem_kind": "cpu peak RSS growth",
        "threads": 2,
        "cpu": "AMD EPYC",
        "torch": "2.x",
        "cuda": None,
        "cudnn": None,
        "status": "ok",
        "warmup_n": 10,
        "warmup_ms_first": 80.0,
        "latency_capped": False,
        "latency_rounds": 1,
        "latency_round_medians_ms": [30.0],
        "latency_round_spread": 0.0,
        "compile_s": None,
        "cudnn_benchmark": None,
    }


def deciles(times: list[float]) -> list[float]:
    n = len(times)
    return [statistics.median(times[k * n // 10 : (k + 1) * n // 10]) * 1e3 for k in range(10)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument(
        "--rewrite-rows",
        type=int,
        default=300,
        help="rows timed for the old rewrite-everything way (default: 300)",
    )
    parser.add_argument("--dir", help="folder to write in (default: a temporary one)")
    parser.add_argument("--out", help="write the figures as JSON here")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
        results = RunResults(Path(tmp) / "store", {"command": "store_append_cost"})
        times = []
        for i in range(args.rows):
            t0 = time.perf_counter()
            results.add("efficiency", sample_row(i), key=f"cell{i}")
            times.append(time.perf_counter() - t0)
        results.close()
        size = (Path(tmp) / "store" / "store.jsonl").stat().st_size

        old_dir, rows, old = Path(tmp) / "rewrite", [], []
        for i in range(args.rewrite_rows):  # the way before the store: everything per row
            t0 = time.perf_counter()
            rows.append(sample_row(i))
            atomic_write_text(old_dir / "results.json", json.dumps({"efficiency": rows}, indent=2))
            atomic_write_text(old_dir / "efficiency.csv", rows_to_csv(rows))
            old.append(time.perf_counter() - t0)

    report = {
        "rows": args.rows,
        "store_bytes": size,
        "append_ms_median_per_tenth": deciles(times),
        "append_ms_median": statistics.median(times) * 1e3,
        "append_ms_first_tenth_vs_last_tenth": deciles(times)[-1] / deciles(times)[0],
        "rewrite_rows": args.rewrite_rows,
        "rewrite_ms_median_per_tenth": deciles(old),
        "machine": {
            k: run_header("cpu").get(k)
            for k in ("cpu", "cpu_count", "python", "platform", "git_commit")
        },
        "folder": args.dir or tempfile.gettempdir(),
        "command": " ".join(["python", *sys.argv]),
    }
    text = json.dumps(report, indent=1)
    print(text)
    if args.out:
        atomic_write_text(Path(args.out), text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
