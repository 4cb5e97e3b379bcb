"""Where OpenVINO's CPU plugin spends a model's time: per-node profile of one inference.

    python scripts/openvino_layers.py --model enet --size 480x360

Exports the model (untrained, BatchNorm calibrated as in the efficiency pass) to ONNX as
``bench.runtimes`` does, compiles it for the CPU in f32 with performance counters on, runs it
three times and prints the time of the last run by layer type and implementation, then the nodes
that ran in OpenVINO's reference (unoptimised) implementation. ENet and SegNet spend most of
their OpenVINO time in max pooling with indices (the indices their decoders unpool with), which
the CPU plugin runs in its reference implementation.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import torch


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--model", default="enet")
    p.add_argument("--size", default="480x360", help="WIDTHxHEIGHT")
    p.add_argument("--classes", type=int, default=11)
    args = p.parse_args()
    import openvino as ov

    from bench.runtimes import export_onnx
    from models import create_model
    from models.calibrate import calibrate_bn

    width, height = (int(v) for v in args.size.split("x"))
    torch.manual_seed(0)
    model = calibrate_bn(create_model(args.model, args.classes).eval(), torch.randn(2, 3, 96, 128))
    x = torch.randn(1, 3, height, width)
    with tempfile.TemporaryDirectory() as tmp:
        path = export_onnx(model, x, Path(tmp) / "model.onnx")
        compiled = ov.Core().compile_model(
            ov.convert_model(str(path)),
            "CPU",
            {"INFERENCE_PRECISION_HINT": "f32", "PERF_COUNT": True, "PERFORMANCE_HINT": "LATENCY"},
        )
    request = compiled.create_infer_request()
    for _ in range(3):
        request.infer([x.numpy()])
    info = request.profiling_info
    total = sum(i.real_time.total_seconds() for i in info) * 1e3
    by_kind: dict[str, float] = {}
    for i in info:
        kind = f"{i.node_type} ({i.exec_type})"
        by_kind[kind] = by_kind.get(kind, 0.0) + i.real_time.total_seconds() * 1e3
    print(f"{args.model} at {args.size}: {total:.1f} ms in {len(info)} nodes (last of 3 runs)")
    for kind, ms in sorted(by_kind.items(), key=lambda kv: -kv[1])[:8]:
        print(f"  {ms:8.2f} ms  {100 * ms / total:5.1f}%  {kind}")
    slow = [i for i in info if i.exec_type.startswith("ref")]
    print(f"nodes in the reference implementation: {len(slow)}")
    for i in sorted(slow, key=lambda i: -i.real_time.total_seconds()):
        print(f"  {i.real_time.total_seconds() * 1e3:8.2f} ms  {i.node_name} ({i.node_type})")


if __name__ == "__main__":
    main()
