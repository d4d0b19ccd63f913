"""Everything the training loop needs to know, in one frozen record."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class TrainConfig:
    """Settings of :func:`aekit.train.fit_module`.

    Attributes:
        epochs: passes over the training data.
        batch_size: global mini-batch size (split across ranks under DDP).
        lr: Adam learning rate (the peak rate under a schedule).
        lr_schedule: "constant", "cosine" or "onecycle", a function of the step over the
            whole run (see :func:`aekit.train.schedule.scheduled_lr`); not combinable
            with ``reduce_lr_patience``.
        weight_decay: Adam L2 weight decay.
        shuffle: reshuffle the rows every epoch.
        early_stopping: stop after this many epochs without a validation improvement
            (at least ``min_delta``) and restore the best weights; None = off.
        min_delta: the smallest decrease of the monitored loss that counts as better.
        reduce_lr_patience: multiply the lr by ``reduce_lr_factor`` after this many
            epochs without improvement; None = off.
        reduce_lr_factor: the multiplier, in (0, 1).
        min_lr: the lr never goes below this.
        clip_grad_norm: clip the global gradient norm to this value; None = off.
        device: "auto" (cuda, then mps, then cpu) or a torch device string.
        amp: mixed precision; "auto" = on for CUDA only.
        seed: seeds initialisation-independent randomness (shuffling, noise); None = fresh.
        checkpoint_dir: write ``checkpoint.safetensors`` here after every epoch.
        resume: continue from the checkpoint in ``checkpoint_dir`` if there is one.
        compile: run the training step through ``torch.compile`` (falls back to eager,
            with a warning, where it cannot, and under torchrun; see :mod:`aekit.train.compiled`).
    """

    epochs: int = 20
    batch_size: int = 256
    lr: float = 1e-3
    lr_schedule: str = "constant"
    weight_decay: float = 0.0
    shuffle: bool = True
    early_stopping: int | None = None
    min_delta: float = 0.0
    reduce_lr_patience: int | None = None
    reduce_lr_factor: float = 0.5
    min_lr: float = 1e-6
    clip_grad_norm: float | None = None
    device: str = "auto"
    amp: bool | str = "auto"
    seed: int | None = None
    checkpoint_dir: str | None = None
    resume: bool = False
    compile: bool = False
