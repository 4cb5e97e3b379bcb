"""mIoU of a trained checkpoint in each deployment runtime, beside eager PyTorch.

    python scripts/runtime_accuracy.py --model enet \
        --checkpoint results/reference/camvid-enet-h100/enet-camvid.pt --dataset camvid \
        --runtimes eager,compile,onnxruntime,openvino,int8 --out DIR

writes DIR/runtime_accuracy.json (one row per runtime) and DIR/runtime_accuracy.md. To be folded
into ``bench run --runtimes`` (issue 18).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.atomic import atomic_write_text as write_text  # noqa: E402
from bench.checkpoints import load_checkpoint  # noqa: E402
from bench.datasets import open_dataset  # noqa: E402
from bench.runtime_accuracy import calibration_from, runtime_accuracy  # noqa: E402
from bench.systems import any_size, get_system  # noqa: E402


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--model", required=True)
    p.add_argument("--checkpoint", required=True)
    p.add_argument("--dataset", default="camvid")
    p.add_argument("--data-root", default=None)
    p.add_argument("--runtimes", default="eager,compile,onnxruntime,openvino,int8")
    p.add_argument("--out", required=True)
    args = p.parse_args()
    test = open_dataset(args.dataset, "test", data_root=args.data_root)
    h, w = test.raw(0)[1].shape
    train = open_dataset(args.dataset, "train", data_root=args.data_root, size=(w, h))
    model = load_checkpoint(args.model, test.spec.num_classes, args.checkpoint, "cpu")
    model = any_size(model, get_system(args.model).input_divisor).eval()
    rows = runtime_accuracy(model, test, args.runtimes.split(","), calibration_from(train))
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    command = " ".join(["python", *sys.argv])
    write_text(
        out / "runtime_accuracy.json", json.dumps({"command": command, "rows": rows}, indent=1)
    )
    lines = [
        f"`{command}`",
        "",
        "| runtime | mIoU % | drift (points) | class avg acc % | global acc % | build (s) |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for r in rows:
        lines.append(
            f"| {r['runtime']} | {100 * r['miou']:.2f} | {r['miou_drift']:+.2f} | "
            f"{100 * r['class_avg_acc']:.2f} | {100 * r['global_acc']:.2f} | {r['build_s']:.1f} |"
        )
    write_text(out / "runtime_accuracy.md", "\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
