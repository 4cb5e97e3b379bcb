"""Training on several processes (torchrun, DDP with gloo on the CPU): two processes train to the
end, resume to the same weights, refuse a batch they cannot share; the batch split and the loss
scaling behind it, tested alone."""

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from bench import distributed
from bench.batches import load_split, training_batches
from bench.datasets import open_dataset
from bench.profiles import get_profile
from bench.train import TrainConfig, _global_batch_loss, recipe_of

REPO = Path(__file__).resolve().parent.parent
#: smoke trains 8 images an epoch; a batch of 3 gives 2 steps an epoch, shared 2 + 1
TRAIN = [
    "-m",
    "bench",
    "train",
    "--model",
    "enet",
    "--dataset",
    "synthetic",
    "--profile",
    "smoke",
    "--epochs",
    "2",
    "--batch-size",
    "3",
]
TORCHRUN_ENV = ("WORLD_SIZE", "RANK", "LOCAL_RANK", "MASTER_ADDR", "MASTER_PORT")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _env(cache: Path, **extra: str) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in TORCHRUN_ENV}
    return {**env, "OMP_NUM_THREADS": "1", "SEGBENCH_CACHE": str(cache), **extra}


def _torchrun(cache: Path, *args: str) -> subprocess.CompletedProcess:
    """`python -m bench train` on two CPU processes launched by torchrun."""
    cmd = [
        sys.executable,
        "-m",
        "torch.distributed.run",
        "--nproc-per-node",
        "2",
        "--master-port",
        str(_free_port()),
        *TRAIN,
        *args,
    ]
    return subprocess.run(
        cmd, cwd=REPO, env=_env(cache), capture_output=True, text=True, timeout=180
    )


def _last(folder: Path) -> dict:
    return torch.load(folder / "last.pt", weights_only=True)


@pytest.fixture(scope="module")
def whole(tmp_path_factory) -> Path:
    """The checkpoint folder of an uninterrupted two-process training of 2 epochs."""
    tmp = tmp_path_factory.mktemp("whole")
    done = _torchrun(tmp / "cache", "--checkpoints", str(tmp / "ck"))
    assert done.returncode == 0, done.stderr[-3000:]
    return tmp / "ck"


def test_two_processes_train_to_the_end(whole):
    assert {"best.pt", "last.pt", "train_log.json"} <= {p.name for p in whole.iterdir()}
    state = _last(whole)
    assert state["epoch"] == 2 and [e["epoch"] for e in state["log"]] == [1, 2]
    assert state["recipe"]["processes"] == 2 and len(state["rank_rng"]) == 2
    log = json.loads((whole / "train_log.json").read_text())
    assert log["recipe"]["processes"] == 2 and len(log["log"]) == 2
    assert all(e["val_miou"] is not None and e["loss"] > 0 for e in log["log"])
    best = torch.load(whole / "best.pt", weights_only=True)
    assert best["key"] == state["key"] and best["num_classes"] == 11


def test_a_resumed_two_process_training_ends_with_the_same_weights(whole, tmp_path):
    """Stopped by the time limit after epoch 1, then resumed: bit-identical weights and losses
    (every rank's random state is checkpointed; the gradient all-reduce of two processes adds
    two numbers, which gives the same bits in either order)."""
    folder = str(tmp_path / "parts")
    stopped = _torchrun(tmp_path / "cache", "--checkpoints", folder, "--time-limit", "0.001")
    assert stopped.returncode == 0, stopped.stderr[-3000:]
    assert _last(tmp_path / "parts")["epoch"] == 1
    resumed = _torchrun(tmp_path / "cache", "--checkpoints", folder)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    a, b = _last(whole), _last(tmp_path / "parts")
    assert a["key"] == b["key"] and b["epoch"] == 2
    assert a["model"].keys() == b["model"].keys()
    assert all(torch.equal(a["model"][k], b["model"][k]) for k in a["model"])
    assert [e["loss"] for e in a["log"]] == [e["loss"] for e in b["log"]]
    assert [e["val_miou"] for e in a["log"]] == [e["val_miou"] for e in b["log"]]


def test_a_batch_smaller_than_the_processes_is_refused(tmp_path):
    # One worker as torchrun starts it: refused (exit 2, one line) before joining any group.
    worker = subprocess.run(
        [sys.executable, *TRAIN, "--batch-size", "1", "--checkpoints", str(tmp_path / "ck")],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        env=_env(
            tmp_path / "cache",
            WORLD_SIZE="2",
            RANK="0",
            LOCAL_RANK="0",
            MASTER_ADDR="127.0.0.1",
            MASTER_PORT=str(_free_port()),
        ),
    )
    assert worker.returncode == 2
    lines = worker.stderr.strip().splitlines()
    assert len(lines) == 1 and "--batch-size" in lines[0] and "2 processes" in lines[0], lines
    # Launched by torchrun: both workers say so, and torchrun fails.
    launched = _torchrun(tmp_path / "cache", "--batch-size", "1")
    assert launched.returncode != 0
    said = [line for line in launched.stderr.splitlines() if line.startswith("segbench: error:")]
    assert len(said) == 2 and all(line == lines[0] for line in said), launched.stderr[-3000:]
    assert not (tmp_path / "ck").exists()


@pytest.mark.parametrize("world", [1, 2, 3, 4])
@pytest.mark.parametrize("size", [4, 5, 10])
def test_shares_split_each_batch_into_disjoint_parts(world, size):
    split = load_split(open_dataset("synthetic", "train", length=size, size=(8, 6)))
    split.labels = (
        torch.arange(size, dtype=split.labels.dtype)[:, None, None].expand(size, 6, 8).clone()
    )  # each sample's label is its index
    batch = [
        y[:, 0, 0].tolist()
        for _, y in training_batches(split, size, seed=1, epoch=0, augment=False)
    ]
    shares = [
        [
            y[:, 0, 0].tolist()
            for _, y in training_batches(
                split, size, seed=1, epoch=0, augment=False, share=(r, world)
            )
        ]
        for r in range(world)
    ]
    assert len(batch) == 1 and all(len(s) == 1 for s in shares)
    parts = [s[0] for s in shares]
    assert sorted(sum(parts, [])) == sorted(batch[0]) == list(range(size))  # all, none twice
    assert max(map(len, parts)) - min(map(len, parts)) <= 1


def test_the_shares_together_are_the_single_process_batches():
    split = load_split(open_dataset("synthetic", "train", length=10, size=(32, 24)))
    subset = [0, 2, 3, 5, 6, 7, 9]
    one = list(training_batches(split, 3, seed=4, epoch=1, indices=subset))
    ranks = [
        list(training_batches(split, 3, seed=4, epoch=1, indices=subset, share=(r, 2)))
        for r in range(2)
    ]
    assert len(one) == len(ranks[0]) == len(ranks[1]) == 2  # the last short batch dropped
    for (x, y), (x0, y0), (x1, y1) in zip(one, *ranks):
        assert torch.equal(x[0::2], x0) and torch.equal(x[1::2], x1)
        assert torch.equal(y[0::2], y0) and torch.equal(y[1::2], y1)


def test_the_share_losses_give_the_global_batch_gradient(monkeypatch):
    """What DDP does with the shares' losses (the mean of their gradients) is the gradient of
    the weighted cross-entropy over the whole batch; the mean of the losses is its loss."""
    gen = torch.Generator().manual_seed(0)
    weights = torch.rand(5, generator=gen) + 0.5
    features = torch.randn(6, 3, 4, 4, generator=gen)
    labels = torch.randint(0, 5, (6, 4, 4), generator=gen)
    labels[1, :2] = 255  # ignored pixels weigh nothing
    theta = torch.randn(5, 3, generator=gen, requires_grad=True)

    def logits(x):
        return torch.einsum("kc,nchw->nkhw", theta, x)

    whole = torch.nn.CrossEntropyLoss(weight=weights, ignore_index=255)(logits(features), labels)
    (want,) = torch.autograd.grad(whole, theta)
    world = 4
    valid = labels[labels != 255]
    monkeypatch.setattr(distributed, "sum_over_ranks", lambda t: weights[valid].sum())
    loss = _global_batch_loss(weights, 255, world)
    shares = [loss(logits(features[r::world]), labels[r::world]) for r in range(world)]
    grads = [torch.autograd.grad(s, theta)[0] for s in shares]
    assert torch.allclose(sum(grads) / world, want, rtol=1e-5, atol=1e-7)
    assert torch.allclose(sum(shares) / world, whole.detach(), rtol=1e-6)


def test_without_torchrun_there_is_one_process_and_no_group(monkeypatch):
    for name in TORCHRUN_ENV:
        monkeypatch.delenv(name, raising=False)
    assert (distributed.world_size(), distributed.rank(), distributed.is_main()) == (1, 0, True)
    assert distributed.init("cpu") == "cpu" and not torch.distributed.is_initialized()
    assert distributed.broadcast_flag(True) and distributed.all_gather_object(3) == [3]
    assert "processes" not in recipe_of(TrainConfig(system="enet"), get_profile("smoke"))
    monkeypatch.setenv("WORLD_SIZE", "2")
    monkeypatch.setenv("RANK", "1")
    assert (distributed.world_size(), distributed.rank(), distributed.is_main()) == (2, 1, False)
    assert recipe_of(TrainConfig(system="enet"), get_profile("smoke"))["processes"] == 2
