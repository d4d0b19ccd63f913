"""An encoder with a classifier head on top: the network behind ``AutoencoderClassifier``."""

from __future__ import annotations

from collections.abc import Sequence

from torch import Tensor, nn

from aekit.models.blocks import init_weights


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

    Shape:
        - x: the autoencoder's input shape ``(B, ...)`` -> logits: ``(B, n_classes)``
    """

    def __init__(self, autoencoder: nn.Module, head: nn.Module) -> None:
        super().__init__()
        self.autoencoder = autoencoder
        self.head = head

    def encode(self, x: Tensor) -> Tensor:
        return self.autoencoder.encode(x)  # type: ignore[operator]

    def forward(self, x: Tensor) -> Tensor:
        return self.head(self.encode(x))
