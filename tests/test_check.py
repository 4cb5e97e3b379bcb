"""`bench check`: verdicts, the baseline file, and the end-to-end behaviour the issue asks for: a
deliberately slower or bigger model fails, an unchanged model passes on a loaded machine."""
import contextlib
import dataclasses
import json
import os
import subprocess
import sys

import pytest
import torch
from torch import nn

from bench.check import compare, format_table, load_baseline, parse_tolerances
from bench.cli import main
from bench.errors import BadInput
from bench.measure.latency import RelativePolicy, relative_latency

TOL = {"params": 0.0, "gflops": 1e-6, "latency": 0.25, "miou": 0.02}


def verdicts(rows):
    return {r["metric"]: r["verdict"] for r in rows}


def test_compare_verdicts():
    base = {"params": 1000, "gflops": 2.0, "latency": 4.0, "miou": 0.30}
    same = compare("m", base, dict(base), TOL)
    assert set(verdicts(same).values()) == {"ok"}
    assert all(r["change"] == 0 for r in same)
    worse = compare("m", base, {"params": 1001, "gflops": 2.1, "latency": 5.2, "miou": 0.27},
                    TOL)
    assert verdicts(worse) == dict.fromkeys(base, "REGRESSION")
    better = compare("m", base, {"params": 900, "gflops": 1.0, "latency": 2.0, "miou": 0.40},
                     TOL)
    assert verdicts(better) == dict.fromkeys(base, "improved")
    within = compare("m", base, {"params": 1000, "gflops": 2.0, "latency": 4.9, "miou": 0.285},
                     TOL)
    assert set(verdicts(within).values()) == {"ok"}  # 22.5% slower, 1.5 points lower


def test_compare_not_applicable_and_failed():
    base = {"params": 0, "gflops": None, "latency": 1.0, "miou": 0.1}
    assert verdicts(compare("otsu", base, dict(base), TOL))["gflops"] == "ok"
    rows = compare("x", base, None, TOL, error="RuntimeError: boom")
    assert {r["verdict"] for r in rows if r["metric"] != "gflops"} == {"FAILED"}
    assert "boom" in format_table(rows)


def test_table_columns():
    text = format_table(compare("enet", {"latency": 4.0}, {"latency": 6.0}, TOL))
    head, _, row = text.splitlines()
    assert head.split() == ["system", "metric", "baseline", "now", "change", "tolerance",
                            "verdict"]
    assert "4.000x" in row and "6.000x" in row and "+50.0%" in row and "+25%" in row
    assert row.endswith("REGRESSION")


def test_tolerance_parsing():
    assert parse_tolerances(["latency=0.3", "miou=0.05,params=0"]) == {
        "latency": 0.3, "miou": 0.05, "params": 0.0}
    for bad in ("speed=1", "latency", "latency=-1", "latency=fast", "latency=nan"):
        with pytest.raises(BadInput):
            parse_tolerances([bad])


def test_bad_baselines(tmp_path):
    with pytest.raises(BadInput, match="--update"):
        load_baseline(tmp_path / "none.json")
    (tmp_path / "a.json").write_text("{")
    with pytest.raises(BadInput, match="not valid JSON"):
        load_baseline(tmp_path / "a.json")
    (tmp_path / "b.json").write_text('{"systems": {}}')
    with pytest.raises(BadInput, match="not a segbench baseline"):
        load_baseline(tmp_path / "b.json")


class FakeTimer:
    """Each call 'takes' the time of the function it runs, times the machine's slowdown."""

    def __init__(self):
        self.calls = 0

    def __call__(self, fn):
        self.calls += 1
        slowdown = 1.0 if self.calls < 40 else 2.5  # the machine gets loaded half-way
        return fn() * slowdown


def test_relative_latency_cancels_machine_speed():
    out = relative_latency(lambda: 3.0, lambda: 1.0, timer=FakeTimer(),
                           policy=RelativePolicy(rounds=5, round_s=0.01, warmup_s=0.0))
    assert out["latency_rel"] == pytest.approx(3.0)
    assert len(out["latency_rel_rounds"]) == 5


# --------------------------------------------------------------------------------------------
# end to end, with small models registered for the test

class TinyNet(nn.Module):
    def __init__(self, num_classes, width=16, extra=0):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, width, 3, padding=1), nn.BatchNorm2d(width),
                                  nn.ReLU())
        self.mid = nn.Conv2d(width, width, 3, padding=1)
        self.head = nn.Conv2d(width, num_classes, 1)
        self.extra = extra  # the mid block applied this many more times (same weights)

    def forward(self, x):
        x = self.stem(x)
        for _ in range(1 + self.extra):
            x = torch.relu(self.mid(x))
        return self.head(x)


SETTINGS = {"width": 96, "height": 64, "threads": 1, "num_classes": 11, "seed": 0,
            "profile": "smoke", "epochs": 1, "rounds": 5, "round_s": 0.1}


@pytest.fixture
def tiny(monkeypatch):
    from models import registry

    registry.get_system("enet")  # load the real entries first
    monkeypatch.setattr(registry, "_REGISTRY", dict(registry._REGISTRY))
    registry.register_model("tinynet", description="test model", paper="none")(
        lambda num_classes: TinyNet(num_classes))

    def swap(builder):
        info = registry._REGISTRY["tinynet"]
        registry._REGISTRY["tinynet"] = dataclasses.replace(info, builder=builder)
    return swap


def make_baseline(path, systems="tinynet"):
    path.write_text(json.dumps({"segbench_baseline": 1, "settings": SETTINGS,
                                "tolerances": TOL, "systems": {}}))
    assert main(["check", "--baseline", str(path), "--update", "--models", systems]) == 0
    return load_baseline(path)


@contextlib.contextmanager
def loaded_machine(per_core=2):
    """Busy processes, ``per_core`` for each core, while the block runs."""
    procs = [subprocess.Popen([sys.executable, "-c", "while True: pass"])
             for _ in range(per_core * (os.cpu_count() or 2))]
    try:
        yield
    finally:
        for p in procs:
            p.kill()
            p.wait()


def test_update_writes_a_complete_baseline(tmp_path, tiny):
    base = make_baseline(tmp_path / "b.json")
    entry = base["systems"]["tinynet"]
    assert entry["params"] == sum(p.numel() for p in TinyNet(11).parameters())
    assert entry["gflops"] > 0 and entry["latency"] > 0 and 0 <= entry["miou"] <= 1
    assert base["settings"] == SETTINGS and base["tolerances"] == TOL
    assert base["environment"]["torch"] == torch.__version__
    assert not list(tmp_path.glob(".*.tmp"))


def test_unchanged_model_passes_on_a_loaded_machine(tmp_path, tiny, capsys):
    path = tmp_path / "b.json"
    make_baseline(path)
    capsys.readouterr()
    with loaded_machine():
        code = main(["check", "--baseline", str(path), "--json"])
    out = json.loads(capsys.readouterr().out)
    assert code == 0, out["rows"]
    assert out["passed"] and {r["verdict"] for r in out["rows"]} == {"ok"}


def test_slower_model_fails(tmp_path, tiny, capsys):
    path = tmp_path / "b.json"
    make_baseline(path)
    tiny(lambda num_classes: TinyNet(num_classes, extra=3))  # the same block 3 more times
    capsys.readouterr()
    assert main(["check", "--baseline", str(path)]) == 1
    out = capsys.readouterr().out
    rows = {line.split()[1]: line for line in out.splitlines()[2:] if line.startswith("tiny")}
    assert rows["params"].endswith("ok")  # shared weights: same size
    assert rows["latency"].endswith("REGRESSION") and rows["gflops"].endswith("REGRESSION")
    assert "FAILED: regression against" in out


def test_bigger_model_fails_and_update_accepts_it(tmp_path, tiny, capsys):
    path = tmp_path / "b.json"
    make_baseline(path)
    tiny(lambda num_classes: TinyNet(num_classes, width=24))
    capsys.readouterr()
    assert main(["check", "--baseline", str(path), "--json",
                 "--tolerance", "latency=10"]) == 1
    rows = json.loads(capsys.readouterr().out)["rows"]
    assert verdicts(rows)["params"] == "REGRESSION"
    assert main(["check", "--baseline", str(path), "--update"]) == 0
    assert main(["check", "--baseline", str(path)]) == 0


def test_failed_update_keeps_the_baseline(tmp_path, tiny, capsys):
    path = tmp_path / "b.json"
    make_baseline(path)
    before = path.read_text()

    def broken(num_classes):
        raise RuntimeError("cannot build")
    tiny(broken)
    assert main(["check", "--baseline", str(path), "--update"]) == 1
    assert path.read_text() == before
    assert main(["check", "--baseline", str(path)]) == 1
    assert "FAILED" in capsys.readouterr().out


def test_bad_input_exits_2(tmp_path, tiny, capsys):
    path = tmp_path / "b.json"
    assert main(["check", "--baseline", str(path)]) == 2  # no baseline yet
    make_baseline(path)
    assert main(["check", "--baseline", str(path), "--models", "nonet"]) == 2
    assert main(["check", "--baseline", str(path), "--models", "enet"]) == 2  # not in it
    assert main(["check", "--baseline", str(path), "--tolerance", "speed=1"]) == 2
    err = capsys.readouterr().err
    assert "not in the baseline" in err and "Traceback" not in err


def test_committed_baseline_is_valid():
    from pathlib import Path

    from models import get_system

    base = load_baseline(Path(__file__).parent.parent / "results" / "baseline.json")
    assert base["systems"]
    for name, entry in base["systems"].items():
        get_system(name)
        assert set(entry) >= {"params", "gflops", "latency", "miou"}
