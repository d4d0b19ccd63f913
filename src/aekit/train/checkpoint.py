"""Per-epoch training checkpoints: everything needed to resume exactly.

One safetensors file holds the weights, the optimizer moments, the best weights so far
and the random-number-generator states; its JSON header holds the epoch, the history and
the scheduler/early-stopping counters. One file means one atomic rename: a run killed
mid-write keeps the previous epoch's checkpoint intact.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
from torch import nn

from aekit.io.tensors import load_tensors, save_tensors

CHECKPOINT_NAME = "checkpoint.safetensors"


def _flatten_optimizer(state: dict[str, Any]) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    tensors: dict[str, torch.Tensor] = {}
    scalars: dict[str, dict[str, Any]] = {}
    for pid, pstate in state["state"].items():
        for k, v in pstate.items():
            if isinstance(v, torch.Tensor):
                tensors[f"optim.{pid}.{k}"] = v
            else:
                scalars.setdefault(str(pid), {})[k] = v
    return tensors, {"param_groups": state["param_groups"], "scalars": scalars}


def _unflatten_optimizer(tensors: dict[str, torch.Tensor], meta: dict[str, Any]) -> dict[str, Any]:
    state: dict[int, dict[str, Any]] = {}
    for key, v in tensors.items():
        if key.startswith("optim."):
            _, pid, name = key.split(".", 2)
            state.setdefault(int(pid), {})[name] = v
    for pid, values in meta["scalars"].items():
        state.setdefault(int(pid), {}).update(values)
    return {"state": state, "param_groups": meta["param_groups"]}


def save_checkpoint(folder: str | Path, *, module: nn.Module, optimizer: torch.optim.Optimizer,
                    best_state: dict[str, torch.Tensor] | None, rng: dict[str, torch.Tensor],
                    meta: dict[str, Any]) -> Path:
    """Write ``folder/checkpoint.safetensors`` atomically and return its path."""
    tensors = {f"model.{k}": v for k, v in module.state_dict().items()}
    opt_tensors, opt_meta = _flatten_optimizer(optimizer.state_dict())
    tensors.update(opt_tensors)
    if best_state is not None:
        tensors.update({f"best.{k}": v for k, v in best_state.items()})
    tensors.update({f"rng.{k}": v for k, v in rng.items()})
    path = Path(folder) / CHECKPOINT_NAME
    save_tensors(path, tensors, {**meta, "optimizer": opt_meta})
    return path


def load_checkpoint(folder: str | Path) -> dict[str, Any] | None:
    """Read a checkpoint into its parts, or None when there is none yet."""
    path = Path(folder) / CHECKPOINT_NAME
    if not path.is_file():
        return None
    tensors, meta = load_tensors(path, what="checkpoint")

    def part(prefix: str) -> dict[str, torch.Tensor]:
        return {k[len(prefix):]: v for k, v in tensors.items() if k.startswith(prefix)}

    best = part("best.")
    return {
        "model": part("model."),
        "optimizer": _unflatten_optimizer(tensors, meta["optimizer"]),
        "best": best or None,
        "rng": part("rng."),
        "meta": meta,
        "path": path,
    }
