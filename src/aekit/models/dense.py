"""Fully connected autoencoders: the classic 784-32-784, deep stacks, asymmetric or overcomplete."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from torch import Tensor, nn

from aekit.models.blocks import OutputMixin, centered, centered_forward, init_weights, mlp


@dataclass(frozen=True)
class DenseSpec:
    """Architecture of a :class:`DenseAE`.

    ``hidden`` are the encoder's hidden widths, outermost first; the decoder mirrors them
    unless ``decoder_hidden`` is given (asymmetric). ``latent_dim`` larger than
    ``n_features`` is allowed (overcomplete) but can learn the identity: pair it with a
    sparsity penalty or input noise.
    """

    n_features: int
    latent_dim: int = 32
    hidden: tuple[int, ...] = ()
    activation: str = "relu"
    code_activation: str = "relu"
    output: Literal["sigmoid", "linear"] = "sigmoid"
    decoder_hidden: tuple[int, ...] | None = None


class DenseAE(OutputMixin, nn.Module):
    """Multilayer-perceptron autoencoder.

    Args:
        spec: the architecture (:class:`DenseSpec`).

    Shape:
        - x: ``(B, n_features)`` -> z: ``(B, latent_dim)`` -> x_hat: ``(B, n_features)``

    Attributes:
        encoder: ``nn.Sequential`` from input to code (ends in ``code_activation``); its
            first module, ``encoder[0]``, subtracts the training mean (a
            :class:`~aekit.models.blocks.Center`); the Linear layers follow.
        decoder: ``nn.Sequential`` from code to output logits (no final sigmoid; see
            :meth:`decode`).

    Example:
        >>> ae = DenseAE(DenseSpec(n_features=784, latent_dim=32))
        >>> ae(torch.rand(4, 784)).shape
        torch.Size([4, 784])
    """

    def __init__(self, spec: DenseSpec) -> None:
        super().__init__()
        self.spec = spec
        self.output = spec.output
        dec_hidden = tuple(reversed(spec.hidden)) if spec.decoder_hidden is None else spec.decoder_hidden
        self.encoder = centered(mlp((spec.n_features, *spec.hidden, spec.latent_dim), spec.activation,
                                    spec.code_activation), spec.n_features)
        self.decoder = mlp((spec.latent_dim, *dec_hidden, spec.n_features), spec.activation, "linear")
        self.reset_parameters()

    def reset_parameters(self) -> None:
        init_weights(self, self.spec.activation)

    def output_layer(self) -> nn.Module:
        return self.decoder[-1]

    def code_layer(self) -> nn.Linear:
        return [m for m in self.encoder if isinstance(m, nn.Linear)][-1]

    def encode(self, x: Tensor) -> Tensor:
        return centered_forward(self.encoder, x)

    def decode_logits(self, z: Tensor) -> Tensor:
        return self.decoder(z)

    def extra_repr(self) -> str:
        s = self.spec
        return f"{s.n_features}-{'-'.join(map(str, (*s.hidden, s.latent_dim)))}, output={s.output}"
