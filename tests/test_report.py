"""Tables, merged reports and `bench report`: every cell from a row, missing means
'not measured'."""

import csv
import io
import json

import cv2
import numpy as np
import pytest

from bench.cli import main
from bench.errors import BadInput
from bench.predictions import VOID, PredictionWriter, pick_indices
from bench.report import load_runs, render
from bench.results import PAPER_FLOPS, RunResults
from bench.tables import (
    NOT_MEASURED,
    accuracy_table,
    build_tables,
    efficiency_table,
    latex_escape,
    per_class_table,
    to_csv,
    to_latex,
    to_markdown,
)


def eff(system, ms, device="cpu", w=640, h=360, params=1_000_000, gflops=2.0, **kw):
    return {
        "system": system,
        "kind": "model",
        "device": device,
        "device_name": device.upper(),
        "width": w,
        "height": h,
        "batch": 1,
        "precision": "fp32",
        "mode": "eager",
        "channels_last": False,
        "params": params,
        "gflops": gflops,
        "gmacs": gflops and gflops / 2,
        "num_classes": 11,
        "flops_counter": "torch.utils.flop_counter",
        "latency_ms_median": ms,
        "latency_ms_p90": ms * 1.1,
        "status": "ok",
        **kw,
    }


def acc(system, miou, **kw):
    return {
        "system": system,
        "kind": "model",
        "dataset": "camvid",
        "split": "test",
        "protocol": "trained",
        "profile": "quick",
        "epochs": 4,
        "best_epoch": 3,
        "train_size": [160, 120],
        "miou": miou,
        "class_avg_acc": 0.5,
        "global_acc": 0.8,
        "per_class_iou": {"Sky": 0.9, "Road": miou},
        "status": "ok",
        **kw,
    }


def write_run(path, efficiency=(), accuracy=(), paper_flops=(), **header):
    """A run folder as `bench run` leaves it: the store, and results.json rendered from it (the
    claims are derived from the rows)."""
    results = RunResults(path, {"command": "python -m bench run", "device": "cpu", **header})
    for r in efficiency:
        results.add("efficiency", r)
    for r in accuracy:
        results.add("accuracy", r)
    for r in paper_flops:
        results.add(PAPER_FLOPS, r, key=f"{PAPER_FLOPS}/{r['system']}")
    results.render()
    results.close()
    return path


def test_missing_values_read_not_measured_in_every_format():
    rows = [
        eff("enet", 10.0),
        {"system": "segnet", "device": "cpu", "status": "failed", "error": "out of memory"},
    ]
    t = efficiency_table(rows)
    cells = t.cells()
    assert cells[0][t.header().index("latency median (ms)")] == "10.00"
    assert cells[1][t.header().index("latency median (ms)")] == NOT_MEASURED
    assert cells[1][-1] == "failed: out of memory"
    assert "| segnet | cpu | not measured |" in to_markdown(t)
    parsed = list(csv.reader(io.StringIO(to_csv(t))))
    assert parsed[0] == t.header() and parsed[1:] == cells
    assert "not measured" in to_latex(t) and "0.00" not in to_latex(t).split("segnet")[1]


def test_classical_flops_are_not_applicable_not_zero():
    row = {**eff("otsu", 5.0, params=0, gflops=None), "kind": "classical", "gmacs": None}
    cells = dict(zip(efficiency_table([row]).header(), efficiency_table([row]).cells()[0]))
    assert cells["GFLOPs"] == "n/a" and cells["GMACs"] == "n/a"
    assert cells["params (M)"] == "0.000"


def test_latex_is_escaped_and_booktabs():
    assert latex_escape("Sign_Symbol 50% & #1") == r"Sign\_Symbol 50\% \& \#1"
    tex = to_latex(accuracy_table([acc("enet", 0.25)]))
    assert tex.count(r"\toprule") == 1 and r"\bottomrule" in tex and r"mIoU \%" in tex
    body = [line for line in tex.splitlines() if line.startswith("real-time & enet")]
    assert len(body) == 1 and body[0].count("&") == len(accuracy_table([]).columns) - 1


def test_accuracy_table_states_the_training_budget():
    cells = dict(
        zip(
            accuracy_table([acc("enet", 0.25)]).header(),
            accuracy_table([acc("enet", 0.25)]).cells()[0],
        )
    )
    assert cells["profile"] == "quick"
    assert cells["training"] == "4 epochs at 160x120, best 3"
    assert cells["mIoU %"] == "25.0"


def test_per_class_table_keeps_missing_classes_missing():
    rows = [acc("enet", 0.25), {**acc("unet", 0.5), "per_class_iou": {"Sky": 0.7}}]
    t = per_class_table(rows)
    assert t.header()[-2:] == ["Sky", "Road"]
    assert t.cells()[1][-1] == NOT_MEASURED and t.cells()[0][-1] == "25.0"


def test_build_tables_only_for_what_was_measured():
    names = [
        t.name
        for t in build_tables({"efficiency": [eff("enet", 1.0)], "accuracy": [], "claims": []})
    ]
    assert names == ["efficiency"]


def test_merging_a_cpu_and_a_gpu_run(tmp_path):
    cpu_rows = [eff("enet", 40.0), eff("segnet", 800.0, params=29_000_000, gflops=280.0)]
    gpu_rows = [
        eff("enet", 2.0, device="cuda"),
        eff("segnet", 30.0, device="cuda", params=29_000_000, gflops=280.0),
    ]
    a = write_run(tmp_path / "cpu", cpu_rows, [acc("enet", 0.3)])
    b = write_run(tmp_path / "gpu", gpu_rows, [], device="cuda")
    data, predictions = load_runs([a, b])
    assert predictions == []
    assert [r["run"] for r in data["efficiency"]] == ["cpu", "cpu", "gpu", "gpu"]
    assert data["accuracy"][0]["run"] == "cpu"
    gpu_claim = [c for c in data["claims"] if c.get("scope") == "GPU (up to)"]
    assert len(gpu_claim) == 1 and gpu_claim[0]["measured_ratio"] == pytest.approx(15.0)
    assert gpu_claim[0]["verdict"] == "does not hold"  # 15 < 0.95 * 18
    assert {c["scope"] for c in data["claims"] if c["claim"] == "speed"} == {
        "GPU (up to)",
        "GPU",
        "CPU",
    }
    text = render(data)
    assert "Merged from 2 runs" in text and "### Run `gpu`" in text
    assert "| run | system |" in text


def test_merged_speed_claims_never_pair_two_runs(tmp_path):
    first = [eff("enet", 40.0), eff("segnet", 800.0, params=29_000_000)]
    second = [eff("enet", 20.0), eff("segnet", 700.0, params=29_000_000)]
    a = write_run(tmp_path / "a", first)
    b = write_run(tmp_path / "b", second)
    data, _ = load_runs([a, b])
    cpu = {c["run"]: c["measured_ratio"] for c in data["claims"] if c.get("scope") == "CPU"}
    assert cpu == {"a": pytest.approx(20.0), "b": pytest.approx(35.0)}


def test_merged_claims_keep_flops_counted_apart(tmp_path):
    """A run that measured other sizes counted FLOPs at 640x360 apart (its paper_flops rows);
    its FLOPs claim survives a merge with a run that did not."""
    rows = [eff("enet", 40.0, w=480, h=320), eff("segnet", 800.0, w=480, h=320, params=29_000_000)]
    apart = [
        {"system": "enet", "gflops": 4.0, "num_classes": 11},
        {"system": "segnet", "gflops": 334.4, "num_classes": 11},
    ]
    a = write_run(tmp_path / "a", rows, paper_flops=apart)
    b = write_run(tmp_path / "b", [eff("enet", 41.0, w=480, h=320)])
    alone, _ = load_runs([a])
    flops = [c for c in alone["claims"] if c["claim"] == "flops"]
    assert len(flops) == 1 and flops[0]["measured_ratio"] == pytest.approx(83.6)
    data, _ = load_runs([a, b])
    assert [c for c in data["claims"] if c["claim"] == "flops"] == flops


def test_bad_run_folders_are_refused(tmp_path):
    with pytest.raises(BadInput, match="no such file or folder"):
        load_runs([tmp_path / "missing"])
    (tmp_path / "empty").mkdir()
    with pytest.raises(BadInput, match="no results there"):
        load_runs([tmp_path / "empty"])
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "results.json").write_text("{not json")
    with pytest.raises(BadInput, match="not valid JSON"):
        load_runs([tmp_path / "bad"])
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "results.json").write_text(json.dumps({"efficiency": "x"}))
    with pytest.raises(BadInput, match="not a segbench results file"):
        load_runs([tmp_path / "other"])


def test_report_command_bad_input_exits_2(tmp_path, capsys):
    assert main(["report", str(tmp_path / "nope")]) == 2
    err = capsys.readouterr().err
    assert "no such file or folder" in err and "Traceback" not in err


def test_report_command_writes_tables_and_figures(tmp_path):
    rows = [eff("enet", 40.0), eff("segnet", 800.0, params=29_000_000, gflops=280.0)]
    run = write_run(
        tmp_path / "run",
        rows,
        [acc("enet", 0.3), acc("segnet", 0.4)],
        dataset="camvid",
        profile="quick",
    )
    before = (run / "results.json").read_text()
    assert main(["report", str(run)]) == 0
    assert (run / "results.json").read_text() == before  # nothing measured, nothing rewritten
    for name in ("efficiency", "accuracy", "per_class_iou", "claims"):
        assert (run / "tables" / f"{name}.csv").is_file()
        assert (run / "tables" / f"{name}.tex").is_file()
    pngs = sorted(p.stem for p in (run / "figures").glob("*.png"))
    assert pngs and all((run / "figures" / f"{s}.svg").is_file() for s in pngs)
    report = (run / "report.md").read_text()
    assert "## Figures" in report and "(figures/" in report
    assert "Training profile: `quick`" in report


class TinyDataset:
    """Five 6x4 images with labels holding a void pixel (11)."""

    split = "test"

    def __init__(self):
        from bench.datasets.catalog import DATASETS

        self.spec = DATASETS["camvid"]
        self.names = [f"img{i}" for i in range(5)]

    def __len__(self):
        return 5

    def raw(self, i):
        image = np.full((4, 6, 3), 20 * i, np.uint8)
        label = np.full((4, 6), i, np.int64)
        label[0, 0] = 11
        return image, label


def test_prediction_files(tmp_path):
    assert pick_indices(3) == [0, 1, 2]
    assert pick_indices(233) == [0, 77, 155, 232]
    writer = PredictionWriter(tmp_path, TinyDataset(), count=2)
    assert writer.indices == [0, 4]
    for i in range(5):
        writer.add("enet", i, np.full((4, 6), 7))
    writer.finish("enet", "trained", "quick")
    index = json.loads((tmp_path / "index.json").read_text())
    assert [im["id"] for im in index["images"]] == ["img0", "img4"]
    assert index["systems"] == {"enet": {"protocol": "trained", "profile": "quick", "dir": "enet"}}
    assert len(index["palette"]) == 11 and index["class_names"][0] == "Sky"
    assert sorted(p.name for p in (tmp_path / "enet").iterdir()) == ["img0.png", "img4.png"]
    label = cv2.imread(str(tmp_path / "labels" / "img4.png"), cv2.IMREAD_UNCHANGED)
    assert label.dtype == np.uint8 and label[0, 0] == VOID and label[1, 1] == 4
    image = cv2.imread(str(tmp_path / "images" / "img4.png"))
    assert image.shape == (4, 6, 3) and image[0, 0, 0] == 80


def _without_family_column(text: str) -> str:
    """A report.md with the first column of each table headed `family` left out."""
    out, in_family_table = [], False
    for line in text.splitlines():
        if line.startswith("| family |"):
            in_family_table = True
        elif not line.startswith("| "):
            in_family_table = False
        out.append("| " + line.split(" | ", 1)[1] if in_family_table else line)
    return "\n".join(out) + ("\n" if text.endswith("\n") else "")


def test_the_family_column_is_left_out_for_comparison():
    text = "x\n| family | system |\n| --- | --- |\n| heavy | segnet |\n\n| system |\n| enet |\n"
    expected = "x\n| system |\n| --- |\n| segnet |\n\n| system |\n| enet |\n"
    assert _without_family_column(text) == expected


def test_a_committed_schema_1_run_reports_as_it_did(tmp_path):
    """The committed CamVid reference (results.json of schema 1, before the store) is read by
    today's code into the report.md committed beside it: the same text, but for the claims
    table's new columns (its rows and verdicts are the ones stored)."""
    from pathlib import Path

    ref = Path(__file__).resolve().parent.parent / "results" / "reference" / "camvid"
    assert json.loads((ref / "results.json").read_text()).get("schema_version") is None
    assert main(["report", str(ref), "--out", str(tmp_path)]) == 0

    def sections(text):  # the claims table has gained columns since: compared apart; the
        parts = text.split("\n## ")  # figures depend on predictions/, which git does not hold
        return [p for p in parts if not p.startswith(("The ENet paper's claims", "Figures"))], [
            p for p in parts if p.startswith("The ENet paper's claims")
        ]

    now_text, then_text = (tmp_path / "report.md").read_text(), (ref / "report.md").read_text()
    families = {
        line.split(" | ")[1]: line.split(" | ")[0].lstrip("| ")
        for line in now_text.splitlines()
        if line.startswith(("| real-time |", "| heavy |", "| classical |"))
    }
    assert families == {
        "enet": "real-time",
        **dict.fromkeys(["segnet", "unet", "pspnet", "deeplabv3plus"], "heavy"),
        **dict.fromkeys(["otsu", "region_growing", "watershed"], "classical"),
    }  # resolved through the registry: the committed rows carry no family
    if "| family |" not in then_text:  # committed before the family column: compared without it
        now_text = _without_family_column(now_text)
    now, then = sections(now_text), sections(then_text)
    assert now[0] == then[0]
    verdicts = [line.split(" | ")[-1] for line in now[1][0].splitlines() if line.startswith("| ")]
    assert verdicts == [
        line.split(" | ")[-1] for line in then[1][0].splitlines() if line.startswith("| ")
    ]  # the stored claims, as that run judged


def test_a_profile_is_described_as_it_was_when_the_run_ran():
    from bench.profiles import PROFILES, SUPERSEDED, profile_description

    until, before = SUPERSEDED["quick"][0]
    assert profile_description("quick", "2026-01-01T00:00:00+00:00") == before
    assert profile_description("quick", until) == PROFILES["quick"].description
    assert profile_description("quick") == PROFILES["quick"].description
    assert profile_description("no-such-profile") is None
