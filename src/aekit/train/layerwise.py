"""Greedy layer-wise pre-training of deep (stacked) dense autoencoders.

**Deep / stacked family.** A deep autoencoder has several hidden layers (784-128-64-32,
or 784-1000-1000-...-32). Before end-to-end training it can be pre-trained greedily
(Hinton & Salakhutdinov, 2006; Bengio et al., 2007; Vincent et al., 2010 for the stacked
denoising variant): stage 1 trains the first encoder layer with its mirror decoder layer
as a shallow autoencoder on the data (784→1000→784); its weights are then frozen and the
data are encoded once; stage 2 trains the next layer pair on those codes
(1000→1000→1000); and so on to the code layer. Fine-tuning then trains the whole network
end to end, starting from the pre-trained weights. With input corruption each stage is a
denoising autoencoder on its own input (the previous layer's codes, clipped to their
range), which gives a stacked denoising autoencoder.

This module is the stage loop only: the model supplies its stages
(:func:`aekit.models.stages.greedy_stages`, which refuses models that cannot be staged),
and every stage is an ordinary :func:`aekit.train.fit_module` run (the one loop). A stage's
layers *are* the deep model's layers, so after the last stage the deep model already
holds the pre-trained weights. A frozen layer is not even run: the next stage trains on
its precomputed codes, which are held in memory (N × width floats per stage).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch
from torch import Tensor, nn

from aekit.data.batching import eval_batches
from aekit.losses.objective import Objective
from aekit.models.stages import StageAE, greedy_stages
from aekit.train.callbacks import Callback
from aekit.train.config import TrainConfig
from aekit.train.loop import History, fit_module


@torch.no_grad()
def _encode_all(stage: StageAE, data: Tensor | np.ndarray, batch_size: int = 4096) -> Tensor:
    device = next(stage.parameters()).device
    stage.eval()
    return torch.cat([stage.encode(xb).float().cpu() for xb in eval_batches(data, batch_size, device)])


def pretrain_layerwise(module: nn.Module, train: Tensor | np.ndarray,
                       objective_for: Callable[[StageAE, Tensor | np.ndarray], Objective], config: TrainConfig,
                       *, val: Tensor | np.ndarray | None = None, callbacks: Sequence[Callback] = (),
                       fingerprint: str | None = None) -> History:
    """Pre-train ``module`` greedily, one layer pair at a time, in place.

    Parameters
    ----------
    module : torch.nn.Module
        A model that :func:`~aekit.models.stages.greedy_stages` can stage (a mirrored
        dense autoencoder); its layers receive the pre-trained weights.
    train : Tensor or ndarray, shape (N, n_features)
        Training data (already scaled as the deep model will see it).
    objective_for : callable
        ``objective_for(stage, stage_data) -> Objective``: the objective of each stage
        (its loss, corruption and penalties), given the stage module (``stage.output``,
        ``stage.index``, ``stage.is_last``) and the data it trains on.
    config : TrainConfig
        Settings of every stage, ``epochs`` being the epochs *per stage*. Stage k uses
        seed ``config.seed + k`` and, with a ``checkpoint_dir``, its own sub-folder
        ``stage-<k+1>`` (so an interrupted run resumes stage by stage).
    val : Tensor or ndarray, optional
        Validation data, encoded stage by stage like the training data.
    callbacks, fingerprint
        Passed to every :func:`fit_module` call.

    Returns
    -------
    list of dict
        The stages' epoch records in order, each with a ``stage`` field (1, 2, ...) in
        addition to :func:`fit_module`'s fields.
    """
    records: History = []
    data: Tensor | np.ndarray = train
    vdata = val
    for stage in greedy_stages(module):
        k = stage.index
        cfg = replace(config, seed=None if config.seed is None else config.seed + k,
                      checkpoint_dir=None if config.checkpoint_dir is None
                      else str(Path(config.checkpoint_dir) / f"stage-{k + 1}"))
        stage_fp = None if fingerprint is None else f"{fingerprint}-stage-{k + 1}"
        history = fit_module(stage, data, objective_for(stage, data), cfg, val=vdata, callbacks=callbacks,
                             fingerprint=stage_fp)
        records.extend({"stage": k + 1, **r} for r in history)
        if not stage.is_last:  # freeze: the next stage trains on this layer's codes
            data = _encode_all(stage, data)
            vdata = None if vdata is None else _encode_all(stage, vdata)
    module.cpu()
    return records


__all__ = ["pretrain_layerwise"]
