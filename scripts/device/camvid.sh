#!/usr/bin/env bash
# The CamVid trainings on a lent GPU, inside one command of at most
# 10 minutes. ENet trains with the paper profile (300 epochs); SegNet, beside it on the same GPU,
# with the paper's recipe on a schedule of SEGNET_EPOCHS epochs (lr x0.1 every SEGNET_STEP).
# Both stop (checkpointed) before their time limits; then both are scored on CamVid test.
# ENet's checkpoints go straight to $OUT/enet; everything else comes back in $OUT/bundle.tgz.
# Environment: OUT, SEGBENCH_DATA (holding CamVid/), and from plan.py: ENET_LIMIT,
# SEGNET_EPOCHS (0: no SegNet), SEGNET_STEP, SEGNET_LIMIT (seconds).
set -u
W=/tmp/work; mkdir -p "$W" "$OUT/enet"
python -m bench train --model enet --dataset camvid --profile paper --device cuda \
  --checkpoints "$OUT/enet" --time-limit "$ENET_LIMIT" > "$W/enet-train.log" 2>&1 &
enet=$!
models=enet
if [ "$SEGNET_EPOCHS" -gt 0 ]; then
  models="enet segnet"
  python -m bench train --model segnet --dataset camvid --profile paper --device cuda \
    --epochs "$SEGNET_EPOCHS" --lr-step "$SEGNET_STEP" --checkpoints /tmp/segnet \
    --time-limit "$SEGNET_LIMIT" > "$W/segnet-train.log" 2>&1 &
  segnet=$!
fi
wait $enet; echo "enet training exit $?"; tail -2 "$W/enet-train.log"
if [ "$SEGNET_EPOCHS" -gt 0 ]; then
  wait $segnet; echo "segnet training exit $?"; tail -2 "$W/segnet-train.log"
  cp /tmp/segnet/train_log.json "$W/segnet-train_log.json"
fi
for m in $models; do
  ck=$([ $m = enet ] && echo "$OUT/enet/best.pt" || echo /tmp/segnet/best.pt)
  python -m bench eval --model $m --dataset camvid --split test --device cuda --checkpoint "$ck" \
    --out "$W/$m-test" > "$W/$m-test.log" 2>&1; echo "$m test exit $?"; grep -a "mIoU" "$W/$m-test.log"
done
nvidia-smi > "$W/nvidia-smi.txt" 2>&1
# A finished ENet needs no optimiser state: leave only what is needed to resume an unfinished one.
python - <<'PY'
import json, os
log = json.load(open(os.environ["OUT"] + "/enet/train_log.json"))
if len(log["log"]) >= log["recipe"]["epochs"]:
    os.remove(os.environ["OUT"] + "/enet/last.pt")
PY
rm -f "$OUT"/enet/*.tmp
tar czf "$OUT/bundle.tgz" -C "$W" .
ls -la "$OUT" "$OUT/enet"
