"""bench.figures: the report's figures from saved results (small result dicts built here)."""

from __future__ import annotations

import json
import math
import random
import warnings

import cv2
import matplotlib
import numpy as np
import pytest

from bench import figures
from bench.figures import (
    accuracy_latency_plan,
    accuracy_vs_latency_figure,
    claims_figure,
    latency_vs_size_figure,
    params_flops_figure,
    pareto_front,
    per_class_iou_figure,
    per_class_matrix,
    profile_note,
    qualitative_figure,
    select_size,
    write_figures,
)

CLASSES = ["Sky", "Building", "Road"]


def eff(
    system,
    w,
    h,
    ms,
    *,
    kind="model",
    params=1_000_000,
    gflops=2.0,
    device="cpu",
    precision="fp32",
    status="ok",
    **extra,
):
    row = {
        "system": system,
        "kind": kind,
        "device": device,
        "device_name": "Test CPU",
        "width": w,
        "height": h,
        "batch": 1,
        "precision": precision,
        "mode": "eager",
        "params": params,
        "gflops": gflops,
        "gmacs": None if gflops is None else gflops / 2,
        "latency_ms_median": ms,
        "latency_ms_p10": None if ms is None else 0.9 * ms,
        "latency_ms_p90": None if ms is None else 1.2 * ms,
        "status": status,
    }
    row.update(extra)
    return row


def acc(
    system,
    miou,
    *,
    kind="model",
    protocol="trained",
    profile="quick",
    per_class=None,
    dataset="camvid",
):
    return {
        "system": system,
        "kind": kind,
        "dataset": dataset,
        "split": "test",
        "protocol": protocol,
        "profile": profile if kind == "model" else None,
        "epochs": 4 if kind == "model" else None,
        "images_per_epoch": 120 if kind == "model" else None,
        "best_epoch": 4 if kind == "model" else None,
        "train_size": [160, 120] if kind == "model" else None,
        "miou": miou,
        "class_avg_acc": miou,
        "global_acc": miou,
        "per_class_iou": per_class if per_class is not None else {c: miou for c in CLASSES},
        "status": "ok",
    }


def full_data() -> dict:
    efficiency = [
        eff("enet", 480, 360, 30.0, params=363_791, gflops=2.5),
        eff("enet", 640, 360, 45.0, params=363_791, gflops=3.39),
        eff("segnet", 480, 360, 600.0, params=29_449_355, gflops=210.0),
        eff("segnet", 640, 360, 950.0, params=29_449_355, gflops=283.4),
        eff(
            "segnet",
            1280,
            720,
            None,
            params=29_449_355,
            gflops=None,
            status="failed",
            error="out of memory",
        ),
        eff("otsu", 480, 360, 7.5, kind="classical", params=0, gflops=None, precision="uint8"),
        eff(
            "watershed", 480, 360, 28.0, kind="classical", params=0, gflops=None, precision="uint8"
        ),
    ]
    accuracy = [
        acc("enet", 0.40, per_class={"Sky": 0.8, "Building": 0.3, "Road": 0.1}),
        acc("segnet", 0.45),
        acc("otsu", 0.17, kind="classical", protocol="oracle"),
        acc("otsu", 0.13, kind="classical", protocol="learned"),
        acc("watershed", 0.59, kind="classical", protocol="oracle"),
        acc(
            "watershed",
            0.28,
            kind="classical",
            protocol="learned",
            per_class={"Sky": 0.7, "Road": None},
        ),  # Building missing, Road null
    ]
    claims = [
        {
            "claim": "speed",
            "scope": "GPU (up to)",
            "paper_ratio": 18.0,
            "measured_ratio": None,
            "basis": "no GPU rows in this run",
            "verdict": "not measured",
        },
        {
            "claim": "speed",
            "scope": "CPU",
            "paper_ratio": 18.0,
            "measured_ratio": 20.0,
            "device": "cpu",
            "device_name": "Test CPU",
            "width": 480,
            "height": 360,
            "precision": "fp32",
            "batch": 1,
            "mode": "eager",
            "verdict": "CPU: for reference, the claim is about GPUs",
        },
        {
            "claim": "flops",
            "scope": "any device",
            "paper_ratio": 75.0,
            "measured_ratio": 83.6,
            "basis": "3x360x640",
            "verdict": "holds",
        },
        {
            "claim": "params",
            "scope": "any device",
            "paper_ratio": 79.0,
            "measured_ratio": 60.0,
            "basis": "total parameters",
            "verdict": "does not hold",
        },
    ]
    return {
        "runs": [{"dataset": "camvid", "profile": "quick"}],
        "efficiency": efficiency,
        "accuracy": accuracy,
        "claims": claims,
    }


def write_predictions(root, systems=("enet", "watershed"), n_images=2, size=(16, 12)):
    """A tiny predictions folder as `bench run` saves it: RGB images, uint8 class ids, 255 void."""
    w, h = size
    rng = np.random.default_rng(0)
    (root / "images").mkdir(parents=True)
    (root / "labels").mkdir()
    images = []
    for k in range(n_images):
        image_id = f"img{k}"
        cv2.imwrite(
            str(root / "images" / f"{image_id}.png"),
            rng.integers(0, 256, (h, w, 3), dtype=np.uint8),
        )
        label = rng.integers(0, 3, (h, w), dtype=np.uint8)
        label[0, :] = 255
        cv2.imwrite(str(root / "labels" / f"{image_id}.png"), label)
        for s in systems:
            (root / s).mkdir(exist_ok=True)
            cv2.imwrite(str(root / s / f"{image_id}.png"), np.roll(label, k + 1, axis=1))
        images.append(
            {"id": image_id, "image": f"images/{image_id}.png", "label": f"labels/{image_id}.png"}
        )
    index = {
        "dataset": "camvid",
        "split": "test",
        "class_names": CLASSES,
        "palette": [[128, 128, 128], [128, 0, 0], [128, 64, 128]],
        "void_color": [0, 0, 0],
        "images": images,
        "systems": {
            s: {
                "protocol": "trained" if s == "enet" else "learned",
                "profile": "quick" if s == "enet" else None,
                "dir": s,
            }
            for s in systems
        },
    }
    (root / "index.json").write_text(json.dumps(index))
    return root


def texts(fig) -> str:
    """Every text drawn on a figure (titles, labels, notes, annotations, legends)."""
    out = [t.get_text() for t in fig.findobj(matplotlib.text.Text)]
    return "\n".join(out)


@pytest.fixture
def close_figures():
    made = []
    yield made.append
    for fig in made:
        matplotlib.pyplot.close(fig)


# --------------------------------------------------------------------------------------------
# pure helpers


def brute_force_front(points):
    front = []
    for i, (x, y) in enumerate(points):
        dominated = any(
            (xj <= x and yj >= y and (xj < x or yj > y)) or ((xj, yj) == (x, y) and j < i)
            for j, (xj, yj) in enumerate(points)
        )
        if not dominated:
            front.append(i)
    return front


def test_pareto_front_matches_brute_force_on_random_points():
    rng = random.Random(0)
    for trial in range(300):
        n = rng.randint(0, 12)
        if trial % 2:  # small integer grid: many ties and duplicates
            pts = [(float(rng.randint(0, 4)), float(rng.randint(0, 4))) for _ in range(n)]
        else:
            pts = [(rng.uniform(1, 1000), rng.uniform(0, 1)) for _ in range(n)]
        front = pareto_front(pts)
        assert sorted(front) == brute_force_front(pts), pts
        xs = [pts[i][0] for i in front]
        assert xs == sorted(xs) and len(set(xs)) == len(xs)  # increasing x, strictly
        ys = [pts[i][1] for i in front]
        assert ys == sorted(ys)


def test_pareto_front_ties_and_non_finite():
    assert pareto_front([]) == []
    assert pareto_front([(1.0, 0.5), (1.0, 0.5)]) == [0]  # duplicates: the first is kept
    assert pareto_front([(1.0, 0.5), (1.0, 0.7)]) == [1]  # same x: the higher y
    assert pareto_front([(2.0, 0.5), (1.0, 0.5)]) == [1]  # same y: the lower x
    assert pareto_front([(float("nan"), 0.9), (3.0, 0.2), (1.0, None)]) == [1]


def test_select_size_prefers_coverage_then_480x360_then_640x360_then_larger():
    assert select_size({}) is None
    assert select_size({(480, 320): 0}) is None
    assert select_size({(480, 320): 3, (480, 360): 2}) == (480, 320)
    assert select_size({(480, 320): 2, (480, 360): 2, (640, 360): 2}) == (480, 360)
    assert select_size({(480, 320): 2, (640, 360): 2, (1280, 720): 2}) == (640, 360)
    assert select_size({(480, 320): 1, (1280, 720): 1}) == (1280, 720)


def test_profile_note_states_the_budget():
    note = profile_note([acc("enet", 0.4), acc("otsu", 0.1, kind="classical", protocol="oracle")])
    assert "profile quick" in note and "4 epochs of 120 images at 160x120" in note
    assert "not the paper's 300 epochs" in note
    old = {**acc("segnet", 0.2), "images_per_epoch": None}  # a row made before it was recorded
    assert "profile quick — 4 epochs at 160x120" in profile_note([old])  # nothing guessed
    assert profile_note([acc("otsu", 0.1, kind="classical", protocol="learned")]) == ""


# --------------------------------------------------------------------------------------------
# accuracy vs latency


def test_plan_picks_one_size_and_names_what_was_not_measured():
    data = full_data()
    data["accuracy"].append(acc("unet", 0.5))  # accuracy, no latency anywhere
    data["efficiency"].append(eff("pspnet", 480, 360, 500.0))  # latency, no accuracy
    data["efficiency"].append(eff("enet", 480, 320, 10.0))  # at a size fewer systems have
    plan = accuracy_latency_plan(data)
    assert plan.size == (480, 360) and plan.dataset == "camvid" and plan.split == "test"
    labels = [p.label for p in plan.points]
    assert labels == [
        "enet",
        "segnet",
        "otsu (oracle)",
        "otsu (learned)",
        "watershed (oracle)",
        "watershed (learned)",
    ]
    enet = plan.points[0]
    assert enet.latency_ms == 30.0 and enet.params == 363_791  # the 480x360 row, not 480x320
    assert not any(p.system in ("unet", "pspnet") for p in plan.points)
    note = "; ".join(plan.not_measured)
    assert "unet (no latency at 480x360)" in note
    assert "pspnet" in note and "no accuracy" in note
    # oracle points are upper bounds: never on the Pareto front
    assert all(not plan.points[k].oracle for k in plan.front)
    assert [plan.points[k].label for k in plan.front] == [
        "otsu (learned)",
        "watershed (learned)",
        "enet",
        "segnet",
    ]


def test_accuracy_figure_note_names_system_without_latency(close_figures):
    data = full_data()
    data["accuracy"].append(acc("unet", 0.5))
    fig = accuracy_vs_latency_figure(data)
    close_figures(fig)
    ax = fig.axes[0]
    drawn = [a.get_text() for a in ax.texts]
    assert "unet" not in drawn and "enet" in drawn
    n_points = sum(len(c.get_offsets()) for c in ax.collections)
    assert n_points == 6  # unet is not drawn (at 0 or anywhere)
    assert all(np.all(np.asarray(c.get_offsets())[:, 0] > 0) for c in ax.collections)
    text = texts(fig)
    assert "not measured: unet (no latency at 480x360)" in text.replace("\n", " ")
    assert "480x360" in ax.get_xlabel() and "ms" in ax.get_xlabel()
    assert "%" in ax.get_ylabel()
    assert "profile quick" in text and "CamVid test" in text
    assert "0 (classical)" in text and "oracle" in text


def test_no_accuracy_or_no_latency_means_no_accuracy_figure():
    data = full_data()
    assert accuracy_vs_latency_figure({**data, "accuracy": []}) is None
    assert accuracy_vs_latency_figure({**data, "efficiency": []}) is None
    failed = [dict(r, status="failed", error="boom") for r in data["efficiency"]]
    assert accuracy_vs_latency_figure({**data, "efficiency": failed}) is None


# --------------------------------------------------------------------------------------------
# the other figures


def test_params_flops_marks_classical_and_paper(close_figures):
    fig = params_flops_figure(full_data())
    close_figures(fig)
    left, right = fig.axes[:2]
    assert len(left.patches) == 2 and len(right.patches) == 2  # enet, segnet; no classical bar
    assert "n/a (classical)" in texts(fig) and "paper" in texts(fig)
    assert "multiply-add" in texts(fig) and "640x360" in right.get_xlabel()
    diamonds = [c for c in right.collections if len(c.get_offsets())]
    assert sorted(float(c.get_offsets()[0][0]) for c in diamonds) == [3.83, 286.03]
    only_classical = {
        "efficiency": [eff("otsu", 480, 360, 7.0, kind="classical", params=0, gflops=None)]
    }
    assert params_flops_figure(only_classical) is None


def test_latency_vs_size_uses_ok_rows_only(close_figures):
    data = full_data()
    fig = latency_vs_size_figure(data)
    close_figures(fig)
    ax = fig.axes[0]
    assert [t.get_text().split("\n")[0] for t in ax.get_xticklabels()] == ["480x360", "640x360"]
    assert ax.get_yscale() == "log" and "ms" in ax.get_ylabel()
    lines = [ln for ln in ax.get_lines() if len(ln.get_xdata())]
    ys = np.concatenate([np.asarray(ln.get_ydata(), float) for ln in lines])
    assert np.all(ys > 0) and 950.0 in ys  # the failed 1280x720 row is not drawn
    failed = {"efficiency": [eff("segnet", 1280, 720, None, status="failed", error="oom")]}
    assert latency_vs_size_figure(failed) is None


def test_claims_not_measured_listed_not_drawn(close_figures):
    fig = claims_figure(full_data())
    close_figures(fig)
    ax = fig.axes[0]
    assert len(ax.patches) == 6  # paper + measured for the 3 measured claims
    widths = sorted(round(p.get_width(), 1) for p in ax.patches)
    assert widths == [18.0, 20.0, 60.0, 75.0, 79.0, 83.6]
    text = texts(fig).replace("\n", " ")
    assert "not measured: speed GPU (up to)" in text
    assert "holds" in text and "does not hold" in text
    assert [t.get_text() for t in ax.get_yticklabels()] == ["speed CPU 480x360", "FLOPs", "params"]
    unmeasured = {"claims": [full_data()["claims"][0]]}
    assert claims_figure(unmeasured) is None


def test_per_class_matrix_nan_for_missing_never_zero(close_figures):
    labels, classes, matrix = per_class_matrix(full_data()["accuracy"])
    assert classes == CLASSES
    assert labels[:3] == ["enet", "segnet", "otsu (oracle)"]
    ws = labels.index("watershed (learned)")
    assert matrix[ws, 0] == pytest.approx(70.0)
    assert math.isnan(matrix[ws, 1]) and math.isnan(matrix[ws, 2])
    assert np.count_nonzero(np.isnan(matrix)) == 2
    fig = per_class_iou_figure(full_data())
    close_figures(fig)
    drawn = [t.get_text() for t in fig.axes[0].texts]
    assert drawn.count("n/m") == 2 and "80.0" in drawn and "0.0" not in drawn
    assert fig.axes[1].get_ylabel() == "IoU (%)"  # the colour bar
    assert "CamVid test" in texts(fig) and "profile quick" in texts(fig)


def test_qualitative_grid_rows_and_columns(tmp_path, close_figures):
    good = write_predictions(tmp_path / "a")
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "index.json").write_text("{not json")
    with pytest.warns(RuntimeWarning, match="skipped"):
        fig = qualitative_figure([good, bad, tmp_path / "missing"])
    close_figures(fig)
    assert len(fig.axes) == 2 * 4  # 2 images x (image, ground truth, enet, watershed)
    titles = [ax.get_title() for ax in fig.axes[:4]]
    assert titles[:2] == ["image", "ground truth"]
    assert titles[2].startswith("enet") and "trained" in titles[2]
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    assert legend == CLASSES + ["void (ignored)"]
    gt = fig.axes[1].get_images()[0].get_array()
    assert gt.shape == (12, 16, 3) and (gt[0] == 0).all()  # void row coloured void_color

    # a prediction that was not saved is a grey "n/m" panel, not a blank class map
    (good / "watershed" / "img1.png").unlink()
    fig1 = qualitative_figure([good])
    close_figures(fig1)
    missing = fig1.axes[1 * 4 + 3]
    assert not missing.get_images() and [t.get_text() for t in missing.texts] == ["n/m"]

    # a second folder of the same dataset adds its systems to the same images
    other = write_predictions(tmp_path / "b", systems=("segnet",))
    fig2 = qualitative_figure([good, other])
    close_figures(fig2)
    assert len(fig2.axes) == 2 * 5


# --------------------------------------------------------------------------------------------
# write_figures


def test_write_figures_full_data_writes_png_and_svg(tmp_path):
    preds = write_predictions(tmp_path / "run" / "predictions")
    out = tmp_path / "figures"
    before = dict(matplotlib.rcParams)
    n_open = len(matplotlib.pyplot.get_fignums())
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        written = write_figures(full_data(), out, [preds])
    assert [p.stem for p in written] == [
        "accuracy_vs_latency",
        "accuracy_vs_latency_by_family",  # enet, segnet and classical methods: three families
        "params_flops",
        "latency_vs_size",
        "claims",
        "per_class_iou",
        "qualitative",
    ]
    for png in written:
        assert png.suffix == ".png" and png.stat().st_size > 10_000
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        svg = png.with_suffix(".svg")
        assert svg.stat().st_size > 10_000 and b"<svg" in svg.read_bytes()[:2000]
    assert not [p for p in out.iterdir() if p.name.startswith(".")]  # no temporary files
    assert len(matplotlib.pyplot.get_fignums()) == n_open  # every figure closed
    after = dict(matplotlib.rcParams)
    assert {k for k in before if before[k] != after[k] and k != "backend"} == set()


def test_write_figures_partial_data_and_bad_prediction_dirs(tmp_path):
    out = tmp_path / "figures"
    out.mkdir()
    (out / "claims.png").write_bytes(b"stale")  # from an earlier report
    (out / "notes.png").write_bytes(b"keep")  # not ours
    data = {
        "runs": [{}],
        "efficiency": [
            eff("enet", 480, 360, 30.0),
            eff("segnet", 480, 360, None, status="failed", error="oom"),
            {"system": "odd"},
        ],  # a row with keys missing
        "accuracy": [],
        "claims": [],
    }
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "index.json").write_text(json.dumps({"images": "nope"}))
    with pytest.warns(RuntimeWarning, match="skipped"):
        written = write_figures(data, out, [tmp_path / "nowhere", bad])
    assert sorted(p.stem for p in written) == ["latency_vs_size", "params_flops"]
    assert not (out / "claims.png").exists() and (out / "notes.png").exists()

    assert write_figures({}, tmp_path / "empty") == []
    assert list((tmp_path / "empty").iterdir()) == []
    only_acc = {"accuracy": [acc("enet", 0.4)]}
    assert [p.stem for p in write_figures(only_acc, tmp_path / "acc")] == ["per_class_iou"]


def test_several_datasets_get_one_figure_each(tmp_path, close_figures):
    data = full_data()
    data["accuracy"] += [acc("enet", 0.5, dataset="cityscapes")]
    stems = [s for s, _ in figures._builders(data, [])]
    assert "accuracy_vs_latency_camvid" in stems and "per_class_iou_cityscapes" in stems
    fig = per_class_iou_figure(data, "cityscapes")
    close_figures(fig)
    assert "Cityscapes" in texts(fig)


def test_mangled_rows_do_not_crash(close_figures):
    """NaN, strings and nulls where numbers belong, missing keys: drawn or left out, no crash."""
    data = full_data()
    for k, row in enumerate(data["efficiency"] + data["accuracy"] + data["claims"]):
        keys = sorted(row)
        row[keys[k % len(keys)]] = [None, float("nan"), "x", 0][k % 4]
        del row[keys[(3 * k + 1) % len(keys)]]
    data["efficiency"] += [{"system": None}, {}, "not a row"]
    for build in (
        accuracy_vs_latency_figure,
        params_flops_figure,
        latency_vs_size_figure,
        claims_figure,
        per_class_iou_figure,
    ):
        fig = build(data)
        if fig is not None:
            close_figures(fig)


def test_qualitative_grid_kept_when_its_images_are_not(tmp_path):
    """Saved CamVid frames stay out of git: a report made again without them keeps the grid."""
    preds = write_predictions(tmp_path / "run" / "predictions")
    out = tmp_path / "figures"
    write_figures(full_data(), out, [preds])
    grid = (out / "qualitative.png").read_bytes()
    again = write_figures(full_data(), out, [])
    assert "qualitative" in [p.stem for p in again]
    assert (out / "qualitative.png").read_bytes() == grid


def test_latency_by_runtime_plans_speedups_drift_and_failed_cells(tmp_path):
    from bench.figures.runtimes import latency_by_runtime_figure, runtime_plan

    def eff(system, mode, latency, status="ok"):
        return {
            "system": system,
            "kind": "model",
            "device": "cpu",
            "width": 480,
            "height": 360,
            "batch": 1,
            "precision": "fp32",
            "mode": mode,
            "latency_ms_median": latency,
            "status": status,
        }

    def acc(runtime, miou):
        return {
            "system": "enet",
            "dataset": "camvid",
            "split": "test",
            "checkpoint": "w.pt",
            "runtime": runtime,
            "miou": miou,
            "status": "ok",
        }

    data = {
        "efficiency": [
            eff("enet", "eager", 70.0),
            eff("enet", "int8", 35.0),
            eff("enet", "openvino", None, "failed"),
            eff("segnet", "eager", 1400.0),
        ],
        "accuracy": [acc(None, 0.5268), acc("int8", 0.5237)],
    }
    (panel,) = runtime_plan(data)
    bars = {(b.system, b.variant): b for b in panel.bars}
    assert panel.variants == ["eager", "openvino", "int8"] and panel.size == (480, 360)
    assert bars[("enet", "int8")].speedup == pytest.approx(2.0)
    assert bars[("enet", "int8")].drift == pytest.approx(-0.31)
    assert bars[("enet", "openvino")].latency_ms is None  # failed: drawn as a cross
    assert bars[("enet", "eager")].speedup is None and ("segnet", "int8") not in bars
    fig = latency_by_runtime_figure(data)
    assert fig is not None and "ms, log scale" in fig.axes[0].get_xlabel()
    only_eager = {"efficiency": [eff("enet", "eager", 70.0), eff("segnet", "eager", 1400.0)]}
    assert runtime_plan(only_eager) == [] and latency_by_runtime_figure(only_eager) is None
