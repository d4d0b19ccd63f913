#!/usr/bin/env bash
# Speed checks on a CUDA GPU, with bfloat16 mixed precision: dense 784-32-784 (aekit vs the
# expert and tutorial loops) and conv autoencoders and a conv VAE (NCHW vs channels_last), all
# from bench_speed.py, which writes the "speed-gpu-dense" and "speed-gpu-conv" sections of BENCHMARKS.md. (The dense VAE
# against pythae, bench_vae_vs_pythae.py, pins device="cpu" and is not rerun here.)
# Not part of CI; on a machine without CUDA it says so and exits 0.
#
# Usage: bash benchmarks/gpu_check.sh [extra bench_speed.py arguments]
set -euo pipefail
cd "$(dirname "$0")"

if ! python -c 'import torch'; then
    echo "gpu_check: this python has no torch; activate aekit's environment first." >&2
    exit 1
fi
if ! python -c 'import sys, torch; sys.exit(0 if torch.cuda.is_available() else 1)'; then
    echo "gpu_check: no CUDA device here (torch.cuda.is_available() is False); nothing to run."
    exit 0
fi
python -c 'import torch; p = torch.cuda.get_device_properties(0); print(f"gpu_check: {p.name}, {p.total_memory / 2**30:.0f} GiB, torch {torch.__version__}")'

# Dense and conv epochs on the GPU, mixed precision; inference rows are CPU-only and skipped.
python bench_speed.py --device cuda --amp --parts dense,conv --threads 1 --conv-threads 1 \
    --section speed-gpu "$@"
