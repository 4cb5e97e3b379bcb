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


PROFILES: dict[str, Profile] = {
    "smoke": Profile("smoke", "seconds, for tests: 1 epoch of 8 images at 64x48", 1, 4, (64, 48),
                     images_per_epoch=8, synthetic_train_images=16, synthetic_val_images=4,
                     synthetic_test_images=6, classical_train_images=4),
    "quick": Profile("quick", "CPU-sized: 4 epochs of 120 images at 160x120, lr x0.1 after 3, "
                     "val scored after the last epoch only; the same Adam recipe otherwise", 4, 8,
                     (160, 120), lr_step_epochs=3, images_per_epoch=120,
                     synthetic_val_images=30, val_every=4),
    "paper": Profile("paper", "the ENet paper's recipe: Adam lr 5e-4, wd 2e-4, batch 10, 300 "
                     "epochs, lr x0.1 every 100, class weights 1/ln(1.02+p)", 300, 10, (480, 360)),
}


def get_profile(name: str) -> Profile:
    try:
        return PROFILES[name]
    except KeyError:
        raise BadInput(f"unknown profile '{name}': expected one of {', '.join(PROFILES)}") from None
