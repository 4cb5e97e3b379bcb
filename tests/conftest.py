import os
import shutil
import warnings
from pathlib import Path

import pytest
import torch

REPO = Path(__file__).resolve().parent.parent

torch.set_num_threads(min(2, os.cpu_count() or 1))


def calibrate_bn(model: torch.nn.Module, x: torch.Tensor) -> torch.nn.Module:
    """Give BatchNorm real running statistics from ``x``, then return the model in eval mode.

    Randomly initialised deep ResNets in eval mode (running mean 0, variance 1) let activations
    grow layer after layer until fp16 overflows; a network with calibrated statistics behaves as a
    trained one does, which is what precision and export checks must look at.
    """
    for m in model.modules():
        if isinstance(m, torch.nn.modules.batchnorm._BatchNorm):
            m.reset_running_stats()
            m.momentum = None  # cumulative average
    model.train()
    with torch.no_grad():
        model(x)
    return model.eval()


def has_c_compiler() -> bool:
    return any(shutil.which(cc) for cc in ("cc", "gcc", "clang"))


@pytest.fixture(autouse=True)
def _private_cache(tmp_path_factory, monkeypatch):
    """Every test trains into a cache of its own, never the user's ~/.cache/segbench."""
    monkeypatch.setenv("SEGBENCH_CACHE", str(tmp_path_factory.mktemp("cache")))


@pytest.fixture(autouse=True)
def _quiet_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        yield


cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
