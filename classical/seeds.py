"""Seeds for interactive methods, drawn from the ground truth by a simulated user (an oracle).

Interactive segmentation methods (:mod:`classical.interactive`) need a user to mark what belongs
together. The benchmark has no user, so :func:`oracle_seeds` plays one from the test label: it
finds the connected components of every class and marks each with one *seed group*. What it
returns is a seed map (``int32 HxW``: ``-1`` no seed, ``k >= 0`` a pixel of group ``k``) and
``seed_classes`` (``seed_classes[k]`` is the class of group ``k``). Groups are numbered in the
raster order of their components (the first pixel of each, row by row).

Which components get a group
    Components are 4-connected regions of one class; void pixels (the ignore index, or a value
    outside ``0..num_classes-1``) belong to none. A component smaller than
    ``max(min_pixels, min_fraction * H * W)`` pixels (0.1 % of the image, at least 16 pixels, by
    default) gets no group: a user would not mark specks, and a scribble needs room. If no
    component is large enough, the largest one still gets a group, so that an image with any
    labelled pixel always has a seed; an image that is all void has none.

``scribbles`` (the default; what a user of random-walker or graph-cut tools draws)
    One thin stroke along the middle of each component. The component is eroded by
    ``max(margin, depth_fraction * depth)`` pixels, ``depth`` being the largest distance from
    its border inside it (4 pixels or a quarter of that depth by default, so that strokes in
    large objects stay well inside), but by at most ``depth / 2`` so that thin objects such as
    poles keep a core: the core is the pixels farther than that from the component's border,
    the image border counting as border (Euclidean distance transform). The core is
    thinned to its skeleton (``skimage.morphology.skeletonize``), and the stroke is the longest
    path along that skeleton (8-connected, in steps), found by a double breadth-first sweep: from
    a start pixel to the farthest skeleton pixel ``a``, then from ``a`` to the farthest ``b``;
    the stroke is the path from ``a`` to ``b``. The start is drawn with ``seed`` among the
    skeleton pixels at least half as deep as the deepest one, so the stroke lies in the main
    body of the component; on a tree-shaped skeleton the double sweep finds its longest path
    whatever the start, and the seed only matters where the skeleton has loops or the core
    falls apart. Why this and not the pixels farthest from the border: those make a dot (a
    click) on a blob and a broken ridge elsewhere, while a user's scribble is one continuous
    stroke along the object, well inside it; a whole skeleton would be many strokes, with
    branches into every corner, more than a user draws and more than a scribble tells.

``box`` (GrabCut's interaction: Rother, Kolmogorov & Blake 2004)
    A rectangle dragged loosely around each component: its bounding box, each side moved out
    by a random ``0..max(2, box_slack * extent)`` pixels (``seed`` draws them; clipped to the
    image), drawn as its one-pixel outline with the group's id. Outlines are drawn largest box
    first, so that a small box crossing a large one keeps its whole outline; the large one loses
    a few outline pixels, never its extent unless a whole side coincides with another box's.
    :func:`seed_boxes` reads the rectangles back. These seeds are *not* pixels of their
    component: a consumer reads each group's rectangle and treats the outside as that object's
    background and the inside as undecided (``classical.interactive.GrabCut`` with
    ``seed_kind="box"``).

What this leaks from the ground truth
    For every component that a user would mark: that it exists, its class, and where it is (a
    stroke in its interior, or its extent up to a few pixels); together, the number of objects
    of each class and which classes the image contains at all. Scribbles also reveal the
    component's shape roughly (the stroke follows its main axis). Nothing else is read: no
    boundary pixel is given, and nothing at all about tiny components and void. It is a
    simulated user who knows the answer, so scores under ``oracle-assisted`` measure how well a
    method completes a user's marks, never how well it segments alone; they are not comparable
    with the unassisted protocols (see :mod:`classical.protocols`).
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from classical.regions import connected_regions

SEED_KINDS = ("scribbles", "box")

# forward neighbours of the 8-connected pixel grid (each edge once)
_STEPS = ((0, 1), (1, -1), (1, 0), (1, 1))


def oracle_seeds(
    gt: np.ndarray,
    num_classes: int,
    ignore_index: int | None,
    *,
    kind: str = "scribbles",
    seed: int = 0,
    min_fraction: float = 0.001,
    min_pixels: int = 16,
    margin: int = 4,
    depth_fraction: float = 0.25,
    box_slack: float = 0.1,
) -> tuple[np.ndarray, np.ndarray]:
    """Seed map (``int32 HxW``, ``-1`` = no seed) and ``seed_classes`` (``int64``, one class per
    group) of a simulated user marking every component of ``gt`` (see the module docstring).

    The same ``gt``, arguments and ``seed`` always give the same seeds.
    """
    if kind not in SEED_KINDS:
        raise ValueError(f"kind must be one of {SEED_KINDS}, got {kind!r}")
    gt = np.asarray(gt)
    if gt.ndim != 2:
        raise ValueError(f"a label map is 2-D, got shape {gt.shape}")
    if margin < 0 or min_pixels < 1 or not 0 <= min_fraction < 1:
        raise ValueError("need margin >= 0, min_pixels >= 1 and 0 <= min_fraction < 1")
    gt = gt.astype(np.int64, copy=False)
    valid = (gt >= 0) & (gt < num_classes)
    if ignore_index is not None:
        valid &= gt != ignore_index
    seeds = np.full(gt.shape, -1, np.int32)
    if not valid.any():
        return seeds, np.zeros(0, np.int64)

    comps = connected_regions(np.where(valid, gt, -1), connectivity=1)  # void: -1
    sizes = np.bincount(comps[comps >= 0])
    keep = sizes >= max(min_pixels, min_fraction * gt.size)
    if not keep.any():
        keep[np.argmax(sizes)] = True
    kept = np.flatnonzero(keep)
    slices = ndimage.find_objects(comps + 1)
    rng = np.random.default_rng(seed)
    seed_classes = np.array([gt[slices[c]][comps[slices[c]] == c][0] for c in kept], np.int64)

    if kind == "scribbles":
        for group, comp in enumerate(kept):
            sl = slices[comp]
            ys, xs = _scribble(comps[sl] == comp, margin, depth_fraction, rng)
            seeds[sl][ys, xs] = group
        return seeds, seed_classes

    boxes = []
    for comp in kept:
        rows, cols = slices[comp]
        h, w = rows.stop - rows.start, cols.stop - cols.start
        top, bottom, left, right = (
            int(rng.integers(0, max(2, round(box_slack * extent)) + 1)) for extent in (h, h, w, w)
        )
        boxes.append(
            (
                max(0, rows.start - top),
                min(gt.shape[0] - 1, rows.stop - 1 + bottom),
                max(0, cols.start - left),
                min(gt.shape[1] - 1, cols.stop - 1 + right),
            )
        )
    area = [(y1 - y0 + 1) * (x1 - x0 + 1) for y0, y1, x0, x1 in boxes]
    for group in np.argsort(area, kind="stable")[::-1]:  # largest first, small ones on top
        y0, y1, x0, x1 = boxes[group]
        seeds[y0 : y1 + 1, [x0, x1]] = group
        seeds[[y0, y1], x0 : x1 + 1] = group
    return seeds, seed_classes


def seed_boxes(seeds: np.ndarray) -> list[tuple[slice, slice] | None]:
    """The rectangle of each group of a ``box`` seed map (row and column slices, ends
    included as in ``ndimage.find_objects``); None for a group with no pixel left."""
    seeds = np.asarray(seeds)
    num_groups = int(seeds.max()) + 1 if seeds.size else 0
    found = ndimage.find_objects(seeds.astype(np.int64) + 1, max_label=num_groups + 1)
    return list(found[:num_groups]) + [None] * (num_groups - len(found[:num_groups]))


def _scribble(
    mask: np.ndarray, margin: int, depth_fraction: float, rng: np.random.Generator
) -> tuple:
    """Row and column indices (in ``mask``'s frame) of the stroke inside one component."""
    from skimage.morphology import skeletonize

    depth = ndimage.distance_transform_edt(np.pad(mask, 1))[1:-1, 1:-1]
    erosion = min(max(float(margin), depth_fraction * depth.max()), np.floor(depth.max() / 2))
    skeleton = skeletonize(depth > erosion)
    if not skeleton.any():  # (skeletonize keeps a non-empty set non-empty; be safe)
        skeleton = depth == depth.max()
    ys, xs = np.nonzero(skeleton)
    deep = np.flatnonzero(depth[ys, xs] >= depth[ys, xs].max() / 2)
    start = int(deep[rng.integers(len(deep))])
    path = _longest_path(ys, xs, skeleton.shape, start)
    return ys[path], xs[path]


def _longest_path(ys: np.ndarray, xs: np.ndarray, shape: tuple, start: int) -> np.ndarray:
    """Indices into ``ys, xs`` (pixels of a thin set) of a longest 8-connected path through
    ``start``'s piece, by a double breadth-first sweep (exact on a tree, near it otherwise)."""
    from scipy.sparse import coo_array
    from scipy.sparse.csgraph import breadth_first_order

    n = len(ys)
    if n == 1:
        return np.zeros(1, np.int64)
    index = np.full(shape, -1, np.int64)
    index[ys, xs] = np.arange(n)
    rows, cols = [], []
    for dy, dx in _STEPS:
        y2, x2 = ys + dy, xs + dx
        inside = (y2 >= 0) & (y2 < shape[0]) & (x2 >= 0) & (x2 < shape[1])
        other = np.full(n, -1, np.int64)
        other[inside] = index[y2[inside], x2[inside]]
        linked = other >= 0
        rows.append(np.flatnonzero(linked))
        cols.append(other[linked])
    r, c = np.concatenate(rows), np.concatenate(cols)
    graph = coo_array((np.ones(len(r), np.int8), (r, c)), shape=(n, n)).tocsr()
    order = breadth_first_order(graph, start, directed=False, return_predecessors=False)
    a = int(order[-1])  # breadth-first: the last pixel reached is a farthest one
    order, pred = breadth_first_order(graph, a, directed=False, return_predecessors=True)
    path = [int(order[-1])]
    while path[-1] != a:
        path.append(int(pred[path[-1]]))
    return np.asarray(path[::-1], np.int64)
