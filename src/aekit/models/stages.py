"""The stages of greedy layer-wise pre-training: a deep dense autoencoder as shallow ones.

Stage k pairs encoder layer k of a mirrored :class:`~aekit.models.dense.DenseAE` with its
mirror decoder layer; the stage's layers *are* the deep model's modules (shared
parameters, no copies), so training the stages trains the deep model. The loop that
trains them, one after the other, is :func:`aekit.train.layerwise.pretrain_layerwise`.
Stage k > 1 reconstructs the previous hidden activation with that activation itself (a
sigmoid as logits), exactly the layer the deep decoder will use.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from aekit.errors import InputError
from aekit.models.blocks import Center
from aekit.models.dense import DenseAE


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


def greedy_stages(module: nn.Module) -> list[StageAE]:
    """The shallow autoencoders, data side first, that greedy pre-training trains in turn.

    Raises :class:`~aekit.errors.InputError` for a model that cannot be staged (anything but
    a mirrored :class:`~aekit.models.dense.DenseAE`).
    """
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


__all__ = ["StageAE", "greedy_stages"]
