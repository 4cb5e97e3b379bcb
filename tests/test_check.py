"""`bench check`: verdicts that use the noise, fingerprints, the baseline file, the history and
its trend report, bad input; end to end with small models registered for the test, on a machine
made busy on purpose: a model 30% slower fails, the same model unchanged passes (5 times), a
changed activation changes the fingerprint."""

import contextlib
import dataclasses
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
from torch import nn

from bench.check import compare, format_table, load_baseline, parse_tolerances
from bench.check.fingerprint import compare_fingerprints, logits_fingerprint
from bench.cli import main
from bench.errors import BadInput
from bench.measure.latency import RelativePolicy, relative_latency, thread_speedup

TOL = {
    "params": 0.0,
    "gflops": 1e-6,
    "latency_1t": 0.15,
    "latency_mt": 0.25,
    "fingerprint": 1e-3,
    "noise_k": 2.0,
}
SETTINGS = {
    "width": 128,
    "height": 96,
    "sizes": {},
    "num_classes": 11,
    "seed": 0,
    "all_threads": 1,
    "rounds": 7,
    "round_s": 0.05,
    "round_min_iters": 5,
    "warmup_s": 0.05,
    "min_speedup": 1.0,
}


def verdicts(rows):
    return {r["metric"]: r["verdict"] for r in rows}


def lat(ratio, spread=0.02, ref=2.0, **kw):
    return {
        "ratio": ratio,
        "spread": spread,
        "reference_ms": ref,
        "clock": "thread_cpu",
        "threads": 1,
        **kw,
    }


# --------------------------------------------------------------------------------------------
# verdicts


def test_compare_verdicts():
    fp = logits_fingerprint(torch.randn(1, 11, 8, 8, generator=torch.Generator().manual_seed(0)))
    base = {"params": 1000, "gflops": 2.0, "latency_1t": lat(4.0), "fingerprint": fp}
    same = compare("m", base, dict(base), TOL)
    assert set(verdicts(same).values()) == {"ok"}
    worse = compare(
        "m",
        base,
        {
            "params": 1001,
            "gflops": 2.1,
            "latency_1t": lat(5.2),
            "fingerprint": {**fp, "std": fp["std"] * 1.01},
        },
        TOL,
    )
    assert verdicts(worse) == {
        "params": "REGRESSION",
        "gflops": "REGRESSION",
        "latency_1t": "REGRESSION",
        "fingerprint": "CHANGED",
    }
    better = compare(
        "m", base, {"params": 900, "gflops": 1.0, "latency_1t": lat(2.0), "fingerprint": fp}, TOL
    )
    assert verdicts(better) == {
        "params": "improved",
        "gflops": "improved",
        "latency_1t": "improved",
        "fingerprint": "ok",
    }
    within = compare("m", base, {**base, "latency_1t": lat(4.5)}, TOL)  # 12.5% slower
    assert verdicts(within)["latency_1t"] == "ok"


def test_latency_verdict_uses_the_spread_and_the_drift():
    base = {"latency_1t": lat(4.0)}
    # 30% slower: beyond the tolerance; with a spread of 10%, beyond 2 x spread too
    assert verdicts(compare("m", base, {"latency_1t": lat(5.2, spread=0.10)}, TOL)) == {
        "latency_1t": "REGRESSION"
    }
    # the same change with a spread of 20% measured now: within 2 x spread: noisy, not failed
    rows = compare("m", base, {"latency_1t": lat(5.2, spread=0.20)}, TOL)
    assert verdicts(rows) == {"latency_1t": "noisy"} and rows[0]["noise"] == pytest.approx(0.4)
    # the reference itself 40% slower than when the baseline was made: 30% is allowed on top
    rows = compare("m", base, {"latency_1t": lat(5.2, ref=2.8)}, TOL)
    assert verdicts(rows) == {"latency_1t": "noisy"} and "reference" in rows[0]["note"]
    # all cores: the parallel speedup fell from 1.8x to 1.0x: ratios are not comparable
    mt = {"latency_mt": lat(4.0, speedup=1.8, clock="wall", threads=2)}
    rows = compare("m", mt, {"latency_mt": lat(5.2, speedup=1.0, clock="wall", threads=2)}, TOL)
    assert verdicts(rows) == {"latency_mt": "noisy"} and "speedup" in rows[0]["note"]
    rows = compare("m", mt, {"latency_mt": lat(5.2, speedup=1.75, clock="wall", threads=2)}, TOL)
    assert verdicts(rows) == {"latency_mt": "REGRESSION"}
    skipped = {"latency_mt": {"skipped": "cores busy", "threads": 2}}
    assert verdicts(compare("m", mt, skipped, TOL)) == {"latency_mt": "skipped"}


def test_not_applicable_failed_and_the_table():
    base = {"params": 0, "gflops": None, "latency_1t": lat(1.0), "latency_mt": None}
    v = verdicts(compare("otsu", base, dict(base), TOL))
    assert v["gflops"] == "ok" and v["latency_mt"] == "ok"
    rows = compare("x", base, None, TOL, error="RuntimeError: boom")
    assert {r["verdict"] for r in rows if r["metric"] in ("params", "latency_1t")} == {"FAILED"}
    assert "boom" in format_table(rows)
    head, _, row = format_table(
        compare("enet", {"latency_1t": lat(4.0)}, {"latency_1t": lat(6.0)}, TOL)
    ).splitlines()
    assert head.split() == [
        "system",
        "metric",
        "baseline",
        "now",
        "change",
        "tolerance",
        "spread",
        "bound",
        "verdict",
    ]
    assert "4.000x" in row and "6.000x" in row and "+50.0%" in row and "+15%" in row
    assert row.endswith("REGRESSION")


def test_tolerance_parsing():
    assert parse_tolerances(["latency=0.3", "noise_k=3,params=0"]) == {
        "latency_1t": 0.3,
        "latency_mt": 0.3,
        "noise_k": 3.0,
        "params": 0.0,
    }
    for bad in ("speed=1", "miou=0.02", "latency", "latency_1t=-1", "latency=fast", "k=nan"):
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
    (tmp_path / "c.json").write_text('{"segbench_baseline": 1, "systems": {}}')
    with pytest.raises(BadInput, match="format 1.*rerun with .*--update"):
        load_baseline(tmp_path / "c.json")


class FakeTimer:
    """Each call 'takes' the time of the function it runs; the machine slows down half-way."""

    def __init__(self):
        self.calls = 0

    def __call__(self, fn):
        self.calls += 1
        return fn() * (1.0 if self.calls < 40 else 2.5)


def test_relative_latency_cancels_machine_speed():
    out = relative_latency(
        lambda: 3.0,
        lambda: 1.0,
        timer=FakeTimer(),
        policy=RelativePolicy(rounds=5, round_s=0.01, warmup_s=0.0),
    )
    assert out["latency_rel"] == pytest.approx(3.0)
    assert len(out["latency_rel_rounds"]) == 5 and out["latency_rel_iqr"] == pytest.approx(0)


def test_thread_speedup():
    def timer(fn):  # 10 ms on one thread, 6 ms on more
        return 10.0 if torch.get_num_threads() == 1 else 6.0

    assert thread_speedup(lambda: None, 2, timer=timer) == pytest.approx(10 / 6)


# --------------------------------------------------------------------------------------------
# end to end, with small models registered for the test


class TinyNet(nn.Module):
    def __init__(self, num_classes, width=24, act=nn.ReLU):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, width, 3, padding=1), nn.BatchNorm2d(width), act())
        self.mid = nn.Sequential(nn.Conv2d(width, width, 3, padding=1), act())
        self.head = nn.Conv2d(width, num_classes, 1)

    def forward(self, x):
        return self.head(self.mid(self.stem(x)))


class Slower(nn.Module):
    """The same network doing 30% more work: it spins for 0.3 times each pass's CPU time."""

    def __init__(self, inner, extra=0.3):
        super().__init__()
        self.inner, self.extra = inner, extra

    def forward(self, x):
        start = time.thread_time()
        y = self.inner(x)
        end = time.thread_time() + self.extra * (time.thread_time() - start)
        while time.thread_time() < end:
            pass
        return y


@pytest.fixture
def tiny(monkeypatch):
    import bench.systems  # noqa: F401  (registers every real system first)
    from models import registry

    monkeypatch.setattr(registry, "_REGISTRY", dict(registry._REGISTRY))
    registry.register_model("tinynet", description="test model", paper="none")(
        lambda num_classes: TinyNet(num_classes)
    )

    def swap(builder):
        info = registry._REGISTRY["tinynet"]
        registry._REGISTRY["tinynet"] = dataclasses.replace(info, builder=builder)

    return swap


def make_baseline(path, systems="tinynet", **settings):
    """A baseline of ``systems`` (all-cores latency off unless ``all_threads`` says so)."""
    path.write_text(
        json.dumps(
            {
                "segbench_baseline": 2,
                "settings": {**SETTINGS, **settings},
                "tolerances": TOL,
                "systems": {},
            }
        )
    )
    assert main(["check", "--baseline", str(path), "--update", "--models", systems]) == 0
    return load_baseline(path)


@contextlib.contextmanager
def busy_machine(per_core=1):
    """``per_core`` busy processes per core (at this process's niceness) while the block runs."""
    procs = [
        subprocess.Popen([sys.executable, "-c", "while True: pass"])
        for _ in range(per_core * (os.cpu_count() or 2))
    ]
    try:
        yield
    finally:
        for p in procs:
            p.kill()
            p.wait()


def check_json(path, capsys, *extra):
    capsys.readouterr()
    code = main(["check", "--baseline", str(path), "--json", *extra])
    return code, json.loads(capsys.readouterr().out)


def test_update_writes_a_complete_baseline(tmp_path, tiny):
    base = make_baseline(tmp_path / "b.json", "tinynet,otsu", all_threads=0)
    entry = base["systems"]["tinynet"]
    assert entry["params"] == sum(p.numel() for p in TinyNet(11).parameters())
    assert entry["gflops"] > 0 and entry["latency_1t"]["ratio"] > 0
    assert entry["latency_1t"]["rounds"] == 7 and entry["latency_1t"]["clock"] == "thread_cpu"
    assert entry["fingerprint"]["kind"] == "logits" and entry["environment"]["torch"]
    mt = entry["latency_mt"]  # all cores: measured, or skipped with the reason (cores busy)
    assert mt["threads"] == torch.get_num_threads() and (mt.get("skipped") or mt["ratio"] > 0)
    otsu = base["systems"]["otsu"]
    assert otsu["gflops"] is None and otsu["latency_mt"] is None
    assert otsu["fingerprint"]["kind"] == "partition" and otsu["fingerprint"]["regions"] > 0
    assert base["settings"] == {**SETTINGS, "all_threads": 0} and base["tolerances"] == TOL
    assert not list(tmp_path.glob(".*.tmp"))


def test_busy_machine_slower_fails_unchanged_passes(tmp_path, tiny, capsys):
    path = tmp_path / "b.json"
    false_alarms = []
    with busy_machine():
        make_baseline(path)
        for _ in range(5):
            code, out = check_json(path, capsys)
            bad = [r for r in out["rows"] if r["verdict"] in ("REGRESSION", "CHANGED", "FAILED")]
            false_alarms.append([(r["metric"], r["change"], r["spread"], r["note"]) for r in bad])
            assert code == (1 if bad else 0)
        tiny(lambda num_classes: Slower(TinyNet(num_classes)))
        code, out = check_json(path, capsys)
    count = sum(1 for bad in false_alarms if bad)
    slower = [r for r in out["rows"] if r["metric"] == "latency_1t"][0]
    print(
        f"\nbusy machine: false alarms in 5 checks of the unchanged model: {count} "
        f"{[bad for bad in false_alarms if bad]}; 30% slower: change "
        f"{100 * slower['change']:+.1f}%, bound {100 * slower['noise']:.1f}%, "
        f"{slower['verdict']}"
    )
    # At most one false alarm in five: the 2-core machine these tests run on is shared with
    # other heavy jobs whose load comes and goes (none in 30 checks there with these settings;
    # 1 in 35 with 5 rounds of a smaller model).
    assert count <= 1, false_alarms
    v = verdicts(out["rows"])
    assert code == 1 and v["latency_1t"] == "REGRESSION", out["rows"]
    assert v["params"] == v["gflops"] == v["fingerprint"] == "ok"  # same network, same output


def fingerprint_at(model, threads=1):
    from bench.environment import torch_threads

    x = torch.randn(1, 3, 96, 128, generator=torch.Generator().manual_seed(0))
    with torch_threads(threads), torch.inference_mode():
        return logits_fingerprint(model(x))


@pytest.mark.parametrize("act", [lambda: nn.LeakyReLU(0.01), nn.GELU])
def test_changed_activation_changes_the_fingerprint(tiny, act):
    from bench.efficiency import build

    base = fingerprint_at(build("tinynet", 11, 0))
    assert compare_fingerprints(base, fingerprint_at(build("tinynet", 11, 0)))[0] <= 1e-3
    assert compare_fingerprints(base, fingerprint_at(build("tinynet", 11, 0), 2))[0] <= 1e-3
    tiny(lambda num_classes: TinyNet(num_classes, act=act))
    assert compare_fingerprints(base, fingerprint_at(build("tinynet", 11, 0)))[0] > 3e-3


def test_fingerprint_of_a_real_model_ignores_the_thread_count():
    from bench.efficiency import build

    model = build("enet", 11, 0)
    assert compare_fingerprints(fingerprint_at(model), fingerprint_at(model, 2))[0] <= 1e-4


def _entry_text(text: str, name: str) -> str:
    start = text.index(f'    "{name}": {{')
    return text[start : text.index("\n    }", start) + 6]


def test_update_some_models_keeps_the_others(tmp_path, tiny, capsys):
    path = tmp_path / "b.json"
    make_baseline(path, "tinynet,otsu")
    before = path.read_text()
    tiny(lambda num_classes: TinyNet(num_classes, width=32))
    assert main(["check", "--baseline", str(path), "--update", "--models", "tinynet"]) == 0
    after = path.read_text()
    assert _entry_text(after, "otsu") == _entry_text(before, "otsu")  # byte for byte
    assert _entry_text(after, "tinynet") != _entry_text(before, "tinynet")
    assert list(json.loads(after)["systems"]) == ["tinynet", "otsu"]


def test_changed_activation_fails_and_a_failed_update_keeps_the_baseline(tmp_path, tiny, capsys):
    path = tmp_path / "b.json"
    make_baseline(path)
    before = path.read_text()
    tiny(lambda num_classes: TinyNet(num_classes, act=nn.GELU))
    code, out = check_json(path, capsys)
    assert code == 1 and verdicts(out["rows"])["fingerprint"] == "CHANGED"

    def broken(num_classes):
        raise RuntimeError("cannot build")

    tiny(broken)
    assert main(["check", "--baseline", str(path), "--update"]) == 1
    assert path.read_text() == before
    assert main(["check", "--baseline", str(path)]) == 1
    assert "FAILED" in capsys.readouterr().out


# --------------------------------------------------------------------------------------------
# history and trend


def test_history_appends_one_line_per_check(tmp_path, tiny, capsys, monkeypatch):
    path, history = tmp_path / "b.json", tmp_path / "deep" / "folder" / "checks.jsonl"
    make_baseline(path)
    for commit in ("aaaaaaa1", "bbbbbbb2"):
        monkeypatch.setenv("SEGBENCH_COMMIT", commit)
        assert main(["check", "--baseline", str(path), "--history", str(history)]) in (0, 1)
    lines = history.read_text().splitlines()
    assert len(lines) == 2
    records = [json.loads(line) for line in lines]
    assert [r["commit"] for r in records] == ["aaaaaaa1", "bbbbbbb2"]
    for r in records:
        assert r["time_utc"] and r["environment"]["cpu_count"] and "passed" in r
        s = r["systems"]["tinynet"]
        assert s["latency_1t"]["ratio"] > 0 and s["verdicts"]["fingerprint"] == "ok"


def fake_record(i: int, ratio: float) -> dict:
    def lat(r, threads=1):
        return {"ratio": r, "spread": 0.04, "lo": r * 0.98, "hi": r * 1.02, "threads": threads}

    return {
        "segbench_check_history": 1,
        "commit": f"{i:07d}abcdef",
        "passed": True,
        "time_utc": f"2026-11-2{i}T10:00:00+00:00",
        "environment": {"cpu_count": 2},
        "systems": {
            "enet": {
                "params": 363791,
                "gflops": 1.13,
                "latency_1t": lat(ratio),
                "latency_mt": lat(ratio / 1.6, 2),
                "verdicts": {"fingerprint": "ok"},
            },
            "otsu": {
                "params": 0,
                "gflops": None,
                "latency_1t": lat(0.8 + i / 100),
                "latency_mt": None,
            },
        },
    }


def test_trend_report_from_three_checks(tmp_path, capsys):
    history = tmp_path / "h.jsonl"
    history.write_text(
        "".join(json.dumps(fake_record(i, r)) + "\n" for i, r in enumerate((4.6, 4.7, 6.1), 1))
    )
    out = tmp_path / "rep"
    assert main(["report", "--history", str(history), "--out", str(out)]) == 0
    png = out / "figures" / "check_trend.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 10_000
    table = (out / "check_trend.md").read_text()
    assert "| enet | latency_1t | 4.600x" in table and "6.100x" in table
    assert "| otsu | latency_1t |" in table and "0000003abcdef" in table


# --------------------------------------------------------------------------------------------
# bad input


def test_bad_input_exits_2_with_one_line(tmp_path, tiny, capsys):
    path, old = tmp_path / "b.json", tmp_path / "old.json"
    path.write_text(
        json.dumps(
            {
                "segbench_baseline": 2,
                "settings": SETTINGS,
                "tolerances": TOL,
                "systems": {"tinynet": {}},
            }
        )
    )
    old.write_text('{"segbench_baseline": 1, "systems": {"enet": {}}}')
    (tmp_path / "corrupt.jsonl").write_text('{"systems": {}}\nnot json\n')
    (tmp_path / "bytes.jsonl").write_bytes(b"\xff\xfe\x00garbage\n")
    check, report = ["check", "--baseline"], ["report", "--history"]
    cases = [
        [*check, str(tmp_path / "missing.json")],
        [*check, str(tmp_path)],
        [*check, str(old)],
        [*check, str(path), "--models", "nonet"],
        [*check, str(path), "--models", "enet"],  # not in the baseline
        [*check, str(path), "--tolerance", "speed=1"],
        *[
            [*check, str(path), "--history", str(tmp_path / h)]
            for h in ("corrupt.jsonl", "bytes.jsonl", ".")
        ],  # the last: a folder
        *[[*report, str(tmp_path / h)] for h in ("none.jsonl", "corrupt.jsonl", ".")],
    ]
    for argv in cases:
        capsys.readouterr()
        assert main(argv) == 2, argv
        err = capsys.readouterr().err
        assert len(err.strip().splitlines()) == 1 and "Traceback" not in err, (argv, err)
    main([*check, str(old)])
    assert "rerun with `python -m bench check" in capsys.readouterr().err


def test_committed_baseline_is_valid():
    from bench.check import BASELINE_FORMAT, METRICS
    from bench.systems import get_system, system_names

    base = load_baseline(Path(__file__).parent.parent / "results" / "baseline.json")
    assert base["segbench_baseline"] == BASELINE_FORMAT
    assert set(base["systems"]) >= set(system_names("model")) | set(system_names("classical"))
    for name, entry in base["systems"].items():
        get_system(name)
        assert set(entry) >= {*METRICS, "environment"}, name
        assert entry["latency_1t"]["rounds"] >= 5
