import json
import subprocess
import sys

import pytest

from bench.cli import main
from tests.conftest import REPO

SUBCOMMANDS = ["list", "run", "train", "eval"]


def bench(*args, **kw):
    return subprocess.run(
        [sys.executable, "-m", "bench", *args],
        cwd=kw.get("cwd", REPO),
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_help_works_for_the_program_and_each_subcommand(capsys):
    for args in [["--help"], *[[c, "--help"] for c in SUBCOMMANDS]]:
        with pytest.raises(SystemExit) as exit_:
            main(args)
        assert exit_.value.code == 0
        assert "usage:" in capsys.readouterr().out


def test_list_shows_every_system_with_kind_description_and_paper(capsys):
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    for name in ["enet", "segnet", "unet", "pspnet", "deeplabv3plus"]:
        assert f"  {name} " in out
    assert "[model, real-time]" in out and "[model, heavy]" in out
    assert "[classical]" in out and "paper: Paszke et al. 2016" in out
    assert "[model, instance]" in out and "scored: oracle-assisted" in out
    assert "reads: a frame sequence" in out and "synthetic-motion" in out
    import models

    n = len(models.list_systems())
    assert f"Systems ({n}: " in out and n >= 30
    assert out.count("paper: ") >= n  # every system names its paper
    assert "camvid" in out and "paper" in out


@pytest.mark.parametrize(
    "args, expected",
    [
        (["eval", "--model", "otsu", "--dataset", "synthetic"], "'otsu' is not a deep model"),
        (
            ["train", "--model", "watershed", "--dataset", "synthetic"],
            "'watershed' is not a deep model",
        ),
        (["eval", "--model", "enett", "--dataset", "synthetic"], "Did you mean 'enet'"),
    ],
)
def test_a_classical_or_unknown_name_where_a_deep_model_is_needed_is_one_line(
    args, expected, capsys
):
    assert main(args) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and expected in err[0], err
    assert "expected one of" in err[0] or "Known systems" in err[0]


def test_unknown_model_exits_2_with_the_known_names():
    result = bench("run", "--models", "enet,notamodel", "--skip", "efficiency")
    assert result.returncode == 2
    assert "unknown system 'notamodel'" in result.stderr
    assert "enet" in result.stderr and "deeplabv3plus" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    "args, message",
    [
        (["--sizes", "640by360"], "expected WIDTHxHEIGHT"),
        (["--precision", "fp8"], "unknown precision 'fp8'"),
        (["--batch-sizes", "0"], "bad batch size '0'"),
        (["--dataset", "kitti"], "unknown dataset 'kitti'"),
        (["--skip", "speed"], "expected accuracy or efficiency"),
        (["--profile", "long"], "unknown profile 'long'"),
        (["--modes", "eager,jit"], "unknown mode 'jit'"),
        (["--modes", "cudagraphs", "--device", "cpu"], "mode cudagraphs needs a GPU"),
        (["--runtimes", "tensorrt", "--device", "cpu"], "mode tensorrt needs a GPU"),
        (["--modes", "compile-cudagraphs", "--device", "cpu"], "compile-cudagraphs needs a GPU"),
        (["--repeats", "0"], "expected at least 1"),
        (["--max-time", "-1"], "expected a positive number of seconds"),
        (["--shard", "3/2"], "expected I/N with 1 <= I <= N"),
        (["--shard", "first"], "expected I/N with 1 <= I <= N"),
        (["--sizes", "100000x100000"], "needs at least 521.5 GiB (the input and the 11 class"),
        (["--batch-sizes", "1,100000000"], "at batch 100000000 in fp32 needs at least"),
    ],
)
def test_bad_options_exit_2_with_a_message(args, message, capsys, tmp_path):
    assert main(["run", "--out", str(tmp_path / "r"), *args]) == 2
    err = capsys.readouterr().err
    assert message in err and err.startswith("segbench: error:")
    assert not (tmp_path / "r").exists()  # nothing started


def test_cuda_without_a_gpu_exits_2(capsys, tmp_path):
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    assert main(["run", "--device", "cuda", "--out", str(tmp_path)]) == 2
    assert "no CUDA device" in capsys.readouterr().err


def test_run_writes_results_in_the_documented_shape(tmp_path):
    out = tmp_path / "run"
    assert (
        main(
            [
                "run",
                "--models",
                "enet,segnet",
                "--sizes",
                "64x48,131x97",
                "--device",
                "cpu",
                "--max-time",
                "0.3",
                "--skip",
                "accuracy",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    data = json.loads((out / "results.json").read_text())
    assert set(data) >= {"run", "efficiency", "accuracy", "claims"}
    for key in [
        "command",
        "time_utc",
        "git_commit",
        "torch",
        "device",
        "device_name",
        "cpu",
        "threads",
    ]:
        assert key in data["run"]
    rows = data["efficiency"]
    assert [(r["system"], r["width"], r["height"]) for r in rows] == [
        ("enet", 64, 48),
        ("enet", 131, 97),
        ("segnet", 64, 48),
        ("segnet", 131, 97),
    ]
    enet = rows[1]
    assert enet["params"] == enet["params_used"] == 363_791  # 11 classes
    assert (enet["run_width"], enet["run_height"]) == (136, 104)  # padded to ENet's divisor 8
    assert rows[3]["run_width"] == 131  # SegNet runs any size as it is
    for row in rows:
        assert {"batch", "precision", "device", "status"} <= set(row)
    assert (out / "efficiency.csv").read_text().startswith("system,")
    assert "| enet | cpu | 64x48 | 1 | fp32 | eager |" in (out / "report.md").read_text()


def test_console_script_is_the_same_cli():
    import shutil

    exe = shutil.which("segbench")
    if exe is None:
        pytest.skip("segbench is not installed as a console script here")
    result = subprocess.run([exe, "run", "--models", "nope"], capture_output=True, text=True)
    assert result.returncode == 2 and "unknown system 'nope'" in result.stderr
