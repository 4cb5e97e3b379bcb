"""Training (smoke profile), resume, checkpoint cache, evaluation and the accuracy pass."""
import json

import numpy as np
import pytest
import torch

from bench.cli import main
from bench.train import Augment, TrainConfig, checkpoint_dir, load_checkpoint, train


@pytest.fixture(autouse=True)
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("SEGBENCH_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache"


def test_smoke_training_writes_checkpoints_and_resumes():
    cfg = TrainConfig(system="enet", profile="smoke", seed=3)
    first = train(cfg, progress=False)
    folder = checkpoint_dir("enet", "synthetic", "smoke", 3)
    assert first.checkpoint == folder / "best.pt" and (folder / "last.pt").is_file()
    assert first.epochs == 1 and len(first.log) == 1 and 0 <= first.best_val_miou <= 1
    # Asking for more epochs resumes from the saved state instead of starting again.
    more = train(TrainConfig(system="enet", profile="smoke", seed=3, epochs=2), progress=False)
    assert [e["epoch"] for e in more.log] == [1, 2]
    assert more.log[0] == first.log[0]
    # Nothing left to do: the cached result comes back without training.
    again = train(TrainConfig(system="enet", profile="smoke", seed=3, epochs=2), progress=False)
    assert again.log == more.log
    model = load_checkpoint("enet", 11, again.checkpoint)
    assert isinstance(model, torch.nn.Module) and not model.training


def test_same_seed_same_training():
    a = train(TrainConfig(system="enet", profile="smoke", seed=5), progress=False)
    state_a = torch.load(a.checkpoint, weights_only=False)["model"]
    import shutil

    shutil.rmtree(checkpoint_dir("enet", "synthetic", "smoke", 5))
    b = train(TrainConfig(system="enet", profile="smoke", seed=5), progress=False)
    state_b = torch.load(b.checkpoint, weights_only=False)["model"]
    assert all(torch.equal(state_a[k], state_b[k]) for k in state_a)
    assert a.log[0]["loss"] == b.log[0]["loss"]


def test_augment_is_seeded_and_keeps_labels_aligned():
    img = np.random.default_rng(0).integers(0, 255, (30, 40, 3), dtype=np.uint8)
    lab = np.tile(np.arange(40, dtype=np.uint8) % 11, (30, 1))
    a, b = Augment(1), Augment(1)
    for _ in range(5):
        (ia, la), (ib, lb) = a(img, lab), b(img, lab)
        assert np.array_equal(ia, ib) and np.array_equal(la, lb)
        assert ia.shape == img.shape and la.shape == lab.shape
        assert set(np.unique(la)) <= set(np.unique(lab))  # nearest: no new label values


def test_eval_without_a_checkpoint_exits_2(capsys):
    assert main(["eval", "--model", "enet", "--profile", "smoke"]) == 2
    assert "no checkpoint" in capsys.readouterr().err


def test_eval_with_a_broken_checkpoint_exits_2(tmp_path, capsys):
    bad = tmp_path / "bad.pt"
    torch.save({"model": {"nonsense": torch.zeros(1)}}, bad)
    assert main(["eval", "--model", "enet", "--checkpoint", str(bad)]) == 2
    assert "cannot load" in capsys.readouterr().err


def test_train_then_eval_from_the_cli(capsys):
    assert main(["train", "--model", "enet", "--profile", "smoke", "--device", "cpu"]) == 0
    assert main(["eval", "--model", "enet", "--profile", "smoke", "--split", "test",
                 "--device", "cpu"]) == 0
    out = capsys.readouterr().out
    assert "mIoU" in out and "Sky" in out


def test_run_accuracy_pass_rows(tmp_path):
    out = tmp_path / "run"
    assert main(["run", "--models", "enet", "--profile", "smoke", "--skip", "efficiency",
                 "--device", "cpu", "--out", str(out)]) == 0
    row = json.loads((out / "results.json").read_text())["accuracy"][0]
    assert row["status"] == "ok", row.get("error")
    for key in ["miou", "class_avg_acc", "global_acc", "per_class_iou", "profile", "epochs",
                "checkpoint", "split", "dataset"]:
        assert key in row
    assert row["profile"] == "smoke" and row["split"] == "test" and 0 <= row["miou"] <= 1
    assert "## Accuracy" in (out / "report.md").read_text()


def test_bad_data_fails_before_anything_runs(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["run", "--models", "enet", "--dataset", "camvid", "--data-root",
                 str(tmp_path / "nowhere"), "--out", str(out)]) == 2
    assert "CamVid" in capsys.readouterr().err
    assert not out.exists()


def test_a_users_folder_dataset_end_to_end(tmp_path):
    import cv2

    root = tmp_path / "mydata"
    (root / "images").mkdir(parents=True)
    (root / "masks").mkdir()
    rng = np.random.default_rng(0)
    for i in range(4):
        mask = np.zeros((48, 64), np.uint8)
        mask[:, 32:] = 1
        image = np.where(mask[..., None] == 1, 200, 40).astype(np.uint8).repeat(3, axis=2)
        image = np.clip(image + rng.integers(0, 20, image.shape), 0, 255).astype(np.uint8)
        cv2.imwrite(str(root / "images" / f"img{i}.png"), image)
        cv2.imwrite(str(root / "masks" / f"img{i}.png"), mask)
    (root / "classes.json").write_text(json.dumps({"names": ["dark", "bright"],
                                                   "ignore_index": 255}))
    out = tmp_path / "run"
    assert main(["run", "--models", "enet", "--dataset", "folder", "--data-root", str(root),
                 "--profile", "smoke", "--skip", "efficiency", "--out", str(out)]) == 0
    row = json.loads((out / "results.json").read_text())["accuracy"][0]
    assert row["status"] == "ok" and set(row["per_class_iou"]) == {"dark", "bright"}
    assert main(["run", "--dataset", "folder", "--skip", "efficiency"]) == 2


def test_enet_two_stage_schedule():
    result = train(TrainConfig(system="enet", profile="smoke", seed=1, epochs=2,
                               encoder_first_epochs=1), progress=False)
    assert [e["stage"] for e in result.log] == ["encoder", "full"]
    assert result.log[0]["val_miou"] is None and result.best_epoch == 2
    with pytest.raises(ValueError, match="two-stage"):
        train(TrainConfig(system="segnet", profile="smoke", encoder_first_epochs=1),
              progress=False)


def test_two_stage_options_are_checked(capsys):
    assert main(["train", "--model", "segnet", "--profile", "smoke",
                 "--encoder-first-epochs", "1", "--epochs", "2"]) == 2
    assert main(["train", "--model", "enet", "--profile", "smoke",
                 "--encoder-first-epochs", "1"]) == 2  # smoke has 1 epoch in all
    assert "encoder-first-epochs" in capsys.readouterr().err


def test_a_corrupt_image_stops_run_before_any_work(tmp_path, capsys):
    import cv2

    root = tmp_path / "data" / "CamVid"
    for split in ("train", "val", "test"):
        (root / split).mkdir(parents=True)
        (root / f"{split}annot").mkdir()
        for i in range(2):
            cv2.imwrite(str(root / split / f"f{i}.png"), np.zeros((36, 48, 3), np.uint8))
            cv2.imwrite(str(root / f"{split}annot" / f"f{i}.png"), np.ones((36, 48), np.uint8))
    (root / "test" / "f1.png").write_bytes(b"\x89PNG not really an image")
    out = tmp_path / "run"
    assert main(["run", "--models", "enet", "--dataset", "camvid", "--data-root",
                 str(tmp_path / "data"), "--profile", "smoke", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "f1.png" in err and "Traceback" not in err
    assert not out.exists()
