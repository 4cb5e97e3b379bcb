"""Datasets: what each one is (classes, void label, palette) and where its files are.

The catalog (specs) is imported at once; the dataset classes and functions, which need torch
and OpenCV, are imported on first use, so ``bench list`` stays quick.
"""

from bench.datasets.catalog import DATASETS, DatasetSpec, resolve_data_root  # noqa: F401

_LAZY = {
    "SegmentationDataset": "base",
    "IMAGENET_MEAN": "base",
    "IMAGENET_STD": "base",
    "check_files": "base",
    "class_frequencies": "base",
    "class_weights": "base",
    "denormalize": "base",
    "to_tensor": "base",
    "open_dataset": "loader",
    "get_dataset_spec": "loader",
    "make_loader": "loader",
    "DATASET_NAMES": "loader",
    "CamVidDataset": "camvid",
    "CityscapesDataset": "cityscapes",
    "SyntheticDataset": "synthetic",
    "generate_scene": "synthetic",
    "FolderDataset": "folder",
}

__all__ = ["DATASETS", "DatasetSpec", "resolve_data_root", *_LAZY]


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        value = getattr(importlib.import_module(f"bench.datasets.{_LAZY[name]}"), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'bench.datasets' has no attribute '{name}'")
