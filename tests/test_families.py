"""Reports at 30+ systems: tables grouped by family, colours and markers by family, a Pareto
front per family with the upper bounds (oracle, oracle-assisted) off every front, legends that
fit inside their figures (synthetic rows built here: 38 systems in four families)."""

from __future__ import annotations

import colorsys
import csv
import io
import random
import re

import matplotlib
import pytest

from bench import figures
from bench.figures import (
    accuracy_latency_plan,
    accuracy_vs_latency_by_family_figure,
    accuracy_vs_latency_figure,
    family_of,
    latency_vs_size_figure,
    params_flops_figure,
    system_colors,
)
from bench.figures.rows import by_family, is_upper_bound
from bench.figures.style import (
    FAMILY_MARKERS,
    HIGHLIGHT,
    HIGHLIGHT_COLOR,
    draw_renderer,
    grouped_legend,
)
from bench.report import write_full_report
from bench.tables import accuracy_table, efficiency_table, to_csv, to_latex, to_markdown
from models.registry import FAMILIES

REAL_TIME = [
    "enet",
    "erfnet",
    "espnetc",
    "cgnet",
    "contextnet",
    "fastscnn",
    "lednet",
    "dabnet",
    "edanet",
    "fpenet",
    "esnet",
    "sqnet",
    "segformer",
    "lraspp",
]
HEAVY = ["segnet", "unet", "pspnet", "deeplabv3plus", "refinenet"]
INSTANCE = ["maskrcnn"]
UNASSISTED = [
    "otsu",
    "multiotsu",
    "kapur",
    "yen",
    "li",
    "kmeans",
    "slic",
    "felzenszwalb",
    "watershed",
    "region_growing",
    "canny",
    "meanshift",
    "quickshift",
    "chanvese",
    "mumford_shah",
]
INTERACTIVE = ["grabcut", "graphcut", "random_walker"]  # scored oracle-assisted only
HEADINGS = [
    "real-time models (14)",
    "heavy models (5)",
    "instance models (1)",
    "classical methods (18)",
]
HEADING = re.compile(r"[a-z-]+ (models|methods) \(\d+\)")
FAMILY_OF = {
    **dict.fromkeys(REAL_TIME, "real-time"),
    **dict.fromkeys(HEAVY, "heavy"),
    **dict.fromkeys(INSTANCE, "instance"),
    **dict.fromkeys(UNASSISTED + INTERACTIVE, "classical"),
}


def eff(system, ms, params, gflops, *, w=480, h=360, family=True):
    classical = FAMILY_OF[system] == "classical"
    row = {
        "system": system,
        "kind": "classical" if classical else "model",
        "device": "cpu",
        "device_name": "Test CPU",
        "width": w,
        "height": h,
        "batch": 1,
        "precision": "uint8" if classical else "fp32",
        "mode": "eager",
        "params": 0 if classical else params,
        "gflops": None if classical else gflops,
        "gmacs": None if classical else gflops / 2,
        "latency_ms_median": ms,
        "latency_ms_p10": 0.9 * ms,
        "latency_ms_p90": 1.2 * ms,
        "num_classes": 11,
        "flops_counter": "torch.utils.flop_counter",
        "status": "ok",
    }
    if family:  # a row as new runs write it; older rows carry no family
        row["family"] = FAMILY_OF[system]
    return row


def acc(system, miou, protocol, *, family=True):
    classical = FAMILY_OF[system] == "classical"
    row = {
        "system": system,
        "kind": "classical" if classical else "model",
        "dataset": "camvid",
        "split": "test",
        "protocol": protocol,
        "profile": None if classical else "quick",
        "epochs": None if classical else 4,
        "train_size": None if classical else [160, 120],
        "inference_size": "480x360",
        "miou": miou,
        "class_avg_acc": miou,
        "global_acc": miou,
        "per_class_iou": {"Sky": miou, "Road": miou / 2},
        "status": "ok",
    }
    if family:
        row["family"] = FAMILY_OF[system]
    return row


def synthetic_data(seed: int = 0) -> dict:
    """38 systems: 14 real-time, 5 heavy, 1 instance (things-only), 18 classical (15 scored
    oracle and learned, 3 interactive oracle-assisted); rows interleaved across families, as a
    sweep's store holds them. The upper bounds score higher than any other row, so that a front
    that let them in would hold them."""
    rng = random.Random(seed)
    names = REAL_TIME + HEAVY + INSTANCE + UNASSISTED + INTERACTIVE
    rng.shuffle(names)
    efficiency, accuracy = [], []
    for name in names:
        family = FAMILY_OF[name]
        if family == "real-time":
            ms, params, gflops = rng.uniform(8, 90), rng.uniform(2e5, 3e6), rng.uniform(1, 20)
            scores = [("trained", rng.uniform(0.35, 0.62))]
        elif family == "heavy":
            ms, params, gflops = rng.uniform(300, 2500), rng.uniform(2e7, 7e7), rng.uniform(90, 400)
            scores = [("trained", rng.uniform(0.4, 0.7))]
        elif family == "instance":
            ms, params, gflops = 1800.0, 4.4e7, 260.0
            scores = [("things-only", 0.45)]
        elif name in INTERACTIVE:
            ms, params, gflops = rng.uniform(50, 900), 0, None
            scores = [("oracle-assisted", rng.uniform(0.75, 0.95))]
        else:
            ms, params, gflops = rng.uniform(4, 400), 0, None
            scores = [("oracle", rng.uniform(0.72, 0.9)), ("learned", rng.uniform(0.08, 0.32))]
        efficiency.append(eff(name, round(ms, 2), params, gflops))
        if family != "classical":
            efficiency.append(eff(name, round(ms * 1.7, 2), params, gflops * 1.33, w=640))
        accuracy += [acc(name, round(m, 4), protocol) for protocol, m in scores]
    accuracy.sort(key=lambda r: rng.random())
    from bench.claims import claims

    return {
        "runs": [{"dataset": "camvid", "profile": "quick"}],
        "efficiency": efficiency,
        "accuracy": accuracy,
        "claims": claims(efficiency),
    }


@pytest.fixture
def close_figures():
    made = []
    yield made.append
    for fig in made:
        matplotlib.pyplot.close(fig)


def brute_force_front(points):
    """Indices of the points no other point dominates (lower or equal latency and higher or
    equal mIoU, better in one); of identical points the first."""
    front = []
    for i, (x, y) in enumerate(points):
        dominated = any(
            (xj <= x and yj >= y and (xj < x or yj > y)) or ((xj, yj) == (x, y) and j < i)
            for j, (xj, yj) in enumerate(points)
        )
        if not dominated:
            front.append(i)
    return front


# --------------------------------------------------------------------------------------------
# a row's family


def test_family_of_resolution_order():
    # 1. the row's own field
    assert family_of({"system": "enet", "family": "instance"}) == "instance"
    # 2. the registry (rows of an older results.json carry no family)
    assert family_of({"system": "enet", "kind": "model"}) == "real-time"
    assert family_of({"system": "segnet"}) == "heavy"
    assert family_of({"system": "otsu", "kind": "classical"}) == "classical"
    # a field that is no family is no answer
    assert family_of({"system": "segnet", "family": "fast"}) == "heavy"
    assert family_of({"system": "enet", "family": None}) == "real-time"
    # 3. by kind (or a classical protocol) when the name is not registered
    assert family_of({"system": "no_such_method", "kind": "classical"}) == "classical"
    assert family_of({"system": "no_such_method", "protocol": "oracle-assisted"}) == "classical"
    # 4. else heavy
    assert family_of({"system": "no_such_model", "kind": "model"}) == "heavy"
    assert family_of({}) == "heavy"


def test_by_family_is_a_stable_grouping():
    rows = [
        {"system": "x1", "kind": "classical"},
        {"system": "x2", "family": "real-time"},
        {"system": "x3"},
        {"system": "x4", "family": "real-time"},
        {"system": "x5", "family": "instance"},
    ]
    assert [r["system"] for r in by_family(rows)] == ["x2", "x4", "x3", "x5", "x1"]


# --------------------------------------------------------------------------------------------
# tables


def _csv(text):
    return list(csv.reader(io.StringIO(text)))


@pytest.mark.parametrize("with_field", [True, False])
def test_tables_group_rows_by_family_with_a_family_column(with_field):
    data = synthetic_data()
    if not with_field:  # an older results.json: names not registered fall back to the kind
        for table in ("efficiency", "accuracy"):
            data[table] = [{k: v for k, v in r.items() if k != "family"} for r in data[table]]
    for build, table in ((efficiency_table, "efficiency"), (accuracy_table, "accuracy")):
        t = build(data[table])
        rows = _csv(to_csv(t))
        assert rows[0][0] == "family" and rows[0][1] == "system"
        assert rows[0][2:] == build([]).header()[2:]  # the other columns as before
        families = [r[0] for r in rows[1:]]
        assert all(f in FAMILIES for f in families)
        assert families == sorted(families, key=FAMILIES.index)  # grouped, in FAMILIES order
        for f in set(families):  # the rows of a family keep their order
            given = [r["system"] for r in data[table] if family_of(r) == f]
            assert [r[1] for r in rows[1:] if r[0] == f] == given
        if with_field:
            assert [FAMILY_OF[r[1]] for r in rows[1:]] == families
        md = to_markdown(t).splitlines()
        assert md[0].startswith("| family | system |") and len(md) == len(rows) + 1
        tex = to_latex(t)
        assert tex.count(r"\midrule") == 1 + len(set(families)) - 1  # under the header, between
        body = tex.split(r"\midrule", 1)[1]
        assert body.count(r"\midrule") == len(set(families)) - 1


def test_accuracy_table_notes_oracle_assisted_only_when_present():
    data = synthetic_data()
    assert "oracle-assisted" in accuracy_table(data["accuracy"]).note
    plain = [r for r in data["accuracy"] if r["protocol"] != "oracle-assisted"]
    assert "oracle-assisted" not in accuracy_table(plain).note


# --------------------------------------------------------------------------------------------
# colours and markers


def test_each_family_a_hue_each_system_a_shade_enet_highlighted():
    data = synthetic_data()
    colors = system_colors(data)
    assert set(colors) == set(FAMILY_OF)
    assert len(set(colors.values())) == len(colors)  # every system its own colour
    assert colors[HIGHLIGHT] == HIGHLIGHT_COLOR

    def hue(rgb):
        return colorsys.rgb_to_hls(*rgb)[0] * 360

    def in_range(h, lo, hi):
        return lo <= h <= hi or lo <= h + 360 <= hi

    ranges = {"real-time": (170, 250), "heavy": (340, 395), "instance": (260, 320)}
    ranges["classical"] = (75, 165)
    for name, family in FAMILY_OF.items():
        lo, hi = ranges[family]
        assert in_range(hue(colors[name]), lo, hi), (name, family, hue(colors[name]))
    assert len(set(FAMILY_MARKERS.values())) == len(FAMILIES) == len(FAMILY_MARKERS)


def test_grouped_legend_starts_each_group_at_a_column_top():
    sizes = [14, 5, 1, 18]
    groups = [(f"group {k}", [(None, f"{k}.{i}") for i in range(n)]) for k, n in enumerate(sizes)]
    for max_cols in (1, 3, 6, 40):
        kw, bold = grouped_legend(groups, max_cols)
        labels, ncol = kw["labels"], kw["ncol"]
        rows = len(labels) // ncol
        assert rows * ncol == len(labels)  # every column full: matplotlib keeps the layout
        for heading, entries in groups:
            start = labels.index(heading)
            assert start % rows == 0
            assert labels[start + 1 : start + 1 + len(entries)] == [lab for _, lab in entries]
        assert {h for h, _ in groups} <= bold
        assert ncol <= max(max_cols, len(groups))


# --------------------------------------------------------------------------------------------
# the Pareto fronts


def test_each_family_front_is_its_non_dominated_systems():
    data = synthetic_data()
    plan = accuracy_latency_plan(data)
    assert plan is not None and plan.size == (480, 360)
    assert list(plan.fronts) == list(FAMILIES)  # a front for each family present, in order
    assert {p.system for p in plan.points} == set(FAMILY_OF)
    for family in FAMILIES:
        idx = [k for k, p in enumerate(plan.points) if p.family == family]
        assert idx and all(FAMILY_OF[plan.points[k].system] == family for k in idx)
        eligible = [k for k in idx if not plan.points[k].oracle]
        expected = [
            eligible[i]
            for i in brute_force_front(
                [(plan.points[k].latency_ms, plan.points[k].miou) for k in eligible]
            )
        ]
        assert sorted(plan.fronts[family]) == sorted(expected), family
        xs = [plan.points[k].latency_ms for k in plan.fronts[family]]
        assert xs == sorted(xs)
    eligible = [k for k, p in enumerate(plan.points) if not p.oracle]
    expected = [
        eligible[i]
        for i in brute_force_front(
            [(plan.points[k].latency_ms, plan.points[k].miou) for k in eligible]
        )
    ]
    assert sorted(plan.front) == sorted(expected)


def test_upper_bounds_are_on_no_front_and_drawn_hollow(close_figures):
    data = synthetic_data()
    plan = accuracy_latency_plan(data)
    bounds = [k for k, p in enumerate(plan.points) if p.oracle]
    protocols = {plan.points[k].protocol for k in bounds}
    assert protocols == {"oracle", "oracle-assisted"}
    assert all(is_upper_bound({"protocol": p}) for p in protocols)
    on_fronts = set(plan.front).union(*plan.fronts.values())
    assert not on_fronts & set(bounds)
    # the test means something: were they let in, the upper bounds would be on the fronts
    everyone = [(p.latency_ms, p.miou) for p in plan.points]
    assert set(brute_force_front(everyone)) & set(bounds)
    classical = [k for k, p in enumerate(plan.points) if p.family == "classical"]
    assert set(classical[i] for i in brute_force_front([everyone[k] for k in classical])) & set(
        bounds
    )

    for build in (accuracy_vs_latency_figure, accuracy_vs_latency_by_family_figure):
        fig = build(data)
        close_figures(fig)
        hollow = filled = 0
        for ax in fig.axes:
            for c in ax.collections:
                faces = c.get_facecolors()
                if len(faces) == 0 or faces[0][3] == 0:
                    hollow += 1
                else:
                    filled += 1
        assert hollow == len(bounds) and filled == len(plan.points) - len(bounds)


def test_by_family_figure_a_panel_per_family_with_its_front(close_figures):
    data = synthetic_data()
    plan = accuracy_latency_plan(data)
    fig = accuracy_vs_latency_by_family_figure(data, plan=plan)
    close_figures(fig)
    assert [ax.get_title() for ax in fig.axes] == HEADINGS
    for ax, family in zip(fig.axes, FAMILIES):
        assert "ms" in ax.get_xlabel() and ax.get_xscale() == "log"
        assert "%" in ax.get_ylabel()
        fronts = [ln for ln in ax.get_lines() if ln.get_linestyle() == "--"]
        front = plan.fronts[family]
        if len(front) > 1:
            assert len(fronts) == 1
            xs = list(fronts[0].get_xdata())
            assert xs == [plan.points[k].latency_ms for k in front]
        labelled = {t.get_text() for t in ax.texts}
        assert {plan.points[k].label for k in front} <= labelled
    assert "enet" in {t.get_text() for t in fig.axes[0].texts}
    one_family = {**data, "accuracy": [r for r in data["accuracy"] if r["family"] == "heavy"]}
    assert accuracy_vs_latency_by_family_figure(one_family) is None


# --------------------------------------------------------------------------------------------
# legends that fit, and the report


def _legends(fig):
    return list(fig.legends) + [leg for ax in fig.axes if (leg := ax.get_legend()) is not None]


@pytest.mark.parametrize(
    "build",
    [
        accuracy_vs_latency_figure,
        accuracy_vs_latency_by_family_figure,
        latency_vs_size_figure,
        params_flops_figure,
    ],
)
def test_legends_fit_inside_the_figure_and_off_the_axes(build, close_figures):
    fig = build(synthetic_data())
    close_figures(fig)
    renderer = draw_renderer(fig)
    legends = _legends(fig)
    assert legends
    page = fig.bbox
    for leg in legends:
        box = leg.get_window_extent(renderer)
        assert box.x0 >= page.x0 - 1 and box.x1 <= page.x1 + 1, (box, page)
        assert box.y0 >= page.y0 - 1 and box.y1 <= page.y1 + 1, (box, page)
        for ax in fig.axes:
            area = ax.get_window_extent(renderer)
            assert not box.overlaps(area), (build.__name__, box, area)
    if build is accuracy_vs_latency_figure:  # every system named in the legend, by family
        labels = [t.get_text() for t in fig.legends[0].get_texts()]
        assert set(FAMILY_OF) <= set(labels)
        heads = ["real-time (14)", "heavy (5)", "instance (1)", "classical (18)"]
        assert [lab for lab in labels if re.fullmatch(r"[a-z-]+ \(\d+\)", lab)] == heads
        bold = [t.get_text() for t in fig.legends[0].get_texts() if t.get_fontweight() == "bold"]
        assert HIGHLIGHT in bold


def test_params_flops_groups_families_and_folds_many_classical(close_figures):
    fig = params_flops_figure(synthetic_data())
    close_figures(fig)
    ticks = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert ticks[0] == "real-time models (14)" and "18 methods" in ticks
    assert [t for t in ticks if HEADING.fullmatch(t)] == HEADINGS
    assert not set(UNASSISTED) & set(ticks)  # named in the note instead
    assert "otsu" in "\n".join(t.get_text() for t in fig.texts)


def test_report_writes_every_figure_and_groups_its_tables(tmp_path):
    data = synthetic_data()
    stems = [s for s, _ in figures._builders(data, [])]
    report = write_full_report(data, tmp_path)
    written = sorted(p.stem for p in (tmp_path / "figures").glob("*.png"))
    # no predictions saved; one runtime (eager) per system: no latency_by_runtime
    assert written == sorted(s for s in stems if s not in ("qualitative", "latency_by_runtime"))
    assert "accuracy_vs_latency_by_family" in written
    for stem in written:
        assert (tmp_path / "figures" / f"{stem}.svg").stat().st_size > 10_000
    text = report.read_text()
    assert "![accuracy vs latency by family](figures/accuracy_vs_latency_by_family.png)" in text
    for table in ("efficiency", "accuracy"):
        rows = _csv((tmp_path / "tables" / f"{table}.csv").read_text())
        families = [r[0] for r in rows[1:]]
        assert rows[0][0] == "family"
        assert families == sorted(families, key=FAMILIES.index) and set(families) == set(FAMILIES)
        assert r"\midrule" in (tmp_path / "tables" / f"{table}.tex").read_text()
    section = text.split("## Efficiency", 1)[1].split("\n## ", 1)[0]
    assert "| family | system |" in section and "| instance | maskrcnn |" in section
