"""Keras 3 on the torch backend as a benchmark contender: ``model.fit(..., epochs=1)`` once per
call, the epoch timed between Keras's own ``on_epoch_begin``/``on_epoch_end`` (what its
progress line reports; the per-``fit`` set-up outside the epoch is not counted)."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from typing import Any

import numpy as np


class KerasFit:
    """``build(keras)`` compiled with Adam(``lr``) and binary cross-entropy, fitted on ``X -> X``."""

    name = "Keras 3 model.fit (torch backend)"

    def __init__(self, build: Callable[[Any], Any], X: np.ndarray, *, batch: int, lr: float, seed: int = 0) -> None:
        os.environ.setdefault("KERAS_BACKEND", "torch")
        import keras

        if keras.backend.backend() != "torch":
            raise SystemExit(f"Keras runs on {keras.backend.backend()!r}; set KERAS_BACKEND=torch before starting.")
        keras.utils.set_random_seed(seed)
        self.X, self.batch, self.version = X, batch, keras.__version__
        self.model = build(keras)
        self.model.compile(optimizer=keras.optimizers.Adam(learning_rate=lr), loss="binary_crossentropy")
        outer = self

        class _Timer(keras.callbacks.Callback):
            def on_epoch_begin(self, epoch: int, logs: Any = None) -> None:
                outer._t0 = time.perf_counter()

            def on_epoch_end(self, epoch: int, logs: Any = None) -> None:
                outer._dt = time.perf_counter() - outer._t0

        self.timer = _Timer()

    def epoch(self) -> float:
        self.model.fit(self.X, self.X, epochs=1, batch_size=self.batch, shuffle=True, verbose=0,
                       callbacks=[self.timer])
        return self._dt
