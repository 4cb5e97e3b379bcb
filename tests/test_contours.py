"""Fast marching, morphological Chan-Vese and dual clustering: known answers on generated images,
determinism, bad input and bad parameters, the registry.

Timings are printed (``pytest -s``), never asserted.
"""

import time

import numpy as np
import pytest
import skfmm
from scipy import ndimage

import models
from classical.active_contours import ChanVese
from classical.base import ClassicalMethod, create_method
from classical.dual_clustering import DualClustering, majority_vote
from classical.fast_marching import FastMarching, descent_labels, grid_seeds
from classical.protocols import segment
from classical.regions import region_class_counts
from classical.watershed import lab_gradient

METHODS = ["chan_vese", "dual_clustering", "fast_marching"]


def three_regions(seed: int = 0, h: int = 72, w: int = 96, noise: float = 8.0):
    """A dark background (label 0) with two bright blocks of different hue (labels 1 and 2) that
    do not touch; both blocks are brighter than the background, so they share a phase in a
    lightness-only two-phase model. Gaussian noise."""
    rng = np.random.default_rng(seed)
    base = np.zeros((h, w, 3), np.float32)
    label = np.zeros((h, w), np.int64)
    base[:] = (60, 70, 55)
    label[10:40, 8:40] = 1
    base[10:40, 8:40] = (215, 200, 185)
    label[30:64, 54:90] = 2
    base[30:64, 54:90] = (150, 210, 235)
    image = np.clip(base + rng.normal(0, noise, base.shape), 0, 255).astype(np.uint8)
    return image, label


def boundaries(labels: np.ndarray) -> np.ndarray:
    """Pixels with a 4-neighbour of another label."""
    edge = np.zeros(labels.shape, bool)
    edge[:, 1:] |= labels[:, 1:] != labels[:, :-1]
    edge[:, :-1] |= labels[:, 1:] != labels[:, :-1]
    edge[1:] |= labels[1:] != labels[:-1]
    edge[:-1] |= labels[1:] != labels[:-1]
    return edge


def boundary_recall(regions: np.ndarray, gt: np.ndarray, tolerance: int = 2) -> float:
    """Share of the true boundary pixels within ``tolerance`` pixels of a region boundary."""
    true = boundaries(gt)
    near = ndimage.binary_dilation(boundaries(regions), iterations=tolerance)
    return float(near[true].mean())


def leakage(regions: np.ndarray, gt: np.ndarray, num_classes: int) -> int:
    """Pixels outside their region's majority class (0 when no region crosses a boundary)."""
    counts = region_class_counts(regions, gt, num_classes)
    return int((counts.sum(1) - counts.max(1)).sum())


# --------------------------------------------------------------------------------------------
# registry


def test_methods_are_registered_as_classical():
    infos = {s.name: s for s in models.list_systems(kind="classical")}
    for name in METHODS:
        info = infos[name]
        assert info.kind == "classical" and info.family == "classical"
        assert info.description and info.paper and info.notes
        assert "\n" not in info.description
        assert isinstance(create_method(name), ClassicalMethod)
    assert "Sethian" in infos["fast_marching"].paper and "1996" in infos["fast_marching"].paper
    assert "Chan & Vese 2001" in infos["chan_vese"].paper
    assert "Marquez-Neila" in infos["chan_vese"].paper
    assert "two-phase" in infos["chan_vese"].notes
    assert "Lin, Liu & Chen 2005" in infos["dual_clustering"].paper


# --------------------------------------------------------------------------------------------
# known answers


# fast marching at its default of 400 seeds would cut 72x96 into 17-pixel cells; 40 seeds (a
# 13-pixel grid) keep the test meaningful: cells much larger than the noise, and every area,
# the background strips between the blocks and the border included, holds a seed
KNOWN_ANSWER_KWARGS = {"fast_marching": {"n_seeds": 40}}


@pytest.mark.parametrize("name", METHODS)
def test_method_respects_the_true_boundaries(name):
    image, gt = three_regions()
    method = create_method(name, **KNOWN_ANSWER_KWARGS.get(name, {}))
    t0 = time.perf_counter()
    regions = method.partition(image)
    ms = 1e3 * (time.perf_counter() - t0)
    assert regions.dtype == np.int32 and regions.shape == gt.shape
    r = int(regions.max()) + 1
    assert np.array_equal(np.unique(regions), np.arange(r))
    assert r >= 3, f"{name} found {r} regions for 3 separate areas"
    # at most a pixel-wide seam of the noisy boundaries lands in the wrong region
    leaked = leakage(regions, gt, 3)
    assert leaked <= boundaries(gt).sum() // 2
    recall = boundary_recall(regions, gt)
    assert recall > 0.95
    pred = segment(method, image, "oracle", gt=gt, num_classes=3)
    acc = float((pred == gt).mean())
    print(
        f"\n{name}: {r} regions, {leaked} px leaked, boundary recall {recall:.3f}, "
        f"oracle pixel accuracy {acc:.4f}, {ms:.1f} ms (72x96)"
    )
    assert acc > 0.95


def test_fast_marching_labels_match_the_first_arriving_seed():
    """One march and a descent give the argmin over per-seed marches, but for boundary pixels."""
    image, _ = three_regions(seed=2)
    method = FastMarching(n_seeds=16, order=1)
    time_field, seed_ids = method.arrival(image)
    labels = descent_labels(time_field, seed_ids)
    n = int(seed_ids.max()) + 1
    assert labels.max() < n  # every pixel reaches a seed
    assert all(labels[seed_ids == s].tolist() == [s] for s in range(n))
    speed = 1.0 / (method.eps + lab_gradient(image, method.sigma).astype(np.float64))
    per_seed = [
        skfmm.travel_time(np.where(seed_ids == s, -1.0, 1.0), speed, order=1) for s in range(n)
    ]
    reference = np.argmin(per_seed, axis=0)
    differ = labels != reference
    assert differ.mean() < 0.03
    # where they differ, it is along a reference boundary
    assert not (differ & ~ndimage.binary_dilation(boundaries(reference), iterations=2)).any()


def test_fast_marching_seeds_form_a_grid_off_the_edges():
    image, gt = three_regions(seed=3, noise=0.0)
    grad = lab_gradient(image, 1.0)
    seeds = grid_seeds(grad, 48)
    assert 40 <= len(seeds) <= 56
    assert len({tuple(s) for s in seeds.tolist()}) == len(seeds)
    # on a noiseless image every seed can leave the edges: none sits on a true boundary
    assert not boundaries(gt)[seeds[:, 0], seeds[:, 1]].any()
    assert len(FastMarching(n_seeds=48).partition(image).ravel()) == gt.size


def test_chan_vese_is_two_phase():
    """Bright blocks on a dark background: two phases, three regions by connectivity. Three
    touching stripes of three lightnesses: the middle one joins a neighbour's phase, and a
    two-phase model can only return two regions."""
    image, gt = three_regions(seed=4)
    method = ChanVese()
    phases = method.phases(image)
    assert phases.dtype == bool
    background = phases[gt == 0].mean() > 0.5
    assert (phases[gt == 0] == background).mean() > 0.97
    assert (phases[gt == 1] != background).mean() > 0.97
    assert (phases[gt == 2] != background).mean() > 0.97
    assert method.partition(image).max() + 1 == 3

    rng = np.random.default_rng(5)
    stripes = np.zeros((72, 96, 3), np.float32)
    for i, grey in enumerate((40, 120, 220)):
        stripes[:, 32 * i : 32 * (i + 1)] = grey
    stripes = np.clip(stripes + rng.normal(0, 5, stripes.shape), 0, 255).astype(np.uint8)
    regions = method.partition(stripes)
    assert regions.max() + 1 == 2
    middle = regions[:, 34:62]
    assert len(np.unique(middle)) == 1
    assert middle[0, 0] in (regions[0, 0], regions[0, -1])


def test_majority_vote():
    field = np.zeros((9, 9), np.int64)
    field[4, 4] = 1  # a speck: voted away
    field[:, 7:] = 2  # a two-column band: kept
    voted = majority_vote(field, 3, 3)
    assert voted[4, 4] == 0 and (voted[:, 7:] == 2).all() and (voted[:, :6] == 0).all()
    # a tie keeps the pixel's own label
    checker = (np.indices((4, 4)).sum(0) % 2).astype(np.int64)
    assert np.array_equal(majority_vote(checker, 2, 1), checker)


def test_dual_clustering_is_spatially_coherent_under_heavy_noise():
    """Two halves under noise that scatters plain colour clusters into specks: with the
    constraint-domain classification (a 7x7 vote) each half is one coherent class; without it
    (a 1x1 window: plain k-means) the classes break into hundreds of pieces."""
    rng = np.random.default_rng(0)
    base = np.zeros((72, 96, 3), np.float32)
    base[:, :48] = (90, 110, 80)
    base[:, 48:] = (150, 140, 170)
    gt = np.zeros((72, 96), np.int64)
    gt[:, 48:] = 1
    image = np.clip(base + rng.normal(0, 45, base.shape), 0, 255).astype(np.uint8)

    def pieces(method):
        classes = method.classes(image)
        return sum(int(ndimage.label(classes == c)[1]) for c in range(int(classes.max()) + 1))

    dual = DualClustering(k=2, sigma=0.0)
    assert pieces(dual) <= 10
    assert pieces(DualClustering(k=2, sigma=0.0, window=1)) > 100
    regions = dual.partition(image)
    assert regions.max() + 1 == 2
    assert leakage(regions, gt, 2) <= 2 * gt.shape[0]


@pytest.mark.parametrize("name", METHODS)
def test_flat_and_tiny_images_do_not_break(name):
    method = create_method(name)
    for image in (
        np.full((20, 30, 3), 128, np.uint8),
        np.random.default_rng(0).integers(0, 256, (7, 5, 3), dtype=np.uint8),
        np.zeros((1, 1, 3), np.uint8),
        np.zeros((1, 9, 3), np.uint8),
    ):
        regions = method.partition(image)
        assert regions.shape == image.shape[:2] and regions.min() == 0
        assert np.array_equal(np.unique(regions), np.arange(regions.max() + 1))


# --------------------------------------------------------------------------------------------
# determinism, bad input, bad parameters


@pytest.mark.parametrize("name", METHODS)
def test_partition_is_deterministic(name):
    image, _ = three_regions(seed=7, noise=20.0)
    first = create_method(name).partition(image)
    method = create_method(name)
    assert np.array_equal(first, method.partition(image))
    assert np.array_equal(method.partition(image), method.partition(image.copy()))


@pytest.mark.parametrize("name", METHODS)
def test_partition_rejects_bad_input(name):
    method = create_method(name)
    with pytest.raises(ValueError, match="HxWx3"):
        method.partition(np.zeros((10, 10), np.uint8))
    with pytest.raises(ValueError, match="HxWx3"):
        method.partition(np.zeros((10, 10, 4), np.uint8))
    with pytest.raises(ValueError, match="uint8"):
        method.partition(np.zeros((10, 10, 3), np.float32))


@pytest.mark.parametrize(
    "name, kwargs",
    [
        ("fast_marching", {"n_seeds": 0}),
        ("fast_marching", {"n_seeds": 2.5}),
        ("fast_marching", {"eps": 0.0}),
        ("fast_marching", {"sigma": -1.0}),
        ("fast_marching", {"order": 3}),
        ("chan_vese", {"num_iter": 0}),
        ("chan_vese", {"smoothing": -1}),
        ("chan_vese", {"scale": 0.0}),
        ("chan_vese", {"scale": 1.5}),
        ("chan_vese", {"min_size": 0}),
        ("dual_clustering", {"k": 0}),
        ("dual_clustering", {"window": 4}),
        ("dual_clustering", {"rounds": 0}),
        ("dual_clustering", {"sigma": -0.5}),
        ("dual_clustering", {"min_size": 0}),
        ("dual_clustering", {"sample": 0}),
    ],
)
def test_bad_parameters_raise(name, kwargs):
    key = next(iter(kwargs))
    with pytest.raises(ValueError, match=key):
        create_method(name, **kwargs)


def test_timings_are_recorded():
    """ms per 72x96 image of each partition: printed only."""
    image, _ = three_regions()
    lines = []
    for name in METHODS:
        method = create_method(name)
        method.partition(image)
        t0 = time.perf_counter()
        for _ in range(3):
            method.partition(image)
        lines.append(f"{name:16s} {1e3 * (time.perf_counter() - t0) / 3:8.2f} ms (72x96)")
    print("\n" + "\n".join(lines))
