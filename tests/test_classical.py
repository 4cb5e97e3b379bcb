"""Classical methods: known answers on generated images, the two protocols, the registry.

Timings are printed (``pytest -s``), never asserted.
"""

import time

import numpy as np
import pytest
import torch

import classical
import models
from bench.datasets.loader import open_dataset
from bench.measure.accuracy import ConfusionMatrix
from bench.measure.classical import evaluate_classical
from bench.measure.latency import LatencyPolicy, measure_latency
from classical.base import ClassicalMethod, create_method
from classical.classifier import RegionClassifier, train_classifier
from classical.features import FEATURE_NAMES, region_features
from classical.protocols import ClassicalSegmenter, segment
from classical.regions import (
    compact_labels,
    merge_small_regions,
    oracle_classes,
    region_class_counts,
)
from classical.thresholding import kapur_threshold

METHODS = [
    "canny",
    "chan_vese",
    "dual_clustering",
    "fast_marching",
    "felzenszwalb",
    "frame_difference",
    "grabcut",
    "kapur",
    "kmeans",
    "li",
    "mog2",
    "multiotsu",
    "otsu",
    "random_walker",
    "region_growing",
    "slic",
    "watershed",
    "yen",
]
# The methods that partition one image alone: interactive methods need seeds
# (tests/test_interactive.py) and motion methods a frame sequence (tests/test_motion.py).
IMAGE_METHODS = [
    n
    for n in METHODS
    if models.get_system(n).inputs == "image" and "oracle" in models.get_system(n).protocols
]
QUICK = LatencyPolicy(
    warmup_min_iters=1,
    warmup_min_s=0.0,
    warmup_max_s=0.5,
    min_iters=3,
    min_time_s=0.0,
    max_time_s=1.0,
    capped_min_iters=1,
)


def two_regions(seed: int = 0, h: int = 64, w: int = 96, noise: float = 10.0):
    """Left half dark, right half bright, Gaussian noise; label 0 left, 1 right."""
    rng = np.random.default_rng(seed)
    base = np.zeros((h, w, 3), np.float32)
    base[:, : w // 2] = (60, 70, 55)
    base[:, w // 2 :] = (190, 180, 200)
    image = np.clip(base + rng.normal(0, noise, base.shape), 0, 255).astype(np.uint8)
    label = np.zeros((h, w), np.int64)
    label[:, w // 2 :] = 1
    return image, label


def pixel_accuracy(pred, gt, ignore=None):
    keep = np.ones(gt.shape, bool) if ignore is None else gt != ignore
    return float((pred[keep] == gt[keep]).mean())


def miou(pairs, num_classes, ignore_index):
    cm = ConfusionMatrix(num_classes, ignore_index)
    for gt, pred in pairs:
        cm.update(torch.as_tensor(np.asarray(gt, np.int64)), torch.as_tensor(pred))
    return cm.compute()


@pytest.fixture(scope="module")
def small_test():
    ds = open_dataset("synthetic", "test", size=(120, 90), length=4)
    return ds, [ds.raw(i) for i in range(len(ds))]


# --------------------------------------------------------------------------------------------
# registry


def test_every_method_is_registered_as_classical():
    infos = {s.name: s for s in models.list_systems(kind="classical")}
    assert sorted(infos) == METHODS
    assert {"otsu", "region_growing", "watershed"} <= set(models.system_names("classical"))
    for name, info in infos.items():
        assert info.kind == "classical"
        assert info.description and info.paper and info.notes
        assert "\n" not in info.description
        caps = info.capabilities
        assert (caps.half, caps.compile, caps.onnx) == (False, False, False)
        method = info.builder()
        assert isinstance(method, ClassicalMethod)
        assert isinstance(create_method(name), ClassicalMethod)
    assert "Otsu" in infos["otsu"].paper and "1979" in infos["otsu"].paper
    assert "Adams" in infos["region_growing"].paper
    # classical methods are not deep models, and the other way round
    with pytest.raises(ValueError, match="classical"):
        models.create_model("otsu", 11)
    with pytest.raises(ValueError, match="not a classical"):
        create_method("enet")
    with pytest.raises(models.UnknownSystemError):
        create_method("otsuu")


# --------------------------------------------------------------------------------------------
# known answers


@pytest.mark.parametrize("name", IMAGE_METHODS)
def test_method_separates_two_flat_regions(name):
    image, gt = two_regions()
    method = create_method(name)
    t0 = time.perf_counter()
    regions = method.partition(image)
    ms = 1e3 * (time.perf_counter() - t0)
    assert regions.dtype == np.int32 and regions.shape == gt.shape
    r = int(regions.max()) + 1
    assert regions.min() == 0 and np.array_equal(np.unique(regions), np.arange(r))
    assert r > 1, f"{name} put the whole image in one region"
    pred = segment(method, image, "oracle", gt=gt, num_classes=2)
    acc = pixel_accuracy(pred, gt)
    print(f"\n{name}: {r} regions, oracle pixel accuracy {acc:.4f}, {ms:.1f} ms (64x96)")
    assert acc > 0.95


def test_otsu_finds_exactly_the_two_halves():
    image, gt = two_regions(seed=3)
    regions = create_method("otsu").partition(image)
    assert regions.max() == 1
    assert pixel_accuracy(regions, gt) == 1.0 or pixel_accuracy(1 - regions, gt) == 1.0


@pytest.mark.parametrize("name", ["watershed", "region_growing", "canny"])
def test_no_region_crosses_the_boundary(name):
    image, gt = two_regions(seed=1)
    regions = create_method(name).partition(image)
    counts = region_class_counts(regions, gt, 2)
    mixed = np.minimum(counts[:, 0], counts[:, 1])
    # at most a pixel-wide seam of the noisy boundary may land on the wrong side
    assert mixed.sum() <= gt.shape[0] * 2


def test_kapur_threshold_lies_between_the_modes():
    rng = np.random.default_rng(0)
    grey = np.concatenate([rng.normal(50, 8, 3000), rng.normal(200, 8, 3000)])
    t = kapur_threshold(np.clip(grey, 0, 255).astype(np.uint8))
    assert 70 < t < 180
    assert kapur_threshold(np.full((4, 4), 7, np.uint8)) == 7  # flat: no split


@pytest.mark.parametrize("name", IMAGE_METHODS)
def test_flat_image_and_tiny_image_do_not_break(name):
    method = create_method(name)
    for image in (
        np.full((20, 30, 3), 128, np.uint8),
        np.random.default_rng(0).integers(0, 256, (7, 5, 3), dtype=np.uint8),
    ):
        regions = method.partition(image)
        assert regions.shape == image.shape[:2] and regions.min() == 0
        assert np.array_equal(np.unique(regions), np.arange(regions.max() + 1))


def test_partition_rejects_bad_input():
    method = create_method("otsu")
    with pytest.raises(ValueError, match="HxWx3"):
        method.partition(np.zeros((10, 10), np.uint8))
    with pytest.raises(ValueError, match="uint8"):
        method.partition(np.zeros((10, 10, 3), np.float32))


# --------------------------------------------------------------------------------------------
# determinism


@pytest.mark.parametrize("name", IMAGE_METHODS)
def test_partition_is_deterministic(name, small_test):
    _, items = small_test
    image = items[0][0]
    first = create_method(name).partition(image)
    again = create_method(name).partition(image)
    method = create_method(name)
    assert np.array_equal(first, again)
    assert np.array_equal(method.partition(image), method.partition(image))


def test_kmeans_is_seeded():
    image, _ = two_regions(seed=5)
    a = create_method("kmeans", seed=1).partition(image)
    b = create_method("kmeans", seed=1).partition(image)
    assert np.array_equal(a, b)


# --------------------------------------------------------------------------------------------
# helpers and protocols


def test_compact_and_merge_small_regions():
    lab = np.array([[5, 5, 9], [5, 5, 9], [2, 2, 2]])
    assert compact_labels(lab).tolist() == [[1, 1, 2], [1, 1, 2], [0, 0, 0]]
    assert compact_labels(lab).dtype == np.int32
    big = np.zeros((10, 10), np.int32)
    big[:, 5:] = 1
    big[2, 2] = 7  # a one-pixel speck inside region 0
    merged = merge_small_regions(big, min_size=3)
    assert merged.max() == 1 and merged[2, 2] == merged[0, 0]
    # all regions small: the largest is kept, nothing is lost
    assert merge_small_regions(np.arange(4).reshape(2, 2), 10).tolist() == [[0, 0], [0, 0]]


def test_oracle_is_the_majority_of_non_void_pixels():
    rng = np.random.default_rng(0)
    regions = rng.integers(0, 6, (30, 40)).astype(np.int32)
    gt = rng.integers(0, 5, (30, 40))  # 4 = void
    gt[regions == 5] = 4  # region 5 is all void
    got = oracle_classes(regions, gt, num_classes=4, ignore_index=4)
    for r in range(6):
        values = gt[(regions == r) & (gt != 4)]
        want = np.bincount(values, minlength=4).argmax() if values.size else 0
        assert got[r] == want
    # labels outside the class range count as void too
    assert np.array_equal(oracle_classes(regions, gt, num_classes=4, ignore_index=None), got)


def test_oracle_bound(small_test):
    """The oracle labelling has the highest pixel accuracy of any labelling of the same partition
    (exact: checked region by region), and beats random and plausible labellings in mIoU."""
    ds, items = small_test
    spec = ds.spec
    n, void = spec.num_classes, spec.ignore_index
    method = create_method("slic", n_segments=60)
    parts = [(method.partition(img), gt) for img, gt in items]
    tables = [oracle_classes(r, gt, n, void) for r, gt in parts]
    oracle = miou([(gt, t[r]) for (r, gt), t in zip(parts, tables)], n, void)
    # exact optimality in pixel accuracy: changing any region's class loses correct pixels
    for (r, gt), t in zip(parts, tables):
        counts = region_class_counts(r, gt, n, void)
        assert (counts - counts[np.arange(len(t)), t][:, None] <= 0).all()
    rng = np.random.default_rng(0)
    for trial in range(30):
        pairs = []
        for (r, gt), t in zip(parts, tables):
            counts = region_class_counts(r, gt, n, void).astype(float) + 1e-9
            if trial % 2:  # uniformly random classes
                other = rng.integers(0, n, len(t))
            else:  # each region drawn from its own class histogram: plausible labellings
                cdf = np.cumsum(counts / counts.sum(1, keepdims=True), 1)
                other = np.minimum((cdf < rng.random((len(t), 1))).sum(1), n - 1)
            pairs.append((gt, other[r]))
        m = miou(pairs, n, void)
        assert m["global_acc"] <= oracle["global_acc"] + 1e-12
        assert m["miou"] <= oracle["miou"] + 1e-12


def test_region_features():
    image, gt = two_regions()
    regions = gt.astype(np.int32)
    f = region_features(image, regions)
    assert f.shape == (2, len(FEATURE_NAMES)) and f.dtype == np.float32
    assert np.isfinite(f).all()
    col = {name: f[:, i] for i, name in enumerate(FEATURE_NAMES)}
    assert col["area"].sum() == pytest.approx(1.0)
    assert col["x_centroid"][0] < 0.5 < col["x_centroid"][1]
    assert col["y_centroid"] == pytest.approx([0.5, 0.5])
    assert col["L_mean"][0] < col["L_mean"][1]
    assert col["r_mean"][1] == pytest.approx(image[:, 48:, 0].mean() / 255, abs=1e-4)
    assert col["x_min"][1] == pytest.approx(0.5) and col["x_max"][0] == pytest.approx(0.5)
    assert (col["r_std"] > 0).all() and (col["grad_mean"] > 0).all()


def test_region_classifier_fits_and_counts_parameters():
    rng = np.random.default_rng(0)
    centres = np.array([[0, 0, 0], [5, 0, 0], [0, 5, 5]], np.float32)
    y = rng.integers(0, 3, 300)
    x = centres[y] + rng.normal(0, 0.5, (300, 3)).astype(np.float32)
    for hidden, params in ((0, 3 * 3 + 3), (16, 3 * 16 + 16 + 16 * 3 + 3)):
        clf = RegionClassifier(3, hidden=hidden, steps=150)
        assert clf.num_params == 0
        with pytest.raises(RuntimeError, match="before fit"):
            clf.predict(x)
        clf.fit(x, y, rng.uniform(1, 2, 300))
        assert clf.num_params == params
        assert (clf.predict(x) == y).mean() > 0.97
        again = RegionClassifier(3, hidden=hidden, steps=150).fit(x, y, rng.uniform(1, 2, 300))
        assert (again.predict(x) == clf.predict(x)).all()
    # soft targets (class histograms) work the same way
    soft = np.eye(3)[y] * 10
    assert (RegionClassifier(3, steps=150).fit(x, soft).predict(x) == y).mean() > 0.97


def test_segment_checks_its_arguments():
    image, gt = two_regions()
    with pytest.raises(ValueError, match="protocol"):
        segment("otsu", image, "cheating", gt=gt)
    with pytest.raises(ValueError, match="ground truth"):
        segment("otsu", image, "oracle")
    with pytest.raises(ValueError, match="classifier"):
        segment("otsu", image, "learned", gt=gt)
    pred = segment("otsu", image, "oracle", gt=gt)  # classes from the labels
    assert pred.dtype == np.int64 and pixel_accuracy(pred, gt) == 1.0


def test_learned_protocol_on_a_tiny_synthetic_set():
    train = open_dataset("synthetic", "train", size=(120, 90), length=8)
    test = open_dataset("synthetic", "test", size=(120, 90), length=4)
    t0 = time.perf_counter()
    learned = evaluate_classical(
        "slic",
        train,
        test,
        "learned",
        max_train_images=8,
        method_kwargs={"n_segments": 60},
        progress=False,
    )
    ms = 1e3 * (time.perf_counter() - t0)
    oracle = evaluate_classical(
        "slic", None, test, "oracle", method_kwargs={"n_segments": 60}, progress=False
    )
    print(
        f"\nslic learned mIoU {learned['miou']:.3f} ({ms:.0f} ms with training), "
        f"oracle mIoU {oracle['miou']:.3f}"
    )
    for row, protocol in ((learned, "learned"), (oracle, "oracle")):
        assert row["protocol"] == protocol and row["system"] == "slic"
        assert row["images"] == 4
        for key in ("miou", "class_avg_acc", "global_acc"):
            assert 0.0 <= row[key] <= 1.0
        assert set(row["per_class_iou"]) == set(test.spec.classes)
    assert learned["classifier_params"] > 0 and learned["train_images"] == 8
    assert oracle["classifier_params"] is None
    assert oracle["miou"] >= learned["miou"]
    assert oracle["global_acc"] >= learned["global_acc"]
    # the learned segmenter never reads the labels and is deterministic
    clf = train_classifier("otsu", train, max_train_images=4, progress=False, steps=50)
    image, gt = test.raw(0)
    seg = ClassicalSegmenter(create_method("otsu"), "learned", clf)
    a = seg(image)
    assert np.array_equal(a, seg(image, gt=np.zeros_like(gt)))
    clf2 = train_classifier("otsu", train, max_train_images=4, progress=False, steps=50)
    assert np.array_equal(a, ClassicalSegmenter(create_method("otsu"), "learned", clf2)(image))
    assert seg.num_params == clf.num_params > 0
    assert a.min() >= 0 and a.max() < test.spec.num_classes


def test_timings_are_recorded():
    """ms per image of each partition (64x96, and region growing at 480x360): printed only."""
    image, _ = two_regions()
    lines = []
    for name in IMAGE_METHODS:
        method = create_method(name)
        stats = measure_latency(lambda method=method: method.partition(image), policy=QUICK)
        lines.append(f"{name:15s} {stats['latency_ms_median']:8.2f} ms")
    big = open_dataset("synthetic", "test", length=1).raw(0)[0]
    method = create_method("region_growing")
    t0 = time.perf_counter()
    method.partition(big)
    lines.append(f"region_growing at 480x360: {1e3 * (time.perf_counter() - t0):.0f} ms")
    print("\n" + "\n".join(lines))


def test_package_exports():
    for name in ("segment", "RegionClassifier", "create_method", "region_features", "PROTOCOLS"):
        assert hasattr(classical, name)
    assert classical.PROTOCOLS == ("oracle", "learned", "oracle-assisted")


def test_run_puts_classical_rows_beside_deep_ones(tmp_path):
    import json

    from bench.cli import main

    out = tmp_path / "run"
    assert (
        main(
            [
                "run",
                "--models",
                "enet,otsu,watershed",
                "--profile",
                "smoke",
                "--sizes",
                "64x48",
                "--max-time",
                "0.2",
                "--no-fvcore",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    data = json.loads((out / "results.json").read_text())
    eff = {r["system"]: r for r in data["efficiency"]}
    assert eff["otsu"]["status"] == "ok" and eff["otsu"]["params"] == 0
    assert eff["otsu"]["gflops"] is None and "not applicable" in eff["otsu"]["flops_note"]
    assert (eff["otsu"]["width"], eff["otsu"]["height"]) == (480, 360)  # the dataset's size
    acc = [(r["system"], r["protocol"]) for r in data["accuracy"]]
    assert acc == [
        ("enet", "trained"),
        ("otsu", "oracle"),
        ("otsu", "learned"),
        ("watershed", "oracle"),
        ("watershed", "learned"),
    ]
    assert all(r["status"] == "ok" for r in data["accuracy"])
    learned = [r for r in data["accuracy"] if r["protocol"] == "learned"][0]
    assert learned["classifier_params"] > 0
    report = (out / "report.md").read_text()
    assert "| otsu | cpu | 480x360 | 1 | uint8 | eager | 0.000 | n/a |" in report
