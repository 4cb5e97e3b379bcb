"""Training with the ENet paper's recipe (or a smaller profile), checkpoints, resume and a cache.

Recipe (profile ``paper``): Adam, lr 5e-4, weight decay 2e-4, batch 10, 300 epochs, lr x0.1 every
100 epochs, cross-entropy with class weights 1/ln(1.02 + p) computed on the training split, void
weight 0 (ignored). Every model gets the same recipe, for a fair comparison. ``quick`` and
``smoke`` shrink epochs and resolution to fit a CPU.

Augmentation: random horizontal flip and a random scale-and-crop (scale 1.0 to 1.25, crop back to
the training size), seeded per epoch and sample, so that a run is reproducible.

A checkpoint is written after every epoch (``last.pt``) and the best on val mIoU is kept
(``best.pt``); the test split is never looked at while training. Checkpoints live in a cache
outside git, keyed by system, dataset, profile and seed, so that ``run`` does not train again
what it already has, and an interrupted training resumes where it stopped.
"""
from __future__ import annotations

import json
import os
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn
from tqdm import tqdm

from bench.datasets.loader import make_loader
from bench.evaluate import evaluate
from bench.profiles import Profile, get_profile
from models import create_model

def cache_root() -> Path:
    """$SEGBENCH_CACHE, else ~/.cache/segbench."""
    return Path(os.environ.get("SEGBENCH_CACHE") or Path.home() / ".cache" / "segbench")


def checkpoint_dir(system: str, dataset: str, profile: str, seed: int) -> Path:
    return cache_root() / "checkpoints" / f"{system}-{dataset}-{profile}-seed{seed}"


@dataclass
class TrainConfig:
    system: str
    dataset: str = "synthetic"
    data_root: str | None = None
    profile: str = "quick"
    seed: int = 0
    device: str = "cpu"
    epochs: int | None = None  # override the profile's
    encoder_first_epochs: int = 0  # ENet's two-stage schedule: encoder alone for these epochs
    batch_size: int | None = None
    workers: int = 0
    check_data: bool = True  # open every file before training (bad data fails early)
    checkpoints: str | None = None  # folder for best.pt/last.pt; default: the cache, keyed


@dataclass
class TrainResult:
    checkpoint: Path
    epochs: int
    best_epoch: int
    best_val_miou: float
    seconds: float
    log: list[dict]


class Augment:
    """Random horizontal flip and scale-crop on numpy (image HxWx3, label HxW), seeded."""

    def __init__(self, seed: int, max_scale: float = 1.25):
        self.rng = np.random.default_rng(seed)
        self.max_scale = max_scale

    def reseed(self, seed: int) -> None:
        self.rng = np.random.default_rng(seed)

    def __call__(self, image: np.ndarray, label: np.ndarray):
        import cv2

        if self.rng.random() < 0.5:
            image, label = image[:, ::-1], label[:, ::-1]
        s = self.rng.uniform(1.0, self.max_scale)
        if s > 1.0:
            h, w = label.shape
            nh, nw = int(round(h * s)), int(round(w * s))
            image = cv2.resize(np.ascontiguousarray(image), (nw, nh),
                               interpolation=cv2.INTER_LINEAR)
            label = cv2.resize(np.ascontiguousarray(label), (nw, nh),
                               interpolation=cv2.INTER_NEAREST)
            y = int(self.rng.integers(0, nh - h + 1))
            x = int(self.rng.integers(0, nw - w + 1))
            image, label = image[y:y + h, x:x + w], label[y:y + h, x:x + w]
        return np.ascontiguousarray(image), np.ascontiguousarray(label)


def _datasets(cfg: TrainConfig, profile: Profile):
    """Train split (augmented, at the profile's size) and val split (native size, for scoring)."""
    from bench.datasets import check_files, open_dataset

    augment = Augment(cfg.seed)
    extra = {"length": profile.synthetic_train_images} if cfg.dataset == "synthetic" else {}
    train_set = open_dataset(cfg.dataset, "train", data_root=cfg.data_root,
                             size=profile.train_size, seed=cfg.seed, transform=augment, **extra)
    val_set = open_dataset(cfg.dataset, "val", data_root=cfg.data_root, seed=cfg.seed,
                           **({"length": profile.synthetic_val_images}
                              if cfg.dataset == "synthetic" else {}))
    if cfg.check_data:  # every file opened once: bad data fails before training starts
        check_files(train_set)
        check_files(val_set)
    return train_set, val_set, augment


def _epoch_indices(n: int, per_epoch: int | None, seed: int) -> list[int] | None:
    """A seeded subset of the training split for one epoch, when the profile caps its size."""
    if per_epoch is None or per_epoch >= n:
        return None
    return np.random.default_rng(seed).permutation(n)[:per_epoch].tolist()


def train(cfg: TrainConfig, progress: bool = True) -> TrainResult:
    profile = get_profile(cfg.profile)
    epochs = cfg.epochs or profile.epochs
    batch = cfg.batch_size or profile.batch_size
    torch.manual_seed(cfg.seed)
    np.random.seed(cfg.seed)
    from bench.datasets import class_frequencies, class_weights

    train_set, val_set, augment = _datasets(cfg, profile)
    spec = train_set.spec
    model = create_model(cfg.system, spec.num_classes).to(cfg.device)
    from models import any_size, get_system

    net = any_size(model, get_system(cfg.system).input_divisor)
    if cfg.encoder_first_epochs and not hasattr(model, "encode"):
        raise ValueError(f"{cfg.system} has no separate encoder: the two-stage schedule is "
                         f"for ENet")
    # Stage 1 of ENet's schedule: a 1x1 classifier on the encoder's H/8 features, trained on
    # labels downsampled by 8 (nearest); dropped when the whole network trains.
    enc_head = (nn.Conv2d(128, spec.num_classes, 1).to(cfg.device)
                if cfg.encoder_first_epochs else None)
    weights = class_weights(class_frequencies(train_set)).to(cfg.device)
    criterion = nn.CrossEntropyLoss(weight=weights, ignore_index=spec.ignore_index)
    params = list(model.parameters()) + (list(enc_head.parameters()) if enc_head else [])
    optim = torch.optim.Adam(params, lr=profile.lr, weight_decay=profile.weight_decay)
    sched = torch.optim.lr_scheduler.StepLR(optim, step_size=profile.lr_step_epochs, gamma=0.1)
    use_amp = cfg.device == "cuda"
    scaler = torch.amp.GradScaler("cuda", enabled=use_amp)

    out = (Path(cfg.checkpoints) if cfg.checkpoints
           else checkpoint_dir(cfg.system, cfg.dataset, cfg.profile, cfg.seed))
    out.mkdir(parents=True, exist_ok=True)
    start_epoch, best, best_epoch, log = 0, -1.0, -1, []
    last = out / "last.pt"
    if last.exists():
        state = torch.load(last, map_location=cfg.device, weights_only=False)
        model.load_state_dict(state["model"])
        if enc_head is not None and "enc_head" in state:
            enc_head.load_state_dict(state["enc_head"])
        optim.load_state_dict(state["optim"])
        sched.load_state_dict(state["sched"])
        scaler.load_state_dict(state["scaler"])
        start_epoch, best, best_epoch, log = (state["epoch"], state["best_val_miou"],
                                              state["best_epoch"], state["log"])

    for epoch in range(start_epoch, epochs):
        augment.reseed(cfg.seed * 100_003 + epoch)
        subset = _epoch_indices(len(train_set), profile.images_per_epoch,
                                cfg.seed * 7_919 + epoch)
        epoch_set = train_set if subset is None else torch.utils.data.Subset(train_set, subset)
        loader = make_loader(epoch_set, batch, shuffle=True, num_workers=cfg.workers,
                             seed=cfg.seed * 1_000_003 + epoch, drop_last=len(epoch_set) > batch)
        model.train()
        encoder_stage = epoch < cfg.encoder_first_epochs
        t0, seen, total_loss = time.perf_counter(), 0, 0.0
        bar = tqdm(loader, desc=f"{cfg.system} epoch {epoch + 1}/{epochs}", unit="batch",
                   disable=not progress, leave=False)
        for images, labels in bar:
            images, labels = images.to(cfg.device), labels.to(cfg.device)
            with torch.autocast(cfg.device, enabled=use_amp):
                if encoder_stage:
                    feats = model.encode(images)[0]
                    small = nn.functional.interpolate(labels[:, None].float(),
                                                      size=feats.shape[-2:], mode="nearest")
                    loss = criterion(enc_head(feats), small[:, 0].long())
                else:
                    loss = criterion(net(images), labels)
            optim.zero_grad(set_to_none=True)
            scaler.scale(loss).backward()
            scaler.step(optim)
            scaler.update()
            seen += images.shape[0]
            total_loss += loss.item() * images.shape[0]
            rate = seen / (time.perf_counter() - t0)
            left = (len(epoch_set) * (epochs - epoch) - seen) / max(rate, 1e-9)
            bar.set_postfix(loss=f"{loss.item():.3f}", lr=f"{sched.get_last_lr()[0]:.1e}",
                            img_s=f"{rate:.1f}", left=f"{left / 60:.1f}min")
        sched.step()
        # While the encoder trains alone the decoder is untrained: nothing to score on val.
        metrics = None if encoder_stage else evaluate(
            net, val_set, device=cfg.device, input_size=profile.train_size, desc="val",
            progress=progress)
        entry = {"epoch": epoch + 1, "stage": "encoder" if encoder_stage else "full",
                 "loss": total_loss / max(seen, 1),
                 "val_miou": metrics["miou"] if metrics else None, "lr": sched.get_last_lr()[0],
                 "seconds": time.perf_counter() - t0}
        log.append(entry)
        if progress:
            tqdm.write(json.dumps(entry))
        if metrics and (metrics["miou"] > best or best < 0):
            best, best_epoch = metrics["miou"], epoch + 1
            _atomic_save({"model": model.state_dict(), "epoch": epoch + 1,
                          "val_miou": best, "config": asdict(cfg)}, out / "best.pt")
        _atomic_save({"model": model.state_dict(), "optim": optim.state_dict(),
                      "sched": sched.state_dict(), "scaler": scaler.state_dict(),
                      "enc_head": enc_head.state_dict() if enc_head is not None else None,
                      "epoch": epoch + 1, "best_val_miou": best, "best_epoch": best_epoch,
                      "log": log, "config": asdict(cfg)}, last)
    seconds = sum(e["seconds"] for e in log)
    return TrainResult(out / "best.pt", epochs, best_epoch, best, seconds, log)


def _atomic_save(obj: dict, path: Path) -> None:
    tmp = path.with_suffix(".tmp")
    torch.save(obj, tmp)
    os.replace(tmp, path)


def load_checkpoint(system: str, num_classes: int, path: str | Path, device: str = "cpu"):
    """A model from a checkpoint of ours ({'model': state_dict}) or a bare state dict."""
    state = torch.load(path, map_location=device, weights_only=False)
    state = state.get("model", state) if isinstance(state, dict) else state
    model = create_model(system, num_classes)
    model.load_state_dict(state)
    return model.to(device).eval()


def evaluate_checkpoint(system: str, path: str | Path, dataset, *, device: str = "cpu",
                        input_size: tuple[int, int] | None = None, **kwargs) -> dict:
    """Metrics of a trained checkpoint on ``dataset``: loaded, wrapped to take any size, scored
    by :func:`bench.evaluate.evaluate` (``kwargs`` go there)."""
    from models import any_size, get_system

    model = load_checkpoint(system, dataset.spec.num_classes, path, device)
    return evaluate(any_size(model, get_system(system).input_divisor), dataset, device=device,
                    input_size=input_size, **kwargs)
