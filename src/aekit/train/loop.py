"""The one training loop. It knows nothing about autoencoder families: a module, data,
an objective that returns named loss terms, and a :class:`TrainConfig`."""

from __future__ import annotations

import contextlib
import functools
import json
import math
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import Tensor, nn
from torch.nn.parallel import DistributedDataParallel

from aekit.data.batching import Batches, eval_batches
from aekit.errors import InputError, TrainingDivergedError
from aekit.io.run_dir import run_lock
from aekit.losses.objective import Objective
from aekit.train.callbacks import Callback
from aekit.train.checkpoint import load_checkpoint, save_checkpoint
from aekit.train.compiled import compile_step
from aekit.train.config import TrainConfig
from aekit.train.device import amp_dtype, flush_denormals, memory_format_for, resolve_device
from aekit.train.distributed import Topology, all_reduce_sum, broadcast_module, init_from_env
from aekit.train.memory import reuse_freed_memory
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


#: The loop calls ``on_batch_end`` on every this-many-th batch: the hook is for display, and
#: reading the loss as a float costs a host sync on an accelerator. Anything that must follow
#: the step exactly belongs in the objective's ``set_progress`` (see :func:`fit_module`).
_BATCH_HOOK_EVERY = 10


@dataclass(eq=False)
class _Run:
    """One fit: the parts :func:`fit_module` builds once, and the state a checkpoint carries."""

    module: nn.Module
    step: nn.Module  # the module and the objective, DDP-wrapped under torchrun
    objective: Objective
    config: TrainConfig
    device: torch.device
    topo: Topology
    gen: torch.Generator  # shuffling
    seed: int
    batches: Batches
    compiled: Callable[[Tensor], dict[str, Tensor]] | None  # the compiled step (compile=True, one process)
    val_data: Tensor | np.ndarray | None
    optimizer: torch.optim.Optimizer
    scheduler: torch.optim.lr_scheduler.ReduceLROnPlateau | None
    scaler: torch.amp.GradScaler | None
    dtype: torch.dtype | None  # autocast dtype; None = full precision
    set_progress: Callable[[float], Any] | None
    ckpt_dir: Path | None
    fingerprint: str | None
    n_batches: int
    total_steps: int  # the schedule spans the whole run
    # what changes from epoch to epoch (and is restored on resume)
    history: History = field(default_factory=list)
    best: float = math.inf
    bad_epochs: int = 0
    best_state: dict[str, Tensor] | None = None
    start_epoch: int = 0
    last_finite: float | None = None

    @property
    def out_of_patience(self) -> bool:
        return self.config.early_stopping is not None and self.bad_epochs >= self.config.early_stopping


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
        If it has a ``set_progress`` method, the loop calls ``set_progress(t)`` with
        ``t`` the epochs done as a float: ``epoch + b / n_batches`` before training batch
        ``b`` of ``epoch`` (both from 0), and ``epoch + 1`` before the validation terms of
        that epoch. So a weight that follows the step (KL warm-up) is a pure function of
        ``t``, like the lr schedule, and a resumed run sees the same values as an
        uninterrupted one.
    config : TrainConfig
    val : Tensor or ndarray, optional
        Validation samples; their loss drives early stopping and lr reduction.
    callbacks : sequence of Callback
        Hooks for display and logging; ``on_batch_end`` runs on every tenth batch only.
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
    InputError
        When resuming from a checkpoint written with other settings, or, under an lr
        schedule, by a run of another length, or when another process is writing into
        ``config.checkpoint_dir`` (:func:`aekit.io.run_dir.run_lock`).
    """
    check_schedule(config.lr_schedule, config.reduce_lr_patience)
    run = _prepare(module, train, val, objective, config, fingerprint)
    device = run.device
    # One process at a time checkpoints into a folder (re-entrant: aekit train holds it already).
    lock = run_lock(run.ckpt_dir) if run.ckpt_dir is not None and run.topo.is_main else contextlib.nullcontext()
    with lock, torch.random.fork_rng(devices=[device] if device.type == "cuda" else []), flush_denormals(device), \
            reuse_freed_memory(device.type == "cpu"):
        torch.manual_seed(run.seed + 1)  # noise, dropout and sampling draw from here, not the caller's RNG
        if config.resume and run.ckpt_dir is not None:
            _restore(run, run.ckpt_dir)
        _call(callbacks, "on_train_begin", epochs=config.epochs, start_epoch=run.start_epoch, batches=run.n_batches)
        for epoch in range(run.start_epoch, config.epochs):
            if run.out_of_patience:
                break
            t0 = time.perf_counter()
            sums, seen = _run_epoch(run, epoch, callbacks)
            _end_epoch(run, epoch, sums, seen, t0, callbacks)
        _call(callbacks, "on_train_end")
    if config.early_stopping is not None and run.best_state is not None:
        module.load_state_dict(run.best_state)  # the best epoch's weights: not worse than the first
    elif run.topo.is_main:
        _warn_if_worse(run.history, config)
    module.eval()
    return run.history


def _prepare(module: nn.Module, train: Tensor | np.ndarray, val: Tensor | np.ndarray | None,
             objective: Objective, config: TrainConfig, fingerprint: str | None) -> _Run:
    device = resolve_device(config.device)
    topo = init_from_env(device)
    module.to(device, memory_format=memory_format_for(module, device))  # type: ignore[call-overload]
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
    n_batches = len(batches)
    compiled = None
    if config.compile and topo.world > 1:
        warnings.warn("compile=True is not applied under torchrun (DistributedDataParallel): training eagerly.",
                      RuntimeWarning, stacklevel=3)
    elif config.compile:
        compiled = compile_step(functools.partial(objective, module), device)
    return _Run(module=module, step=step, objective=objective, config=config, device=device, topo=topo, gen=gen,
                seed=seed, batches=batches, compiled=compiled, val_data=val_data, optimizer=optimizer,
                scheduler=scheduler,
                scaler=scaler, dtype=dtype, set_progress=getattr(objective, "set_progress", None),
                ckpt_dir=Path(config.checkpoint_dir) if config.checkpoint_dir else None, fingerprint=fingerprint,
                n_batches=n_batches, total_steps=config.epochs * n_batches)


def _restore(run: _Run, ckpt_dir: Path) -> None:
    """Continue from the checkpoint in ``ckpt_dir``, if any; refuse one this run cannot continue."""
    ckpt = load_checkpoint(ckpt_dir)
    if ckpt is None:
        return
    config, meta = run.config, ckpt["meta"]
    if config.lr_schedule != "constant" and meta.get("total_steps", run.total_steps) != run.total_steps:
        raise InputError(
            f"the checkpoint in {ckpt_dir} was written by a run of {meta['total_steps']} steps, and "
            f"lr_schedule={config.lr_schedule!r} spans the whole run, so resuming with a different "
            "number of epochs would not continue it. Resume with the same epochs, or use "
            "lr_schedule='constant'.")
    if run.fingerprint is not None and meta.get("fingerprint") not in (None, run.fingerprint):
        raise InputError(
            f"the checkpoint in {ckpt_dir} was written by a run with different settings or data, "
            "so it cannot be resumed. Use the same settings, another output folder, or drop --resume.")
    run.module.load_state_dict(ckpt["model"])
    run.optimizer.load_state_dict(ckpt["optimizer"])
    _match_layouts(run.optimizer)
    if run.scheduler is not None and meta.get("scheduler"):
        run.scheduler.load_state_dict(meta["scheduler"])
    _restore_rng(ckpt["rng"], run.gen, run.device)
    run.history = meta["history"]
    run.best, run.bad_epochs = meta["early"]["best"], meta["early"]["bad"]
    run.best_state = ckpt["best"]
    run.start_epoch = int(meta["epoch"])
    run.last_finite = run.history[-1]["loss"] if run.history else None


def _match_layouts(optimizer: torch.optim.Optimizer) -> None:
    """Give each restored moment tensor its parameter's memory layout.

    A checkpoint stores them contiguous; next to a channels_last conv weight, fused Adam
    then paired moments and weights element by element in memory, not by index: a resumed
    conv run drifted from the uninterrupted one (elementwise maths cannot differ by layout
    alone; with the layouts matched the two agree exactly).
    """
    for param, state in optimizer.state.items():
        for key, value in state.items():
            if isinstance(value, Tensor) and value.shape == param.shape and value.stride() != param.stride():
                state[key] = torch.empty_like(param).copy_(value)


def _run_epoch(run: _Run, epoch: int, callbacks: Sequence[Callback]) -> tuple[dict[str, Tensor | float], int]:
    """One pass over the training batches: each term summed over this rank's samples, and their count.

    This is the hot path, held to what a hand-written expert loop does per batch. Measured
    on the 784-32-784 model (BENCHMARKS.md, ``bench_speed.py``), each of these cost
    microseconds per batch that the loop no longer pays: a DistributedDataParallel-ready
    ``nn.Module`` wrapper around the objective (used only under torchrun), an autocast
    block entered with ``enabled=False``, ``torch.isfinite(loss).item()`` (a kernel and
    a sync; on the CPU the loss is read as a float anyway) and two tensor ops per term to
    sum the epoch's terms (plain floats on the CPU).
    """
    # Everything the batch loop reads is bound to a local first.
    module, optimizer, scaler, set_progress = run.module, run.optimizer, run.scaler, run.set_progress
    config, world, ckpt_dir = run.config, run.topo.world, run.ckpt_dir
    step: Callable[[Tensor], dict[str, Tensor]]
    step = run.step if world > 1 else run.compiled or functools.partial(run.objective, module)  # DDP: see the call
    device_type, amp_on, cast_to = run.device.type, run.dtype is not None, run.dtype or torch.float32
    schedule = None if config.lr_schedule == "constant" else config.lr_schedule
    peak_lr, total_steps, clip = config.lr, run.total_steps, config.clip_grad_norm
    n_batches = run.n_batches
    first_step = epoch * n_batches
    on_cpu = device_type == "cpu"  # reading a scalar costs a host sync on an accelerator, nothing on the CPU
    check_every = 1 if on_cpu else 25
    module.train()
    sums: dict[str, Tensor | float] = {}
    seen = 0
    for b, (xb, global_size) in enumerate(run.batches):
        if set_progress is not None:
            set_progress(epoch + b / n_batches)
        if amp_on:
            with torch.autocast(device_type, dtype=cast_to):
                terms = step(xb)
        else:
            terms = step(xb)
        loss = terms["loss"]
        if world > 1:  # DDP averages gradients; reweight so uneven last shards stay exact
            loss = loss * (xb.shape[0] * world / global_size)
        n_b = xb.shape[0]
        if on_cpu:
            values = {k: v.item() for k, v in terms.items()}
            if not math.isfinite(values["loss"]):
                _diverged(epoch, b, run.last_finite, config, ckpt_dir)
            for k, value in values.items():
                sums[k] = sums.get(k, 0.0) + value * n_b
        else:
            if b % check_every == 0 and not torch.isfinite(loss).item():
                _diverged(epoch, b, run.last_finite, config, ckpt_dir)
            for k, v in terms.items():
                v = v.detach() * n_b
                sums[k] = sums[k] + v if k in sums else v
        optimizer.zero_grad(set_to_none=True)
        if schedule is not None:
            lr = scheduled_lr(schedule, peak_lr, first_step + b, total_steps)
            for group in optimizer.param_groups:
                group["lr"] = lr
        if scaler is not None:
            scaler.scale(loss).backward()
            scaler.unscale_(optimizer)
        else:
            loss.backward()
        if clip is not None:
            nn.utils.clip_grad_norm_(module.parameters(), clip)
        if scaler is not None:
            scaler.step(optimizer)
            scaler.update()
        else:
            optimizer.step()
        seen += n_b
        if callbacks and b % _BATCH_HOOK_EVERY == 0:
            _call(callbacks, "on_batch_end", epoch=epoch, batch=b, loss=float(terms["loss"].detach()))
    return sums, seen


def _end_epoch(run: _Run, epoch: int, sums: dict[str, Tensor | float], seen: int, t0: float,
               callbacks: Sequence[Callback]) -> None:
    """Average the terms over ranks, validate, step the plateau schedule and early stopping,
    record the epoch, checkpoint it, and tell the callbacks."""
    config = run.config
    keys = sorted(sums)
    acc = torch.float64 if run.device.type == "cpu" else torch.float32  # the CPU sums are Python floats
    totals = all_reduce_sum(
        torch.stack([torch.as_tensor(sums[k], dtype=acc, device=run.device) for k in keys]
                    + [torch.tensor(float(seen), dtype=acc, device=run.device)]), run.topo)
    record: dict[str, Any] = {"epoch": epoch + 1}
    record.update({k: float(totals[i] / totals[-1]) for i, k in enumerate(keys)})
    if not math.isfinite(record["loss"]):
        _diverged(epoch, run.n_batches - 1, run.last_finite, config, run.ckpt_dir)
    run.last_finite = record["loss"]
    if run.val_data is not None:
        if run.set_progress is not None:
            run.set_progress(float(epoch + 1))
        val_terms = evaluate(run.module, run.objective, run.val_data, device=run.device)
        record.update({f"val_{k}": v for k, v in val_terms.items()})
    monitored = record.get("val_loss", record["loss"])
    record["lr"] = float(run.optimizer.param_groups[0]["lr"])
    if run.scheduler is not None:
        run.scheduler.step(monitored)
    if monitored < run.best - config.min_delta:
        run.best, run.bad_epochs = monitored, 0
        if config.early_stopping is not None:
            run.best_state = {k: v.detach().clone() for k, v in run.module.state_dict().items()}
    else:
        run.bad_epochs += 1
    record["seconds"] = time.perf_counter() - t0
    run.history.append(record)
    if run.ckpt_dir is not None and run.topo.is_main:
        save_checkpoint(run.ckpt_dir, module=run.module, optimizer=run.optimizer, best_state=run.best_state,
                        rng=_rng_state(run.gen, run.device),
                        meta={"epoch": epoch + 1, "history": run.history, "fingerprint": run.fingerprint,
                              "total_steps": run.total_steps,
                              "scheduler": run.scheduler.state_dict() if run.scheduler is not None else None,
                              "early": {"best": run.best, "bad": run.bad_epochs}})
    _call(callbacks, "on_epoch_end", record)


#: Training that ends with a loss this many times its first epoch's (or, for a negative
#: loss, that far above it) gets a warning: it learned backwards, and silence would hide it.
WORSE_THAN_FIRST = 1.5


def _warn_if_worse(history: History, config: TrainConfig) -> None:
    """Warn when the last epoch's loss (validation loss when there is one) is far above the first's."""
    key = "val_loss" if history and "val_loss" in history[0] else "loss"
    if len(history) < 2:
        return
    first, last = float(history[0][key]), float(history[-1][key])
    if not (math.isfinite(first) and math.isfinite(last)) or last - first <= (WORSE_THAN_FIRST - 1) * abs(first):
        return
    what = "validation loss" if key == "val_loss" else "loss"
    warnings.warn(
        f"training ended worse than it began: the {what} was {first:.4g} after epoch 1 and {last:.4g} after epoch "
        f"{len(history)}. The learning rate ({config.lr:g}) is probably too high: lower it (e.g. --lr / lr="
        f"{config.lr / 10:g}), clip the gradients (--clip-grad-norm / clip_grad_norm=1.0), or keep the best "
        "epoch's weights with early stopping (--early-stopping / early_stopping=5).", UserWarning, stacklevel=3)


def _diverged(epoch: int, batch: int, last_finite: float | None, config: TrainConfig, ckpt_dir: Path | None) -> None:
    last = f"last finite epoch loss {last_finite:.4g}" if last_finite is not None else "no finite epoch yet"
    where = (f" Epoch {epoch} weights are in {ckpt_dir / 'checkpoint.safetensors'}."
             if ckpt_dir is not None and epoch > 0 else "")
    raise TrainingDivergedError(
        f"loss became NaN or infinite at epoch {epoch + 1}, batch {batch + 1} ({last}). "
        f"Lower lr (now {config.lr:g}; --lr), clip the gradients (clip_grad_norm=1.0; --clip-grad-norm 1.0), "
        f"use loss='mse' for data outside [0, 1], or scale X.{where}")


#: Settings a resumed run may change: more epochs extend training; where and how loudly it
#: runs does not change what is learned.
RESUMABLE_CHANGES = frozenset({"epochs", "verbose", "device", "compile"})


def fingerprint_of(params: dict[str, Any], *parts: Any) -> str:
    """A short stable digest of an estimator's params (less :data:`RESUMABLE_CHANGES`) and
    other JSON-able parts (data shape), for checkpoint compatibility checks."""
    import hashlib

    kept = {k: v for k, v in params.items() if k not in RESUMABLE_CHANGES}
    return hashlib.sha256(json.dumps([kept, *parts], sort_keys=True, default=str).encode()).hexdigest()[:16]
