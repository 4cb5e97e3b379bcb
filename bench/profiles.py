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


PROFILES: dict[str, Profile] = {
    "smoke": Profile("smoke", "seconds: a few steps at tiny size, for tests", 1, 4, (64, 48)),
    "quick": Profile("quick", "CPU-feasible: short schedule at reduced size", 10, 8, (240, 180),
                     lr_step_epochs=7),
    "paper": Profile("paper", "the ENet paper's recipe: Adam lr 5e-4, wd 2e-4, batch 10, 300 "
                     "epochs, lr x0.1 every 100, class weights 1/ln(1.02+p)", 300, 10, (480, 360)),
}


def get_profile(name: str) -> Profile:
    try:
        return PROFILES[name]
    except KeyError:
        raise BadInput(f"unknown profile '{name}': expected one of {', '.join(PROFILES)}") from None
