"""Segmentation accuracy from one confusion matrix accumulated over a whole split.

The paper's CamVid metrics: class IoU averaged over classes (mIoU), class-average accuracy
(mean per-class recall) and global accuracy (pixel accuracy), plus per-class IoU and
frequency-weighted IoU. Void pixels (the ignore index) are left out everywhere. A class that never
occurs in the ground truth and is never predicted has no IoU (NaN, reported as null) and is left
out of the means ("mean over classes present"); a class that is predicted but never occurs has IoU
0 and counts.
"""

from __future__ import annotations

import numpy as np
import torch


class ConfusionMatrix:
    """``mat[t, p]``: pixels of true class ``t`` predicted as ``p``, accumulated batch by batch."""

    def __init__(self, num_classes: int, ignore_index: int | None = None):
        if num_classes < 1:
            raise ValueError(f"num_classes must be at least 1, got {num_classes}")
        self.num_classes = num_classes
        self.ignore_index = ignore_index
        self.mat = torch.zeros((num_classes, num_classes), dtype=torch.int64)

    def update(self, target: torch.Tensor, pred: torch.Tensor) -> None:
        """Add a batch: integer class maps of the same shape (any leading dimensions)."""
        if target.shape != pred.shape:
            raise ValueError(
                f"target {tuple(target.shape)} and prediction {tuple(pred.shape)} differ in shape"
            )
        # Counted on the tensors' own device (a GPU scores without copying class maps back);
        # only the n x n counts come to the host.
        t = target.reshape(-1).to(torch.int64)
        p = pred.reshape(-1).to(target.device, torch.int64)
        keep = torch.ones_like(t, dtype=torch.bool)
        if self.ignore_index is not None:
            keep &= t != self.ignore_index
        t, p = t[keep], p[keep]
        n = self.num_classes
        bad_t = (t < 0) | (t >= n)
        if bad_t.any():
            values = sorted(set(t[bad_t].unique().tolist()))[:10]
            raise ValueError(
                f"label values {values} are outside 0..{n - 1} and are not the "
                f"ignore index {self.ignore_index}"
            )
        if ((p < 0) | (p >= n)).any():
            raise ValueError(f"predicted classes outside 0..{n - 1}")
        self.mat += torch.bincount(t * n + p, minlength=n * n).reshape(n, n).cpu()

    def reset(self) -> None:
        self.mat.zero_()

    def compute(self, class_names: list[str] | tuple[str, ...] | None = None) -> dict:
        """Metrics as fractions in [0, 1]; NaN where a value is undefined."""
        m = self.mat.to(torch.float64).numpy()
        tp = np.diag(m)
        gt = m.sum(axis=1)  # pixels of each true class
        pred = m.sum(axis=0)
        union = gt + pred - tp
        with np.errstate(divide="ignore", invalid="ignore"):
            iou = np.where(union > 0, tp / union, np.nan)
            recall = np.where(gt > 0, tp / gt, np.nan)
        total = m.sum()
        present = gt > 0
        names = list(class_names) if class_names else [str(i) for i in range(self.num_classes)]
        freq = gt / total if total else np.zeros_like(gt)
        return {
            "miou": float(np.nanmean(iou)) if np.isfinite(iou).any() else float("nan"),
            "class_avg_acc": float(np.nanmean(recall)) if present.any() else float("nan"),
            "global_acc": float(tp.sum() / total) if total else float("nan"),
            "fwiou": float(np.nansum(freq * np.nan_to_num(iou))) if total else float("nan"),
            "per_class_iou": {n: float(v) for n, v in zip(names, iou)},
            "per_class_acc": {n: float(v) for n, v in zip(names, recall)},
            "pixels": int(total),
        }
