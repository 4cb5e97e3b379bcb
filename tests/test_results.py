import json
import math

import pytest

from bench.options import parse_ints, parse_precisions, parse_sizes, split_list
from bench.errors import BadInput
from bench.results import RunResults, load_results, rows_to_csv


def test_rows_are_on_disk_as_soon_as_they_are_added(tmp_path):
    results = RunResults(tmp_path, {"command": "x"})
    results.add("efficiency", {"system": "enet", "latency_ms_median": 1.5})
    on_disk = load_results(tmp_path)
    assert on_disk["efficiency"] == [{"system": "enet", "latency_ms_median": 1.5}]
    assert on_disk["accuracy"] == [] and on_disk["claims"] == []
    assert not list(tmp_path.glob(".*.tmp"))  # no temporary file left behind


def test_result_files_are_readable_by_others(tmp_path):
    import os
    import stat

    old = os.umask(0o022)
    try:
        RunResults(tmp_path, {}).add("efficiency", {"system": "enet"})
    finally:
        os.umask(old)
    mode = stat.S_IMODE((tmp_path / "results.json").stat().st_mode)
    assert mode == 0o644


def test_non_finite_numbers_become_null(tmp_path):
    results = RunResults(tmp_path, {})
    results.add("accuracy", {"miou": math.nan, "per_class_iou": {"Sky": math.inf, "Car": 0.5}})
    row = json.loads((tmp_path / "results.json").read_text())["accuracy"][0]
    assert row == {"miou": None, "per_class_iou": {"Sky": None, "Car": 0.5}}


def test_unknown_table_is_refused(tmp_path):
    with pytest.raises(ValueError, match="unknown results table"):
        RunResults(tmp_path, {}).add("speed", {})


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
