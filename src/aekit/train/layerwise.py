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

Every stage is an ordinary :func:`aekit.train.fit_module` run (the one loop) on a
:class:`StageAE` whose layers *are* the deep model's layers (shared parameters, no
copies), so after the last stage the deep model already holds the pre-trained weights.
A frozen layer is not even run: the next stage trains on its precomputed codes, which are
held in memory (N × width floats per stage).

Only mirrored dense models are supported (:class:`aekit.models.DenseAE` with a symmetric
decoder); stage k > 1 reconstructs the previous hidden activation with the hidden
activation itself (a sigmoid as logits), exactly the layer the deep decoder will use.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch
from torch import Tensor, nn

from aekit.data.batching import eval_batches
from aekit.errors import InputError
from aekit.losses.objective import Objective
from aekit.models.blocks import Center
from aekit.models.dense import DenseAE
from aekit.train.callbacks import Callback
from aekit.train.config import TrainConfig
from aekit.train.loop import History, fit_module


def _layers(seq: nn.Sequential) -> list[tuple[nn.Linear, nn.Module | None]]:
    """Split an mlp ``Sequential`` into (Linear, activation or None) pairs."""
    out: list[tuple[nn.Linear, nn.Module | None]] = []
    for m in seq:
        if isinstance(m, Center):  # input centring travels with stage 0 (see greedy_stages)
            continue
        if isinstance(m, nn.Linear):
            out.append((m, None))
        elif out and out[-1][1] is None:
            out[-1] = (out[-1][0], m)
        else:
            raise InputError(f"layer-wise pre-training expects Linear layers each followed by at most one "
                             f"activation, found {type(m).__name__} in {seq}.")
    return out


class StageAE(nn.Module):
    """One greedy stage: encoder layer k of a deep model and its mirror decoder layer.

    The layers are the deep model's own modules, so training a stage trains the model.

    Args:
        encoder_layer: (Linear, activation or None), the deep encoder's layer k.
        decoder_layer: (Linear, activation or None), the deep decoder's mirror of it.
        index: k, from 0 (next to the data) to ``n_stages - 1`` (the code layer).
        n_stages: number of stages.
        output: the deep model's output activation, used by stage 0.
        center: the deep model's input :class:`~aekit.models.blocks.Center`, for stage 0.

    Attributes:
        output: "sigmoid" (decoder gives logits) or "linear", what this stage reconstructs with.
        is_last: whether this stage's code is the deep model's code.

    Shape:
        - x: ``(B, in_features)`` -> z: ``(B, out_features)`` -> x_hat: ``(B, in_features)``
    """

    def __init__(self, encoder_layer: tuple[nn.Linear, nn.Module | None],
                 decoder_layer: tuple[nn.Linear, nn.Module | None], index: int, n_stages: int,
                 output: str, center: Center | None = None) -> None:
        super().__init__()
        lin, act = encoder_layer
        self.center = center if center is not None else nn.Identity()
        self.encoder = nn.Sequential(lin, *([act] if act is not None else []))
        dlin, dact = decoder_layer
        self.index = index
        self.is_last = index == n_stages - 1
        if index == 0:  # reconstruct the data, like the deep model's last layer
            self.output, post = output, None
        elif dact is None or isinstance(dact, nn.Sigmoid):  # a sigmoid target: train on its logits
            self.output, post = ("sigmoid" if dact is not None else "linear"), None
        else:  # e.g. ReLU codes: reconstruct them through the same ReLU
            self.output, post = "linear", dact
        self.decoder = nn.Sequential(dlin, *([post] if post is not None else []))

    def encode(self, x: Tensor) -> Tensor:
        return self.encoder(self.center(x))

    def decode_logits(self, z: Tensor) -> Tensor:
        return self.decoder(z)

    def decode(self, z: Tensor) -> Tensor:
        out = self.decode_logits(z)
        return torch.sigmoid(out) if self.output == "sigmoid" else out

    def forward(self, x: Tensor) -> Tensor:
        return self.decode(self.encode(x))

    def extra_repr(self) -> str:
        lin = self.encoder[0]
        return f"stage {self.index + 1}: {lin.in_features}-{lin.out_features}-{lin.in_features}, output={self.output}"


def greedy_stages(module: DenseAE) -> list[StageAE]:
    """The shallow autoencoders, data side first, that greedy pre-training trains in turn."""
    if not isinstance(module, DenseAE):
        raise InputError(f"greedy layer-wise pre-training works on dense models (DenseAE) only, "
                         f"got {type(module).__name__}.")
    enc, dec = _layers(module.encoder), _layers(module.decoder)
    n = len(enc)
    mirrored = len(dec) == n and all(
        dec[n - 1 - k][0].in_features == enc[k][0].out_features
        and dec[n - 1 - k][0].out_features == enc[k][0].in_features for k in range(n))
    if not mirrored:
        raise InputError("greedy layer-wise pre-training needs a decoder that mirrors the encoder; this model's "
                         f"encoder is {[e[0].in_features for e in enc] + [enc[-1][0].out_features]} and its "
                         f"decoder {[d[0].in_features for d in dec] + [dec[-1][0].out_features]}.")
    center = next((m for m in module.encoder if isinstance(m, Center)), None)
    return [StageAE(enc[k], dec[n - 1 - k], k, n, module.output, center if k == 0 else None) for k in range(n)]


@torch.no_grad()
def _encode_all(stage: StageAE, data: Tensor | np.ndarray, batch_size: int = 4096) -> Tensor:
    device = next(stage.parameters()).device
    stage.eval()
    return torch.cat([stage.encode(xb).float().cpu() for xb in eval_batches(data, batch_size, device)])


def pretrain_layerwise(module: DenseAE, train: Tensor | np.ndarray,
                       objective_for: Callable[[StageAE, Tensor | np.ndarray], Objective], config: TrainConfig,
                       *, val: Tensor | np.ndarray | None = None, callbacks: Sequence[Callback] = (),
                       fingerprint: str | None = None) -> History:
    """Pre-train ``module`` greedily, one layer pair at a time, in place.

    Parameters
    ----------
    module : DenseAE
        A mirrored dense autoencoder; its layers receive the pre-trained weights.
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


__all__ = ["StageAE", "greedy_stages", "pretrain_layerwise"]
