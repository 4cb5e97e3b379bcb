"""Training (smoke profile), resume, keyed checkpoint cache, evaluation and the accuracy pass."""

import dataclasses
import json

import numpy as np
import pytest
import torch

from bench.batches import augment_batch, epoch_order, load_split, normalize, sample_params
from bench.cli import main
from bench.datasets import open_dataset
from bench.datasets.base import to_tensor
from bench.errors import BadInput
from bench.train import TrainConfig, cached_checkpoint, load_checkpoint, train


def _states_equal(a, b) -> bool:
    return a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


def test_smoke_training_writes_checkpoints_and_resumes(tmp_path):
    cfg = TrainConfig(system="enet", profile="smoke", seed=3)
    first = train(cfg, progress=False)
    folder = first.checkpoint.parent
    assert (folder / "last.pt").is_file() and (folder / "train_log.json").is_file()
    assert first.epochs == 1 and len(first.log) == 1 and 0 <= first.best_val_miou <= 1
    assert not first.reused and first.complete
    # More epochs is another recipe: another key, another folder, trained from scratch.
    more = train(TrainConfig(system="enet", profile="smoke", seed=3, epochs=2), progress=False)
    assert more.checkpoint.parent != folder and [e["epoch"] for e in more.log] == [1, 2]
    # Nothing left to do: the cached result comes back without training, marked reused.
    again = train(TrainConfig(system="enet", profile="smoke", seed=3, epochs=2), progress=False)
    assert again.reused and again.log == more.log and again.key == more.key
    model = load_checkpoint("enet", 11, again.checkpoint)
    assert isinstance(model, torch.nn.Module) and not model.training


def test_resumed_training_is_bit_identical_to_an_uninterrupted_one(tmp_path):
    """Stopped after epoch 1 and resumed to 3: the same weights and losses as 3 epochs in one
    go (the torch RNG state, which dropout draws from, is checkpointed; scoring draws nothing;
    augmentation is keyed by sample and epoch)."""
    whole = train(
        TrainConfig(
            system="enet", profile="smoke", seed=2, epochs=3, checkpoints=str(tmp_path / "whole")
        ),
        progress=False,
    )
    cfg = TrainConfig(
        system="enet", profile="smoke", seed=2, epochs=3, checkpoints=str(tmp_path / "parts")
    )
    stopped = train(dataclasses.replace(cfg, time_limit_s=1e-9), progress=False)
    assert stopped.epochs_done == 1 and not stopped.complete
    resumed = train(cfg, progress=False)
    assert resumed.epochs_done == 3 and resumed.complete and resumed.key == whole.key
    a = torch.load(tmp_path / "whole" / "last.pt", weights_only=True)["model"]
    b = torch.load(tmp_path / "parts" / "last.pt", weights_only=True)["model"]
    assert _states_equal(a, b)
    assert [e["loss"] for e in whole.log] == [e["loss"] for e in resumed.log]
    assert [e["val_miou"] for e in whole.log] == [e["val_miou"] for e in resumed.log]


def test_same_seed_same_training(tmp_path):
    a = train(
        TrainConfig(system="enet", profile="smoke", seed=5, checkpoints=str(tmp_path / "a")),
        progress=False,
    )
    b = train(
        TrainConfig(system="enet", profile="smoke", seed=5, checkpoints=str(tmp_path / "b")),
        progress=False,
    )
    assert _states_equal(
        torch.load(a.checkpoint, weights_only=True)["model"],
        torch.load(b.checkpoint, weights_only=True)["model"],
    )
    assert a.log[0]["loss"] == b.log[0]["loss"] and a.key == b.key


def test_the_key_changes_with_what_determines_the_weights():
    base = TrainConfig(system="enet", profile="smoke", seed=0)
    first = train(base, progress=False)
    for other in (
        TrainConfig(system="enet", profile="smoke", seed=1),
        TrainConfig(system="enet", profile="smoke", seed=0, lr_step_epochs=7),
        TrainConfig(system="enet", profile="smoke", seed=0, amp="bf16"),
    ):
        assert cached_checkpoint(other) != first.checkpoint
    assert cached_checkpoint(base) == first.checkpoint


def test_a_checkpoint_folder_of_another_recipe_is_refused(tmp_path):
    folder = tmp_path / "ck"
    train(
        TrainConfig(system="enet", profile="smoke", seed=0, checkpoints=str(folder)), progress=False
    )
    with pytest.raises(BadInput, match="another recipe"):
        train(
            TrainConfig(system="enet", profile="smoke", seed=1, checkpoints=str(folder)),
            progress=False,
        )


def test_tests_never_write_to_the_users_cache():
    from pathlib import Path

    from bench.train import cache_root

    assert cache_root() != Path.home() / ".cache" / "segbench"
    assert "pytest" in str(cache_root())


def test_augmentation_is_per_sample_and_keeps_labels_aligned():
    rng = np.random.default_rng(0)
    images = torch.from_numpy(rng.integers(0, 255, (3, 3, 30, 40), dtype=np.uint8))
    labels = torch.from_numpy(np.tile(np.arange(40, dtype=np.uint8) % 11, (3, 30, 1)))
    xa, ya = augment_batch(images, labels, [4, 7, 9], seed=1, epoch=2)
    xb, yb = augment_batch(images[1:2], labels[1:2], [7], seed=1, epoch=2)
    # sample 7's draw does not depend on the batch it falls in
    assert torch.equal(xa[1], xb[0]) and torch.equal(ya[1], yb[0])
    assert xa.shape == (3, 3, 30, 40) and ya.shape == (3, 30, 40) and ya.dtype == torch.int64
    assert set(ya.unique().tolist()) <= set(range(11))  # nearest: no new label values
    draws = {sample_params(1, 2, i, 30, 40, 1.25) for i in range(20)}
    assert len(draws) > 10  # samples draw differently
    assert sample_params(1, 2, 5, 30, 40, 1.25) == sample_params(1, 2, 5, 30, 40, 1.25)
    assert torch.equal(epoch_order(50, 1, 2), epoch_order(50, 1, 2))
    assert not torch.equal(epoch_order(50, 1, 2), epoch_order(50, 1, 3))


def test_memory_split_normalises_as_the_dataset_does():
    ds = open_dataset("synthetic", "val", length=2, size=(64, 48))
    split = load_split(ds)
    x, y = to_tensor(*ds.raw(1))
    assert torch.allclose(normalize(split.images[1:2])[0], x, atol=1e-5)
    assert torch.equal(split.labels[1].long(), y)
    assert split.size == (64, 48)


def test_eval_paths_agree_and_record_the_size_seen(tmp_path, capsys):
    """`eval` (cached weights) and `eval --checkpoint` score the same weights the same way, at
    the dataset's stored size, whatever size the profile trained at."""
    assert main(["train", "--model", "enet", "--profile", "smoke", "--device", "cpu"]) == 0
    assert (
        main(
            [
                "eval",
                "--model",
                "enet",
                "--profile",
                "smoke",
                "--split",
                "test",
                "--device",
                "cpu",
                "--out",
                str(tmp_path / "a"),
            ]
        )
        == 0
    )
    a = json.loads((tmp_path / "a" / "metrics.json").read_text())
    ck = a["checkpoint"]
    assert (
        main(
            [
                "eval",
                "--model",
                "enet",
                "--profile",
                "smoke",
                "--split",
                "test",
                "--device",
                "cpu",
                "--checkpoint",
                ck,
                "--out",
                str(tmp_path / "b"),
            ]
        )
        == 0
    )
    b = json.loads((tmp_path / "b" / "metrics.json").read_text())
    assert a["miou"] == b["miou"] and a["per_class_iou"] == b["per_class_iou"]
    assert a["inference_size"] == "480x360"  # the synthetic frames' size, not smoke's 64x48
    assert "Sky" in capsys.readouterr().out


def test_eval_without_a_checkpoint_exits_2(capsys):
    assert main(["eval", "--model", "enet", "--profile", "smoke"]) == 2
    assert "no checkpoint" in capsys.readouterr().err


@pytest.mark.parametrize(
    "content, message",
    [
        (b"random bytes, not a checkpoint", "is not a PyTorch checkpoint"),
        ("list", "holds a list, not a state dict"),
        ("pickled list", "is a pickle that torch.save did not write"),
        ("cut", "it is cut short or damaged (PytorchStreamReader failed reading zip archive"),
        ("mismatch", "1 unexpected (e.g. nonsense)"),
        ("classes", "it was made for 3 classes, this dataset has 11 (3 vs 11)"),
    ],
)
def test_eval_with_a_bad_checkpoint_exits_2(tmp_path, capsys, content, message):
    bad = tmp_path / "bad.pt"
    if content == "list":
        torch.save([1, 2, 3], bad)
    elif content == "pickled list":
        import pickle

        bad.write_bytes(pickle.dumps([1, 2, 3]))
    elif content == "cut":
        torch.save({"model": {"w": torch.zeros(1000)}}, bad)
        bad.write_bytes(bad.read_bytes()[:500])
    elif content == "mismatch":
        torch.save({"model": {"nonsense": torch.zeros(1)}}, bad)
    elif content == "classes":
        from models import create_model

        torch.save(create_model("enet", 3).state_dict(), bad)
    else:
        bad.write_bytes(content)
    assert main(["eval", "--model", "enet", "--checkpoint", str(bad)]) == 2
    err = capsys.readouterr().err
    assert str(bad) in err and "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert message in err


def test_a_crafted_checkpoint_runs_no_code(tmp_path, capsys):
    class Evil:
        def __reduce__(self):
            return (exec, (f"open({str(tmp_path / 'pwned')!r}, 'w').write('pwned')",))

    bad = tmp_path / "evil.pt"
    torch.save({"model": Evil()}, bad)
    assert main(["eval", "--model", "enet", "--checkpoint", str(bad)]) == 2
    assert not (tmp_path / "pwned").exists()
    assert "loading those could run code, so it is refused" in capsys.readouterr().err


def test_a_corrupt_resume_state_says_what_to_do(tmp_path, capsys):
    (tmp_path / "last.pt").write_bytes(b"PK\x03\x04 cut short")
    assert (
        main(["train", "--model", "enet", "--profile", "smoke", "--checkpoints", str(tmp_path)])
        == 2
    )
    err = capsys.readouterr().err
    assert "cut short or damaged" in err and "delete it to start the training again" in err
    assert len(err.strip().splitlines()) == 1


def test_run_accuracy_pass_rows(tmp_path):
    out = tmp_path / "run"
    assert (
        main(
            [
                "run",
                "--models",
                "enet",
                "--profile",
                "smoke",
                "--skip",
                "efficiency",
                "--device",
                "cpu",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    row = json.loads((out / "results.json").read_text())["accuracy"][0]
    assert row["status"] == "ok", row.get("error")
    for key in [
        "miou",
        "class_avg_acc",
        "global_acc",
        "per_class_iou",
        "profile",
        "epochs",
        "checkpoint",
        "split",
        "dataset",
        "inference_size",
        "weights",
        "weights_key",
        "checkpoint_sha256",
        "train_images_per_s",
        "train_seconds",
    ]:
        assert key in row, key
    assert row["profile"] == "smoke" and row["split"] == "test" and 0 <= row["miou"] <= 1
    assert row["inference_size"] == "480x360" and row["weights"] == "trained in this run"
    assert "## Accuracy" in (out / "report.md").read_text()
    # a second run reuses the cached weights and says so
    assert (
        main(
            [
                "run",
                "--models",
                "enet",
                "--profile",
                "smoke",
                "--skip",
                "efficiency",
                "--device",
                "cpu",
                "--out",
                str(tmp_path / "run2"),
            ]
        )
        == 0
    )
    again = json.loads((tmp_path / "run2" / "results.json").read_text())["accuracy"][0]
    assert again["weights"] == "reused from the cache"
    assert again["checkpoint_sha256"] == row["checkpoint_sha256"] and again["miou"] == row["miou"]


def test_bad_data_fails_before_anything_runs(tmp_path, capsys):
    out = tmp_path / "run"
    assert (
        main(
            [
                "run",
                "--models",
                "enet",
                "--dataset",
                "camvid",
                "--data-root",
                str(tmp_path / "nowhere"),
                "--out",
                str(out),
            ]
        )
        == 2
    )
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
    (root / "classes.json").write_text(
        json.dumps({"names": ["dark", "bright"], "ignore_index": 255})
    )
    out = tmp_path / "run"
    assert (
        main(
            [
                "run",
                "--models",
                "enet",
                "--dataset",
                "folder",
                "--data-root",
                str(root),
                "--profile",
                "smoke",
                "--skip",
                "efficiency",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    row = json.loads((out / "results.json").read_text())["accuracy"][0]
    assert row["status"] == "ok" and set(row["per_class_iou"]) == {"dark", "bright"}
    assert row["inference_size"] == "64x48"
    assert main(["run", "--dataset", "folder", "--skip", "efficiency"]) == 2


def test_enet_two_stage_schedule():
    result = train(
        TrainConfig(system="enet", profile="smoke", seed=1, epochs=2, encoder_first_epochs=1),
        progress=False,
    )
    assert [e["stage"] for e in result.log] == ["encoder", "full"]
    assert result.log[0]["val_miou"] is None and result.best_epoch == 2
    with pytest.raises(ValueError, match="two-stage"):
        train(TrainConfig(system="segnet", profile="smoke", encoder_first_epochs=1), progress=False)


def test_two_stage_options_are_checked(capsys):
    assert (
        main(
            [
                "train",
                "--model",
                "segnet",
                "--profile",
                "smoke",
                "--encoder-first-epochs",
                "1",
                "--epochs",
                "2",
            ]
        )
        == 2
    )
    assert (
        main(["train", "--model", "enet", "--profile", "smoke", "--encoder-first-epochs", "1"]) == 2
    )  # smoke has 1 epoch in all
    assert "encoder-first-epochs" in capsys.readouterr().err


def test_train_and_eval_refuse_a_classical_method(capsys):
    assert main(["eval", "--model", "otsu"]) == 2
    assert "not a deep model" in capsys.readouterr().err


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
    assert (
        main(
            [
                "run",
                "--models",
                "enet",
                "--dataset",
                "camvid",
                "--data-root",
                str(tmp_path / "data"),
                "--profile",
                "smoke",
                "--out",
                str(out),
            ]
        )
        == 2
    )
    err = capsys.readouterr().err
    assert "f1.png" in err and "Traceback" not in err
    assert not out.exists()


def test_train_speed_times_real_steps(tmp_path, capsys):
    assert (
        main(
            [
                "train-speed",
                "--dataset",
                "synthetic",
                "--size",
                "64x48",
                "--batch-size",
                "2",
                "--steps",
                "2",
                "--warmup",
                "0",
                "--variants",
                "fp32,bf16",
                "--out",
                str(tmp_path),
            ]
        )
        == 0
    )
    rows = json.loads((tmp_path / "train_speed.json").read_text())["rows"]
    assert [r["variant"] for r in rows] == ["fp32", "bf16"]
    assert all(r["steps"] == 2 and r["images_per_s"] > 0 and r["size"] == "64x48" for r in rows)
    assert main(["train-speed", "--variants", "nonsense"]) == 2
    assert "unknown variant" in capsys.readouterr().err


def test_eval_out_that_is_a_file_fails_before_scoring(tmp_path, capsys):
    target = tmp_path / "a-file"
    target.write_text("x")
    assert main(["eval", "--model", "enet", "--profile", "smoke", "--out", str(target)]) == 2
    assert "is a file" in capsys.readouterr().err and target.read_text() == "x"


def test_a_checkpoint_folder_in_use_is_refused(tmp_path, capsys):
    from bench.store import FolderLock

    with FolderLock(tmp_path):
        assert (
            main(["train", "--model", "enet", "--profile", "smoke", "--checkpoints", str(tmp_path)])
            == 2
        )
    err = capsys.readouterr().err
    assert "is in use by another run" in err and "choose another --checkpoints" in err
    assert not (tmp_path / "last.pt").exists()
