"""Run folders: rerun resumes, --force measures again, one run per folder, shards that merge
by run id, SIGTERM/SIGINT/SIGKILL keep every finished row, and failures a user can cause end
with exit code 2 and one line."""

import errno
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bench.cli import main
from bench.report import load_runs
from bench.results import load_results
from bench.store import STORE_NAME, FolderLock

REPO = Path(__file__).resolve().parent.parent
FAST = ["--skip", "accuracy", "--no-fvcore", "--max-time", "0.05", "--threads", "1"]


def run(out, *args):
    return main(["run", "--out", str(out), *FAST, *args])


def cells(folder, table="efficiency"):
    return {r["cell"]: r for r in load_results(folder)[table]}


def store_lines(folder, table="efficiency"):
    text = (Path(folder) / STORE_NAME).read_text()
    return [json.loads(x) for x in text.splitlines() if f'"table":"{table}"' in x]


def test_rerun_resumes_and_force_measures_again(tmp_path, capsys):
    out = tmp_path / "run"
    assert run(out, "--models", "enet", "--sizes", "32x32,48x32") == 0
    first = cells(out)
    assert len(first) == 2 and all(r["status"] == "ok" for r in first.values())
    # a wider sweep into the same folder: only the new cells are measured, nothing is lost
    assert run(out, "--models", "enet,otsu", "--sizes", "32x32,48x32,64x48") == 0
    assert "2 of 4 cells already measured" in capsys.readouterr().err
    second = cells(out)
    assert len(second) == 4 and {k: second[k] for k in first} == first
    assert len(store_lines(out)) == 4  # no row measured twice
    data = load_results(out)
    assert data["missing"] == [] and len(data["sessions"]) == 2
    assert len({s["run_id"] for s in data["sessions"]}) == 1
    assert json.loads((out / "results.json").read_text())["efficiency"] == data["efficiency"]
    # --force measures every cell again; the new rows replace the old ones
    assert run(out, "--models", "enet", "--sizes", "32x32", "--force") == 0
    assert len(store_lines(out)) == 5 and len(cells(out)) == 4
    assert cells(out)["efficiency/enet/cpu/32x32/b1/fp32/eager"]["latency_n"] is not None


def test_a_folder_of_an_older_segbench_is_resumed_not_wiped(tmp_path):
    out = tmp_path / "old"
    out.mkdir()
    row = {
        "system": "enet",
        "kind": "model",
        "device": "cpu",
        "width": 32,
        "height": 32,
        "batch": 1,
        "precision": "fp32",
        "mode": "eager",
        "channels_last": False,
        "latency_ms_median": 123.0,
        "status": "ok",
    }
    scored = {
        "system": "otsu",
        "kind": "classical",
        "dataset": "synthetic",
        "split": "test",
        "protocol": "oracle",
        "profile": None,
        "seed": 0,
        "miou": 0.25,
        "status": "ok",
    }
    (out / "results.json").write_text(
        json.dumps(
            {
                "run": {"command": "old", "profile": "smoke"},
                "efficiency": [row],
                "accuracy": [scored],
                "claims": [],
            }
        )
    )
    assert run(out, "--models", "enet", "--sizes", "32x32,48x32", "--profile", "smoke") == 0
    now = cells(out)
    assert (
        len(now) == 2
        and now["efficiency/enet/cpu/32x32/b1/fp32/eager"]["latency_ms_median"] == 123.0
    )
    # its accuracy rows count as measured cells too: only the learned protocol is new
    assert run(out, "--models", "otsu", "--profile", "smoke", "--skip", "efficiency") == 0
    scores = cells(out, "accuracy")
    assert sorted(r["protocol"] for r in scores.values()) == ["learned", "oracle"]
    assert scores["accuracy/otsu/synthetic/test/oracle/smoke/seed0"]["miou"] == 0.25


def test_resuming_with_other_settings_is_refused(tmp_path, capsys):
    out = tmp_path / "run"
    assert run(out, "--models", "otsu") == 0
    capsys.readouterr()
    assert (
        main(["run", "--out", str(out), "--skip", "accuracy", "--models", "otsu", "--seed", "3"])
        == 2
    )
    err = capsys.readouterr().err
    assert "holds a run with other settings (seed: 0 then, 3 now" in err
    assert err.count("\n") == 1
    assert len(cells(out)) == 1


def test_shards_cover_the_sweep_and_merge_by_run_id(tmp_path, capsys):
    sweep = ["--models", "enet,otsu", "--sizes", "32x32,48x32,64x48"]
    assert run(tmp_path / "all", *sweep) == 0
    assert run(tmp_path / "s1", *sweep, "--shard", "1/2") == 0
    first_only, _ = load_runs([tmp_path / "s1"])
    assert first_only["missing_shards"] == ["2/2"] and len(first_only["missing"]) == 2
    assert run(tmp_path / "s2", *sweep, "--shard", "2/2") == 0
    shard_cells = [set(cells(tmp_path / s)) for s in ("s1", "s2")]
    assert not shard_cells[0] & shard_cells[1]
    assert shard_cells[0] | shard_cells[1] == set(cells(tmp_path / "all"))
    merged, _ = load_runs([tmp_path / "s1", tmp_path / "s2"])
    assert merged["missing"] == [] and merged["missing_shards"] == []
    assert {r["cell"] for r in merged["efficiency"]} == set(cells(tmp_path / "all"))
    assert "run" not in merged["efficiency"][0]  # one run, not two
    capsys.readouterr()
    assert main(["report", str(tmp_path / "s1"), "--out", str(tmp_path / "rep")]) == 0
    assert (
        "missing: 2 planned cells have no row; shards given no folder: 2/2"
        in capsys.readouterr().out
    )
    report = (tmp_path / "rep" / "report.md").read_text()
    assert "## Missing cells" in report and "shards given no folder: 2/2" in report


def test_a_folder_in_use_is_refused(tmp_path, capsys):
    out = tmp_path / "run"
    with FolderLock(out):
        assert run(out, "--models", "otsu") == 2
    err = capsys.readouterr().err
    assert f"is in use by another run (pid {os.getpid()}" in err and err.count("\n") == 1
    assert not (out / STORE_NAME).exists()


def _start_run(out, *args):
    env = {**os.environ, "PYTHONPATH": str(REPO), "OMP_NUM_THREADS": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "bench", "run", "--out", str(out), *FAST, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        cwd=REPO,
    )
    deadline = time.time() + 240
    while time.time() < deadline:  # until the first row is stored
        if (out / STORE_NAME).exists() and store_lines(out):
            return proc
        assert proc.poll() is None, proc.communicate()[1].decode()[-2000:]
        time.sleep(0.2)
    proc.kill()
    pytest.fail("the run stored no row in 240 s")


SWEEP = ["--models", "enet,segnet", "--sizes", "32x32,48x32,64x48,96x64", "--max-time", "0.3"]


def test_sigterm_keeps_the_rows_renders_the_report_and_a_rerun_finishes(tmp_path, capsys):
    out = tmp_path / "run"
    proc = _start_run(out, *SWEEP)
    assert run(out, *SWEEP) == 2  # a second run into the same folder, at the same time
    assert "is in use by another run" in capsys.readouterr().err
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=120)
    lines = [x for x in err.decode().replace("\r", "\n").splitlines() if x.startswith("segbench")]
    assert proc.returncode == 128 + signal.SIGTERM, err.decode()[-2000:]
    assert lines[-1].startswith("segbench: terminated (SIGTERM); every finished row is kept in")
    assert "Traceback" not in err.decode()
    kept = cells(out)
    assert kept and len(kept) < 8
    assert (
        json.loads((out / "results.json").read_text())["efficiency"]
        == load_results(out)["efficiency"]
    )
    assert (out / "report.md").is_file() and not list(out.glob(".*.tmp"))
    assert run(out, *SWEEP) == 0  # resumes: measures the rest, keeps what it had
    final = cells(out)
    assert len(final) == 8 and {k: final[k] for k in kept} == kept
    assert len(store_lines(out)) == 8


def test_sigkill_mid_run_loses_no_finished_row(tmp_path):
    out = tmp_path / "run"
    proc = _start_run(out, *SWEEP)
    proc.kill()
    proc.communicate()
    kept = {line["key"]: line["row"] for line in store_lines(out)}
    assert kept
    (out / ".results.json.x1y2.tmp").write_text("{")  # as an atomic write killed midway leaves
    assert run(out, *SWEEP) == 0
    assert not list(out.glob(".*.tmp"))
    final = {line["key"]: line["row"] for line in store_lines(out)}
    assert len(final) == 8 and len(store_lines(out)) == 8
    assert {k: final[k] for k in kept} == kept


def _fail_with(monkeypatch, function, code):
    import bench.store as store

    real = getattr(os, function)

    def failing(*args, **kwargs):
        if function == "write" and args[0] <= 2:
            return real(*args, **kwargs)  # the terminal, not the store
        raise OSError(code, os.strerror(code), str(args[0]) if function == "open" else None)

    monkeypatch.setattr(store.os, function, failing)


@pytest.mark.parametrize(
    "function, code, message",
    [
        ("open", errno.EROFS, "Read-only file system: expected a writable file system"),
        ("write", errno.ENOSPC, "No space left on device: expected free space on that disk"),
    ],
)
def test_a_folder_that_cannot_be_written_exits_2(
    tmp_path, capsys, monkeypatch, function, code, message
):
    _fail_with(monkeypatch, function, code)
    assert run(tmp_path / "run", "--models", "otsu") == 2
    err = capsys.readouterr().err
    assert err.startswith("segbench: error: cannot use") and message in err
    assert err.count("\n") == 1


def test_a_path_that_is_not_utf8_works(tmp_path, capsys, monkeypatch):
    out = tmp_path / "r\udcff"  # the byte 0xff in the file system, as Python shows it
    monkeypatch.setattr(sys, "argv", ["segbench", "run", "--out", str(out)])  # in the report
    assert run(out, "--models", "otsu") == 0
    report = (out / "report.md").read_text(encoding="utf-8")
    assert "r\\udcff" in report
    assert "r\\udcff" in capsys.readouterr().out


def test_out_that_is_a_file_and_report_of_a_json_array_exit_2(tmp_path, capsys):
    (tmp_path / "file").write_text("x")
    assert run(tmp_path / "file", "--models", "otsu") == 2
    assert "is a file: expected a run folder" in capsys.readouterr().err
    (tmp_path / "array.json").write_text("[1, 2]")
    assert main(["report", str(tmp_path / "array.json")]) == 2
    err = capsys.readouterr().err
    assert "is not a segbench results file" in err and err.count("\n") == 1
