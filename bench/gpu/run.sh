#!/bin/bash
# The GPU evidence for weftc --target=cuda, run on a machine with an NVIDIA GPU
# from binaries built elsewhere (the GPU machine needs no compiler):
#
#   weftc examples/mlp.weft --target=cuda -o BIN/mlp
#   weftc examples/fashion_cnn.weft --target=cuda -o BIN/fashion_cnn
#   bench/gpu/run.sh BIN DATA OUT [EPOCHS]
#
# REPEATS (default 3) sets how many runs each throughput figure is the median of.
#
# DATA is a Fashion-MNIST folder (the four idx .gz files); OUT receives logs,
# checkpoints and results.txt. Steps:
#   1. parity: the same first steps (same initialisation, same batches) on the
#      CPU and on the GPU build, weights compared tensor by tensor;
#   2. throughput: `bench --device cuda` against PyTorch on the same GPU
#      (eager and torch.compile) at batch 32 and 256;
#   3. fashion_cnn trained for EPOCHS (default 10) epochs on the GPU.
set -u
BIN=$1 DATA=$2 OUT=$3 EPOCHS=${4:-10} REPEATS=${REPEATS:-3}
HERE=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$OUT"
RESULTS=$OUT/results.txt
: >"$RESULTS"
say() { echo "$*" | tee -a "$RESULTS"; }

say "device: $(nvidia-smi --query-gpu=name,driver_version --format=csv,noheader 2>&1)"
status=0

for model in mlp fashion_cnn; do
  for device in cpu cuda; do
    "$BIN/$model" train --device $device --data "$DATA" --epochs 1 --steps 5 \
      --no-shuffle --seed 7 --save "$OUT/$model-$device.safetensors" \
      >"$OUT/$model-parity-$device.log" 2>&1 || {
      say "$model parity: train --device $device failed:"; tail -3 "$OUT/$model-parity-$device.log" | tee -a "$RESULTS"; status=1; }
  done
  if [ -f "$OUT/$model-cpu.safetensors" ] && [ -f "$OUT/$model-cuda.safetensors" ]; then
    verdict=$(python3 "$HERE/compare.py" "$OUT/$model-cpu.safetensors" "$OUT/$model-cuda.safetensors" 2>&1) || status=1
    say "$model, 5 steps CPU vs GPU: $verdict"
  fi
done

say ""
say "throughput, examples/s (median of $REPEATS runs of 200 steps after 20 warm-up)"
median() { sort -n | awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)] }'; }
for model in mlp fashion_cnn; do
  for batch in 32 256; do
    weft=$(for r in $(seq $REPEATS); do "$BIN/$model" bench --device cuda --data "$DATA" --batch $batch --steps 200 --warmup 20 2>/dev/null | grep -o '"examples_per_second": *[0-9.]*' | grep -o '[0-9.]*$'; done | median)
    eager=$(for r in $(seq $REPEATS); do python3 "$HERE/torch_gpu_step.py" $model --batch $batch --data "$DATA" 2>/dev/null | grep -o '"examples_per_second": [0-9.]*' | grep -o '[0-9.]*$'; done | median)
    compiled=$(for r in $(seq $REPEATS); do python3 "$HERE/torch_gpu_step.py" $model --batch $batch --data "$DATA" --compile 2>/dev/null | grep -o '"examples_per_second": [0-9.]*' | grep -o '[0-9.]*$'; done | median)
    ratio() { python3 -c "import sys; a, b = sys.argv[1:]; print(f'{float(a) / float(b):.2f}x' if a and b else 'n/a')" "$1" "$2"; }
    say "$model batch $batch: weft ${weft:-failed}, torch eager ${eager:-failed} ($(ratio "$weft" "$eager")), torch.compile ${compiled:-failed} ($(ratio "$weft" "$compiled"))"
  done
done

say ""
start=$(date +%s)
"$BIN/fashion_cnn" train --device cuda --data "$DATA" --epochs "$EPOCHS" \
  --save "$OUT/fashion_cnn-gpu-trained.safetensors" --log "$OUT/fashion_cnn-gpu.jsonl" \
  >"$OUT/fashion_cnn-train.log" 2>&1 || status=1
say "fashion_cnn, $EPOCHS epochs on the GPU in $(( $(date +%s) - start )) s: $(grep -i 'test accuracy\|accuracy' "$OUT/fashion_cnn-train.log" | tail -1)"
exit $status
