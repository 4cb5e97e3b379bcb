"""Training with the ENet paper's recipe (or a smaller profile), checkpoints, resume and a cache.

Recipe (profile ``paper``): Adam, lr 5e-4, weight decay 2e-4, batch 10, 300 epochs, lr x0.1 every
100 epochs, cross-entropy with class weights 1/ln(1.02 + p) computed on the training split, void
weight 0 (ignored). Every model gets the same recipe, for a fair comparison. ``quick`` and
``smoke`` shrink epochs and resolution to fit a CPU.

Data: the train and val splits are decoded once into memory on the training device
(:mod:`bench.batches`); augmentation (random horizontal flip, random scale 1.0-1.25 and crop)
runs there too, each sample's draw keyed by (seed, epoch, index), and the epoch order by (seed,
epoch). Mixed precision (``amp``: bf16 by default on a GPU, off on a CPU) and channels_last are
options of the step; they are part of the recipe's key (below).

A checkpoint is written after every epoch (``last.pt``: weights, optimiser, schedule, the torch
random states and the log) and the best on val mIoU is kept (``best.pt``); the test split is
never looked at while training. A resumed training continues the same random streams, so on a
CPU it ends bit-identical to one that was never interrupted. Checkpoints live in a cache outside
git, in a folder keyed by everything that determines the weights (:func:`weights_key`: recipe
values, dataset identity, model definition, seed, training code), so a checkpoint made by other
code, data or recipe is never reused.

Several processes (``torchrun --nproc-per-node N -m bench train ...``, :mod:`bench.distributed`):
DistributedDataParallel, each global batch (the recipe's batch size) being the one a single
process would train on, split between the ranks (samples ``r::N``), and the loss scaled so that
the averaged gradient is that of the whole global batch's weighted cross-entropy. BatchNorm
normalises each process's share with the share's own statistics (not synchronised), so the number
of processes is part of the recipe and of the key. Rank 0 alone scores val, prints and writes the
checkpoints (the others wait after each epoch's); every rank resumes from ``last.pt``, which holds
every rank's random state, and rank 0 decides when the time limit stops the training.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import inspect
import json
import os
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, cast

import numpy as np
import torch
from torch import nn
from tqdm import tqdm

from bench import distributed
from bench.atomic import atomic_write_text
from bench.batches import MemorySplit, load_split, training_batches
from bench.checkpoints import file_sha256, load_checkpoint, load_state, save_atomic
from bench.errors import BadInput
from bench.evaluate import autocast, evaluate
from bench.profiles import Profile, get_profile
from bench.store import FolderLock
from bench.systems import create_model


def cache_root() -> Path:
    """$SEGBENCH_CACHE, else ~/.cache/segbench."""
    return Path(os.environ.get("SEGBENCH_CACHE") or Path.home() / ".cache" / "segbench")


#: The training code whose change changes the weights a recipe gives.
_TRAINING_CODE = (
    "bench/train.py",
    "bench/batches.py",
    "bench/evaluate.py",
    "bench/measure/accuracy.py",
    "bench/datasets/base.py",
    "bench/distributed.py",
)


def _source_hash(paths) -> str:
    h = hashlib.sha256()
    root = Path(__file__).resolve().parent.parent
    for rel in paths:
        h.update(rel.encode())
        h.update((root / rel).read_bytes())
    return h.hexdigest()


def model_definition_hash(system: str) -> str:
    """Hash of the source that defines ``system`` (its module, and smp's version for smp ones)."""
    from bench.systems import get_system

    builder = get_system(system).builder
    module = inspect.getmodule(builder)
    assert module is not None, f"{system}'s builder is defined in a module"
    h = hashlib.sha256(inspect.getsource(module).encode())
    if "smp" in module.__name__:
        import segmentation_models_pytorch as smp

        h.update(smp.__version__.encode())
    return h.hexdigest()


def data_fingerprint(split: MemorySplit) -> str:
    """Hash of the pixels and labels actually trained on (after any resize)."""
    h = hashlib.sha256()
    for t in (split.images, split.labels):
        h.update(str((tuple(t.shape), str(t.dtype))).encode())
        h.update(t.cpu().contiguous().numpy().tobytes())
    return h.hexdigest()


def weights_key(cfg: TrainConfig, recipe: dict, train_fp: str, val_fp: str) -> str:
    """One hash of everything that determines the weights (and the val selection)."""
    parts = {
        "system": cfg.system,
        "model": model_definition_hash(cfg.system),
        "dataset": cfg.dataset,
        "train_data": train_fp,
        "val_data": val_fp,
        "recipe": recipe,
        "seed": cfg.seed,
        "code": _source_hash(_TRAINING_CODE),
    }
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()


def checkpoint_dir(system: str, dataset: str, profile: str, seed: int, key: str) -> Path:
    return cache_root() / "checkpoints" / f"{system}-{dataset}-{profile}-seed{seed}-{key[:12]}"


@dataclass
class TrainConfig:
    system: str
    dataset: str = "synthetic"
    data_root: str | None = None
    profile: str = "quick"
    seed: int = 0
    device: str = "cpu"
    epochs: int | None = None  # override the profile's
    lr_step_epochs: int | None = None  # override the profile's
    encoder_first_epochs: int = 0  # ENet's two-stage schedule: encoder alone for these epochs
    batch_size: int | None = None
    amp: str | None = None  # 'bf16', 'fp16' or 'off'; None: bf16 on a GPU, off on a CPU
    channels_last: bool | None = None  # None: on a GPU only
    compile: bool = False  # torch.compile (inductor) the model for the training step
    check_data: bool = True  # open every file before training (bad data fails early)
    checkpoints: str | None = None  # folder for best.pt/last.pt; default: the cache, keyed
    time_limit_s: float | None = None  # stop (resumably) before an epoch would pass this
    val_batch_size: int = 10
    val_size: tuple[int, int] | None = None  # store val frames at this size (None: as stored)

    def resolved_amp(self) -> str:
        if self.amp is not None:
            return self.amp
        return "bf16" if torch.device(self.device).type == "cuda" else "off"

    def resolved_channels_last(self) -> bool:
        if self.channels_last is not None:
            return self.channels_last
        return torch.device(self.device).type == "cuda"


@dataclass
class TrainResult:
    checkpoint: Path
    epochs: int  # epochs of the schedule
    epochs_done: int
    best_epoch: int
    best_val_miou: float
    seconds: float  # training and val seconds summed over epochs (this run and resumed ones)
    images_per_s: float  # training throughput (training steps only), mean over epochs
    log: list[dict]
    key: str
    reused: bool  # nothing trained now: the cache held the finished training
    complete: bool  # all epochs done (False when stopped by the time limit)


def recipe_of(cfg: TrainConfig, profile: Profile) -> dict:
    """The values of the recipe that determine the weights."""
    return {
        "profile": profile.name,
        "epochs": cfg.epochs or profile.epochs,
        "lr_step_epochs": cfg.lr_step_epochs or profile.lr_step_epochs,
        "batch_size": cfg.batch_size or profile.batch_size,
        "lr": profile.lr,
        "weight_decay": profile.weight_decay,
        "train_size": list(profile.train_size),
        "images_per_epoch": profile.images_per_epoch,
        "max_scale": 1.25,
        "encoder_first_epochs": cfg.encoder_first_epochs,
        "amp": cfg.resolved_amp(),
        "val_every": profile.val_every,
        "channels_last": cfg.resolved_channels_last(),
        "val_size": list(_val_size(cfg, profile) or ()) or None,
        "compile": cfg.compile,
        "class_weights": "1/ln(1.02+p), train split, void weight 0",
        # per-process BatchNorm makes the weights depend on it; absent for one process
        **({"processes": distributed.world_size()} if distributed.world_size() > 1 else {}),
    }


def _val_size(cfg: TrainConfig, profile: Profile) -> tuple[int, int] | None:
    if cfg.val_size:
        w, h = cfg.val_size  # a pair; a list too when the config was given as one
        return w, h
    return profile.scoring_size(cfg.dataset)


def _open_splits(cfg: TrainConfig, profile: Profile):
    """Train split (at the profile's size) and val split (stored size), checked, in memory."""
    from bench.datasets import check_files, open_dataset

    synthetic = cfg.dataset == "synthetic"
    train_set = open_dataset(
        cfg.dataset,
        "train",
        data_root=cfg.data_root,
        size=profile.train_size,
        seed=cfg.seed,
        **({"length": profile.synthetic_train_images} if synthetic else {}),
    )
    val_set = open_dataset(
        cfg.dataset,
        "val",
        data_root=cfg.data_root,
        seed=cfg.seed,
        size=_val_size(cfg, profile),
        **({"length": profile.synthetic_val_images} if synthetic else {}),
    )
    if cfg.check_data:  # every file opened once: bad data fails before training starts
        check_files(train_set)
        check_files(val_set)
    return train_set, load_split(train_set), load_split(val_set)


def _epoch_indices(n: int, per_epoch: int | None, seed: int, epoch: int) -> list[int] | None:
    """A seeded subset of the training split for one epoch, when the profile caps its size."""
    if per_epoch is None or per_epoch >= n:
        return None
    rng = np.random.default_rng([seed, epoch, 0x5B5])
    return sorted(rng.permutation(n)[:per_epoch].tolist())


def _rng_state(device: str) -> dict:
    state = {"cpu": torch.get_rng_state()}
    if torch.device(device).type == "cuda":
        state["cuda"] = torch.cuda.get_rng_state()
    return state


def _set_rng_state(state: dict, device: str) -> None:
    """Restore the states of :func:`_rng_state` (brought back to the host: a checkpoint loaded
    onto a GPU holds them there, and torch takes random states from the host only)."""
    torch.set_rng_state(state["cpu"].cpu())
    if "cuda" in state and torch.device(device).type == "cuda":
        torch.cuda.set_rng_state(state["cuda"].cpu())


def optimizer_step(loss_fn, optim, scaler, device: str, amp: str | None) -> torch.Tensor:
    """One training step: the loss under autocast, backward (scaled for fp16), the update."""
    with autocast(device, amp):
        loss = loss_fn()
    optim.zero_grad(set_to_none=True)
    scaler.scale(loss).backward()
    scaler.step(optim)
    scaler.update()
    return loss


def cached_checkpoint(cfg: TrainConfig) -> Path:
    """Where ``train(cfg)`` keeps (or would keep) its best checkpoint."""
    if cfg.checkpoints:
        return Path(cfg.checkpoints) / "best.pt"
    *_, out = _prepare(dataclasses.replace(cfg, check_data=False))
    return out / "best.pt"


def _prepare(cfg: TrainConfig):
    """Profile, recipe, the splits in memory, the weights' key and the checkpoint folder."""
    profile = get_profile(cfg.profile)
    recipe = recipe_of(cfg, profile)
    train_set, train_mem, val_mem = _open_splits(cfg, profile)
    key = weights_key(cfg, recipe, data_fingerprint(train_mem), data_fingerprint(val_mem))
    out = (
        Path(cfg.checkpoints)
        if cfg.checkpoints
        else checkpoint_dir(cfg.system, cfg.dataset, cfg.profile, cfg.seed, key)
    )
    return profile, recipe, train_set, train_mem, val_mem, key, out


class _StepForward(nn.Module):
    """What a training step runs forward, as one module: the whole network, or in stage 1 of
    ENet's schedule the encoder and its 1x1 classifier. DDP wraps this module, so it sees (and
    averages the gradients of) every parameter the optimiser trains."""

    def __init__(self, net: nn.Module, model: nn.Module, enc_head: nn.Module | None):
        super().__init__()
        self.net, self.model, self.enc_head = net, model, enc_head

    def forward(self, images: torch.Tensor, encoder_stage: bool) -> torch.Tensor:
        if encoder_stage:
            assert self.enc_head is not None, "the encoder stage runs only with its head"
            # nn.Module.__getattr__ types the model's encode method as Tensor | Module.
            return self.enc_head(self.model.encode(images)[0])  # type: ignore[operator]
        return self.net(images)


def _labels_at(labels: torch.Tensor, size) -> torch.Tensor:
    """Labels N x H x W resized (nearest) to ``size``: the encoder stage's H/8 targets."""
    small = nn.functional.interpolate(labels[:, None].float(), size=size, mode="nearest")
    return small[:, 0].long()


def _global_batch_loss(weights: torch.Tensor, ignore_index: int, world: int):
    """The loss of one process's share of a global batch, scaled so that DDP's gradient (the
    mean over processes) is the gradient of the weighted cross-entropy mean over the whole
    global batch: the share's summed per-pixel weighted losses, over the sum of the weights of
    every labelled pixel of the global batch (all-reduced), times ``world``. The mean of these
    losses over the processes is the global batch's loss, as one process would compute it."""
    summed = nn.CrossEntropyLoss(weight=weights, ignore_index=ignore_index, reduction="sum")

    def loss(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        share_weight = weights[labels[labels != ignore_index]].sum()
        return summed(logits, labels) * world / distributed.sum_over_ranks(share_weight)

    return loss


def _check_world(batch: int, n_epoch: int, world: int) -> None:
    """BadInput unless each of the ``world`` processes gets a sample of every global batch."""
    global_batch = min(batch, n_epoch)
    if global_batch < world:
        raise BadInput(
            f"a batch of {global_batch} images cannot be shared by {world} processes "
            f"(each trains on its share of every batch): expected a batch size "
            f"(--batch-size) of at least {world}, or at most {global_batch} "
            f"processes (--nproc-per-node)"
        )


def _rank_seed(seed: int, rank: int) -> int:
    """The seed of a process's own random stream (dropout), from (seed, rank)."""
    return int(np.random.SeedSequence([seed, rank, 0xDD9]).generate_state(1)[0])


def train(cfg: TrainConfig, progress: bool = True) -> TrainResult:
    """Train (or resume, or reuse) ``cfg``'s model; under torchrun, as one of several DDP
    processes (see the module's docstring and :mod:`bench.distributed`). The process group, if
    one was joined, is left at the end, also on errors."""
    try:
        with contextlib.ExitStack() as held:
            return _train(cfg, progress, held)
    finally:
        distributed.cleanup()


def _train(cfg: TrainConfig, progress: bool, held: contextlib.ExitStack) -> TrainResult:
    from bench.datasets import class_frequencies, class_weights
    from bench.systems import any_size, get_system

    profile, recipe, train_set, train_mem, val_mem, key, out = _prepare(cfg)
    epochs, batch = recipe["epochs"], recipe["batch_size"]
    amp, channels_last = recipe["amp"], recipe["channels_last"]
    world, rank, main = distributed.world_size(), distributed.rank(), distributed.is_main()
    _check_world(batch, min(profile.images_per_epoch or len(train_mem), len(train_mem)), world)
    if main:  # one training per checkpoint folder: a second one is refused, not interleaved
        held.enter_context(FolderLock(out, option="--checkpoints"))
    cfg = dataclasses.replace(cfg, device=distributed.init(cfg.device))
    show = progress and main  # bars and log lines: rank 0 only
    last = out / "last.pt"

    torch.manual_seed(cfg.seed)
    spec = train_set.spec
    model = create_model(cfg.system, spec.num_classes)
    if cfg.encoder_first_epochs and not hasattr(model, "encode"):
        raise ValueError(
            f"{cfg.system} has no separate encoder: the two-stage schedule is for ENet"
        )
    memory_format = torch.channels_last if channels_last else torch.contiguous_format
    model = model.to(cfg.device, memory_format=memory_format)
    net = any_size(model, get_system(cfg.system).input_divisor)
    # The training step may run compiled; scoring runs the same weights eagerly (other batch
    # sizes, eval mode: no recompiles).
    # torch.compile of a module gives a module (OptimizedModule); its stubs say a callable.
    step_net = cast(nn.Module, torch.compile(net)) if cfg.compile else net
    # Stage 1 of ENet's schedule: a 1x1 classifier on the encoder's H/8 features, trained on
    # labels downsampled by 8 (nearest); dropped when the whole network trains.
    enc_head = (
        nn.Conv2d(128, spec.num_classes, 1).to(cfg.device) if cfg.encoder_first_epochs else None
    )
    forward: nn.Module = _StepForward(step_net, model, enc_head)
    weights = class_weights(class_frequencies(train_set)).to(cfg.device)
    criterion = (
        nn.CrossEntropyLoss(weight=weights, ignore_index=spec.ignore_index)
        if world == 1
        else _global_batch_loss(weights, spec.ignore_index, world)
    )
    params = list(model.parameters()) + (list(enc_head.parameters()) if enc_head else [])
    optim = torch.optim.Adam(params, lr=profile.lr, weight_decay=profile.weight_decay)
    sched = torch.optim.lr_scheduler.StepLR(optim, step_size=recipe["lr_step_epochs"], gamma=0.1)
    scaler = torch.amp.GradScaler("cuda", enabled=amp == "fp16")
    train_mem.images, train_mem.labels = (
        train_mem.images.to(cfg.device),
        train_mem.labels.to(cfg.device),
    )
    val_mem.images, val_mem.labels = val_mem.images.to(cfg.device), val_mem.labels.to(cfg.device)
    if world > 1:  # the weights are the same everywhere; dropout draws differ between ranks
        torch.manual_seed(_rank_seed(cfg.seed, rank))

    start_epoch, best, best_epoch, log = 0, -1.0, -1, []
    if last.exists():
        try:
            state = load_state(last, cfg.device)
        except BadInput as exc:
            raise BadInput(
                f"{exc}; it is this training's resume state: delete it to start the "
                f"training again, or choose another --checkpoints folder"
            ) from None
        made_by = state.get("key") if isinstance(state, dict) else None
        if made_by != key:
            raise BadInput(
                f"{last} was made by another recipe, dataset, model or training "
                f"code (key {str(made_by)[:12]}, expected {key[:12]}): "
                f"expected a folder of this training's checkpoints; use another "
                f"--checkpoints folder"
            )
        model.load_state_dict(state["model"])
        if enc_head is not None and state.get("enc_head"):
            enc_head.load_state_dict(state["enc_head"])
        optim.load_state_dict(state["optim"])
        sched.load_state_dict(state["sched"])
        scaler.load_state_dict(state["scaler"])
        _set_rng_state(state["rank_rng"][rank] if world > 1 else state["rng"], cfg.device)
        start_epoch, best, best_epoch, log = (
            state["epoch"],
            state["best_val_miou"],
            state["best_epoch"],
            state["log"],
        )
    reused = start_epoch >= epochs
    if torch.device(cfg.device).type == "cuda":
        torch.backends.cudnn.benchmark = True
    if world > 1:
        # Built after loading last.pt: DDP starts every rank from rank 0's weights and buffers,
        # and before each step copies rank 0's buffers (BatchNorm's running statistics) to all.
        # BatchNorm normalises each process's share by the share's own statistics (per process,
        # not synchronised), which is why the number of processes is part of the recipe.
        forward = nn.parallel.DistributedDataParallel(
            forward,
            device_ids=[distributed.local_rank()] if cfg.device.startswith("cuda") else None,
            find_unused_parameters=enc_head is not None,
        )

    began = time.perf_counter()
    for epoch in range(start_epoch, epochs):
        # rank 0's clock decides for every rank
        if (
            cfg.time_limit_s is not None
            and log
            and distributed.broadcast_flag(
                time.perf_counter() - began + log[-1]["seconds"] > cfg.time_limit_s
            )
        ):
            break
        subset = _epoch_indices(len(train_mem), profile.images_per_epoch, cfg.seed, epoch)
        n_epoch = len(subset) if subset is not None else len(train_mem)
        steps = n_epoch // batch if n_epoch > batch else 1
        global_batch = min(batch, n_epoch)  # images of every step, all processes together
        model.train()
        encoder_stage = epoch < cfg.encoder_first_epochs
        t0, seen = time.perf_counter(), 0
        total_loss = torch.zeros((), device=cfg.device)
        batches = training_batches(
            train_mem, batch, cfg.seed, epoch, indices=subset, share=(rank, world)
        )
        bar = tqdm(
            batches,
            total=steps,
            desc=f"{cfg.system} epoch {epoch + 1}/{epochs}",
            unit="batch",
            disable=not show,
            leave=False,
        )
        for step, (images, labels) in enumerate(bar):
            if channels_last:
                images = images.contiguous(memory_format=torch.channels_last)

            def loss_fn(images=images, labels=labels, encoder_stage=encoder_stage):
                logits = forward(images, encoder_stage).float()
                return criterion(
                    logits, _labels_at(labels, logits.shape[-2:]) if encoder_stage else labels
                )

            loss = optimizer_step(loss_fn, optim, scaler, cfg.device, amp)
            seen += global_batch
            total_loss += loss.detach() * global_batch
            if show and (step % 10 == 0 or step == steps - 1):
                rate = seen / (time.perf_counter() - t0)
                left = (n_epoch * (epochs - epoch) - seen) / max(rate, 1e-9)
                bar.set_postfix(
                    loss=f"{loss.item():.3f}",
                    lr=f"{sched.get_last_lr()[0]:.1e}",
                    img_s=f"{rate:.1f}",
                    left=f"{left / 60:.1f}min",
                )
        # waits for the device's last step; the mean over ranks is the global batches' loss
        epoch_loss = distributed.average(total_loss).item() / max(seen, 1)
        train_seconds = time.perf_counter() - t0
        lr = sched.get_last_lr()[0]
        sched.step()
        # While the encoder trains alone the decoder is untrained: nothing to score on val.
        # Rank 0 alone scores; the others take its log entry (and so its val mIoU) below.
        scored = (epoch + 1) % profile.val_every == 0 or epoch + 1 == epochs
        metrics = (
            None
            if encoder_stage or not scored or not main
            else evaluate(
                net,
                val_mem,
                device=cfg.device,
                batch_size=cfg.val_batch_size,
                desc="val",
                progress=show,
                amp=amp,
                channels_last=channels_last,
            )
        )
        entry = {
            "epoch": epoch + 1,
            "stage": "encoder" if encoder_stage else "full",
            "loss": epoch_loss,
            "lr": lr,
            "val_miou": metrics["miou"] if metrics else None,
            "val_class_avg_acc": metrics["class_avg_acc"] if metrics else None,
            "val_global_acc": metrics["global_acc"] if metrics else None,
            "train_images_per_s": seen / train_seconds,
            "seconds": time.perf_counter() - t0,
        }
        entry = distributed.broadcast_object(entry)  # every rank keeps rank 0's log
        log.append(entry)
        if show:
            tqdm.write(json.dumps(entry))
        improved = entry["val_miou"] is not None and (entry["val_miou"] > best or best < 0)
        if improved:
            best, best_epoch = entry["val_miou"], epoch + 1
        rngs = distributed.all_gather_object(_rng_state(cfg.device))  # every rank's stream
        if main:
            if improved:
                save_atomic(
                    {
                        "model": model.state_dict(),
                        "epoch": epoch + 1,
                        "val_miou": best,
                        "system": cfg.system,
                        "num_classes": spec.num_classes,
                        "config": asdict(cfg),
                        "recipe": recipe,
                        "key": key,
                        "provenance": provenance(),
                    },
                    out / "best.pt",
                )
            save_atomic(
                {
                    "model": model.state_dict(),
                    "optim": optim.state_dict(),
                    "sched": sched.state_dict(),
                    "scaler": scaler.state_dict(),
                    "enc_head": enc_head.state_dict() if enc_head is not None else None,
                    "rng": rngs[0],
                    **({"rank_rng": rngs} if world > 1 else {}),
                    "epoch": epoch + 1,
                    "best_val_miou": best,
                    "best_epoch": best_epoch,
                    "log": log,
                    "config": asdict(cfg),
                    "recipe": recipe,
                    "key": key,
                },
                last,
            )
            atomic_write_text(
                out / "train_log.json",
                json.dumps(
                    {
                        "system": cfg.system,
                        "dataset": cfg.dataset,
                        "recipe": recipe,
                        "key": key,
                        "log": log,
                    },
                    indent=1,
                ),
            )
        distributed.barrier()  # no rank runs ahead of a checkpoint that is not written yet
    seconds = sum(e["seconds"] for e in log)
    rates = [e["train_images_per_s"] for e in log if e.get("train_images_per_s")]
    return TrainResult(
        out / "best.pt",
        epochs,
        len(log),
        best_epoch,
        best,
        seconds,
        float(np.mean(rates)) if rates else float("nan"),
        log,
        key,
        reused,
        len(log) >= epochs,
    )


def provenance() -> dict:
    """Who made a checkpoint: commit, date, versions."""
    from bench.environment import git_commit

    return {
        "commit": git_commit(),
        "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "torch": str(torch.__version__),
    }


def evaluate_checkpoint(
    system: str, path: str | Path, dataset, *, device: str = "cpu", **kwargs
) -> dict:
    """Metrics of a trained checkpoint on ``dataset`` (a dataset or a MemorySplit): loaded,
    wrapped to take any size, scored by :func:`bench.evaluate.evaluate` (``kwargs`` go there)."""
    from bench.systems import any_size, get_system

    model = load_checkpoint(system, dataset.spec.num_classes, path, device)
    return evaluate(
        any_size(model, get_system(system).input_divisor), dataset, device=device, **kwargs
    )


def weights_provenance(result: TrainResult) -> dict:
    """Where a trained model's weights came from, for its accuracy row."""
    state = load_state(result.checkpoint)
    made = state.get("provenance", {}) if isinstance(state, dict) else {}
    return {
        "weights": "reused from the cache" if result.reused else "trained in this run",
        "weights_commit": made.get("commit"),
        "weights_date": made.get("date"),
        "weights_key": result.key,
        "checkpoint_sha256": file_sha256(result.checkpoint),
        "epochs": result.epochs,
        "images_per_epoch": (state.get("recipe") or {}).get("images_per_epoch")
        if isinstance(state, dict)
        else None,
        "epochs_done": result.epochs_done,
        "best_epoch": result.best_epoch,
        "val_miou": result.best_val_miou,
        "train_seconds": result.seconds,
        "train_images_per_s": result.images_per_s,
    }


def given_weights(path: str | Path) -> dict:
    """Where a given checkpoint's weights came from, as far as the file says (a checkpoint of
    `bench train` records its recipe, log and provenance; a bare state dict records nothing)."""
    state = load_state(Path(path))
    row: dict[str, Any] = {
        "weights": f"given checkpoint {Path(path).name}",
        "checkpoint_sha256": file_sha256(path),
    }
    if isinstance(state, dict) and isinstance(state.get("recipe"), dict):
        recipe, made = state["recipe"], state.get("provenance") or {}
        row.update(
            {
                "profile": recipe.get("profile"),
                "epochs": recipe.get("epochs"),
                "images_per_epoch": recipe.get("images_per_epoch"),
                "best_epoch": state.get("epoch"),
                "val_miou": state.get("val_miou"),
                "train_size": recipe.get("train_size"),
                "weights_key": state.get("key"),
                "weights_commit": made.get("commit"),
                "weights_date": made.get("date"),
            }
        )
        log_path = Path(path).parent / "train_log.json"  # the training's log, if it is beside
        try:
            log = json.loads(log_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            log = None
        if isinstance(log, dict) and log.get("key") == state.get("key") and log.get("log"):
            entries = log["log"]
            rates = [e["train_images_per_s"] for e in entries if e.get("train_images_per_s")]
            row.update(
                {
                    "epochs_done": len(entries),
                    "train_seconds": sum(e.get("seconds", 0.0) for e in entries),
                    "train_images_per_s": float(np.median(rates)) if rates else None,
                }
            )
    return row
