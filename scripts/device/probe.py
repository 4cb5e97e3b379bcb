"""First command on a lent GPU: what is there, and how fast one training step of ENet and SegNet
is at the paper's setting (batch 10, 480x360, bf16 autocast, channels_last), on random data.
Then the suite's own training path end to end on the synthetic set (smoke), on the GPU."""
from __future__ import annotations

import json
import time

import torch
from torch import nn


def step_ms(name: str, steps: int = 20) -> float:
    from models import create_model

    model = create_model(name, 11).cuda().to(memory_format=torch.channels_last).train()
    opt = torch.optim.Adam(model.parameters(), lr=5e-4, weight_decay=2e-4)
    crit = nn.CrossEntropyLoss(ignore_index=11)
    x = torch.randn(10, 3, 360, 480, device="cuda").contiguous(memory_format=torch.channels_last)
    y = torch.randint(0, 12, (10, 360, 480), device="cuda")
    times = []
    for i in range(steps + 5):
        t0 = time.perf_counter()
        with torch.autocast("cuda", dtype=torch.bfloat16):
            loss = crit(model(x).float(), y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        torch.cuda.synchronize()
        if i >= 5:
            times.append((time.perf_counter() - t0) * 1e3)
    times.sort()
    return times[len(times) // 2]


if __name__ == "__main__":
    torch.backends.cudnn.benchmark = True
    print(json.dumps({"torch": torch.__version__, "cuda": torch.version.cuda,
                      "gpu": torch.cuda.get_device_name(0)}))
    measured = {}
    for name in ("enet", "segnet"):
        measured[f"{name}_ms"] = step_ms(name)
        print(f"{name}: {measured[name + '_ms']:.1f} ms per training step (median of 20)",
              flush=True)
    with open("/tmp/probe.json", "w") as f:  # read by plan.py in a later command
        json.dump(measured, f)
    from bench.train import TrainConfig, train

    t0 = time.perf_counter()
    result = train(TrainConfig(system="enet", dataset="synthetic", profile="smoke",
                               device="cuda", checkpoints="/tmp/probe-enet"), progress=False)
    print(f"smoke training on cuda: {result.epochs_done} epoch, val mIoU "
          f"{result.best_val_miou:.4f}, {time.perf_counter() - t0:.1f} s")
