"""An encoder with a classifier head on top: the network behind ``AutoencoderClassifier``."""

from __future__ import annotations

from collections.abc import Sequence

import torch.nn.functional as F
from torch import Tensor, nn

from aekit.models.blocks import Center, init_weights


class ClassifierHead(nn.Module):
    """Dense layers with ReLU and dropout, ending in one logit per class.

    Args:
        in_features: size of the code it reads.
        n_classes: number of outputs (logits, no softmax).
        hidden: widths of the hidden layers, e.g. ``(128,)``; ``()`` = a linear read-out.
        dropout: drop probability after each hidden layer, in [0, 1).

    Shape:
        - z: ``(B, in_features)`` -> logits: ``(B, n_classes)``
    """

    def __init__(self, in_features: int, n_classes: int, hidden: Sequence[int] = (128,),
                 dropout: float = 0.5) -> None:
        super().__init__()
        self.in_features, self.n_classes, self.hidden, self.dropout = in_features, n_classes, tuple(hidden), dropout
        layers: list[nn.Module] = []
        width = in_features
        for h in self.hidden:
            layers += [nn.Linear(width, h), nn.ReLU()]
            if dropout > 0:
                layers.append(nn.Dropout(dropout))
            width = h
        layers.append(nn.Linear(width, n_classes))
        self.net = nn.Sequential(*layers)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        init_weights(self, "relu")

    def forward(self, z: Tensor) -> Tensor:
        return self.net(z)

    def extra_repr(self) -> str:
        return f"{'-'.join(map(str, (self.in_features, *self.hidden, self.n_classes)))}, dropout={self.dropout}"


class EncoderClassifier(nn.Module):
    """``head(autoencoder.encode(x))``: class logits from an autoencoder's code.

    Args:
        autoencoder: any module with ``encode(x) -> z`` (its decoder is not used).
        head: maps codes to logits, e.g. :class:`ClassifierHead`.
        input_dropout: dropout on the input, in training mode only.
        encoder_dropout: dropout after every activation of the encoder (the code
            included), in training mode only; needs an ``autoencoder.encoder`` that is an
            ``nn.Sequential`` (dense models).

    Shape:
        - x: the autoencoder's input shape ``(B, ...)`` -> logits: ``(B, n_classes)``
    """

    def __init__(self, autoencoder: nn.Module, head: nn.Module, *, input_dropout: float = 0.0,
                 encoder_dropout: float = 0.0) -> None:
        super().__init__()
        self.autoencoder = autoencoder
        self.head = head
        self.input_dropout = input_dropout
        self.encoder_dropout = encoder_dropout
        if encoder_dropout and not isinstance(getattr(autoencoder, "encoder", None), nn.Sequential):
            raise ValueError(f"encoder_dropout needs an encoder that is an nn.Sequential (dense models); "
                             f"{type(autoencoder).__name__} has none.")

    def encode(self, x: Tensor) -> Tensor:
        if not self.training:
            return self.autoencoder.encode(x)  # type: ignore[operator]
        if self.input_dropout:
            x = F.dropout(x, self.input_dropout, training=True)
        if not self.encoder_dropout:
            return self.autoencoder.encode(x)  # type: ignore[operator]
        h = x
        for layer in self.autoencoder.encoder:  # type: ignore[union-attr]
            h = layer(h)
            if not isinstance(layer, (nn.Linear, Center)):  # after each activation
                h = F.dropout(h, self.encoder_dropout, training=True)
        return h

    def forward(self, x: Tensor) -> Tensor:
        return self.head(self.encode(x))
