#!/bin/bash
# The GPU evidence for weftc --target=cuda, run on a machine with an NVIDIA GPU
# from binaries built elsewhere (the GPU machine needs no compiler):
#
#   weftc examples/mlp.weft --target=cuda -o BIN/mlp
#   weftc examples/fashion_cnn.weft --target=cuda -o BIN/fashion_cnn
#   bench/gpu/run.sh BIN DATA OUT [EPOCHS]
#
# Each model may come in three builds, each run where BIN has it: MODEL
# (generated kernels only), MODEL-libraries (--cuda-libraries=cudnn,cublas:
# TF32 allowed, so parity is checked to 1e-2) and MODEL-libraries-strict
# (the same with --cuda-strict-f32, parity to 1e-4). LD_LIBRARY_PATH should
# reach cuDNN and cuBLAS (the CUDA toolkit's lib64 is tried too).
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

# The builds BIN holds, and the parity tolerance of each.
builds=()
for model in mlp fashion_cnn; do
  for suffix in "" -libraries -libraries-strict; do
    [ -x "$BIN/$model$suffix" ] && builds+=("$model$suffix")
  done
done
tolerance() { case $1 in *-libraries) echo 1e-2 ;; *) echo 1e-4 ;; esac; }

for model in "${builds[@]}"; do
  for device in cpu cuda; do
    "$BIN/$model" train --device $device --data "$DATA" --epochs 1 --steps 5 \
      --no-shuffle --seed 7 --save "$OUT/$model-$device.safetensors" \
      >"$OUT/$model-parity-$device.log" 2>&1 || {
      say "$model parity: train --device $device failed:"; tail -3 "$OUT/$model-parity-$device.log" | tee -a "$RESULTS"; status=1; }
  done
  if [ -f "$OUT/$model-cpu.safetensors" ] && [ -f "$OUT/$model-cuda.safetensors" ]; then
    verdict=$(python3 "$HERE/compare.py" --tolerance "$(tolerance $model)" "$OUT/$model-cpu.safetensors" "$OUT/$model-cuda.safetensors" 2>&1) || status=1
    say "$model, 5 steps CPU vs GPU: $verdict"
  fi
done

say ""
say "throughput, examples/s (median of $REPEATS runs of 200 steps after 20 warm-up)"
declare -A eagerOf compiledOf
median() { sort -n | awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)] }'; }
for model in "${builds[@]}"; do
  reference=${model%%-*}
  for batch in 32 256; do
    weft=$(for r in $(seq $REPEATS); do "$BIN/$model" bench --device cuda --data "$DATA" --batch $batch --steps 200 --warmup 20 2>/dev/null | grep -o '"examples_per_second": *[0-9.]*' | grep -o '[0-9.]*$'; done | median)
    # PyTorch is measured once per model and batch, whatever the builds.
    if [ -z "${eagerOf[$reference-$batch]+set}" ]; then
      eagerOf[$reference-$batch]=$(for r in $(seq $REPEATS); do python3 "$HERE/torch_gpu_step.py" $reference --batch $batch --data "$DATA" 2>/dev/null | grep -o '"examples_per_second": [0-9.]*' | grep -o '[0-9.]*$'; done | median)
      compiledOf[$reference-$batch]=$(for r in $(seq $REPEATS); do python3 "$HERE/torch_gpu_step.py" $reference --batch $batch --data "$DATA" --compile 2>/dev/null | grep -o '"examples_per_second": [0-9.]*' | grep -o '[0-9.]*$'; done | median)
    fi
    eager=${eagerOf[$reference-$batch]} compiled=${compiledOf[$reference-$batch]}
    ratio() { python3 -c "import sys; a, b = sys.argv[1:]; print(f'{float(a) / float(b):.2f}x' if a and b else 'n/a')" "$1" "$2"; }
    say "$model batch $batch: weft ${weft:-failed}, torch eager ${eager:-failed} ($(ratio "$weft" "$eager")), torch.compile ${compiled:-failed} ($(ratio "$weft" "$compiled"))"
  done
done

say ""
for model in "${builds[@]}"; do
  [ "${model%%-*}" = fashion_cnn ] || continue
  start=$(date +%s)
  "$BIN/$model" train --device cuda --data "$DATA" --epochs "$EPOCHS" \
    --save "$OUT/$model-gpu-trained.safetensors" --log "$OUT/$model-gpu.jsonl" \
    >"$OUT/$model-train.log" 2>&1 || status=1
  say "$model, $EPOCHS epochs on the GPU in $(( $(date +%s) - start )) s: $(grep -i 'test accuracy\|accuracy' "$OUT/$model-train.log" | tail -1)"
done
exit $status
