"""Interactive classical methods and the oracle-assisted protocol: a simulated user's seeds from
the ground truth, known answers on generated images, the protocol's walls, the harness's paths.

Small images only (96x72 and smaller, one 480x360 efficiency cell); timings printed, never
asserted.
"""

import time

import numpy as np
import pytest

import models
from bench.datasets.loader import open_dataset
from bench.efficiency import EfficiencyOptions, _classical_cell
from bench.measure.classical import evaluate_classical
from bench.measure.latency import LatencyPolicy
from bench.plan import Sweep
from bench.runner import RunConfig, sweep_of
from classical.base import create_method
from classical.interactive import GrabCut, InteractiveMethod, RandomWalker
from classical.protocols import PROTOCOLS, ClassicalSegmenter, check_protocol, segment
from classical.regions import connected_regions
from classical.seeds import oracle_seeds, seed_boxes

INTERACTIVE = ["grabcut", "random_walker"]
COLOURS = np.array([(70, 85, 60), (205, 190, 170), (50, 115, 215)], np.float32)
QUICK = LatencyPolicy(
    warmup_min_iters=1,
    warmup_min_s=0.0,
    warmup_max_s=0.1,
    min_iters=2,
    min_time_s=0.0,
    max_time_s=0.5,
    capped_min_iters=1,
)


def three_regions(seed: int = 0, h: int = 72, w: int = 96, noise: float = 8.0):
    """Class 0 background, class 1 a band on the right, class 2 a disc on the left; flat
    colours with Gaussian noise. The label is the regions."""
    yy, xx = np.mgrid[:h, :w]
    label = np.zeros((h, w), np.int64)
    label[:, 2 * w // 3 :] = 1
    label[(yy - h / 2) ** 2 + (xx - w / 3) ** 2 < (h / 4) ** 2] = 2
    rng = np.random.default_rng(seed)
    image = COLOURS[label] + rng.normal(0, noise, (h, w, 3))
    return np.clip(image, 0, 255).astype(np.uint8), label


def pixel_accuracy(pred, gt, ignore=None):
    keep = np.ones(gt.shape, bool) if ignore is None else gt != ignore
    return float((pred[keep] == gt[keep]).mean())


# --------------------------------------------------------------------------------------------
# the registry


def test_interactive_methods_are_registered_for_oracle_assisted_only():
    for name in INTERACTIVE:
        info = models.get_system(name)
        assert info.kind == "classical" and info.protocols == ("oracle-assisted",)
        assert info.description and info.paper and "oracle-assisted" in info.notes
        assert isinstance(create_method(name), InteractiveMethod)
    assert "Rother" in models.get_system("grabcut").paper
    assert "Grady 2006" in models.get_system("random_walker").paper
    assert "oracle-assisted" in PROTOCOLS
    assert create_method("grabcut").seed_kind == "scribbles"
    assert create_method("random_walker").seed_kind == "scribbles"


# --------------------------------------------------------------------------------------------
# the simulated user's seeds


def scene_label():
    """The three regions, a void strip (3) at the top, a 2x2 speck of class 1 in the
    background, and class 0 split into two components by the band."""
    _, label = three_regions()
    label[:2] = 3
    label[40:42, 5:7] = 1
    label[:, -6:] = 0  # a background strip right of the band: a second class-0 component
    return label


@pytest.mark.parametrize("kind", ["scribbles", "box"])
def test_every_component_gets_one_group_and_void_and_specks_none(kind):
    label = scene_label()
    seeds, classes = oracle_seeds(label, 3, 3, kind=kind, seed=0)
    assert seeds.dtype == np.int32 and seeds.shape == label.shape
    comps = connected_regions(np.where(label == 3, -1, label), connectivity=1)
    sizes = np.bincount(comps[comps >= 0])
    big = np.flatnonzero(sizes >= 16)
    assert len(big) == 4  # background left, band, background right, disc; not the speck
    assert len(classes) == len(big) and sorted(classes.tolist()) == [0, 0, 1, 2]
    assert set(np.unique(seeds)) == {-1, *range(len(big))}
    if kind == "scribbles":
        for group, cls in enumerate(classes):
            where = seeds == group
            assert (label[where] == cls).all()  # inside its class
            assert len(np.unique(comps[where])) == 1  # inside one component
        assert not (seeds[label == 3] >= 0).any()  # no seed on void
        assert not (seeds[40:42, 5:7] >= 0).any()  # nor on the speck
        # a stroke, well inside: no seed touches another class, void or the image border
        outside = np.pad(label, 1, constant_values=-1)
        for dy, dx in ((0, 1), (1, 0), (0, -1), (-1, 0)):
            near = outside[1 + dy : 1 + dy + label.shape[0], 1 + dx : 1 + dx + label.shape[1]]
            assert (near[seeds >= 0] == label[seeds >= 0]).all()
    else:
        boxes = seed_boxes(seeds)
        for group, cls in enumerate(classes):
            member = comps == big[group]
            rows, cols = boxes[group]
            ys, xs = np.nonzero(member)
            assert rows.start <= ys.min() and ys.max() < rows.stop
            assert cols.start <= xs.min() and xs.max() < cols.stop
            assert (label[member] == cls).all()


@pytest.mark.parametrize("kind", ["scribbles", "box"])
def test_seeds_are_deterministic(kind):
    label = scene_label()
    a = oracle_seeds(label, 3, 3, kind=kind, seed=4)
    b = oracle_seeds(label, 3, 3, kind=kind, seed=4)
    assert np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1])


def test_seed_edge_cases():
    void = np.full((20, 30), 3)
    seeds, classes = oracle_seeds(void, 3, 3)
    assert len(classes) == 0 and (seeds == -1).all()
    # only specks: the largest still gets a group, so a labelled image always has a seed
    specks = np.full((20, 30), 3)
    specks[2:4, 2:4] = 1
    specks[10, 10] = 2
    seeds, classes = oracle_seeds(specks, 3, 3)
    assert classes.tolist() == [1] and (specks[seeds >= 0] == 1).all()
    with pytest.raises(ValueError, match="kind"):
        oracle_seeds(specks, 3, 3, kind="clicks")
    # thin structures (a 1-pixel line) keep a stroke
    line = np.zeros((20, 30), np.int64)
    line[10, 2:28] = 1
    seeds, classes = oracle_seeds(line, 2, None)
    assert 1 in classes.tolist()
    assert ((seeds >= 0) & (line == 1)).sum() > 10


# --------------------------------------------------------------------------------------------
# known answers


@pytest.mark.parametrize("name", INTERACTIVE)
def test_near_perfect_on_three_flat_regions(name):
    image, gt = three_regions()
    seeds, classes = oracle_seeds(gt, 3, None, kind=create_method(name).seed_kind)
    method = create_method(name)
    t0 = time.perf_counter()
    groups = method.partition_seeded(image, seeds, classes)
    ms = 1e3 * (time.perf_counter() - t0)
    assert groups.dtype == np.int32 and groups.shape == gt.shape
    assert groups.min() >= 0 and groups.max() < len(classes)
    assert np.array_equal(groups[seeds >= 0], seeds[seeds >= 0])  # seeds keep their group
    pred = segment(name, image, "oracle-assisted", gt=gt, num_classes=3)
    acc = pixel_accuracy(pred, gt)
    print(f"\n{name}: {len(classes)} seed groups, pixel accuracy {acc:.4f}, {ms:.1f} ms (72x96)")
    assert acc > 0.95
    assert np.array_equal(pred, classes[groups])
    # deterministic
    assert np.array_equal(groups, create_method(name).partition_seeded(image, seeds, classes))


def test_grabcut_from_boxes_and_without_classes():
    image, gt = three_regions(seed=1)
    method = GrabCut(seed_kind="box")
    pred = segment(method, image, "oracle-assisted", gt=gt, num_classes=3)
    assert pixel_accuracy(pred, gt) > 0.9
    # without seed_classes every group is a class of its own: still near-perfect here
    seeds, classes = oracle_seeds(gt, 3, None)
    groups = GrabCut().partition_seeded(image, seeds)
    assert pixel_accuracy(classes[groups], gt) > 0.95


@pytest.mark.parametrize("cls", [GrabCut, RandomWalker])
def test_reduced_scale_keeps_every_group(cls):
    image, gt = three_regions(seed=2, h=90, w=120)
    seeds, classes = oracle_seeds(gt, 3, None)
    groups = cls(max_side=40).partition_seeded(image, seeds, classes)
    assert set(np.unique(groups)) == set(range(len(classes)))
    assert pixel_accuracy(classes[groups], gt) > 0.9


@pytest.mark.parametrize("name", INTERACTIVE)
def test_one_class_only_and_bad_seeds(name):
    image, _ = three_regions()
    method = create_method(name)
    seeds = np.full(image.shape[:2], -1, np.int32)
    seeds[10, 10:20] = 0
    seeds[50, 10:20] = 1
    groups = method.partition_seeded(image, seeds, np.array([4, 4]))
    assert set(np.unique(groups)) == {0, 1}
    with pytest.raises(ValueError, match="no seed"):
        method.partition_seeded(image, np.full(image.shape[:2], -1))
    with pytest.raises(ValueError, match="shape"):
        method.partition_seeded(image, seeds[:10])
    with pytest.raises(ValueError, match="one class per seed group"):
        method.partition_seeded(image, seeds, np.array([1]))


# --------------------------------------------------------------------------------------------
# the protocol's walls


@pytest.mark.parametrize("name", INTERACTIVE)
def test_partition_without_seeds_raises(name):
    image, _ = three_regions()
    method = create_method(name)
    with pytest.raises(ValueError, match="needs seeds"):
        method.partition(image)
    with pytest.raises(ValueError, match="needs seeds"):
        method(image)


def test_protocols_do_not_mix():
    image, gt = three_regions()
    for protocol in ("oracle", "learned"):
        with pytest.raises(ValueError, match="oracle-assisted protocol only"):
            segment("grabcut", image, protocol, gt=gt)
        with pytest.raises(ValueError, match="oracle-assisted protocol only"):
            ClassicalSegmenter(create_method("random_walker"), protocol)
        with pytest.raises(ValueError, match="oracle-assisted protocol only"):
            evaluate_classical("grabcut", None, open_dataset_tiny(), protocol, progress=False)
    with pytest.raises(ValueError, match="not an interactive method"):
        segment("otsu", image, "oracle-assisted", gt=gt)
    with pytest.raises(ValueError, match="not an interactive method"):
        check_protocol(create_method("slic"), "oracle-assisted")
    with pytest.raises(ValueError, match="not an interactive method"):
        evaluate_classical("otsu", None, open_dataset_tiny(), "oracle-assisted", progress=False)
    with pytest.raises(ValueError, match="ground truth"):
        segment("grabcut", image, "oracle-assisted")
    # the segmenter of the harness works for it, and reads the labels through its seeds
    seg = ClassicalSegmenter(create_method("random_walker"), "oracle-assisted", num_classes=3)
    assert pixel_accuracy(seg(image, gt=gt), gt) > 0.95
    assert seg.num_params == 0


def open_dataset_tiny():
    return open_dataset("synthetic", "test", size=(96, 72), length=2)


# --------------------------------------------------------------------------------------------
# the harness


@pytest.mark.parametrize("name", INTERACTIVE)
def test_evaluate_classical_oracle_assisted(name):
    test = open_dataset_tiny()
    row = evaluate_classical(name, None, test, "oracle-assisted", progress=False)
    print(f"\n{name} oracle-assisted on 2 generated 96x72 scenes: mIoU {row['miou']:.3f}")
    assert row["protocol"] == "oracle-assisted" and row["system"] == name
    assert row["seed_kind"] == "scribbles" and row["classifier_params"] is None
    assert row["images"] == 2 and row["train_images"] == 0 and row["train_s"] is None
    assert row["regions_per_image"] > 1 and row["partition_ms_mean"] > 0
    for key in ("miou", "class_avg_acc", "global_acc"):
        assert 0.0 <= row[key] <= 1.0
    assert row["global_acc"] > 0.6
    assert set(row["per_class_iou"]) == set(test.spec.classes)
    # unassisted methods keep their keys, with no seed kind
    otsu = evaluate_classical("otsu", None, test, "oracle", progress=False)
    assert otsu["seed_kind"] is None and set(otsu) == set(row)


def test_plan_gives_interactive_methods_only_an_assisted_cell():
    sweep = sweep_of(RunConfig(systems=["grabcut", "otsu", "random_walker"], profile="smoke"))
    cells = [(c.system, c.protocol) for c in sweep.accuracy_cells()]
    assert cells == [
        ("grabcut", "oracle-assisted"),
        ("otsu", "oracle"),
        ("otsu", "learned"),
        ("random_walker", "oracle-assisted"),
    ]
    explicit = Sweep(
        systems=["grabcut"],
        kinds={"grabcut": "classical"},
        device="cpu",
        sizes=[(96, 72)],
        precisions=["fp32"],
        modes=["eager"],
        batch_sizes=[1],
        channels_last=False,
        dataset="synthetic",
        profile="smoke",
        seed=0,
        protocols={"grabcut": ("oracle-assisted",)},
    )
    assert [c.protocol for c in explicit.accuracy_cells()] == ["oracle-assisted"]
    assert len(explicit.efficiency_cells()) == 1


def test_efficiency_times_the_seeded_partition():
    t0 = time.perf_counter()
    row = _classical_cell("grabcut", EfficiencyOptions(policy=QUICK))
    s = time.perf_counter() - t0
    assert row["status"] == "ok", row
    assert (row["width"], row["height"]) == (480, 360)
    assert "ground truth" in row["input_note"] and "simulated user" in row["input_note"]
    assert row["latency_ms_median"] > 0
    print(f"\ngrabcut at 480x360: {row['latency_ms_median']:.0f} ms median ({s:.1f} s cell)")
    assert "seeds_note" not in _classical_cell("otsu", EfficiencyOptions(policy=QUICK))
