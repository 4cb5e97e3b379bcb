"""The claims arithmetic and verdicts, on hand-made rows."""
import pytest

from bench.claims import claims, speed_rows, verdict


def row(system, device="cuda", ms=1.0, w=640, h=360, precision="fp16", batch=1, **kw):
    base = {"system": system, "device": device, "device_name": "GPU-X" if device == "cuda"
            else "CPU-Y", "width": w, "height": h, "precision": precision, "batch": batch,
            "mode": "eager", "status": "ok", "latency_ms_median": ms, "num_classes": 12,
            "params": 363_856 if system == "enet" else 29_449_932,
            "gflops": 3.3955 if system == "enet" else 283.70, "flops_counter": "torch"}
    return {**base, **kw}


def by(table, claim, scope=None):
    return [c for c in table if c["claim"] == claim and (scope is None or c["scope"] == scope)]


def test_verdict_rule():
    assert verdict(18.0, 18) == "holds"
    assert verdict(17.1, 18) == "holds"  # 95% of 18
    assert verdict(17.0, 18) == "does not hold"
    assert verdict(None, 18) == "not measured"


def test_speed_ratio_per_setting_and_up_to_on_gpu():
    rows = [row("enet", ms=2.0), row("segnet", ms=20.0),
            row("enet", ms=4.0, w=1280, h=720), row("segnet", ms=76.0, w=1280, h=720),
            row("enet", device="cpu", ms=50.0), row("segnet", device="cpu", ms=900.0)]
    speeds = speed_rows(rows)
    assert sorted(s["measured_ratio"] for s in speeds) == [10.0, 18.0, 19.0]
    table = claims(rows)
    up_to = by(table, "speed", "GPU (up to)")[0]
    assert up_to["measured_ratio"] == 19.0 and up_to["verdict"] == "holds"
    assert (up_to["width"], up_to["height"]) == (1280, 720)
    cpu = by(table, "speed", "CPU")[0]
    assert cpu["measured_ratio"] == 18.0 and cpu["verdict"].startswith("CPU: for reference")
    assert by(table, "speed", "GPU")[0]["verdict"] == "does not hold"  # 10x at 640x360


def test_settings_are_matched_exactly():
    rows = [row("enet", ms=2.0, precision="fp16"), row("segnet", ms=30.0, precision="fp32")]
    assert speed_rows(rows) == []
    table = claims(rows)
    assert by(table, "speed", "GPU (up to)")[0]["verdict"] == "not measured"


def test_flops_and_params_ratios():
    table = claims([row("enet"), row("segnet")])
    flops = by(table, "flops")[0]
    assert flops["measured_ratio"] == pytest.approx(283.70 / 3.3955)
    assert flops["verdict"] == "holds"
    params = by(table, "params")[0]
    assert params["measured_ratio"] == pytest.approx(29_449_932 / 363_856)
    assert params["verdict"] == "holds"


def test_flops_claim_needs_the_paper_size():
    rows = [row("enet", w=480, h=320), row("segnet", w=480, h=320)]
    assert by(claims(rows), "flops")[0]["verdict"] == "not measured"
    extra = {"enet": {"gflops": 3.0, "num_classes": 12, "flops_counter": "t"},
             "segnet": {"gflops": 150.0, "num_classes": 12, "flops_counter": "t"}}
    assert by(claims(rows, extra), "flops")[0]["measured_ratio"] == 50.0


def test_no_table_without_both_models():
    assert claims([row("enet")]) == []
    assert claims([row("segnet"), row("unet")]) == []


def test_failed_rows_do_not_count_for_speed():
    rows = [row("enet", ms=2.0), row("segnet", ms=40.0, status="failed")]
    assert speed_rows(rows) == []
