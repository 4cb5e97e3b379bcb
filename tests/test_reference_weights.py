"""The committed ENet CamVid weights reproduce the committed test scores (where CamVid is)."""

import json
from pathlib import Path

import pytest
import torch

from tests.test_datasets import real_camvid_root

REF = Path(__file__).resolve().parent.parent / "results" / "reference" / "camvid-enet-h100"


def test_the_committed_checkpoint_is_small_and_safe_to_load():
    path = REF / "enet-camvid.pt"
    assert path.stat().st_size < 5 * 2**20
    state = torch.load(path, weights_only=True)
    assert state["recipe"]["profile"] == "paper" and state["recipe"]["train_size"] == [480, 360]
    log = json.loads((REF / "train_log.json").read_text())
    assert (
        log["key"] == state["key"]
        and state["epoch"] == max(log["log"], key=lambda e: e["val_miou"])["epoch"]
    )


def test_committed_enet_weights_reproduce_the_committed_test_scores():
    root = real_camvid_root()
    if root is None:
        pytest.skip("no CamVid copy ($SEGBENCH_DATA/CamVid or ../shared/data/CamVid)")
    from bench.datasets import open_dataset
    from bench.train import evaluate_checkpoint

    test = open_dataset("camvid", "test", data_root=root)
    metrics = evaluate_checkpoint("enet", REF / "enet-camvid.pt", test, progress=False)
    committed = json.loads((REF / "test-cpu.json").read_text())
    assert metrics["inference_size"] == "480x360" and metrics["pixels"] == committed["pixels"]
    assert metrics["miou"] == pytest.approx(committed["miou"], abs=1e-4)
    assert metrics["class_avg_acc"] == pytest.approx(committed["class_avg_acc"], abs=1e-4)
    assert metrics["miou"] >= 0.513  # the ENet paper's CamVid test mIoU
