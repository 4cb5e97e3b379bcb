"""Results: typed records, the append-only store, the views rendered from it, and readers that
accept every schema a segbench wrote and refuse anything else."""

import json
import math
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bench.errors import BadInput
from bench.options import parse_ints, parse_precisions, parse_sizes, split_list
from bench.records import (
    RECORDS,
    SCHEMA_VERSION,
    TABLES,
    AccuracyRecord,
    EfficiencyRecord,
    normalize,
    row_key,
)
from bench.results import RunResults, load_results, rows_to_csv
from bench.store import STORE_NAME, FolderLock, StoreWriter, read_store

REPO = Path(__file__).resolve().parent.parent


def test_rows_are_in_the_store_as_soon_as_they_are_added(tmp_path):
    results = RunResults(tmp_path, {"command": "x"})
    results.add("efficiency", {"system": "enet", "latency_ms_median": 1.5})
    stored = read_store(tmp_path)  # nothing rendered yet: the store alone holds the row
    assert stored.rows("efficiency") == [{"system": "enet", "latency_ms_median": 1.5}]
    assert not (tmp_path / "results.json").exists()
    row = load_results(tmp_path)["efficiency"][0]
    assert row["latency_ms_median"] == 1.5 and row["batch"] is None  # every column, None
    assert row["cell"] == row_key("efficiency", {"system": "enet"})


def test_rendered_views_hold_every_row_and_a_schema_version(tmp_path):
    results = RunResults(tmp_path, {"command": "x"}, plan=["efficiency/a", "efficiency/b"])
    results.add(
        "efficiency",
        {
            "system": "enet",
            "width": 64,
            "height": 48,
            "batch": 1,
            "precision": "fp32",
            "mode": "eager",
            "device": "cpu",
        },
        key="efficiency/a",
    )
    results.render()
    data = json.loads((tmp_path / "results.json").read_text())
    assert data["schema_version"] == SCHEMA_VERSION
    assert set(TABLES) <= set(data) and data["missing"] == ["efficiency/b"]
    assert (tmp_path / "efficiency.csv").read_text().count("\n") == 2
    assert not list(tmp_path.glob(".*.tmp"))  # no temporary file left behind


def test_result_files_are_readable_by_others(tmp_path):
    import stat

    old = os.umask(0o022)
    try:
        results = RunResults(tmp_path, {})
        results.add("efficiency", {"system": "enet"})
        results.render()
    finally:
        os.umask(old)
    for name in ("results.json", STORE_NAME):
        assert stat.S_IMODE((tmp_path / name).stat().st_mode) == 0o644


def test_non_finite_numbers_become_null(tmp_path):
    results = RunResults(tmp_path, {})
    results.add("accuracy", {"miou": math.nan, "per_class_iou": {"Sky": math.inf, "Car": 0.5}})
    results.render()
    row = json.loads((tmp_path / "results.json").read_text())["accuracy"][0]
    assert row["miou"] is None and row["per_class_iou"] == {"Sky": None, "Car": 0.5}


def test_unknown_table_is_refused(tmp_path):
    with pytest.raises(ValueError, match="unknown results table"):
        RunResults(tmp_path, {}).add("speed", {})


def test_records_declare_the_contract_columns_and_keep_the_rest():
    row = normalize("efficiency", {"system": "enet", "latency_ms_median": 2.0, "new_thing": 7})
    assert list(row)[:3] == ["system", "kind", "device"] and row["new_thing"] == 7
    assert row["peak_mem_mb"] is None and row["fps"] is None
    for column in (
        "system",
        "device",
        "width",
        "height",
        "batch",
        "precision",
        "mode",
        "params",
        "gflops",
        "gmacs",
        "latency_ms_median",
        "latency_ms_p90",
        "fps",
        "peak_mem_mb",
        "status",
    ):
        assert column in EfficiencyRecord.fields()
    for column in (
        "system",
        "dataset",
        "split",
        "protocol",
        "inference_size",
        "miou",
        "class_avg_acc",
        "global_acc",
        "per_class_iou",
        "profile",
        "weights",
        "weights_commit",
        "checkpoint_sha256",
    ):
        assert column in AccuracyRecord.fields()
    assert set(RECORDS) == set(TABLES)
    again = RECORDS["accuracy"].from_row(normalize("accuracy", {"miou": 0.5, "x": 1})).to_row()
    assert again == normalize("accuracy", {"miou": 0.5, "x": 1})


def test_schema_1_files_still_read(tmp_path):
    """results.json as every run wrote it before the store (the committed references)."""
    old = {
        "run": {"command": "python -m bench run"},
        "efficiency": [
            {
                "system": "enet",
                "device": "cpu",
                "width": 640,
                "height": 360,
                "batch": 1,
                "precision": "fp32",
                "mode": "eager",
                "latency_ms_median": 30.0,
                "status": "ok",
            }
        ],
        "accuracy": [],
        "claims": [],
    }
    (tmp_path / "results.json").write_text(json.dumps(old))
    data = load_results(tmp_path)
    assert data["schema_version"] == SCHEMA_VERSION and data["training"] == []
    assert data["efficiency"][0]["cell"] == "efficiency/enet/cpu/640x360/b1/fp32/eager"
    reference = REPO / "results" / "reference" / "camvid" / "results.json"
    if reference.is_file():
        assert load_results(reference)["accuracy"]


@pytest.mark.parametrize(
    "content, message",
    [
        ("[1, 2]", "not a segbench results file"),
        ('{"run": {}, "efficiency": {}}', "not a segbench results file"),
        ('{"run": {}, "schema_version": 99}', "schema version 99"),
        ("{nope", "not valid JSON"),
        ("\udcff", "not valid JSON"),
    ],
)
def test_what_is_not_a_segbench_results_file_is_refused(tmp_path, content, message):
    (tmp_path / "results.json").write_bytes(content.encode("utf-8", "surrogateescape"))
    with pytest.raises(BadInput, match=message):
        load_results(tmp_path / "results.json")


def test_store_reader_ignores_an_unfinished_last_line_and_the_writer_cuts_it(tmp_path):
    w = StoreWriter(tmp_path, sync=False)
    w.begin({"command": "x"}, ["k0", "k1"])
    w.add("efficiency", "k0", {"system": "enet"})
    w.close()
    with open(tmp_path / STORE_NAME, "ab") as f:
        f.write(b'{"table":"efficiency","key":"k1","row":{"sys')  # killed mid-line
    assert list(read_store(tmp_path).tables["efficiency"]) == ["k0"]
    w = StoreWriter(tmp_path, sync=False)
    w.add("efficiency", "k1", {"system": "segnet"})
    w.close()
    assert list(read_store(tmp_path).tables["efficiency"]) == ["k0", "k1"]


def test_store_lines_that_are_not_a_store_are_refused(tmp_path):
    (tmp_path / STORE_NAME).write_text('{"hello": 1}\n')
    with pytest.raises(BadInput, match="not a segbench store"):
        read_store(tmp_path)
    (tmp_path / STORE_NAME).write_text('{"segbench_store": 2, "session": {}}\n{bad\n{}\n')
    with pytest.raises(BadInput, match="line 2, is not JSON"):
        read_store(tmp_path)
    (tmp_path / STORE_NAME).write_text('{"segbench_store": 9, "session": {}}\n')
    with pytest.raises(BadInput, match="newer segbench"):
        read_store(tmp_path)


def test_a_later_row_for_a_cell_replaces_the_earlier_one(tmp_path):
    results = RunResults(tmp_path, {})
    results.add("efficiency", {"system": "enet", "status": "failed"}, key="c")
    results.add("efficiency", {"system": "enet", "status": "ok"}, key="c")
    assert [r["status"] for r in load_results(tmp_path)["efficiency"]] == ["ok"]


def test_appending_a_row_writes_only_that_row(tmp_path):
    """O(1) in the rows already written: an append adds its own line and touches nothing
    else (the figure for 10,000 rows: scripts/store_append_cost.py)."""
    results = RunResults(tmp_path, {}, sync=False)
    for i in range(300):
        results.add("efficiency", {"system": "enet", "i": i}, key=f"k{i}")
    results.render()
    before = {p.name: (p.stat().st_size, p.stat().st_mtime_ns) for p in tmp_path.iterdir()}
    results.add("efficiency", {"system": "enet", "i": 300}, key="k300")
    after = {p.name: (p.stat().st_size, p.stat().st_mtime_ns) for p in tmp_path.iterdir()}
    line = (
        json.dumps(
            {"table": "efficiency", "key": "k300", "row": {"system": "enet", "i": 300}},
            separators=(",", ":"),
        )
        + "\n"
    )
    assert after[STORE_NAME][0] - before[STORE_NAME][0] == len(line)
    assert {k: v for k, v in after.items() if k != STORE_NAME} == {
        k: v for k, v in before.items() if k != STORE_NAME
    }


_APPENDER = """
import sys
from bench.store import StoreWriter
w = StoreWriter(sys.argv[1])
w.begin({"command": "appender"}, [])
print("ready", flush=True)
i = 0
while True:
    w.add("efficiency", f"k{i}", {"i": i, "pad": "x" * (i * 37 % 3000)})
    i += 1
"""


def test_sigkill_at_random_moments_never_leaves_an_unreadable_store(tmp_path):
    rng = random.Random(0)
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    for trial in range(20):
        folder = tmp_path / f"t{trial}"
        proc = subprocess.Popen(
            [sys.executable, "-c", _APPENDER, str(folder)], stdout=subprocess.PIPE, env=env
        )
        assert proc.stdout.readline().strip() == b"ready"
        time.sleep(rng.uniform(0.0, 0.15))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        rows = read_store(folder).tables.get("efficiency", {})
        assert list(rows) == [f"k{i}" for i in range(len(rows))]  # a prefix, each row whole
        assert all(r["pad"] == "x" * (r["i"] * 37 % 3000) for r in rows.values())
        with FolderLock(folder):  # the next run resumes: it appends after the last whole row
            w = StoreWriter(folder, sync=False)
            w.add("efficiency", "next", {"i": -1})
            w.close()
        assert list(read_store(folder).tables["efficiency"])[-1] == "next"


def test_csv_has_the_union_of_columns():
    text = rows_to_csv([{"a": 1}, {"a": 2, "b": {"x": 1}}])
    assert text.splitlines() == ["a,b", "1,", '2,"{""x"": 1}"']


def test_option_parsing():
    assert parse_sizes("480x320, 640X360") == [(480, 320), (640, 360)]
    assert split_list("a,,b, a") == ["a", "b"]
    assert parse_ints("1,8", "batch size") == [1, 8]
    assert parse_precisions("fp32,bf16") == ["fp32", "bf16"]
    for bad in ["0x10", "640", "x", ""]:
        with pytest.raises(BadInput):
            parse_sizes(bad)


def test_one_atomic_writer_keeps_the_old_file_when_a_write_fails(tmp_path):
    from bench.atomic import atomic_path, atomic_write_text

    target = tmp_path / "figure.png"
    atomic_write_text(target, "old")
    for error in (RuntimeError("savefig failed"), KeyboardInterrupt()):
        with pytest.raises(type(error)), atomic_path(target) as tmp:
            tmp.write_text("half")
            raise error
        assert target.read_text() == "old" and not list(tmp_path.glob(".*.tmp"))
    with atomic_path(target) as tmp:
        tmp.write_text("new")
    assert target.read_text() == "new"


def test_error_text_is_one_plain_line_with_the_root_cause():
    from bench.records import ERROR_CHARS, error_text

    try:
        try:
            raise ValueError("could not guard on data-dependent expression u1 > 4000")
        except ValueError as inner:
            raise RuntimeError(
                "Failed to export.\n\x1b[96mThis is step 1/3\x1b[0m\nmore"
            ) from inner
    except RuntimeError as exc:
        text = error_text(exc)
    assert text == (
        "RuntimeError: Failed to export. Caused by ValueError: could not guard on "
        "data-dependent expression u1 > 4000"
    )
    assert error_text(KeyError("x" * 2000)).startswith("KeyError: 'xxx")
    assert len(error_text("y " * 2000)) == ERROR_CHARS and "\n" not in error_text("a\nb")
