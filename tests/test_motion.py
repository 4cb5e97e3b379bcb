"""Motion: the synthetic-motion sequences, the motion methods on a known answer, their scoring.

Small frames (96x72) throughout; timings are never asserted.
"""

import numpy as np
import pytest

from bench.datasets.loader import DATASET_NAMES, open_dataset
from bench.datasets.synthetic_motion import (
    MOVING_KINDS,
    SyntheticMotionDataset,
    generate_frame,
    motion_sequence,
)
from bench.datasets.synthetic_scene import BICYCLIST, CAR, PEDESTRIAN
from bench.errors import BadInput
from bench.measure.latency import LatencyPolicy
from bench.measure.motion import WARMUP_FRAMES, evaluate_motion, motion_latency
from bench.systems import create_method, get_system
from classical.motion import FrameDifference, MotionMethod, fill_holes, regions_from_mask

SIZE = (96, 72)
OBJECTS = (CAR, PEDESTRIAN, BICYCLIST)
QUICK = LatencyPolicy(
    warmup_min_iters=2,
    warmup_min_s=0.0,
    warmup_max_s=0.2,
    min_iters=5,
    min_time_s=0.0,
    max_time_s=0.5,
    capped_min_iters=1,
)


@pytest.fixture(scope="module")
def tiny():
    return SyntheticMotionDataset("test", size=SIZE, sequences=2, frames=8)


# --- the dataset ----------------------------------------------------------------------------------


def test_items_names_and_the_loader(tiny):
    assert "synthetic-motion" in DATASET_NAMES
    ds = open_dataset("synthetic-motion", "test", size=SIZE, sequences=2, frames=8)
    assert len(ds) == 16 and ds.spec.name == "synthetic-motion" and ds.spec.ignore_index == 11
    assert ds.names[9] == "test_s001_f001" and ds.sequence_of(9) == (1, 1)
    assert ds.index_of(1, 1) == 9 and list(ds.sequence_items(1)) == list(range(8, 16))
    image, label = ds.raw(3)
    assert image.shape == (72, 96, 3) and image.dtype == np.uint8 and label.shape == (72, 96)
    assert set(np.unique(label).tolist()) <= set(range(12))
    x, y = ds[3]
    assert tuple(x.shape) == (3, 72, 96) and tuple(y.shape) == (72, 96)
    default = SyntheticMotionDataset("val")
    assert (default.sequences, default.frames, len(default)) == (4, 30, 120)
    assert default.raw(0)[0].shape == (360, 480, 3)  # native 480x360


def test_any_frame_made_alone_equals_the_frame_made_in_a_loop(tiny):
    loop = [tiny.raw(i) for i in tiny.sequence_items(1)]
    motion_sequence.cache_clear()
    alone = generate_frame(0, "test", 1, 5, *SIZE)
    assert np.array_equal(alone[0], loop[5][0]) and np.array_equal(alone[1], loop[5][1])
    motion_sequence.cache_clear()
    longer = SyntheticMotionDataset("test", size=SIZE, sequences=3, frames=12)
    assert np.array_equal(longer.raw(longer.index_of(1, 6))[0], loop[6][0])  # a prefix
    assert np.array_equal(tiny.label(13), loop[5][1])  # the label alone is the same
    other = SyntheticMotionDataset("test", size=SIZE, seed=1, sequences=2, frames=8)
    assert not np.array_equal(other.raw(13)[0], loop[5][0])
    train = SyntheticMotionDataset("train", size=SIZE, sequences=2, frames=8)
    assert not np.array_equal(train.raw(13)[0], loop[5][0])


def test_objects_move_and_the_background_does_not(tiny):
    moved = 0
    for s in range(tiny.sequences):
        pairs = [tiny.raw(i) for i in tiny.sequence_items(s)]
        for (a, la), (b, lb) in zip(pairs, pairs[1:]):
            changed = la != lb
            moved += int(changed.sum())
            # a label changes only where an object (car, pedestrian, cyclist) is or was
            assert (np.isin(la, OBJECTS) | np.isin(lb, OBJECTS))[changed].all()
            # away from objects the pixels differ by noise and flicker only
            still = ~(np.isin(la, OBJECTS) | np.isin(lb, OBJECTS))
            diff = np.abs(a.astype(int) - b.astype(int)).max(axis=2)
            assert np.median(diff[still]) < 12
    assert moved > 0
    seq = motion_sequence(0, "test", 0, *SIZE)
    assert any(item.moving for item in seq.items)
    assert all(item.kind in MOVING_KINDS for item in seq.items if item.moving)


def test_frames_before(tiny):
    i = tiny.index_of(1, 3)
    before = tiny.frames_before(i, 2)
    assert len(before) == 2
    assert np.array_equal(before[0], tiny.raw(tiny.index_of(1, 1))[0])
    assert np.array_equal(before[1], tiny.raw(tiny.index_of(1, 2))[0])
    assert len(tiny.frames_before(i, 10)) == 3  # only the sequence's own frames
    assert tiny.frames_before(tiny.index_of(1, 0), 4) == []
    assert tiny.frames_before(i, 0) == []


@pytest.mark.parametrize(
    "kwargs, words",
    [
        ({"split": "trainval"}, "unknown split 'trainval'"),
        ({"split": "nope"}, "unknown split"),
        ({"split": "test", "sequences": 0}, "sequences 0"),
        ({"split": "test", "frames": -1}, "frames -1"),
        ({"split": "test", "frames": 2.5}, "frames 2.5"),
        ({"split": "test", "size": "wide"}, "WIDTHxHEIGHT"),
        ({"split": "test", "seed": "x"}, "seed 'x'"),
    ],
)
def test_bad_dataset_arguments_are_one_line(kwargs, words):
    with pytest.raises(BadInput, match=words) as err:
        SyntheticMotionDataset(**kwargs)
    assert "\n" not in str(err.value)


# --- the methods on a known answer ----------------------------------------------------------------


def moving_square(before: int = 150, crossing: int = 30, side: int = 40, step: int = 3):
    """``before`` frames of a still textured background with sensor noise and flicker, then
    ``crossing`` frames in which a textured square enters from the left, ``step`` pixels a
    frame; returns the frames and the square's masks, at 160x120.

    The long still start is for MOG2: with OpenCV's automatic learning rate (1 / frames seen)
    a colour that stays on a pixel for a few frames early in a sequence becomes background. Two-
    frame differencing marks a ghost as wide as ``step`` and blurs edges by a pixel or two,
    which a 40-pixel square (a near pedestrian's size at 480x360) leaves above 0.8 IoU.
    """
    rng = np.random.default_rng(0)
    h, w = 120, 160
    ramp = np.linspace(70, 150, w, dtype=np.float32)[None, :, None]
    background = ramp + rng.normal(0, 8, (h, w, 3)).astype(np.float32)
    yy, xx = np.mgrid[0:side, 0:side]
    checker = np.where((yy // 5 + xx // 5) % 2 == 0, 35.0, -35.0)[..., None]
    square = np.array([200, 60, 60], np.float32) + checker
    images, masks = [], []
    for t in range(before + crossing):
        img = background.copy()
        mask = np.zeros((h, w), bool)
        x0, y0 = step * (t - before) - side, 40
        if x0 + side > 0:
            a = max(x0, 0)
            img[y0 : y0 + side, a : x0 + side] = square[:, a - x0 :]
            mask[y0 : y0 + side, a : x0 + side] = True
        noisy = img * (1 + 0.01 * rng.standard_normal()) + rng.normal(0, 3, img.shape)
        images.append(np.clip(noisy, 0, 255).astype(np.uint8))
        masks.append(mask)
    return images, masks


@pytest.mark.parametrize("name", ["frame_difference", "mog2"])
def test_each_method_finds_a_moving_square(name):
    images, masks = moving_square()
    method = create_method(name)
    assert isinstance(method, MotionMethod)
    scored = 0
    for image, mask in zip(images, masks):
        regions = method.update(image)
        assert regions.dtype == np.int32 and regions.shape == mask.shape
        if mask.sum() < 20 * 40:  # until half the square is in view
            continue
        moving = regions != regions[-1, -1]  # the corner is static
        iou = (moving & mask).sum() / (moving | mask).sum()
        assert iou > 0.8, (name, iou)
        assert len(np.unique(regions[moving])) == 1  # the square is one region
        scored += 1
    assert scored > 20
    assert np.array_equal(method.partition_sequence(images), regions)


def test_a_still_sequence_has_one_region():
    images, _ = moving_square(before=12, crossing=0)
    for name in ("frame_difference", "mog2"):
        regions = create_method(name).partition_sequence(images)
        assert regions.max() == 0, name


def test_partition_of_one_image_raises_and_frames_must_keep_their_size():
    image = moving_square(before=1, crossing=0)[0][0]
    for name in ("frame_difference", "mog2"):
        method = create_method(name)
        with pytest.raises(ValueError, match="needs a frame sequence"):
            method.partition(image)
        with pytest.raises(ValueError, match="needs a frame sequence"):
            method(image)
        method.update(image)
        with pytest.raises(ValueError, match="reset"):
            method.update(image[:50])
        method.reset()
        method.update(image[:50])
        with pytest.raises(ValueError, match="at least one frame"):
            method.partition_sequence([])


def test_registry_entries():
    for name in ("frame_difference", "mog2"):
        info = get_system(name)
        assert info.kind == "classical" and info.inputs == "sequence"
        assert info.paper and info.description and "synthetic-motion" in info.notes


def test_mask_helpers():
    mask = np.zeros((40, 40), np.uint8)
    mask[5:13, 5:13] = 1
    mask[7:9, 7:9] = 0  # a hole
    mask[25:31, 22:30] = 1
    assert fill_holes(mask)[7:9, 7:9].all() and not fill_holes(mask)[0, 0]
    regions = regions_from_mask(fill_holes(mask))
    assert regions.max() == 2 and regions[0, 0] == 0 and regions[8, 8] != regions[28, 25]
    clean = FrameDifference(min_area=40).clean(mask)
    assert clean[28, 25] and clean[8, 8]  # 48 and 64 pixels stay
    assert not FrameDifference(min_area=50).clean(mask)[28, 25]


# --- scoring --------------------------------------------------------------------------------------


def test_evaluate_motion_oracle_and_learned_on_a_tiny_set(tiny):
    seen = []
    out = evaluate_motion(
        "mog2", None, tiny, "oracle", progress=False, on_prediction=lambda i, p: seen.append(i)
    )
    scored = 2 * (8 - WARMUP_FRAMES)
    assert out["images"] == scored and out["warmup_frames"] == WARMUP_FRAMES
    assert out["sequences"] == 2 and out["system"] == "mog2" and out["protocol"] == "oracle"
    assert 0 <= out["miou"] <= 1 and 0 < out["global_acc"] <= 1
    assert out["classifier_params"] is None and out["regions_per_image"] >= 1
    assert seen == [i for i in range(16) if tiny.sequence_of(i)[1] >= WARMUP_FRAMES]
    limited = evaluate_motion(
        "frame_difference", None, tiny, "oracle", progress=False, max_test_images=2
    )
    assert limited["images"] == 2 and limited["sequences"] == 1
    train = SyntheticMotionDataset("train", size=SIZE, sequences=2, frames=8)
    learned = evaluate_motion(
        "frame_difference", train, tiny, "learned", max_train_images=4, progress=False
    )
    assert learned["train_images"] == 4 and learned["classifier_params"] > 0
    assert 0 <= learned["miou"] <= 1 and learned["images"] == scored


def test_motion_needs_sequences():
    still = open_dataset("synthetic", "test", size=SIZE, length=2)
    with pytest.raises(BadInput, match="use --dataset synthetic-motion"):
        evaluate_motion("mog2", None, still, "oracle", progress=False)
    with pytest.raises(BadInput, match="CamVid in the SegNet layout has none"):
        motion_latency("mog2", still, QUICK)
    tiny = SyntheticMotionDataset("test", size=SIZE, sequences=1, frames=6)
    with pytest.raises(BadInput, match="not a frame sequence"):
        evaluate_motion("otsu", None, tiny, "oracle", progress=False)
    with pytest.raises(BadInput, match="leave none to score"):
        evaluate_motion("mog2", None, tiny, "oracle", progress=False, warmup_frames=6)


def test_motion_latency_streams_frames():
    ds = SyntheticMotionDataset("test", size=SIZE, sequences=1, frames=6)
    for name in ("frame_difference", "mog2"):
        out = motion_latency(name, ds, QUICK, repeats=2)
        assert out["latency_ms_median"] > 0 and out["latency_rounds"] == 2


def test_the_harness_streams_motion_methods_and_says_where_frames_came_from(tmp_path):
    """Efficiency: a dataset without sequences is replaced by synthetic-motion frames at its
    size (the row's note says so); accuracy: a run on such a dataset records the motion
    method's cell as failed with the reason, and the other cells go on."""
    from bench.efficiency import EfficiencyOptions, _classical_cell

    quick = LatencyPolicy(
        warmup_min_iters=1, warmup_min_s=0.0, warmup_max_s=0.2, min_iters=3, min_time_s=0.0
    )
    row = _classical_cell("frame_difference", EfficiencyOptions(dataset="synthetic", policy=quick))
    assert row["status"] == "ok", row
    assert "synthetic-motion" in row["input_note"] and (row["width"], row["height"]) == (480, 360)

    from bench.cli import main

    out = tmp_path / "run"
    code = main(
        ["run", "--models", "mog2,otsu", "--dataset", "synthetic", "--profile", "smoke",
         "--skip", "efficiency", "--out", str(out)]
    )  # fmt: skip
    assert code == 0
    import json

    rows = json.loads((out / "results.json").read_text())["accuracy"]
    mog2 = [r for r in rows if r["system"] == "mog2"]
    assert mog2 and all(r["status"] == "failed" for r in mog2)
    assert all("synthetic-motion" in r["error"] for r in mog2)
    assert any(r["system"] == "otsu" and r["status"] == "ok" for r in rows)
