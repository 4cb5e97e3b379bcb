"""Child process of `bench run --isolate`: measures one system, appends rows as JSON lines."""

from __future__ import annotations

import json
import sys

import torch

from bench.efficiency import EfficiencyOptions, measure_system
from bench.measure.latency import LatencyPolicy


def main(job_json: str) -> int:
    job = json.loads(job_json)
    options = dict(job["options"])
    options["policy"] = LatencyPolicy(**options["policy"])
    options["sizes"] = [tuple(s) for s in options["sizes"]]
    torch.set_num_threads(job["threads"])
    if options["device"] == "cuda":
        torch.backends.cudnn.benchmark = True
    chosen = None if job.get("cells") is None else {tuple(c) for c in job["cells"]}
    with open(job["rows"], "a", encoding="utf-8") as out:
        for row in measure_system(
            job["name"],
            job["num_classes"],
            EfficiencyOptions(**options),
            wanted=None if chosen is None else lambda *cell: cell in chosen,
        ):
            out.write(json.dumps(row) + "\n")
            out.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
