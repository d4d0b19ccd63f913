"""Run by the distributed test under torchrun: train, then rank 0 saves the weights."""

from __future__ import annotations

import os
import sys

import torch
from safetensors.torch import save_file

from aekit.losses import ReconstructionObjective
from aekit.models import DenseAE, DenseSpec
from aekit.train import TrainConfig, fit_module
from tests.conftest import low_rank_table


def main(out_dir: str) -> None:
    rank = int(os.environ.get("RANK", "0"))
    torch.manual_seed(0)  # the same initial weights in every process (DDP broadcasts rank 0's anyway)
    module = DenseAE(DenseSpec(10, 2, (16,)))
    X = low_rank_table(n=251)  # 251 rows: the last global batch of 59 splits 30/29 across two ranks
    ckpt = os.path.join(out_dir, f"ckpt-rank{rank}")
    fit_module(module, X, ReconstructionObjective("mse", "sigmoid"),
               TrainConfig(epochs=3, batch_size=64, lr=1e-2, seed=11, checkpoint_dir=ckpt))
    if rank == 0:
        save_file({k: v.contiguous() for k, v in module.state_dict().items()},
                  os.path.join(out_dir, f"weights-world{os.environ.get('WORLD_SIZE', '1')}.safetensors"))


if __name__ == "__main__":
    main(sys.argv[1])
