"""Mask R-CNN (He, Gkioxari, Dollár, Girshick 2017, ICCV, arXiv:1703.06870) as an instance model
inside a semantic benchmark: torchvision's ``maskrcnn_resnet50_fpn`` with no weights.

``InstanceAsSemantic`` turns its instances into a semantic score map the harness can time like
any model: for each image, the detected instances are pasted in ascending score order (a
higher-scoring instance overwrites a lower one where their masks overlap), each mask pixel
(mask probability > 0.5) taking its instance's score in its class's channel. Only the *thing*
classes can be predicted (CamVid: Car, Pedestrian, Bicyclist; Cityscapes: person, rider, car,
truck, bus, train, motorcycle, bicycle); every channel is 0 where no instance lies, so the map
means "no thing here" there. The harness therefore scores it on the thing classes only
(``bench.instance``), a protocol stated in each of its rows.

Model card: where this build departs from the paper
--------------------------------------------------
* Random initialisation, BatchNorm instead of frozen BatchNorm in the ResNet-50 (torchvision's
  choice when no weights are given); the paper starts from an ImageNet-trained ResNet.
* No resizing: torchvision resizes inputs to a shorter side of 800 by default. Here each input
  is processed at its own size (the transform's sizes are set from the input), so a 640x360
  cell is 640x360, as for every model. The transform's normalisation is the identity: the
  harness's inputs are already normalised.
* Its cost depends on the image: the mask head runs once per detection (at most 100), so FLOPs
  and latency of an untrained network (few or no detections above 0.05) are its backbone's,
  FPN's and RPN's plus what the detections add; results say so.
* Parameters: 44.0M for 2 classes (1 thing plus background) as the paper's R50-FPN network with
  torchvision's heads; the count grows with the classes (box and mask predictors).
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from models.registry import Capabilities, register_model

#: Thing classes by dataset class count: CamVid (11) and Cityscapes (19) class ids.
DEFAULT_THINGS = {11: (8, 9, 10), 19: (11, 12, 13, 14, 15, 16, 17, 18)}
MASK_THRESHOLD = 0.5


class InstanceAsSemantic(nn.Module):
    """A torchvision instance model whose eval output is an ``N x C x H x W`` score map.

    ``things[k]`` is the dataset class of the detector's label ``k + 1`` (0 is background).
    ``instances(x)`` gives the detector's own output (a list of dicts) for a normalised batch.
    In train mode, ``forward(x, targets)`` returns the detector's loss dict.
    """

    def __init__(self, net: nn.Module, num_classes: int, things: tuple[int, ...]):
        super().__init__()
        if not things or min(things) < 0 or max(things) >= num_classes:
            raise ValueError(f"thing classes {things} must be class ids 0..{num_classes - 1}")
        self.net = net
        self.num_classes = num_classes
        self.things = tuple(things)
        self.class_of_label = (-1, *things)  # the detector's label -> dataset class

    def _own_size(self, x: torch.Tensor) -> None:
        h, w = x.shape[-2:]
        transform: Any = self.net.transform
        transform.min_size, transform.max_size = (min(h, w),), max(h, w)

    def instances(self, x: torch.Tensor, targets=None):
        self._own_size(x)
        return self.net(list(x), targets)

    def forward(self, x: torch.Tensor, targets=None):
        if self.training and targets is not None:
            return self.instances(x, targets)
        if self.training:  # no targets: BatchNorm calibration (models.calibrate)
            backbone: Any = self.net.backbone  # its BatchNorm layers are the only ones
            backbone(x)  # statistics from x; the rest runs as in eval
            self.net.eval()
            try:
                return self._pasted(x)
            finally:
                self.net.train()
        return self._pasted(x)

    def _pasted(self, x: torch.Tensor) -> torch.Tensor:
        out = x.new_zeros(x.shape[0], self.num_classes, *x.shape[-2:])
        for i, det in enumerate(self.instances(x)):
            order = torch.argsort(det["scores"])  # ascending: the best is pasted last
            for k in order.tolist():
                mask = det["masks"][k, 0] > MASK_THRESHOLD
                out[i][:, mask] = 0
                out[i, self.class_of_label[int(det["labels"][k])], mask] = det["scores"][k]
        return out


@register_model(
    "maskrcnn",
    family="instance",
    description="Mask R-CNN, ResNet-50 FPN: instances pasted into a class map in ascending "
    "score order; scored on the thing classes only (torchvision)",
    paper="He, Gkioxari, Dollár, Girshick 2017, Mask R-CNN, ICCV, arXiv:1703.06870",
    input_divisor=1,
    capabilities=Capabilities(half=False, compile=False, onnx=False),
    notes="torchvision maskrcnn_resnet50_fpn(weights=None, weights_backbone=None), no resizing "
    "(each input at its own size), identity normalisation; predicts thing classes only "
    "(CamVid: Car, Pedestrian, Bicyclist), scored things-only; cost depends on the "
    "detections (card: models/maskrcnn.py)",
)
def maskrcnn(num_classes: int, things: tuple[int, ...] | None = None, **kwargs: Any) -> nn.Module:
    from torchvision.models.detection import maskrcnn_resnet50_fpn

    if things is None:
        if num_classes not in DEFAULT_THINGS:
            raise ValueError(
                f"maskrcnn needs its thing classes (things=...) for {num_classes} classes; "
                f"defaults exist for CamVid (11) and Cityscapes (19)"
            )
        things = DEFAULT_THINGS[num_classes]
    kwargs.setdefault("image_mean", [0.0, 0.0, 0.0])
    kwargs.setdefault("image_std", [1.0, 1.0, 1.0])
    net = maskrcnn_resnet50_fpn(
        weights=None, weights_backbone=None, num_classes=len(things) + 1, **kwargs
    )
    return InstanceAsSemantic(net, num_classes, tuple(things))
