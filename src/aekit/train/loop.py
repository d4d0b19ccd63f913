"""The one training loop. It knows nothing about autoencoder families: a module, data,
an objective that returns named loss terms, and a :class:`TrainConfig`."""

from __future__ import annotations

import json
import math
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import Tensor, nn
from torch.nn.parallel import DistributedDataParallel

from aekit.data.batching import Batches, eval_batches
from aekit.errors import InputError, TrainingDivergedError
from aekit.losses.objective import Objective
from aekit.train.callbacks import Callback
from aekit.train.checkpoint import load_checkpoint, save_checkpoint
from aekit.train.config import TrainConfig
from aekit.train.device import amp_dtype, flush_denormals, resolve_device
from aekit.train.distributed import Topology, all_reduce_sum, broadcast_module, init_from_env
from aekit.train.schedule import check_schedule, scheduled_lr

History = list[dict[str, Any]]


class _ObjectiveStep(nn.Module):
    """Runs the objective inside ``forward`` so DistributedDataParallel sees the call."""

    def __init__(self, module: nn.Module, objective: Objective) -> None:
        super().__init__()
        self.module = module
        self.objective = objective

    def forward(self, x: Tensor) -> dict[str, Tensor]:
        return self.objective(self.module, x)


def _on_device(data: Tensor | np.ndarray, device: torch.device) -> Tensor | np.ndarray:
    if isinstance(data, np.memmap):
        return data  # streamed chunk by chunk
    t = data if isinstance(data, Tensor) else torch.from_numpy(np.ascontiguousarray(data, dtype=np.float32))
    return t.to(device=device, dtype=torch.float32)


def _call(callbacks: Sequence[Any], name: str, *args: Any, **kwargs: Any) -> None:
    for cb in callbacks:
        fn = getattr(cb, name, None)
        if fn is not None:
            fn(*args, **kwargs)


@torch.no_grad()
def evaluate(module: nn.Module, objective: Objective, data: Tensor | np.ndarray, *,
             device: torch.device | None = None, batch_size: int = 4096) -> dict[str, float]:
    """Mean of every objective term over ``data`` (eval mode, no gradients)."""
    device = device or next(module.parameters()).device
    was_training = module.training
    module.eval()
    sums: dict[str, float] = {}
    n = 0
    for xb in eval_batches(data, batch_size, device):
        terms = objective(module, xb)
        for k, v in terms.items():
            sums[k] = sums.get(k, 0.0) + float(v) * len(xb)
        n += len(xb)
    module.train(was_training)
    return {k: v / n for k, v in sums.items()}


def _rng_state(gen: torch.Generator, device: torch.device) -> dict[str, Tensor]:
    state = {"shuffle": gen.get_state(), "torch": torch.get_rng_state()}
    if device.type == "cuda":
        state["cuda"] = torch.cuda.get_rng_state(device)
    return state


def _restore_rng(state: dict[str, Tensor], gen: torch.Generator, device: torch.device) -> None:
    gen.set_state(state["shuffle"])
    torch.set_rng_state(state["torch"])
    if device.type == "cuda" and "cuda" in state:
        torch.cuda.set_rng_state(state["cuda"], device)


def _adam(module: nn.Module, config: TrainConfig, device: torch.device) -> torch.optim.Optimizer:
    """Adam, fused into one kernel per parameter tensor where torch has that kernel.

    Stock Adam on the CPU runs about ten small ops per parameter tensor per step; the fused
    kernel (CPU since torch 2.4, CUDA) took 65 us instead of 160-300 us per step on the
    784-32-784 model, about a tenth of its whole training step (BENCHMARKS.md).
    """
    params = list(module.parameters())
    if device.type in ("cpu", "cuda") and all(p.is_floating_point() for p in params):
        try:
            return torch.optim.Adam(params, lr=config.lr, weight_decay=config.weight_decay, fused=True)
        except RuntimeError:  # torch < 2.4 has no CPU kernel
            pass
    return torch.optim.Adam(params, lr=config.lr, weight_decay=config.weight_decay)


def _shared_seed(seed: int | None, topo: Topology) -> int:
    if seed is None:
        seed = int(torch.randint(0, 2**62, (1,)).item()) if topo.is_main else 0
    t = torch.tensor([seed if topo.is_main else 0], dtype=torch.int64)
    return int(all_reduce_sum(t, topo).item())  # rank 0's seed everywhere


def fit_module(module: nn.Module, train: Tensor | np.ndarray, objective: Objective, config: TrainConfig, *,
               val: Tensor | np.ndarray | None = None, callbacks: Sequence[Callback] = (),
               fingerprint: str | None = None) -> History:
    """Train ``module`` in place to minimise ``objective(module, x)["loss"]``; return the history.

    Parameters
    ----------
    module : torch.nn.Module
        Any module the objective knows how to call.
    train : Tensor or ndarray, shape (N, ...)
        Training samples. Tensors and ordinary arrays are moved to the device once;
        a ``np.memmap`` is streamed from disk in chunks.
    objective : callable
        ``objective(module, x) -> {"loss": scalar tensor, other named terms...}``.
    config : TrainConfig
    val : Tensor or ndarray, optional
        Validation samples; their loss drives early stopping and lr reduction.
    callbacks : sequence of Callback
    fingerprint : str, optional
        Identifies the run's settings; a checkpoint with another fingerprint is not resumed.

    Returns
    -------
    list of dict
        One record per epoch: ``epoch``, ``loss`` and every other term, ``val_*`` terms,
        ``lr`` and ``seconds``.

    Raises
    ------
    TrainingDivergedError
        When the loss becomes NaN or infinite.
    """
    check_schedule(config.lr_schedule, config.reduce_lr_patience)
    device = resolve_device(config.device)
    topo = init_from_env(device)
    module.to(device)
    broadcast_module(module, topo)
    train_data = _on_device(train, device)
    val_data = None if val is None else _on_device(val, device)
    seed = _shared_seed(config.seed, topo)
    gen = torch.Generator().manual_seed(seed)

    step: nn.Module = _ObjectiveStep(module, objective)
    if topo.world > 1:
        step = DistributedDataParallel(step, device_ids=[device.index] if device.type == "cuda" else None)
    optimizer = _adam(module, config, device)
    scheduler = None
    if config.reduce_lr_patience is not None:
        scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(
            optimizer, factor=config.reduce_lr_factor, patience=config.reduce_lr_patience, min_lr=config.min_lr)
    dtype = amp_dtype(device, config.amp)
    scaler = torch.amp.GradScaler(device.type) if dtype == torch.float16 else None
    batches = Batches(train_data, config.batch_size, config.shuffle, gen, device=device,
                      rank=topo.rank, world=topo.world)

    total_steps = config.epochs * len(batches)  # the schedule spans the whole run
    scheduled = config.lr_schedule != "constant"
    history: History = []
    best = math.inf
    bad_epochs = 0
    best_state: dict[str, Tensor] | None = None
    start_epoch = 0
    ckpt_dir = Path(config.checkpoint_dir) if config.checkpoint_dir else None

    with torch.random.fork_rng(devices=[device] if device.type == "cuda" else []), flush_denormals(device):
        torch.manual_seed(seed + 1)  # noise, dropout and sampling draw from here, not the caller's RNG
        if config.resume and ckpt_dir is not None:
            ckpt = load_checkpoint(ckpt_dir)
            if ckpt is not None:
                meta = ckpt["meta"]
                if scheduled and meta.get("total_steps", total_steps) != total_steps:
                    raise InputError(
                        f"the checkpoint in {ckpt_dir} was written by a run of {meta['total_steps']} steps, and "
                        f"lr_schedule={config.lr_schedule!r} spans the whole run, so resuming with a different "
                        "number of epochs would not continue it. Resume with the same epochs, or use "
                        "lr_schedule='constant'.")
                if fingerprint is not None and meta.get("fingerprint") not in (None, fingerprint):
                    raise InputError(
                        f"the checkpoint in {ckpt_dir} was written by a run with different settings or data, "
                        "so it cannot be resumed. Use the same settings, another output folder, or drop --resume.")
                module.load_state_dict(ckpt["model"])
                optimizer.load_state_dict(ckpt["optimizer"])
                if scheduler is not None and meta.get("scheduler"):
                    scheduler.load_state_dict(meta["scheduler"])
                _restore_rng(ckpt["rng"], gen, device)
                history = meta["history"]
                best, bad_epochs = meta["early"]["best"], meta["early"]["bad"]
                best_state = ckpt["best"]
                start_epoch = int(meta["epoch"])

        _call(callbacks, "on_train_begin", epochs=config.epochs, start_epoch=start_epoch, batches=len(batches))
        stop = config.early_stopping is not None and bad_epochs >= config.early_stopping
        check_every = 1 if device.type == "cpu" else 25  # a host sync per batch is free on CPU only
        last_finite = history[-1]["loss"] if history else None
        for epoch in range(start_epoch, config.epochs):
            if stop:
                break
            t0 = time.perf_counter()
            module.train()
            sums: dict[str, Tensor] = {}
            seen = 0
            for b, (xb, global_size) in enumerate(batches):
                with torch.autocast(device.type, dtype=dtype or torch.float32, enabled=dtype is not None):
                    terms = step(xb)
                loss = terms["loss"]
                if topo.world > 1:  # DDP averages gradients; reweight so uneven last shards stay exact
                    loss = loss * (xb.shape[0] * topo.world / global_size)
                if b % check_every == 0 and not torch.isfinite(loss).item():
                    _diverged(epoch, b, last_finite, config, ckpt_dir)
                optimizer.zero_grad(set_to_none=True)
                if scheduled:
                    lr = scheduled_lr(config.lr_schedule, config.lr, epoch * len(batches) + b, total_steps)
                    for group in optimizer.param_groups:
                        group["lr"] = lr
                if scaler is not None:
                    scaler.scale(loss).backward()
                    scaler.unscale_(optimizer)
                else:
                    loss.backward()
                if config.clip_grad_norm is not None:
                    nn.utils.clip_grad_norm_(module.parameters(), config.clip_grad_norm)
                if scaler is not None:
                    scaler.step(optimizer)
                    scaler.update()
                else:
                    optimizer.step()
                n_b = xb.shape[0]
                for k, v in terms.items():
                    v = v.detach() * n_b
                    sums[k] = sums[k] + v if k in sums else v
                seen += n_b
                if callbacks and b % 10 == 0:
                    _call(callbacks, "on_batch_end", epoch=epoch, batch=b, loss=float(terms["loss"].detach()))
            keys = sorted(sums)
            totals = all_reduce_sum(torch.stack([sums[k].float() for k in keys] + [torch.tensor(float(seen), device=device)]), topo)
            record: dict[str, Any] = {"epoch": epoch + 1}
            record.update({k: float(totals[i] / totals[-1]) for i, k in enumerate(keys)})
            if not math.isfinite(record["loss"]):
                _diverged(epoch, len(batches) - 1, last_finite, config, ckpt_dir)
            last_finite = record["loss"]
            if val_data is not None:
                record.update({f"val_{k}": v for k, v in evaluate(module, objective, val_data, device=device).items()})
            monitored = record.get("val_loss", record["loss"])
            record["lr"] = float(optimizer.param_groups[0]["lr"])
            if scheduler is not None:
                scheduler.step(monitored)
            if monitored < best - config.min_delta:
                best, bad_epochs = monitored, 0
                if config.early_stopping is not None:
                    best_state = {k: v.detach().clone() for k, v in module.state_dict().items()}
            else:
                bad_epochs += 1
            stop = config.early_stopping is not None and bad_epochs >= config.early_stopping
            record["seconds"] = time.perf_counter() - t0
            history.append(record)
            if ckpt_dir is not None and topo.is_main:
                save_checkpoint(ckpt_dir, module=module, optimizer=optimizer, best_state=best_state,
                                rng=_rng_state(gen, device),
                                meta={"epoch": epoch + 1, "history": history, "fingerprint": fingerprint,
                                      "total_steps": total_steps,
                                      "scheduler": scheduler.state_dict() if scheduler is not None else None,
                                      "early": {"best": best, "bad": bad_epochs}})
            _call(callbacks, "on_epoch_end", record)
        _call(callbacks, "on_train_end")
    if config.early_stopping is not None and best_state is not None:
        module.load_state_dict(best_state)
    module.eval()
    return history


def _diverged(epoch: int, batch: int, last_finite: float | None, config: TrainConfig, ckpt_dir: Path | None) -> None:
    last = f"last finite epoch loss {last_finite:.4g}" if last_finite is not None else "no finite epoch yet"
    where = (f" Epoch {epoch} weights are in {ckpt_dir / 'checkpoint.safetensors'}."
             if ckpt_dir is not None and epoch > 0 else "")
    raise TrainingDivergedError(
        f"loss became NaN or infinite at epoch {epoch + 1}, batch {batch + 1} ({last}). "
        f"Lower lr (now {config.lr:g}), set clip_grad_norm, use loss='mse' for data outside [0, 1], "
        f"or scale X.{where}")


#: Settings a resumed run may change: more epochs extend training; where and how loudly it
#: runs does not change what is learned.
RESUMABLE_CHANGES = frozenset({"epochs", "verbose", "device"})


def fingerprint_of(params: dict[str, Any], *parts: Any) -> str:
    """A short stable digest of an estimator's params (less :data:`RESUMABLE_CHANGES`) and
    other JSON-able parts (data shape), for checkpoint compatibility checks."""
    import hashlib

    kept = {k: v for k, v in params.items() if k not in RESUMABLE_CHANGES}
    return hashlib.sha256(json.dumps([kept, *parts], sort_keys=True, default=str).encode()).hexdigest()[:16]
