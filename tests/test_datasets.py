"""Datasets: the common interface, synthetic scenes, Cityscapes mapping, folder data, bad input.

Everything runs on small generated or temporary data; the real CamVid checks run only where
the copy is present (``$SEGBENCH_DATA/CamVid`` or ``../shared/data/CamVid``).
"""

import json
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch

from bench.datasets import (
    IMAGENET_MEAN,
    IMAGENET_STD,
    check_files,
    class_frequencies,
    class_weights,
    denormalize,
    make_loader,
    open_dataset,
)
from bench.datasets.catalog import resolve_data_root
from bench.datasets.cityscapes import LABEL_TO_TRAIN
from bench.errors import BadInput

REPO = Path(__file__).resolve().parent.parent
SMALL = (160, 120)


def write_png(path: Path, array: np.ndarray) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if array.ndim == 3:
        array = cv2.cvtColor(array, cv2.COLOR_RGB2BGR)
    assert cv2.imwrite(str(path), array)
    return path


def rgb(w: int, h: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (h, w, 3), dtype=np.uint8)


def make_camvid(root: Path, stems=("a", "b"), w=48, h=36, splits=("train", "val", "test")):
    """A tiny CamVid tree under root/CamVid with labels 0..11."""
    for split in splits:
        for k, stem in enumerate(stems):
            write_png(root / "CamVid" / split / f"{stem}.png", rgb(w, h, k))
            label = (np.arange(w * h).reshape(h, w) % 12).astype(np.uint8)
            write_png(root / "CamVid" / f"{split}annot" / f"{stem}.png", label)
    return root


def real_camvid_root() -> Path | None:
    for root in (resolve_data_root(None), REPO.parent / "shared" / "data"):
        if (root / "CamVid" / "train").is_dir():
            return root
    return None


# --- the common interface, on synthetic data ---------------------------------------------------


def test_item_shapes_dtypes_and_spec():
    ds = open_dataset("synthetic", "train", size=SMALL, length=3)
    assert len(ds) == 3 and ds.split == "train" and ds.spec.name == "synthetic"
    assert ds.names == ["train_00000", "train_00001", "train_00002"]
    x, y = ds[0]
    assert x.dtype == torch.float32 and x.shape == (3, 120, 160)
    assert y.dtype == torch.int64 and y.shape == (120, 160)
    assert int(y.min()) >= 0 and int(y.max()) <= 11
    image, label = ds.raw(0)
    assert image.dtype == np.uint8 and image.shape == (120, 160, 3) and label.shape == (120, 160)
    with pytest.raises(IndexError):
        ds[3]


def test_normalisation_uses_imagenet_statistics():
    ds = open_dataset("synthetic", "val", size=SMALL, length=1)
    x, _ = ds[0]
    image, _ = ds.raw(0)
    mean, std = np.array(IMAGENET_MEAN), np.array(IMAGENET_STD)
    expected = (image.astype(np.float64) / 255 - mean) / std
    assert np.allclose(x.numpy().transpose(1, 2, 0), expected, atol=1e-5)
    assert np.array_equal(denormalize(x), image)


def test_default_size_is_native_480x360():
    x, y = open_dataset("synthetic", "test", length=1)[0]
    assert x.shape == (3, 360, 480) and y.shape == (360, 480)


def test_transform_is_applied_before_tensors():
    flip = lambda image, label: (image[:, ::-1], label[:, ::-1])  # noqa: E731
    plain = open_dataset("synthetic", "train", size=SMALL, length=1)
    flipped = open_dataset("synthetic", "train", size=SMALL, length=1, transform=flip)
    assert torch.equal(flipped[0][0], plain[0][0].flip(-1))
    assert torch.equal(flipped[0][1], plain[0][1].flip(-1))


def test_loader_batches():
    ds = open_dataset("synthetic", "train", size=(64, 48), length=4)
    x, y = next(iter(make_loader(ds, batch_size=2, shuffle=True, seed=1)))
    assert x.shape == (2, 3, 48, 64) and y.shape == (2, 48, 64)


# --- synthetic scenes ---------------------------------------------------------------------------


def test_synthetic_is_deterministic_from_the_seed():
    a = open_dataset("synthetic", "train", size=SMALL, seed=3, length=3)
    b = open_dataset("synthetic", "train", size=SMALL, seed=3, length=3)
    later = b.raw(2)  # order of generation does not matter
    for i in (0, 1, 2):
        ia, la = a.raw(i)
        ib, lb = b.raw(i)
        assert np.array_equal(ia, ib) and np.array_equal(la, lb)
    assert np.array_equal(a.raw(2)[0], later[0])
    other = open_dataset("synthetic", "train", size=SMALL, seed=4, length=1).raw(0)
    assert not np.array_equal(a.raw(0)[0], other[0])
    assert not np.array_equal(a.raw(0)[1], other[1])
    val = open_dataset("synthetic", "val", size=SMALL, seed=3, length=1).raw(0)
    assert not np.array_equal(a.raw(0)[0], val[0])


def test_synthetic_label_alone_matches_the_pair():
    ds = open_dataset("synthetic", "test", size=SMALL, length=6)
    for i in range(len(ds)):
        assert np.array_equal(ds.label(i), ds.raw(i)[1])


def test_synthetic_split_lengths():
    assert [len(open_dataset("synthetic", s)) for s in ("train", "val", "test")] == [300, 60, 100]
    assert len(open_dataset("synthetic", "trainval")) == 360
    assert len(open_dataset("synthetic", "train", length=7)) == 7
    with pytest.raises(BadInput, match="split"):
        open_dataset("synthetic", "nope")


def test_every_class_appears_in_synthetic_train_and_frequencies_sum_to_one():
    # the first 40 images of the train split (a shorter length is a prefix), drawn small
    ds = open_dataset("synthetic", "train", size=(120, 90), length=40)
    freq = class_frequencies(ds)
    assert freq.shape == (11,)
    assert np.all(freq > 0), f"classes missing: {np.flatnonzero(freq == 0)}"
    assert freq.sum() == pytest.approx(1.0)
    w = class_weights(freq)
    assert torch.allclose(w, torch.tensor(1 / np.log(1.02 + freq), dtype=torch.float32))
    assert w.argmax() != w.argmin()


def test_synthetic_check_files_has_nothing_to_open():
    assert check_files(open_dataset("synthetic", "val", length=2)) == 0


# --- CamVid layout on a temporary tree ----------------------------------------------------------


def test_camvid_layout_and_resize_keeps_labels_integral(tmp_path):
    make_camvid(tmp_path, w=48, h=36)
    ds = open_dataset("camvid", "train", data_root=tmp_path, size=(30, 20))
    assert ds.names == ["a", "b"]
    x, y = ds[1]
    assert x.shape == (3, 20, 30) and y.dtype == torch.int64
    assert set(torch.unique(y).tolist()) <= set(range(12))
    assert check_files(ds) == 2
    assert len(open_dataset("camvid", "trainval", data_root=tmp_path)) == 4
    # data root pointing at the CamVid folder itself also works
    assert len(open_dataset("camvid", "test", data_root=tmp_path / "CamVid")) == 2


def test_class_frequencies_ignore_void(tmp_path):
    make_camvid(tmp_path, stems=("a",), w=12, h=1)  # values 0..11 once each
    freq = class_frequencies(open_dataset("camvid", "train", data_root=tmp_path))
    assert np.allclose(freq, 1 / 11)


# --- bad input -----------------------------------------------------------------------------------


def test_missing_folder(tmp_path):
    with pytest.raises(BadInput, match="CamVid") as e:
        open_dataset("camvid", "train", data_root=tmp_path / "nowhere")
    assert "trainannot" in str(e.value)  # the expected layout is spelled out
    make_camvid(tmp_path, splits=("train",))
    with pytest.raises(BadInput, match="valannot"):
        open_dataset("camvid", "val", data_root=tmp_path)
    (tmp_path / "CamVid" / "val").mkdir()
    with pytest.raises(BadInput, match=r"valannot.*not found"):
        open_dataset("camvid", "val", data_root=tmp_path)


def test_unmatched_stems(tmp_path):
    make_camvid(tmp_path, stems=("a", "b"), splits=("train",))
    (tmp_path / "CamVid" / "trainannot" / "b.png").rename(
        tmp_path / "CamVid" / "trainannot" / "c.png"
    )
    with pytest.raises(BadInput) as e:
        open_dataset("camvid", "train", data_root=tmp_path)
    assert "b.png" in str(e.value) and "c.png" in str(e.value)


def test_corrupt_png(tmp_path):
    make_camvid(tmp_path, splits=("train",))
    bad = tmp_path / "CamVid" / "train" / "b.png"
    bad.write_bytes(np.random.default_rng(0).integers(0, 256, 500, dtype=np.uint8).tobytes())
    ds = open_dataset("camvid", "train", data_root=tmp_path)  # the cheap checks pass
    with pytest.raises(BadInput, match="b.png"):
        check_files(ds)
    with pytest.raises(BadInput, match="corrupt"):
        ds[1]
    ds[0]  # the good item still loads


def test_label_value_outside_the_classes(tmp_path):
    make_camvid(tmp_path, splits=("train",))
    label = np.zeros((36, 48), np.uint8)
    label[3, 4] = 42
    write_png(tmp_path / "CamVid" / "trainannot" / "a.png", label)
    ds = open_dataset("camvid", "train", data_root=tmp_path)
    with pytest.raises(BadInput) as e:
        check_files(ds)
    msg = str(e.value)
    assert "a.png" in msg and "42" in msg and "0..10" in msg and "11" in msg


def test_image_and_label_sizes_differ(tmp_path):
    make_camvid(tmp_path, splits=("train",), w=48, h=36)
    write_png(tmp_path / "CamVid" / "trainannot" / "b.png", np.zeros((18, 24), np.uint8))
    with pytest.raises(BadInput) as e:
        check_files(open_dataset("camvid", "train", data_root=tmp_path))
    msg = str(e.value)
    assert "b.png" in msg and "48x36" in msg and "24x18" in msg


def test_colour_mask_is_rejected_and_grey_rgb_accepted(tmp_path):
    make_camvid(tmp_path, splits=("train",), w=8, h=6)
    grey = np.full((6, 8, 3), 3, np.uint8)
    write_png(tmp_path / "CamVid" / "trainannot" / "a.png", grey)
    ds = open_dataset("camvid", "train", data_root=tmp_path)
    assert int(ds[0][1].max()) == 3
    write_png(tmp_path / "CamVid" / "trainannot" / "b.png", rgb(8, 6))
    with pytest.raises(BadInput, match=r"b\.png.*colour"):
        ds[1]


def test_unknown_dataset():
    with pytest.raises(BadInput, match="unknown dataset"):
        open_dataset("imagenet", "train")


# --- Cityscapes -----------------------------------------------------------------------------------


def make_cityscapes(root: Path, split="train", cities=("aachen", "bonn")) -> np.ndarray:
    ids = np.arange(34, dtype=np.uint8).reshape(2, 17)
    base = root / "cityscapes"
    for k, city in enumerate(cities):
        name = f"{city}_000000_0000{k}9"
        write_png(base / "leftImg8bit" / split / city / f"{name}_leftImg8bit.png", rgb(17, 2, k))
        write_png(base / "gtFine" / split / city / f"{name}_gtFine_labelIds.png", ids)
        write_png(base / "gtFine" / split / city / f"{name}_gtFine_color.png", rgb(17, 2))
    return ids


def test_cityscapes_label_mapping(tmp_path):
    ids = make_cityscapes(tmp_path)
    ds = open_dataset("cityscapes", "train", data_root=tmp_path)
    assert ds.names == ["aachen_000000_000009", "bonn_000000_000019"]
    assert ds.spec.num_classes == 19 and ds.ignore_index == 255
    _, y = ds[0]
    expected = np.vectorize(lambda v: LABEL_TO_TRAIN.get(int(v), 255))(ids)
    assert np.array_equal(y.numpy(), expected)
    assert sorted(set(y.unique().tolist()) - {255}) == list(range(19))
    assert y[0, 7] == 0 and y[1, 16] == 18 and y[0, 0] == 255  # road, bicycle, unlabeled
    assert check_files(ds) == 2
    freq = class_frequencies(ds)
    assert np.allclose(freq, 1 / 19)


def test_cityscapes_missing_label(tmp_path):
    make_cityscapes(tmp_path, split="val")
    (
        tmp_path
        / "cityscapes"
        / "gtFine"
        / "val"
        / "bonn"
        / "bonn_000000_000019_gtFine_labelIds.png"
    ).unlink()
    with pytest.raises(BadInput, match="bonn_000000_000019_leftImg8bit.png"):
        open_dataset("cityscapes", "val", data_root=tmp_path)
    with pytest.raises(BadInput, match="gtFine"):
        open_dataset("cityscapes", "train", data_root=tmp_path)


def test_cityscapes_label_id_out_of_range(tmp_path):
    make_cityscapes(tmp_path, cities=("ulm",))
    path = tmp_path / "cityscapes/gtFine/train/ulm/ulm_000000_000009_gtFine_labelIds.png"
    write_png(path, np.full((2, 17), 99, np.uint8))
    with pytest.raises(BadInput, match=r"ulm_000000_000009_gtFine_labelIds\.png.*99.*0\.\.33"):
        check_files(open_dataset("cityscapes", "train", data_root=tmp_path))


# --- folder datasets ------------------------------------------------------------------------------


def make_folder(root: Path, stems=("p", "q", "r"), classes=None) -> Path:
    classes = classes or {
        "names": ["background", "crack", "stain"],
        "ignore_index": 255,
        "colors": [[0, 0, 0], [255, 0, 0], [0, 255, 0]],
    }
    for k, stem in enumerate(stems):
        ext = ".jpg" if k == 0 else ".png"
        (root / "images").mkdir(parents=True, exist_ok=True)
        cv2.imwrite(str(root / "images" / f"{stem}{ext}"), rgb(40, 30, k))
        mask = np.zeros((30, 40), np.uint8)
        mask[:10] = 1
        mask[10:15] = 2
        mask[-2:] = 255
        write_png(root / "masks" / f"{stem}.png", mask)
    (root / "classes.json").write_text(json.dumps(classes))
    return root


def test_folder_dataset(tmp_path):
    root = make_folder(tmp_path / "mine")
    ds = open_dataset("folder", "test", data_root=root, size=(20, 15))
    assert ds.spec.name == "folder" and ds.spec.classes == ("background", "crack", "stain")
    assert ds.spec.ignore_index == 255 and ds.spec.palette[1] == (255, 0, 0)
    assert len(ds.spec.palette) == 4 and ds.names == ["p", "q", "r"]
    x, y = ds[0]
    assert x.shape == (3, 15, 20) and set(y.unique().tolist()) <= {0, 1, 2, 255}
    assert check_files(ds) == 3
    freq = class_frequencies(open_dataset("folder", "train", data_root=root))
    assert np.allclose(freq, [13 / 28, 10 / 28, 5 / 28])
    (root / "splits").mkdir()
    (root / "splits" / "train.txt").write_text("p\nr.png\n# a comment\n\n")
    (root / "splits" / "val.txt").write_text("q\n")
    assert open_dataset("folder", "train", data_root=root).names == ["p", "r"]
    assert open_dataset("folder", "trainval", data_root=root).names == ["p", "r", "q"]
    with pytest.raises(BadInput, match="test.txt"):
        open_dataset("folder", "test", data_root=root)
    (root / "splits" / "val.txt").write_text("q\nzz\n")
    with pytest.raises(BadInput, match="zz"):
        open_dataset("folder", "val", data_root=root)


def test_folder_bad_inputs(tmp_path):
    with pytest.raises(BadInput, match="data root"):
        open_dataset("folder", "train")
    root = make_folder(tmp_path / "mine", classes={"names": ["a", "b"]})
    ds = open_dataset("folder", "train", data_root=root)  # ignore_index defaults to 255
    with pytest.raises(BadInput, match=r"p\.png.*values 2 .*0\.\.1"):
        check_files(ds)
    (root / "classes.json").write_text("{not json")
    with pytest.raises(BadInput, match="classes.json"):
        open_dataset("folder", "train", data_root=root)
    (root / "classes.json").write_text(json.dumps({"names": ["a", "b"], "ignore_index": 1}))
    with pytest.raises(BadInput, match="ignore_index"):
        open_dataset("folder", "train", data_root=root)
    (root / "classes.json").unlink()
    with pytest.raises(BadInput, match="classes.json"):
        open_dataset("folder", "train", data_root=root)
    with pytest.raises(BadInput, match="masks"):
        open_dataset("folder", "train", data_root=make_folder(tmp_path / "other") / "images")


# --- the real CamVid copy, where present ---------------------------------------------------------


@pytest.fixture(scope="module")
def camvid_root():
    root = real_camvid_root()
    if root is None:
        pytest.skip("no CamVid copy ($SEGBENCH_DATA/CamVid or ../shared/data/CamVid)")
    return root


def test_real_camvid_counts_shapes_and_labels(camvid_root):
    counts = {
        s: len(open_dataset("camvid", s, data_root=camvid_root)) for s in ("train", "val", "test")
    }
    assert counts == {"train": 367, "val": 101, "test": 233}
    ds = open_dataset("camvid", "val", data_root=camvid_root)
    image, label = ds.raw(0)
    assert image.shape == (360, 480, 3) and image.dtype == np.uint8 and label.shape == (360, 480)
    x, y = ds[len(ds) - 1]
    assert x.shape == (3, 360, 480) and y.shape == (360, 480)
    assert int(y.min()) >= 0 and int(y.max()) <= 11
    small = open_dataset("camvid", "test", data_root=camvid_root, size=(240, 180))
    assert small[0][0].shape == (3, 180, 240)


def test_real_camvid_files_are_valid(camvid_root):
    assert check_files(open_dataset("camvid", "val", data_root=camvid_root)) == 101
