"""aekit's VariationalAutoencoder against pythae's VAE trainer on continuous MNIST, same process.

pythae's default MLP (784-512-latent, ReLU, sigmoid decoder), latent 32, BCE, Adam 1e-3,
batch 128. Each round fits both for ``--epochs`` epochs, alternating, and reports the
wall-clock seconds per epoch of each whole fit (set-up included). Needs
``pip install pythae``. Prints its table; it does not write BENCHMARKS.md yet (the first
runs were on a loaded machine, see the stop note).

    python benchmarks/bench_vae_vs_pythae.py [--epochs 2] [--rounds 3] [--threads 2]
"""

from __future__ import annotations

import argparse
import logging
import tempfile
import time

import numpy as np
import torch

from aekit import VariationalAutoencoder
from aekit.data import load_mnist


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", default="/work/shared/data", help="folder with the MNIST IDX files")
    p.add_argument("--epochs", type=int, default=2)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--threads", type=int, default=2)
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    logging.disable(logging.WARNING)
    from pythae.models import VAE, VAEConfig
    from pythae.pipelines import TrainingPipeline
    from pythae.trainers import BaseTrainerConfig

    X = load_mnist("train", root=args.data, download=False).X.astype(np.float32)  # (N, 1, 28, 28)
    times: dict[str, list[float]] = {"aekit": [], "pythae": []}
    for _ in range(args.rounds):
        t = time.perf_counter()
        VariationalAutoencoder(32, hidden=(512,), batch_size=128, epochs=args.epochs, random_state=0,
                               device="cpu").fit(X.reshape(len(X), -1))
        times["aekit"].append((time.perf_counter() - t) / args.epochs)
        cfg = BaseTrainerConfig(output_dir=tempfile.mkdtemp(), num_epochs=args.epochs, per_device_train_batch_size=128,
                                learning_rate=1e-3, no_cuda=True, steps_saving=None)
        model = VAE(VAEConfig(input_dim=(1, 28, 28), latent_dim=32, reconstruction_loss="bce"))
        t = time.perf_counter()
        TrainingPipeline(training_config=cfg, model=model)(train_data=X, eval_data=None)
        times["pythae"].append((time.perf_counter() - t) / args.epochs)
    print("| contender | s/epoch per round | median |\n|---|---|---:|")
    for name, ts in times.items():
        print(f"| {name} | {', '.join(f'{v:.2f}' for v in ts)} | {np.median(ts):.2f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
