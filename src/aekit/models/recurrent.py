"""Recurrent (LSTM/GRU) sequence autoencoder for windows of a time series or padded sequences.

Encoder: a ``num_layers`` LSTM or GRU reads the sequence; the top layer's hidden state at
each sequence's **last valid step** (gathered at ``length - 1``) goes through a linear map
to the ``latent_dim`` code. A unidirectional RNN's state at step t depends on steps 0..t
only, so whatever sits in the padding after a sequence's end cannot reach its code. The
gather needs no ``pack_padded_sequence``, hence no host sync for the lengths and no
sorting; the price is computing (and discarding) the padded steps.

Decoder (Srivastava et al., 2015, "Unsupervised Learning of Video Representations using
LSTMs", the unconditioned variant): the code sets the decoder's initial hidden state
(through a linear map and tanh) and is also its input at every step (the "repeat vector"
of Keras LSTM autoencoders); a linear head maps each hidden state to the C channels. No
teacher forcing and no feedback of the model's own outputs: training and inference run
the same computation, ``decode(z)`` needs nothing but codes, and an error at one step
cannot compound through fed-back predictions. The decoder unrolls as many steps as asked
(by default ``spec.seq_len``, the training length) and, being causal too, its first
``length`` outputs never depend on how far it unrolls past them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import torch
from torch import Tensor, nn

from aekit.errors import InputError

CELLS: tuple[str, ...] = ("lstm", "gru")


@dataclass(frozen=True)
class RecurrentSpec:
    """Architecture of a :class:`RecurrentAE`.

    ``seq_len`` is only the number of steps :meth:`RecurrentAE.decode` unrolls when not
    told otherwise (the training window length, or the longest training sequence);
    encoding and reconstruction accept any length. Output is linear: sequence data is
    standardised per channel, not squashed into [0, 1].
    """

    n_channels: int
    seq_len: int
    latent_dim: int = 16
    hidden_size: int = 64
    num_layers: int = 1
    cell: Literal["lstm", "gru"] = "lstm"


def _rnn(cell: str, input_size: int, hidden_size: int, num_layers: int) -> nn.Module:
    cls = nn.LSTM if cell == "lstm" else nn.GRU
    return cls(input_size, hidden_size, num_layers=num_layers, batch_first=True)


class RecurrentAE(nn.Module):
    """LSTM or GRU encoder-decoder: a sequence to one code and back.

    Args:
        spec: the architecture (:class:`RecurrentSpec`).

    Shape:
        - x: ``(B, T, C)``, lengths: ``(B,)`` int (optional; padded steps after each
          length are ignored) -> z: ``(B, latent_dim)``
        - z: ``(B, latent_dim)`` -> x_hat: ``(B, steps, C)``, ``steps`` default ``seq_len``
        - forward: x ``(B, T, C)`` -> x_hat ``(B, T, C)``

    Attributes:
        encoder: ``nn.LSTM``/``nn.GRU`` over the C input channels.
        to_code: ``nn.Linear(hidden_size, latent_dim)``, the top hidden state to the code.
        init_state: ``nn.Linear(latent_dim, num_layers * hidden_size)``, the code to the
            decoder's initial hidden state (per layer; an LSTM's cell state starts at 0).
        decoder: ``nn.LSTM``/``nn.GRU`` taking the code at every step.
        head: ``nn.Linear(hidden_size, C)``, each decoder state to one output step.

    Example:
        >>> ae = RecurrentAE(RecurrentSpec(n_channels=3, seq_len=50, latent_dim=8))
        >>> ae(torch.randn(4, 50, 3)).shape
        torch.Size([4, 50, 3])
        >>> ae.encode(torch.randn(4, 50, 3), lengths=torch.tensor([50, 20, 7, 1])).shape
        torch.Size([4, 8])
    """

    def __init__(self, spec: RecurrentSpec) -> None:
        super().__init__()
        if spec.cell not in CELLS:
            raise InputError(f"cell must be one of {', '.join(map(repr, CELLS))}; got {spec.cell!r}.")
        self.spec = spec
        self.output = "linear"
        self.encoder = _rnn(spec.cell, spec.n_channels, spec.hidden_size, spec.num_layers)
        self.to_code = nn.Linear(spec.hidden_size, spec.latent_dim)
        self.init_state = nn.Linear(spec.latent_dim, spec.num_layers * spec.hidden_size)
        self.decoder = _rnn(spec.cell, spec.latent_dim, spec.hidden_size, spec.num_layers)
        self.head = nn.Linear(spec.hidden_size, spec.n_channels)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        # Glorot for the dense maps; recurrent weights keep PyTorch's uniform(+-1/sqrt(hidden)),
        # plus the usual forget-gate bias of 1 for LSTMs (Jozefowicz et al., 2015) so that
        # early in training the state is carried across steps rather than forgotten.
        for lin in (self.to_code, self.init_state, self.head):
            nn.init.xavier_uniform_(lin.weight)
            nn.init.zeros_(lin.bias)
        for rnn in (self.encoder, self.decoder):
            rnn.reset_parameters()
            if isinstance(rnn, nn.LSTM):
                h = self.spec.hidden_size
                for name, p in rnn.named_parameters():
                    if name.startswith("bias_ih"):
                        with torch.no_grad():
                            p[h:2 * h].fill_(1.0)  # gate order: input, forget, cell, output

    def encode(self, x: Tensor, lengths: Tensor | None = None) -> Tensor:
        out, _ = self.encoder(x)  # (B, T, H): top-layer state at every step
        if lengths is None:
            last = out[:, -1]  # (B, H)
        else:
            idx = (lengths.to(out.device).long() - 1).clamp(0, out.shape[1] - 1)
            last = out[torch.arange(out.shape[0], device=out.device), idx]  # (B, H) at each length - 1
        return self.to_code(last)

    def decode(self, z: Tensor, steps: int | None = None) -> Tensor:
        steps = self.spec.seq_len if steps is None else int(steps)
        s = self.spec
        h0 = torch.tanh(self.init_state(z)).view(-1, s.num_layers, s.hidden_size).transpose(0, 1)  # (L, B, H)
        state = (h0.contiguous(), torch.zeros_like(h0)) if s.cell == "lstm" else h0.contiguous()
        inputs = z.unsqueeze(1).expand(-1, steps, -1)  # (B, steps, latent_dim): the code at every step
        out, _ = self.decoder(inputs, state)  # (B, steps, H)
        return self.head(out)  # (B, steps, C)

    def forward(self, x: Tensor, lengths: Tensor | None = None) -> Tensor:
        return self.decode(self.encode(x, lengths), steps=x.shape[1])

    def extra_repr(self) -> str:
        s = self.spec
        return (f"{s.cell}: {s.n_channels} channels -> {s.num_layers}x{s.hidden_size} -> {s.latent_dim}, "
                f"seq_len={s.seq_len}")
