#!/usr/bin/env bash
# Everything that needs a GPU, in one call on a lent GPU machine (or any CUDA host), from the
# repository root: the GPU tests, the training benchmark with real and uniform element
# lengths, and the forward kernel's launch configurations. Logs go under $OUT (the device
# tool's result folder), else gpu-results/.
#
#   bash bench/gpu_session.sh              # python3 must have torch with CUDA, and Triton
#   PYTHON=.venv/bin/python bash bench/gpu_session.sh
set -uo pipefail
out=${OUT:-gpu-results}
py=${PYTHON:-python3}
mkdir -p "$out"
export PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1 TRITON_DEFAULT_FP_FUSION=1
status=0

step() {  # step NAME COMMAND...: run, log to $out/NAME.log, remember a failure
    local name=$1
    shift
    echo "== $name: $*"
    "$@" 2>&1 | tee "$out/$name.log" || status=1
}

step versions "$py" -c "import torch, triton, numpy; print('torch', torch.__version__, \
'triton', triton.__version__, 'numpy', numpy.__version__, torch.cuda.get_device_name())"
nvidia-smi >"$out/nvidia-smi.txt" 2>&1
step gpu-tests "$py" -m pytest -p no:cacheprovider -q -m gpu tests/test_fastconv_triton.py
step compiled-checks "$py" -m pytest -p no:cacheprovider -q -k hopper tests/test_fastconv_triton.py
step train-phastcons "$py" bench/train_gpu.py --device cuda --measure-peak --lengths phastcons
step train-uniform-sweep "$py" bench/train_gpu.py --device cuda --measure-peak --sweep
exit $status
