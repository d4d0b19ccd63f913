"""The evidence lower bound (ELBO) of a VAE, and an importance-sampled log-likelihood.

For a Gaussian posterior q(z|x) = N(mu, diag(sigma^2)) and the prior p(z) = N(0, I)::

    ELBO(x) = E_q[log p(x|z)] - KL(q(z|x) || p(z)) <= log p(x)

Training minimises ``loss = recon + beta * kl`` (beta-VAE, Higgins et al. 2017), where
``recon = -log p(x|z)`` for one reparameterised sample z = mu + sigma * eps (Kingma &
Welling 2014, eq. 10) and ``kl`` is the closed form (their appendix B). Every term is in
nats per example: summed over features and latent units, averaged over the batch.

Decoder likelihoods (``module.likelihood``):

- "bernoulli": ``log p(x|z) = -BCE(logits, x)`` summed over features, computed from the
  logits (never log 0). Exact for binary data; on grey levels in [0, 1] it is the usual
  cross-entropy convention, not a density.
- "gaussian": ``log N(x; mean, exp(module.decoder_logvar()))`` summed over features; the
  variance is fixed or learned per feature (see :mod:`aekit.models.vae`).

Evaluation: :func:`importance_log_likelihood` is the k-sample importance-weighted
estimate of log p(x) (Burda et al. 2016, eq. 8), a tighter bound than the ELBO that tends
to log p(x) as k grows.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
import torch
from torch import Tensor, nn

from aekit.losses.bce import bce_with_logits

_LOG_2PI = math.log(2.0 * math.pi)


def reparameterize(mu: Tensor, logvar: Tensor, eps: Tensor | None = None) -> Tensor:
    """z = mu + exp(logvar / 2) * eps, with eps ~ N(0, I) drawn here when not given.

    ``eps`` may carry leading sample axes, e.g. ``(S, 1, L)`` against ``mu`` of ``(B, L)``.
    """
    if eps is None:
        eps = torch.randn_like(mu)
    return mu + torch.exp(0.5 * logvar) * eps


def kl_standard_normal(mu: Tensor, logvar: Tensor) -> Tensor:
    """KL(N(mu, exp(logvar)) || N(0, I)) per example, summed over latent units: shape ``(B,)``.

    Closed form 0.5 * sum(mu^2 + sigma^2 - 1 - log sigma^2).
    """
    mu, logvar = mu.float(), logvar.float()
    return 0.5 * (mu.square() + logvar.exp() - 1.0 - logvar).sum(-1)


def log_normal(z: Tensor, mu: Tensor | float = 0.0, logvar: Tensor | float = 0.0) -> Tensor:
    """log N(z; mu, diag(exp(logvar))), summed over the last axis."""
    logvar_t = torch.as_tensor(logvar, dtype=z.dtype, device=z.device)
    return -0.5 * ((z - mu).square() * torch.exp(-logvar_t) + logvar_t + _LOG_2PI).sum(-1)


def decoder_log_prob(module: nn.Module, x: Tensor, z: Tensor) -> Tensor:
    """log p(x|z) summed over features.

    Args:
        module: a VAE module (``decode_logits``, ``likelihood``, ``decoder_logvar``).
        x: data ``(B, *sample)``.
        z: codes ``(B, L)``, or ``(S, B, L)`` for S codes per example.

    Returns:
        ``(B,)``, or ``(S, B)`` for stacked codes.
    """
    lead = z.shape[:-1]  # (B,) or (S, B)
    logits = module.decode_logits(z.reshape(-1, z.shape[-1])).float()  # type: ignore[operator]
    logits = logits.reshape(*lead, *x.shape[1:])  # (S, B, *sample) or (B, *sample)
    target = x.float().expand_as(logits)
    if module.likelihood == "bernoulli":
        n_rows = lead.numel()
        return -bce_with_logits(logits.reshape(n_rows, -1), target.reshape(n_rows, -1), "rows").reshape(lead)
    logvar = module.decoder_logvar().float()  # type: ignore[operator]
    lp = -0.5 * ((target - logits).square() * torch.exp(-logvar) + logvar + _LOG_2PI)
    return lp.flatten(len(lead)).sum(-1)


def elbo_terms(module: nn.Module, x: Tensor, eps: Tensor | None = None) -> dict[str, Tensor]:
    """Per-example ``recon`` (= -E_q log p(x|z), estimated) and ``kl`` (closed form), each ``(B,)``, in nats.

    Args:
        module: a VAE module.
        x: ``(B, *sample)``.
        eps: None for one fresh sample per example (training), or ``(S, L)`` standard-normal
            draws shared by every example, averaged over S. Shared draws make the estimate
            deterministic and independent of which other rows share the batch, while each
            example's estimate stays unbiased.
    """
    mu, logvar = module.encode(x)  # type: ignore[operator]
    if eps is None:
        recon = -decoder_log_prob(module, x, reparameterize(mu, logvar))
    else:
        z = reparameterize(mu, logvar, eps[:, None, :].to(mu))  # (S, B, L)
        recon = -decoder_log_prob(module, x, z).mean(0)
    return {"recon": recon, "kl": kl_standard_normal(mu, logvar)}


@torch.no_grad()
def importance_log_likelihood(module: nn.Module, x: Tensor, eps: Tensor, *,
                              max_elements: int = 1 << 24) -> Tensor:
    """Importance-sampled estimate of log p(x) per example, in nats: shape ``(B,)``.

    log p(x) ~ log (1/k) sum_i p(x|z_i) p(z_i) / q(z_i|x), z_i ~ q(z|x), with the k
    samples processed in chunks so that one chunk's decoder output holds at most
    ``max_elements`` values (k=5000 on a batch of MNIST digits stays near 64 MB).

    Args:
        module: a VAE module.
        x: ``(B, *sample)``.
        eps: ``(k, L)`` standard-normal draws shared by every example (see :func:`elbo_terms`).
        max_elements: memory budget per chunk, in decoder output values.
    """
    mu, logvar = module.encode(x)  # type: ignore[operator]
    mu, logvar = mu.float(), logvar.float()
    k = eps.shape[0]
    per_sample = x[0].numel() * x.shape[0]
    chunk = max(1, min(k, max_elements // max(per_sample, 1)))
    total = torch.full((x.shape[0],), -math.inf, device=x.device)
    for start in range(0, k, chunk):
        e = eps[start:start + chunk, None, :].to(mu)  # (c, 1, L)
        z = mu + torch.exp(0.5 * logvar) * e  # (c, B, L)
        log_q = log_normal(e, 0.0, 0.0) - 0.5 * logvar.sum(-1)  # log N(z; mu, sigma^2) via eps
        log_w = decoder_log_prob(module, x, z) + log_normal(z) - log_q  # (c, B)
        total = torch.logaddexp(total, torch.logsumexp(log_w, dim=0))
    return total - math.log(k)


@dataclass
class ELBOObjective:
    """Negative ELBO for the trainer: ``{"loss": recon + beta * kl_weight * kl, "recon", "kl"}``.

    KL warm-up (Sønderby et al. 2016, "How to train deep VAEs", sec. 2.2) is a pure
    function of training progress, like a learning-rate schedule: the loop calls
    :meth:`set_progress` before every batch, so a resumed run lands on the same weight
    as an uninterrupted one. Early on the decoder learns to use the code before the KL
    term pulls the posterior onto the prior, which leaves fewer inactive latent units.
    The history's ``loss`` is the annealed one; ``recon + kl`` is always the negative ELBO.

    Args:
        beta: weight of the KL term (1 = the ELBO; > 1 = beta-VAE, more disentangled,
            blurrier codes; < 1 = closer to a plain autoencoder).
        binarize: resample binary data from the grey levels of every training batch
            (dynamic binarisation; x in [0, 1] read as pixel-on probabilities).
        kl_warmup: epochs over which ``kl_weight`` rises linearly from 0 to 1; 0 = off.
        kl_weight: KL annealing factor in [0, 1], multiplied into beta; set by
            :meth:`set_progress`.
    """

    beta: float = 1.0
    binarize: bool = False
    kl_warmup: float = 0.0
    kl_weight: float = 1.0

    def set_progress(self, epochs_done: float) -> None:
        """Set ``kl_weight = min(1, epochs_done / kl_warmup)`` (1 when ``kl_warmup`` is 0)."""
        self.kl_weight = min(1.0, epochs_done / self.kl_warmup) if self.kl_warmup > 0 else 1.0

    def __call__(self, module: nn.Module, x: Tensor) -> dict[str, Tensor]:
        if self.binarize and module.training:
            x = torch.bernoulli(x)
        terms = elbo_terms(module, x)
        recon, kl = terms["recon"].mean(), terms["kl"].mean()
        return {"loss": recon + (self.beta * self.kl_weight) * kl, "recon": recon, "kl": kl}
