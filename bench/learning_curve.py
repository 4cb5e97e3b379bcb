"""The learning curve of a training: loss, val mIoU and learning rate per epoch, from the
``train_log.json`` that ``bench train`` writes beside its checkpoints.

``plot_learning_curve(log_paths, out_png)`` draws one or more logs (one line each) in three
panels sharing the epoch axis, marks each log's best val epoch, and writes PNG and SVG.
"""

from __future__ import annotations

import json
from pathlib import Path

from bench.errors import BadInput


def read_train_log(path: str | Path) -> dict:
    """A train_log.json as a dict with ``log`` (one entry per epoch); BadInput otherwise."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BadInput(
            f"cannot read {path} as a training log ({exc}): expected the "
            f"train_log.json that `bench train` writes"
        ) from None
    if not isinstance(data, dict) or not isinstance(data.get("log"), list) or not data["log"]:
        raise BadInput(
            f"{path} is not a training log: expected a JSON object with a non-empty "
            f"'log' list (the train_log.json that `bench train` writes)"
        )
    return data


def plot_learning_curve(log_paths, out_png: str | Path, labels=None) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    logs = [read_train_log(p) for p in log_paths]
    labels = labels or [
        f"{d.get('system', '?')} ({Path(p).parent.name})" for d, p in zip(logs, log_paths)
    ]
    fig, axes = plt.subplots(
        3, 1, figsize=(8, 8), sharex=True, gridspec_kw={"height_ratios": [2, 2, 1]}
    )
    for data, label in zip(logs, labels):
        entries = data["log"]
        epochs = [e["epoch"] for e in entries]
        (line,) = axes[0].plot(epochs, [e["loss"] for e in entries], label=label)
        scored = [e for e in entries if e.get("val_miou") is not None]
        axes[1].plot(
            [e["epoch"] for e in scored],
            [100 * e["val_miou"] for e in scored],
            color=line.get_color(),
            label=label,
        )
        if scored:
            best = max(scored, key=lambda e: e["val_miou"])
            axes[1].plot(best["epoch"], 100 * best["val_miou"], "o", color=line.get_color())
            axes[1].annotate(
                f"best {100 * best['val_miou']:.1f}% (epoch {best['epoch']})",
                (best["epoch"], 100 * best["val_miou"]),
                textcoords="offset points",
                xytext=(-10, -16),
                ha="right",
                fontsize=8,
            )
        axes[2].plot(epochs, [e["lr"] for e in entries], color=line.get_color())
    axes[0].set_ylabel("training loss\n(weighted cross-entropy)")
    axes[1].set_ylabel("val mIoU (%)")
    axes[2].set_ylabel("learning rate")
    axes[2].set_yscale("log")
    axes[2].set_xlabel("epoch")
    axes[0].legend(fontsize=8)
    for ax in axes:
        ax.grid(alpha=0.3)
    recipe = logs[0].get("recipe", {})
    fig.suptitle(
        f"Learning curve on {logs[0].get('dataset', '?')}: profile "
        f"{recipe.get('profile', '?')}, batch {recipe.get('batch_size', '?')}, "
        f"{'x'.join(map(str, recipe.get('train_size', [])))}"
    )
    fig.tight_layout()
    out_png = Path(out_png)
    out_png.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out_png, dpi=120)
    fig.savefig(out_png.with_suffix(".svg"))
    plt.close(fig)
    return out_png
