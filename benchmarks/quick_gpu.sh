#!/bin/bash
# The device check of issues 16 and 18: every chapter in the quick profile on CUDA. Run from the repository root on the GPU machine.
set -o pipefail
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl || exit 1
export PYTHONPATH=/tmp/site:$PWD PYTHONUNBUFFERED=1
nvidia-smi -L | tee $OUT/device.txt
python3 -c "import torch; print('torch', torch.__version__, 'cuda', torch.cuda.is_available())" | tee -a $OUT/device.txt
start=$(date +%s)
timeout 420 python3 -m resdyn_utils.book --profile quick --no-html > $OUT/quick_gpu.log 2>&1
echo "quick profile exit $? in $(( $(date +%s) - start )) s" | tee -a $OUT/device.txt
cp _build/results/build.json $OUT/quick_gpu_build.json 2>/dev/null
cp _build/results/certified.json $OUT/quick_gpu_certified.json 2>/dev/null
tail -5 $OUT/quick_gpu.log
