"""The imputation network: an MLP on ``[x, mask]`` with a linear shortcut."""

from __future__ import annotations

from dataclasses import dataclass

from torch import Tensor, nn

from aekit.models.blocks import init_weights, mlp


@dataclass(frozen=True)
class MaskedMLPSpec:
    """Architecture of a :class:`MaskedMLP`.

    Attributes:
        n_features: D, the values per row (one-hot columns counted one by one).
        hidden: hidden widths of the MLP.
        activation: hidden activation (see :data:`aekit.models.blocks.ACTIVATIONS`).
        dropout: dropout after each hidden activation, in [0, 1).
        linear_skip: add a linear map of ``[x, mask]`` to the output.
    """

    n_features: int
    hidden: tuple[int, ...] = (256, 256)
    activation: str = "relu"
    dropout: float = 0.0
    linear_skip: bool = True


class MaskedMLP(nn.Module):
    """Values for every entry from the visible values and the mask.

    ``out = mlp([x, m]) + W [x, m]`` (the second term with ``linear_skip``). The linear
    shortcut is the regression an iterative imputer fits column by column; the MLP learns
    what that misses, so on near-linear tables the network starts from that regression
    instead of having to rebuild it from ReLUs.

    Shape:
        - input: ``(B, 2·D)``, the values ``x`` (hidden entries 0) then the mask ``m``
          (1 = visible)  ->  output: ``(B, D)``, raw values (scores on one-hot columns).
    """

    def __init__(self, spec: MaskedMLPSpec) -> None:
        super().__init__()
        self.spec = spec
        d = spec.n_features
        body = mlp([2 * d, *spec.hidden, d], spec.activation, "linear")
        if spec.dropout:
            layers: list[nn.Module] = []
            for layer in body:
                layers.append(layer)
                if not isinstance(layer, nn.Linear):  # after each hidden activation
                    layers.append(nn.Dropout(spec.dropout))
            body = nn.Sequential(*layers)
        self.body = body
        self.skip = nn.Linear(2 * d, d, bias=False) if spec.linear_skip else None
        self.reset_parameters()

    def reset_parameters(self) -> None:
        init_weights(self.body, self.spec.activation)
        if self.skip is not None:
            nn.init.zeros_(self.skip.weight)  # start as the plain MLP; the shortcut grows as it helps

    def forward(self, xm: Tensor) -> Tensor:
        out = self.body(xm)
        return out if self.skip is None else out + self.skip(xm)

    def extra_repr(self) -> str:
        return f"n_features={self.spec.n_features}, linear_skip={self.spec.linear_skip}"
