#!/usr/bin/env bash
# Everything that needs a GPU, on a lent GPU machine (or any CUDA host), from the repository
# root, in two calls that each fit the device tool's 10 minutes a command:
#
#   bash bench/gpu_session.sh          # versions, GPU tests, compile checks, training benchmark
#                                      #   with real (phastCons) and uniform element lengths
#   bash bench/gpu_session.sh sweep    # the forward kernel's launch configurations
#
# Logs go under $OUT (the device tool's result folder), else gpu-results/. python3 must have
# torch with CUDA, and Triton (PYTHON=.venv/bin/python bash bench/gpu_session.sh for another).
set -uo pipefail
out=${OUT:-gpu-results}
py=${PYTHON:-python3}
mkdir -p "$out"
export PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1 TRITON_DEFAULT_FP_FUSION=1
status=0

step() {  # step NAME SECONDS COMMAND...: run for at most SECONDS, log to $out/NAME.log
    local name=$1 seconds=$2
    shift 2
    echo "== $name (at most ${seconds} s): $*"
    # each step has its own budget, so that one that hangs or runs long leaves the others
    # their time within the device tool's 10 minutes a command
    timeout --kill-after=10 "$seconds" "$@" 2>&1 | tee "$out/$name.log" || status=1
}

if [ "${1:-}" = sweep ]; then
    step sweep 570 "$py" bench/train_gpu.py --device cuda --sweep-only
    exit $status
fi

step versions 60 "$py" -c "import torch, triton, numpy; print('torch', torch.__version__, \
'triton', triton.__version__, 'numpy', numpy.__version__, torch.cuda.get_device_name())"
nvidia-smi >"$out/nvidia-smi.txt" 2>&1
step gpu-tests 120 "$py" -m pytest -p no:cacheprovider -q -m gpu tests/test_fastconv_triton.py
step compiled-checks 60 "$py" -m pytest -p no:cacheprovider -q -k hopper tests/test_fastconv_triton.py
step train-phastcons 170 "$py" bench/train_gpu.py --device cuda --measure-peak --lengths phastcons
step train-uniform 170 "$py" bench/train_gpu.py --device cuda --measure-peak
exit $status
