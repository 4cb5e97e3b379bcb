"""Datasets: what each one is (classes, void label, palette) and where its files are."""
from bench.datasets.catalog import DATASETS, DatasetSpec, get_dataset_spec, resolve_data_root  # noqa: F401
