"""Shell variables for camvid.sh from the step times that probe.py measured (/tmp/probe.json) and
the seconds the trainings may take (argument 1): ENet gets the paper profile and the whole budget;
SegNet trains beside it only if ENet's 300 epochs still fit when the two share the GPU, on the
longest schedule (a multiple of 3 epochs, lr x0.1 every third) that fits."""
import json
import sys

budget = float(sys.argv[1])
ms = json.load(open("/tmp/probe.json"))
steps, val_batches = 36, 11  # CamVid train 367 // 10, val 101 / 10
enet_epoch = (steps * ms["enet_ms"] + val_batches * ms["enet_ms"] * 0.4) / 1e3 + 0.1
segnet_epoch = (steps * ms["segnet_ms"] * 1.25 + val_batches * ms["segnet_ms"] * 0.4) / 1e3 + 0.3
segnet_epochs = 0
if 300 * enet_epoch * 1.3 <= budget:
    segnet_epochs = min(300, int(budget * 0.85 / segnet_epoch) // 3 * 3)
    if segnet_epochs < 30:
        segnet_epochs = 0
print(f"export ENET_LIMIT={budget:.0f} SEGNET_EPOCHS={segnet_epochs} "
      f"SEGNET_STEP={max(segnet_epochs // 3, 1)} SEGNET_LIMIT={budget:.0f}")
print(f"# estimated: ENet {enet_epoch:.2f} s/epoch alone, SegNet {segnet_epoch:.2f} s/epoch",
      file=sys.stderr)
