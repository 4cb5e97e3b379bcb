#!/usr/bin/env bash
# One lease of a lent GPU: the deep models in each GPU runtime, at 640x360, batch 1.
# Run from the repository root on the device (README of scripts/device for the wheels):
#   SEGBENCH_COMMIT=<rev> bash scripts/device/runtimes.sh
# Each phase is time-boxed (`timeout` sends SIGTERM: the run keeps every finished row and renders
# what it has); the run folders come back as one archive, $OUT/gpu-runtimes.tgz.
set -u
export PYTHONUNBUFFERED=1
FIVE=enet,segnet,unet,pspnet,deeplabv3plus
PEERS=erfnet,espnetc,cgnet,contextnet,fastscnn,lednet,dabnet,edanet,fpenet,esnet,sqnet,segformer,lraspp,frrn
COMMON="--skip accuracy --device cuda --sizes 640x360 --no-fvcore --max-time 1"
R=/tmp/gpu-runtimes
mkdir -p $R
nvidia-smi > $R/nvidia-smi.txt 2>&1
python3 - > $R/probe.txt 2>&1 <<'PY'
import importlib.util, torch
print("torch", torch.__version__, "cuda", torch.version.cuda, "gpu", torch.cuda.get_device_name(0))
try:
    import onnxruntime as ort
    print("onnxruntime", ort.__version__, "providers", ort.get_available_providers())
except ImportError as e:
    print("onnxruntime: not installed", e)
for m in ("torch_tensorrt", "tensorrt"):
    print(m, "installed" if importlib.util.find_spec(m) else "not installed")
PY
cat $R/probe.txt
phase() {  # name, seconds, args...
  local name=$1 secs=$2; shift 2
  echo "== $name ($secs s) $(date -u +%T)"
  timeout -s TERM -k 20 "$secs" python3 -m bench run $COMMON --out $R/$name "$@" 2>&1 \
    | grep -v '%|' | tail -n 40
}
phase five-eager 90 --models $FIVE --precision fp32,fp16 --modes eager,cudagraphs
phase five-runtimes 200 --models $FIVE --precision fp16 \
  --modes compile,compile-cudagraphs,onnxruntime,tensorrt
phase peers-eager 110 --models $PEERS --precision fp16 --modes eager,cudagraphs
phase enet-fp32-compile 50 --models enet --precision fp32 --modes compile,compile-cudagraphs
echo "== done $(date -u +%T)"
tar czf $OUT/gpu-runtimes.tgz -C /tmp gpu-runtimes
