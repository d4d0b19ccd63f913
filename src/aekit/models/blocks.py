"""Small building blocks shared by the architectures."""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import Tensor, nn

ACTIVATIONS: dict[str, type[nn.Module]] = {
    "relu": nn.ReLU,
    "sigmoid": nn.Sigmoid,
    "tanh": nn.Tanh,
    "elu": nn.ELU,
    "leaky_relu": nn.LeakyReLU,
    "gelu": nn.GELU,
    "linear": nn.Identity,
}


def activation(name: str) -> nn.Module:
    """An activation module by name (see ``ACTIVATIONS``)."""
    return ACTIVATIONS[name]()


def mlp(widths: Sequence[int], act: str, last_act: str) -> nn.Sequential:
    """Linear layers through ``widths`` with ``act`` between them and ``last_act`` at the end."""
    layers: list[nn.Module] = []
    for i, (a, b) in enumerate(zip(widths[:-1], widths[1:])):
        layers.append(nn.Linear(a, b))
        is_last = i == len(widths) - 2
        name = last_act if is_last else act
        if name != "linear":
            layers.append(activation(name))
    return nn.Sequential(*layers)


def init_weights(module: nn.Module, act: str) -> None:
    """Glorot-uniform weights and zero biases for every Linear/Conv layer.

    PyTorch's default (Kaiming-uniform with a=sqrt(5)) draws weights about sqrt(3) times
    smaller than Glorot for these shapes; on the 784-32-784 MNIST model that left test
    MSE at 0.0146 where Glorot reached 0.0111 after the same training (issue #2), because
    the small initial code makes the sigmoid output start flat and learn slowly.
    """
    gain = 5.0 / 3.0 if act == "tanh" else 1.0
    for m in module.modules():
        if isinstance(m, (nn.Linear, nn.Conv2d, nn.ConvTranspose2d, nn.Conv1d)):
            nn.init.xavier_uniform_(m.weight, gain=gain)
            if m.bias is not None:
                nn.init.zeros_(m.bias)


class Center(nn.Module):
    """Subtracts the training data's mean sample from the input.

    The mean is a buffer (saved with the model), zero until :meth:`OutputMixin.init_from_data`
    sets it. Centring the first layer's input is a reparameterisation (the same functions as
    a shifted bias) that changes how the gradients are conditioned. Measured on the
    784-32-784 model, 50 epochs, test BCE: on full MNIST, centring plus the output-bias
    start gave 0.0913 at a constant lr 1e-3 (0.0916 without either) and 0.0898 under a
    one-cycle schedule peaking at 2e-2 (0.0902 with the output bias alone); on the 4,000
    embedded digits at a constant 1e-3 with batches of 64 it hurt (0.1058 against 0.0983
    with the output bias alone), while under one-cycle at 1e-2 it reached 0.0988. Hence the
    estimators' ``center_inputs`` switch.

    Shape:
        - x: ``(B, *shape)`` -> ``(B, *shape)``
    """

    mean: Tensor

    def __init__(self, shape: Sequence[int] | int) -> None:
        super().__init__()
        self.register_buffer("mean", torch.zeros(shape))

    def forward(self, x: Tensor) -> Tensor:
        return x - self.mean


def centered(seq: nn.Sequential, shape: Sequence[int] | int) -> nn.Sequential:
    """``seq`` with a :class:`Center` in front (so ``seq``'s layers move up one index)."""
    return nn.Sequential(Center(shape), *seq)


def centered_forward(seq: nn.Sequential, x: Tensor) -> Tensor:
    """``seq(x)`` for a :func:`centered` stack, with the centring folded into the first Linear.

    ``W(x - m) + b = Wx + (b - Wm)``: the same function and, by the chain rule, the same
    gradients (``dL/dW = g (x - m)^T`` either way), without a pass over the batch to subtract
    the mean; that pass was 13% of an epoch of the 784-32-784 model on the CPU (issue #14).
    The fold costs about four passes over the first weight matrix per step (the product
    ``W m``, its gradient's outer product and the accumulation of the two gradients of
    ``W``), subtracting costs one pass over the batch: so it folds only when the layer has
    at most a quarter as many outputs as the batch has rows (784-32 at batch 256 folds;
    the VAE's 784-512 at batch 128 subtracts, measured 8% of its step in the fold's adds).
    The stack runs as written when it does not start with a Center and a Linear, or when a
    hook watches that Linear (a hook expects to see its input centred).
    """
    if len(seq) < 2:
        return seq(x)
    center, first = seq[0], seq[1]
    if not (isinstance(center, Center) and isinstance(first, nn.Linear)) or x.dim() != 2 \
            or first._forward_hooks or first._forward_pre_hooks:
        return seq(x)
    if 4 * first.out_features <= x.shape[0]:
        shift = first.weight @ center.mean  # (out,)
        h = F.linear(x, first.weight, -shift if first.bias is None else first.bias - shift)
    else:  # a wide first layer: one pass over the batch costs less than the fold's passes over the weight
        h = F.linear(x - center.mean, first.weight, first.bias)
    for i in range(2, len(seq)):
        h = seq[i](h)
    return h


def upgrade_uncentred_state(module: nn.Module, state: dict[str, Tensor]) -> dict[str, Tensor]:
    """Weights saved before encoders began with a :class:`Center` (model format 1), renamed
    for ``module``: ``encoder.i.*`` becomes ``encoder.(i+1).*`` and the mean is zero, which
    is exactly the uncentred model they were trained as. Other states pass unchanged."""
    encoder = getattr(module, "encoder", None)
    if not (isinstance(encoder, nn.Sequential) and len(encoder) and isinstance(encoder[0], Center)) \
            or "encoder.0.mean" in state:
        return state
    out: dict[str, Tensor] = {}
    for key, value in state.items():
        parts = key.split(".")
        if parts[0] == "encoder" and len(parts) > 2 and parts[1].isdigit():
            key = ".".join(["encoder", str(int(parts[1]) + 1), *parts[2:]])
        out[key] = value
    out["encoder.0.mean"] = torch.zeros_like(encoder[0].mean)
    return out


class OutputMixin:
    """Shared ``decode``/``forward`` for modules whose decoder ends in raw scores.

    Subclasses define ``encode(x)`` and ``decode_logits(z)``; ``output`` is "sigmoid"
    (the decoder's last layer gives logits, so losses can use the numerically safer
    ``*_with_logits`` forms) or "linear".
    """

    output: str

    def decode_logits(self, z: Tensor) -> Tensor:  # pragma: no cover - abstract
        raise NotImplementedError

    def encode(self, x: Tensor) -> Tensor:  # pragma: no cover - abstract
        raise NotImplementedError

    def output_layer(self) -> nn.Module:  # pragma: no cover - abstract
        """The decoder's last Linear/Conv layer (whose bias :meth:`init_from_data` sets)."""
        raise NotImplementedError

    @torch.no_grad()
    def init_from_data(self, mean: Tensor, *, center: bool = True) -> None:
        """Data-dependent initialisation from ``mean``, the mean training sample (scaled,
        one sample's shape): the output layer's bias starts at it (its logit for a sigmoid
        output; per channel for a convolution), so training begins from the mean image
        instead of flat grey; with ``center`` every :class:`Center` subtracts it too.
        """
        mean = mean.detach().float()
        for m in self.modules():  # type: ignore[attr-defined]
            if isinstance(m, Center):
                m.mean.copy_(mean.reshape(m.mean.shape) if center else torch.zeros_like(m.mean))
        bias = getattr(self.output_layer(), "bias", None)
        if bias is None:
            return
        per_unit = mean.reshape(-1) if bias.numel() == mean.numel() else mean.reshape(bias.numel(), -1).mean(1)
        bias.copy_(torch.logit(per_unit.clamp(1e-3, 1 - 1e-3)) if self.output == "sigmoid" else per_unit)

    def code_layer(self) -> nn.Linear:  # pragma: no cover - abstract
        """The encoder's last Linear layer, whose output the code activation takes."""
        raise NotImplementedError

    @torch.no_grad()
    def init_code_mean(self, x: Tensor, target: float) -> None:
        """Start a sigmoid code at mean activation ``target``: each code unit's bias is set
        so that its activation, averaged over the samples ``x`` (scaled, as the encoder sees
        them), equals ``target``.

        The KL sparsity penalty pulls every unit's mean towards its target, but from a zero
        bias (mean about 0.5) Adam moves the biases too slowly to get there: on the embedded
        digits a 64-unit code ended 50 epochs at a mean of 0.19 for a target of 0.05. This
        starts it where the penalty wants it, as the output bias starts at the data mean.
        """
        layer = self.code_layer()
        seen: list[Tensor] = []
        handle = layer.register_forward_hook(lambda m, inp, out: seen.append(inp[0]))
        try:
            self.encode(x)  # type: ignore[attr-defined]
        finally:
            handle.remove()
        pre = seen[0].reshape(len(x), -1) @ layer.weight.T  # (N, latent_dim), without the bias
        lo = torch.full((pre.shape[1],), -40.0, dtype=pre.dtype)
        hi = torch.full_like(lo, 40.0)
        for _ in range(60):  # bisection: the mean activation rises monotonically with the bias
            mid = (lo + hi) / 2
            above = torch.sigmoid(pre + mid).mean(0) > target
            hi = torch.where(above, mid, hi)
            lo = torch.where(above, lo, mid)
        layer.bias.copy_((lo + hi) / 2)

    def decode(self, z: Tensor) -> Tensor:
        out = self.decode_logits(z)
        return torch.sigmoid(out) if self.output == "sigmoid" else out

    def forward(self, x: Tensor) -> Tensor:
        return self.decode(self.encode(x))
