"""The training settings every estimator shares: one check, one ``TrainConfig``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from aekit.data.checks import check_float, check_int
from aekit.errors import InputError
from aekit.train.config import TrainConfig
from aekit.train.schedule import check_schedule


def check_training_params(est: Any) -> None:
    """Refuse bad values of the shared training parameters (:data:`~aekit.estimators._params.TRAINING`)."""
    check_int("epochs", est.epochs)
    check_int("batch_size", est.batch_size)
    check_float("lr", est.lr, low=0.0, low_inclusive=False)
    check_schedule(est.lr_schedule, est.reduce_lr_patience)
    check_float("weight_decay", est.weight_decay, low=0.0)
    check_float("validation_fraction", est.validation_fraction, low=0.0, high=1.0, high_inclusive=False)
    check_int("early_stopping", est.early_stopping, allow_none=True)
    check_int("reduce_lr_patience", est.reduce_lr_patience, minimum=0, allow_none=True)
    check_float("clip_grad_norm", est.clip_grad_norm, low=0.0, low_inclusive=False, allow_none=True)
    if not isinstance(est.compile, (bool, np.bool_)):
        raise InputError(f"compile must be True or False, got {est.compile!r}.")
    if est.random_state is not None:
        check_int("random_state", est.random_state, minimum=0)


def train_config(est: Any, checkpoint_dir: str | Path | None = None, resume: bool = False) -> TrainConfig:
    """The :class:`TrainConfig` an estimator's parameters describe."""
    return TrainConfig(epochs=int(est.epochs), batch_size=int(est.batch_size), lr=float(est.lr),
                       lr_schedule=est.lr_schedule,
                       weight_decay=float(est.weight_decay), shuffle=bool(est.shuffle),
                       early_stopping=est.early_stopping, reduce_lr_patience=est.reduce_lr_patience,
                       clip_grad_norm=est.clip_grad_norm, device=est.device, seed=est.random_state,
                       checkpoint_dir=None if checkpoint_dir is None else str(checkpoint_dir), resume=resume,
                       compile=bool(est.compile))
