"""A multivariate normal fitted by EM to a table with holes, and its conditional means.

The classic linear imputer (Little & Rubin, "Statistical Analysis with Missing Data",
ch. 11): each row's missing entries are filled with ``E[x_m | x_o] = μ_m + Σ_mo Σ_oo⁻¹
(x_o − μ_o)``, and EM re-estimates ``μ, Σ`` from the filled rows plus the conditional
covariances. It is what ``IterativeImputer(BayesianRidge)`` approximates column by column,
in one batched solve per EM round. :class:`aekit.AutoencoderImputer` blends it with its
network, column by column, by their errors on held-out entries.
"""

from __future__ import annotations

import numpy as np

#: Rows per batched solve: (rows, k, k) float64 stacks stay under about 64 MB.
_CHUNK_VALUES = 8_000_000


def _solve_rows(x: np.ndarray, obs: np.ndarray, mu: np.ndarray, cov: np.ndarray,
                with_cov: bool) -> tuple[np.ndarray, np.ndarray]:
    """Conditional means of every entry (observed ones unchanged), and the summed
    conditional covariance of the missing entries (zeros unless ``with_cov``)."""
    n, k = x.shape
    out = np.where(obs, x, mu)
    cov_sum = np.zeros((k, k))
    step = max(1, _CHUNK_VALUES // max(1, k * k))
    eye = np.eye(k)
    for start in range(0, n, step):
        o = obs[start:start + step].astype(np.float64)  # (B, k), 1 = observed
        if not (o < 1).any():
            continue
        # A_i = D_o Σ D_o + (I − D_o): Σ_oo on the observed block, identity elsewhere, so one
        # batched solve gives Σ_oo⁻¹ (x_o − μ_o) with zeros on the missing entries.
        a = o[:, :, None] * cov[None] * o[:, None, :] + eye[None] * (1 - o)[:, :, None]
        r = (o * (np.where(obs[start:start + step], x[start:start + step], mu) - mu))[:, :, None]
        z = np.linalg.solve(a, r)[:, :, 0]  # (B, k)
        cond = mu + z @ cov  # μ + Σ_·o Σ_oo⁻¹ (x_o − μ_o); exact on the missing entries
        out[start:start + step] = np.where(obs[start:start + step], x[start:start + step], cond)
        if with_cov:
            # Σ_mm − Σ_mo Σ_oo⁻¹ Σ_om, on the missing block only
            s_o = o[:, :, None] * cov[None]  # rows of Σ restricted to the observed entries
            t = np.linalg.solve(a, s_o)  # Σ_oo⁻¹ Σ_o·, zero rows on the missing entries
            c = cov[None] - np.matmul(cov[None], o[:, :, None] * t)  # (B, k, k)
            miss = 1 - o
            cov_sum += (miss[:, :, None] * c * miss[:, None, :]).sum(0)
    return out, cov_sum


def fit_gaussian(x: np.ndarray, obs: np.ndarray, *, n_iter: int = 10, ridge: float = 1e-2,
                 tol: float = 1e-4) -> tuple[np.ndarray, np.ndarray]:
    """``(mean, covariance)`` of a normal fitted by EM to ``x``'s observed entries.

    Args:
        x: ``(n, k)`` values (anything where ``obs`` is False), columns roughly standardised.
        obs: ``(n, k)`` bool, True = observed.
        n_iter: at most this many EM rounds.
        ridge: added to the covariance's diagonal each round, in the columns' units (with
            standardised columns, 1% of each variance): keeps ``Σ_oo`` invertible on
            collinear or short tables, a ridge penalty on the implied regressions.
        tol: stop when the covariance moves less than this (max abs change).
    """
    n, k = x.shape
    counts = np.maximum(obs.sum(0), 1)
    mu = np.where(obs, x, 0.0).sum(0) / counts
    filled = np.where(obs, x, mu)
    cov = np.cov(filled, rowvar=False, bias=True).reshape(k, k) + ridge * np.eye(k)
    for _ in range(int(n_iter)):
        filled, cond_cov = _solve_rows(x, obs, mu, cov, with_cov=True)
        mu = filled.mean(0)
        centred = filled - mu
        new = (centred.T @ centred + cond_cov) / n + ridge * np.eye(k)
        moved = float(np.abs(new - cov).max())
        cov = new
        if moved < tol:
            break
    return mu, cov


def conditional_mean(x: np.ndarray, obs: np.ndarray, mu: np.ndarray, cov: np.ndarray) -> np.ndarray:
    """Every entry of ``x`` with the missing ones (``obs`` False) at ``E[x_m | x_o]``."""
    return _solve_rows(x, obs, mu, cov, with_cov=False)[0]
