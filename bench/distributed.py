"""Training on several processes launched by torchrun (DistributedDataParallel), and nothing else.

torchrun tells each process its place in ``WORLD_SIZE``, ``RANK`` and ``LOCAL_RANK``;
:func:`init` joins the process group (gloo on a CPU, NCCL on CUDA, one GPU per process:
``cuda:LOCAL_RANK``). Without torchrun (``WORLD_SIZE`` unset or 1) there is no process group:
rank 0 of a world of 1, every helper a no-op, so single-process training runs exactly as before.

How :mod:`bench.train` uses it: each global batch of the engine's seeded epoch order is split
between the ranks (``training_batches(..., share=(rank, world))``), the gradients are averaged
by DDP, and only rank 0 scores val,
writes checkpoints and decides to stop on the time limit (:func:`broadcast_flag`).

BatchNorm statistics stay per process (each normalises its share of the batch by the share's
own statistics), on a CPU and on a GPU alike: SyncBatchNorm refuses CPU tensors in this torch
(tried with gloo on torch 2.14: "SyncBatchNorm expected input tensor to be on GPU or XPU ..."), and
one behaviour everywhere keeps CPU tests meaningful for GPU runs. So the weights depend on the
number of processes, which is part of a training's recipe. A process group, once destroyed,
could not be joined again in the same process (tried: gloo failed to reconnect), so one launch
runs one training.
"""

from __future__ import annotations

import os

import torch
import torch.distributed as dist


def launched() -> bool:
    """Whether torchrun started this process as one of several."""
    return int(os.environ.get("WORLD_SIZE", "1")) > 1


def world_size() -> int:
    """The number of training processes (1 without torchrun); known before :func:`init`."""
    return int(os.environ.get("WORLD_SIZE", "1")) if launched() else 1


def rank() -> int:
    """This process's rank (0 without torchrun)."""
    return int(os.environ.get("RANK", "0")) if launched() else 0


def local_rank() -> int:
    """This process's rank on its node, which picks its GPU (0 without torchrun)."""
    return int(os.environ.get("LOCAL_RANK", "0")) if launched() else 0


def is_main() -> bool:
    """Whether this process is rank 0: the one that prints, scores val and writes files."""
    return rank() == 0


def active() -> bool:
    """Whether a process group of several processes is joined."""
    return launched() and dist.is_initialized()


def init(device: str) -> str:
    """Join the process group, once (a second call does nothing); return this process's device.

    ``device`` is the requested one ('cpu' or 'cuda'); on CUDA each process takes
    ``cuda:LOCAL_RANK`` and makes it current (NCCL and the CUDA random state need that). Without
    torchrun nothing happens and ``device`` comes back unchanged."""
    if not launched():
        return device
    cuda = torch.device(device).type == "cuda"
    if cuda:
        device = f"cuda:{local_rank()}"
        torch.cuda.set_device(device)
    if not dist.is_initialized():
        dist.init_process_group("nccl" if cuda else "gloo")
    return device


def cleanup() -> None:
    """Leave the process group, if one is joined."""
    if active():
        dist.destroy_process_group()


def barrier() -> None:
    """Wait until every process gets here."""
    if active():
        dist.barrier()


def sum_over_ranks(t: torch.Tensor) -> torch.Tensor:
    """``t`` summed over the processes (a new tensor; ``t`` itself without several)."""
    if not active():
        return t
    total = t.detach().clone()
    dist.all_reduce(total)
    return total


def average(t: torch.Tensor) -> torch.Tensor:
    """``t`` averaged over the processes (``t`` itself without several)."""
    return sum_over_ranks(t) / world_size() if active() else t


def broadcast_object(obj):
    """Rank 0's ``obj`` (any picklable value) on every process."""
    if not active():
        return obj
    box = [obj]
    dist.broadcast_object_list(box, src=0)
    return box[0]


def broadcast_flag(flag: bool) -> bool:
    """Rank 0's ``flag`` on every process, so that all take the same branch (e.g. stop now)."""
    return bool(broadcast_object(bool(flag)))


def all_gather_object(obj) -> list:
    """Every process's ``obj``, in rank order, on every process (``[obj]`` without several)."""
    if not active():
        return [obj]
    out = [None] * world_size()
    dist.all_gather_object(out, obj)
    return out
