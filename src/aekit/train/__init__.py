"""The model-agnostic training loop: device, AMP, DDP, early stopping, LR on plateau,
NaN guard, checkpoint/resume, history, callbacks."""

from aekit.train.callbacks import Callback, ProgressBar
from aekit.train.config import TrainConfig
from aekit.train.device import resolve_device
from aekit.train.loop import History, evaluate, fingerprint_of, fit_module

__all__ = ["Callback", "History", "ProgressBar", "TrainConfig", "evaluate", "fingerprint_of", "fit_module",
           "resolve_device"]
