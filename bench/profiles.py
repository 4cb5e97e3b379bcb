"""Training profiles: how much training a result had. Every accuracy row names its profile."""

from __future__ import annotations

from dataclasses import dataclass

from bench.errors import BadInput


@dataclass(frozen=True)
class Profile:
    name: str
    description: str
    epochs: int
    batch_size: int
    train_size: tuple[int, int]  # WIDTH, HEIGHT the images are resized to for training
    lr: float = 5e-4
    weight_decay: float = 2e-4
    lr_step_epochs: int = 100  # lr x0.1 every this many epochs
    images_per_epoch: int | None = None  # a seeded random subset per epoch; None: all
    synthetic_train_images: int = 300  # size of the generated train split
    synthetic_val_images: int = 60
    synthetic_test_images: int = 100
    classical_train_images: int = 60  # training images for the learned protocol's classifier
    val_every: int = 1  # score val every this many epochs (and always after the last)
    # WIDTH, HEIGHT at which generated val and test scenes are drawn (None: 480x360, CamVid's);
    # files of real datasets are always scored at their stored size
    synthetic_size: tuple[int, int] | None = None

    def scoring_size(self, dataset: str) -> tuple[int, int] | None:
        """The size val and test frames of ``dataset`` are opened at (None: as stored)."""
        return self.synthetic_size if dataset == "synthetic" else None


PROFILES: dict[str, Profile] = {
    "smoke": Profile(
        "smoke",
        "seconds, for tests: 1 epoch of 8 images at 64x48",
        1,
        4,
        (64, 48),
        images_per_epoch=8,
        synthetic_train_images=16,
        synthetic_val_images=4,
        synthetic_test_images=6,
        classical_train_images=4,
    ),
    "quick": Profile(
        "quick",
        "the default run's budget, minutes on 2 CPU cores for all five deep "
        "models: 2 epochs of 32 images at 128x96, batch 8, val scored after the "
        "last epoch; synthetic val and test scenes drawn at 240x180; the same Adam "
        "recipe otherwise. It shows the pipeline, it is not evidence of accuracy",
        2,
        8,
        (128, 96),
        images_per_epoch=32,
        synthetic_train_images=64,
        synthetic_val_images=8,
        synthetic_test_images=16,
        val_every=2,
        synthetic_size=(240, 180),
    ),
    "paper": Profile(
        "paper",
        "the ENet paper's recipe: Adam lr 5e-4, wd 2e-4, batch 10, 300 "
        "epochs, lr x0.1 every 100, class weights 1/ln(1.02+p)",
        300,
        10,
        (480, 360),
    ),
}


#: Earlier definitions of a profile, for the reports of runs made before it changed (runs made
#: since record the description in their header): name -> ((UTC time it was replaced, what it
#: was), ...), oldest first.
SUPERSEDED: dict[str, tuple[tuple[str, str], ...]] = {
    "quick": (
        (
            "2026-11-25T23:45:00+00:00",
            "CPU-sized: 4 epochs of 120 images at 160x120, lr x0.1 after 3, val scored after the "
            "last epoch only; the same Adam recipe otherwise",
        ),
    ),
}


def profile_description(name: str, time_utc: str | None = None) -> str | None:
    """What profile ``name`` was at ``time_utc`` (ISO 8601, UTC; None: now)."""
    if time_utc:
        for until, text in SUPERSEDED.get(name, ()):
            if time_utc < until:
                return text
    profile = PROFILES.get(name)
    return profile.description if profile else None


def get_profile(name: str) -> Profile:
    try:
        return PROFILES[name]
    except KeyError:
        raise BadInput(f"unknown profile '{name}': expected one of {', '.join(PROFILES)}") from None
