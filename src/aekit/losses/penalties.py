"""Regularising penalties on the code: sparse (L1, KL) and contractive autoencoders.

A penalty is a callable ``penalty(module, x_in, h) -> scalar`` with a ``name`` (the key of
its term in the training history) and ``needs_input_grad`` (whether it differentiates the
code ``h = module.encode(x_in)`` with respect to the input). The value it returns is
already weighted: ``loss = recon + Σ penalties``. :class:`aekit.losses.ReconstructionObjective`
adds them to the reconstruction term; they apply to every architecture.

**Sparse family.** A sparse autoencoder keeps most code units near zero for any one input,
so that even a wide (overcomplete) code cannot just copy the input.

- :class:`L1Activity`: ``weight · mean over the batch of Σ_j |h_j|``, the activity
  regulariser of the Keras tutorial; works with any code activation (ReLU is typical).
- :class:`KLSparsity`: ``β · Σ_j KL(ρ ‖ ρ̂_j)`` with
  ``KL(ρ‖ρ̂) = ρ log(ρ/ρ̂) + (1−ρ) log((1−ρ)/(1−ρ̂))`` (Ng, "Sparse autoencoder", CS294A
  notes), where ``ρ̂_j`` is unit j's mean activation, so the code must lie in (0, 1): use a
  sigmoid code. Over mini-batches ``ρ̂`` is an exponential moving average of the batch
  means ``m_t``: ``ρ̂_t = λ·ρ̂_{t−1} + (1−λ)·m_t`` (see the class for the gradient).

**Contractive family.** A contractive autoencoder (Rifai et al., 2011, "Contractive
auto-encoders: explicit invariance during feature extraction") penalises the squared
Frobenius norm of the encoder Jacobian, ``λ · ‖∂h/∂x‖²_F`` (mean over the batch), so the
code changes little when the input moves off the data manifold. For a single sigmoid layer
``h = σ(Wx + b)`` it has the closed form ``Σ_j (h_j(1−h_j))² Σ_i W_ji²``; for any other
encoder (deep, ReLU, convolutional) it is computed exactly by autograd, one batched
vector-Jacobian product per code unit (cost grows with ``latent_dim``), or estimated
without bias from a few random projections (Hutchinson: ``E_v ‖Jᵀv‖² = ‖J‖²_F`` for
Rademacher ``v``), which costs a fixed number of products whatever the code size.
:func:`jacobian_norm` measures the same quantity on data (per-sample Frobenius norm).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar, Protocol

import torch
from torch import Tensor, nn


class Penalty(Protocol):
    """What :class:`~aekit.losses.ReconstructionObjective` adds to the reconstruction loss."""

    @property
    def name(self) -> str:
        """Key of the term in the objective's output and the training history."""

    @property
    def needs_input_grad(self) -> bool:
        """Whether the penalty differentiates ``h`` with respect to ``x_in``."""

    def __call__(self, module: nn.Module, x_in: Tensor, h: Tensor) -> Tensor: ...


# ---------------------------------------------------------------- sparse
@dataclass(frozen=True)
class L1Activity:
    """L1 activity penalty: ``weight · mean_b Σ_j |h_bj|``.

    Args:
        weight: the L1 coefficient (>= 0).
    """

    weight: float
    name: ClassVar[str] = "sparsity"
    needs_input_grad: ClassVar[bool] = False

    def __call__(self, module: nn.Module, x_in: Tensor, h: Tensor) -> Tensor:
        return self.weight * h.float().flatten(1).abs().sum(1).mean()


def kl_divergence(rho: float, rho_hat: Tensor, eps: float = 1e-6) -> Tensor:
    """Elementwise ``KL(ρ ‖ ρ̂)`` between Bernoulli(ρ) and Bernoulli(ρ̂); ρ̂ clamped to (eps, 1−eps)."""
    rho_hat = rho_hat.clamp(eps, 1 - eps)
    return rho * torch.log(rho / rho_hat) + (1 - rho) * torch.log((1 - rho) / (1 - rho_hat))


class KLSparsity(nn.Module):
    """KL sparsity penalty ``β · Σ_j KL(ρ ‖ ρ̂_j)`` with ``ρ̂`` an EMA across mini-batches.

    In training mode every call updates the running mean activation (a buffer)::

        m_t   = mean over the batch of h            (one value per code unit)
        ρ̂_t  = λ · ρ̂_{t−1} + (1 − λ) · m_t          (ρ̂_1 = m_1: the first batch seeds it)
        value = β · Σ_j KL(ρ ‖ ρ̂_t,j)

    The gradient flows through the current batch mean only, and is not shrunk by
    ``(1 − λ)``: ``∂value/∂θ = β · Σ_j KL'(ρ ‖ ρ̂_t,j) · ∂m_t,j/∂θ``. That is the
    derivative of ``ρ̂_t`` divided by ``1 − λ`` (implemented as
    ``ρ̂_t.detach() + (m_t − m_t.detach())``), so β means the same at every λ and λ = 0 is
    the plain per-batch KL. The EMA only steadies the estimate of ρ̂ (a batch of 32 is a
    noisy estimate of a 5 % firing rate); it is not differentiated through past batches.

    In eval mode (validation) the buffer is left alone and ``ρ̂`` is the batch mean.
    The buffer is not part of the model or of training checkpoints: a resumed run
    re-seeds it from its first batch. Under data-parallel training each rank keeps its
    own average of its shard's batches.

    Args:
        target: ρ, the desired mean activation, in (0, 1).
        weight: β (>= 0).
        decay: λ, in [0, 1).

    Shape:
        - h: ``(B, K)`` code activations in (0, 1) (a sigmoid code) -> scalar

    Attributes:
        rho_hat: ``(K,)`` buffer, the running mean activation (empty before the first
            training batch).
    """

    name: ClassVar[str] = "sparsity"
    needs_input_grad: ClassVar[bool] = False
    rho_hat: Tensor

    def __init__(self, target: float = 0.05, weight: float = 0.1, decay: float = 0.99) -> None:
        super().__init__()
        self.target = float(target)
        self.weight = float(weight)
        self.decay = float(decay)
        self.register_buffer("rho_hat", torch.zeros(0))

    def reset(self) -> None:
        """Forget the running average (the next training batch seeds it again)."""
        self.rho_hat = torch.zeros(0)

    def forward(self, module: nn.Module, x_in: Tensor, h: Tensor) -> Tensor:
        m = h.float().flatten(1).mean(0)  # (K,) this batch's mean activation per unit
        if module.training:
            with torch.no_grad():
                if self.rho_hat.numel() != m.numel():
                    ema = m.detach().clone()
                else:
                    ema = self.decay * self.rho_hat.to(m.device) + (1 - self.decay) * m.detach()
                self.rho_hat = ema
            rho_hat = ema + (m - m.detach())  # value of the EMA, gradient of the batch mean
        else:
            rho_hat = m
        return self.weight * kl_divergence(self.target, rho_hat).sum()

    def extra_repr(self) -> str:
        return f"target={self.target}, weight={self.weight}, decay={self.decay}"


# ---------------------------------------------------------------- contractive
def sigmoid_layer(module: nn.Module) -> nn.Linear | None:
    """The Linear layer when ``module.encoder`` is exactly Linear + Sigmoid, else None.

    A leading input centring (a parameter-free module with a ``mean`` buffer, as dense
    encoders begin with) is skipped: a constant shift of x leaves ``∂h/∂x`` unchanged.
    """
    enc = getattr(module, "encoder", None)
    if not isinstance(enc, nn.Sequential):
        return None
    layers = [m for m in enc if not (hasattr(m, "mean") and not any(True for _ in m.parameters()))]
    if len(layers) == 2 and isinstance(layers[0], nn.Linear) and isinstance(layers[1], nn.Sigmoid):
        return layers[0]
    return None


def contractive_closed_form(h: Tensor, weight: Tensor) -> Tensor:
    """``‖∂h/∂x‖²_F`` per sample for ``h = σ(Wx + b)``: ``Σ_j (h_j(1−h_j))² Σ_i W_ji²``.

    Shape:
        - h: ``(B, K)``, weight: ``(K, D)`` -> ``(B,)``
    """
    return (h * (1 - h)).square() @ weight.square().sum(1)


def jacobian_sq_norm(encode: Callable[[Tensor], Tensor], x: Tensor, h: Tensor | None = None, *,
                     create_graph: bool = False, projections: int | None = None) -> Tensor:
    """Squared Frobenius norm of the encoder Jacobian ``∂h/∂x``, per sample, by autograd.

    Args:
        encode: the encoder, ``x -> h``; samples must not interact (no batch norm).
        x: input batch; if ``h`` is given it must be ``encode(x)`` with ``x.requires_grad``.
        h: the code, to reuse an existing graph instead of encoding again.
        create_graph: keep the graph, so the result can be trained on.
        projections: None = exact (one batched vector-Jacobian product per code unit);
            an int P = unbiased Hutchinson estimate from P Rademacher projections.

    Shape:
        - x: ``(B, *)`` -> ``(B,)``
    """
    own_graph = h is None or not (h.requires_grad and x.requires_grad)
    if h is None or own_graph:
        with torch.enable_grad():
            x = x.detach().requires_grad_(True)
            h = encode(x)
    b = h.shape[0]
    k = h[0].numel()
    if projections is None:
        eye = torch.eye(k, dtype=h.dtype, device=h.device)
        v = eye.unsqueeze(1).expand(k, b, k).reshape(k, *h.shape)  # (K, B, *h): unit j's row of J
    else:
        v = torch.randint(0, 2, (projections, *h.shape), device=h.device).to(h.dtype) * 2 - 1
    with torch.enable_grad():
        (g,) = torch.autograd.grad(h, x, v, is_grads_batched=True, create_graph=create_graph,
                                   retain_graph=create_graph or not own_graph)  # the caller's h lives on
    sq = g.float().square().flatten(2).sum(2)  # (K or P, B): ‖row‖² or ‖Jᵀv‖²
    return sq.sum(0) if projections is None else sq.mean(0)


def jacobian_norm(encode: Callable[[Tensor], Tensor], x: Tensor, *, projections: int | None = None) -> Tensor:
    """Frobenius norm ``‖∂h/∂x‖_F`` of the encoder Jacobian at each sample (no graph kept).

    Shape:
        - x: ``(B, *)`` -> ``(B,)``
    """
    return jacobian_sq_norm(encode, x, projections=projections).detach().sqrt()


@dataclass(frozen=True)
class ContractivePenalty:
    """Contractive penalty ``weight · mean_b ‖∂h/∂x‖²_F``.

    Closed form when the module's encoder is one Linear + Sigmoid layer, else autograd
    (exact, or Hutchinson with ``projections`` random directions).

    Args:
        weight: λ (>= 0).
        projections: None = exact; an int = the number of Hutchinson projections.
    """

    weight: float
    projections: int | None = None
    name: ClassVar[str] = "contractive"
    needs_input_grad: ClassVar[bool] = True

    def __call__(self, module: nn.Module, x_in: Tensor, h: Tensor) -> Tensor:
        layer = sigmoid_layer(module)
        if layer is not None:
            sq = contractive_closed_form(h.float(), layer.weight.float())
        else:
            sq = jacobian_sq_norm(module.encode, x_in, h,  # type: ignore[arg-type]
                                  create_graph=torch.is_grad_enabled(), projections=self.projections)
        return self.weight * sq.mean()


__all__ = ["ContractivePenalty", "KLSparsity", "L1Activity", "Penalty", "contractive_closed_form",
           "jacobian_norm", "jacobian_sq_norm", "kl_divergence", "sigmoid_layer"]
