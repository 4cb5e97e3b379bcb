"""The claims arithmetic and verdicts, on hand-made rows."""

import pytest

from bench.claims import claims, speed_rows, verdict, verdict_exact


def row(system, device="cuda", ms=1.0, w=640, h=360, precision="fp16", batch=1, **kw):
    base = {
        "system": system,
        "device": device,
        "device_name": "GPU-X" if device == "cuda" else "CPU-Y",
        "width": w,
        "height": h,
        "precision": precision,
        "batch": batch,
        "mode": "eager",
        "status": "ok",
        "latency_ms_median": ms,
        "num_classes": 12,
        "params": 363_856 if system == "enet" else 29_449_932,
        "gflops": 3.3955 if system == "enet" else 283.70,
        "flops_counter": "torch",
    }
    return {**base, **kw}


def by(table, claim, scope=None):
    return [c for c in table if c["claim"] == claim and (scope is None or c["scope"] == scope)]


def test_verdict_rule():
    assert verdict(18.0, 18) == "holds"
    assert verdict(17.1, 18) == "holds"  # 95% of 18
    assert verdict(17.0, 18) == "does not hold"
    assert verdict(None, 18) == "not measured"


def test_speed_ratio_per_setting_and_up_to_on_gpu():
    rows = [
        row("enet", ms=2.0),
        row("segnet", ms=20.0),
        row("enet", ms=4.0, w=1280, h=720),
        row("segnet", ms=76.0, w=1280, h=720),
        row("enet", device="cpu", ms=50.0),
        row("segnet", device="cpu", ms=900.0),
    ]
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


def test_flops_are_judged_under_the_papers_convention_and_two_sided():
    paper_way = {"gflops_paper": 3.82}, {"gflops_paper": 284.0}
    table = claims([row("enet", **paper_way[0]), row("segnet", **paper_way[1])])
    flops = by(table, "flops")[0]
    assert flops["measured_ratio"] == pytest.approx(284.0 / 3.82)  # 74.3x against 75x
    assert flops["measured_ratio_conv"] == pytest.approx(283.70 / 3.3955)  # shown beside
    assert flops["verdict"] == "holds" and "the paper's convention" in flops["basis"]
    assert "convolutions only 83.6x" in flops["basis"]
    # rows without the paper's count: judged on convolutions alone, which is 11% above
    conv_only = by(claims([row("enet"), row("segnet")]), "flops")[0]
    assert conv_only["verdict"] == "does not hold: +11% above the paper's"
    assert "no paper-convention count" in conv_only["basis"]
    params = by(table, "params")[0]
    assert params["measured_ratio"] == pytest.approx(29_449_932 / 363_856)
    assert params["verdict"] == "holds"  # 80.9x against 79x: +2.4%


def test_exact_quantities_are_judged_two_sided():
    assert verdict_exact(79 * 1.049, 79) == "holds"
    assert verdict_exact(79 * 0.951, 79) == "holds"
    assert verdict_exact(79 * 1.2, 79) == "does not hold: +20% above the paper's"
    assert verdict_exact(79 * 0.8, 79) == "does not hold: -20% below the paper's"
    assert verdict_exact(None, 79) == "not measured"


def test_speed_up_to_is_judged_at_the_low_end_of_its_spread():
    noisy = [
        row("enet", ms=2.0, latency_round_medians_ms=[1.7, 2.0, 2.4]),
        row("segnet", ms=38.0, latency_round_medians_ms=[34.0, 38.0, 40.0]),
    ]
    steady = [
        row("enet", ms=2.0, w=1280, h=720, latency_round_medians_ms=[1.98, 2.0, 2.02]),
        row("segnet", ms=36.0, w=1280, h=720, latency_round_medians_ms=[35.8, 36, 36.2]),
    ]
    table = claims(noisy + steady)
    wide = [s for s in by(table, "speed", "GPU") if s["width"] == 640][0]
    assert wide["measured_ratio"] == 19.0 and wide["ratio_low"] == pytest.approx(34 / 2.4)
    assert wide["verdict"] == "does not hold"  # 19x by the medians, 14.2x at the low end
    up_to = by(table, "speed", "GPU (up to)")[0]
    assert (up_to["width"], up_to["height"]) == (1280, 720)  # 18x, steady, carries it
    assert up_to["verdict"] == "holds" and up_to["spread"] < 0.035 and up_to["rounds"] == 3


def test_speed_rows_show_the_papers_own_times_at_their_size():
    s = speed_rows([row("enet", ms=2.0), row("segnet", ms=20.0)])[0]
    assert s["paper_ratio_tx1"] == pytest.approx(1251 / 69)  # the 18x
    assert s["paper_ratio_titan_x"] == pytest.approx(69 / 7)
    assert s["paper_times"] == (
        "TX1: SegNet 1251 / ENet 69 ms = 18.1x; Titan X: SegNet 69 / ENet 7 ms = 9.9x"
    )
    assert s["spread"] is None and "one round (no spread)" in s["basis"]


def test_flops_claim_needs_the_paper_size():
    rows = [row("enet", w=480, h=320), row("segnet", w=480, h=320)]
    assert by(claims(rows), "flops")[0]["verdict"] == "not measured"
    extra = {
        "enet": {"gflops": 3.0, "num_classes": 12, "flops_counter": "t"},
        "segnet": {"gflops": 150.0, "num_classes": 12, "flops_counter": "t"},
    }
    assert by(claims(rows, extra), "flops")[0]["measured_ratio"] == 50.0


def test_no_table_without_both_models():
    assert claims([row("enet")]) == []
    assert claims([row("segnet"), row("unet")]) == []


def test_failed_rows_do_not_count_for_speed():
    rows = [row("enet", ms=2.0), row("segnet", ms=40.0, status="failed")]
    assert speed_rows(rows) == []
