"""Generate images with a trained autoencoder: samples, interpolations, latent traversals.

- **Samples.** A :class:`aekit.VariationalAutoencoder` can decode draws from its prior
  N(0, I) (``sampler="prior"``). Every autoencoder, deterministic ones included, can decode
  draws from a density fitted to its training codes (``sampler="gmm"``): a Gaussian mixture
  on ``transform(X_train)``, the ex-post density estimation of Ghosh et al. (2020), which
  also often beats a VAE's own prior because the aggregate posterior is not N(0, I). Its
  size is chosen from the codes by default (``n_components="auto"``: held-out
  log-likelihood, :func:`select_n_components`).
- **Interpolations** between two images' codes, linear (``lerp``) or spherical (``slerp``,
  White 2016: keeps the norm of equal-norm endpoints, where a straight line through a
  Gaussian's interior passes through codes the decoder rarely saw).
- **Latent traversals**: vary one code dimension at a time around an image's code.
- **A classical baseline**, :func:`pca_gaussian_samples`: a Gaussian fitted in PCA space
  with as many components as the model has code dimensions, sampled and projected back, so
  users see what the autoencoder buys.

Everything takes ``random_state`` and gives the same images for the same seed.
:func:`generate` runs them together, writes PNG grids and ``.npy`` arrays, and returns a
:class:`GenerateResult`.

References
----------
P. Ghosh, M. S. M. Sajjadi, A. Vergari, M. Black, B. Schölkopf, "From variational to
deterministic autoencoders", ICLR 2020. T. White, "Sampling generative networks",
arXiv:1609.04468, 2016.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.decomposition import PCA
from sklearn.mixture import GaussianMixture

from aekit.errors import InputError, NotFittedError
from aekit.plots.grids import plot_image_grid

SAMPLERS: tuple[str, ...] = ("prior", "gmm")
METHODS: tuple[str, ...] = ("linear", "spherical")


# ---------------------------------------------------------------------------- checks
def _positive_int(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value <= 0:
        raise InputError(f"{name} must be a positive int (> 0), got {value!r}.")
    return int(value)


def _input_shape(model: Any) -> tuple[int, ...]:
    shape = getattr(model, "input_shape_", None)
    if shape is None or not hasattr(model, "transform") or not hasattr(model, "inverse_transform"):
        raise NotFittedError(f"{type(model).__name__} is not a fitted aekit autoencoder; fit it (or aekit.load a run "
                             "folder) before generating with it.")
    return tuple(int(s) for s in shape)


def _check_data(model: Any, X: Any, what: str = "X") -> np.ndarray:
    """X as ``(N, *input_shape_)``, refused with the sizes when its images do not fit the model."""
    shape = _input_shape(model)
    arr = np.asarray(X)
    if arr.dtype == np.uint8:
        arr = arr.astype(np.float32) / 255.0
    arr = arr.astype(np.float32, copy=False)
    per = int(np.prod(shape))
    if arr.ndim >= 1 and int(np.prod(arr.shape[1:])) == per and arr.ndim > 1:
        arr = arr.reshape(len(arr), *shape)
    elif int(np.prod(arr.shape)) == per:
        arr = arr.reshape(1, *shape)
    else:
        raise InputError(f"{what} holds samples of shape {arr.shape[1:]}, but the model was trained on samples of "
                         f"shape {shape} ({per} values); resize the images to the model's size or train a model on "
                         "images of this size.")
    if len(arr) == 0:
        raise InputError(f"{what} holds no samples (length 0).")
    if not np.isfinite(arr).all():
        raise InputError(f"{what} holds NaN or infinite values; drop or replace those samples.")
    _check_range(model, arr, what)
    return arr


def _model_range(model: Any) -> tuple[float, float] | None:
    """The value range of the model's training data, where its scaler tells it (none for standardised data)."""
    scaler = getattr(model, "scaler_", None)
    method = getattr(scaler, "method", None)
    if method == "none":
        return 0.0, 1.0  # "auto" scaling leaves data alone only when it lies in [0, 1]
    if method == "minmax":
        lo, width = np.asarray(scaler.offset, np.float64), np.asarray(scaler.scale, np.float64)  # type: ignore[union-attr]
        return float(lo.min()), float((lo + width).max())
    return None


def _check_range(model: Any, arr: np.ndarray, what: str) -> None:
    """Refuse samples far outside the range the model was trained on (8-bit pixels for a [0, 1] model, ...)."""
    span = _model_range(model)
    if span is None:
        return
    lo, hi = span
    slack = 0.1 * (hi - lo)  # new data may exceed the training extremes a little; a unit mix-up is far outside
    a, b = float(arr.min()), float(arr.max())
    if a < lo - slack or b > hi + slack:
        raise InputError(f"{what} has values in [{a:.4g}, {b:.4g}], outside the model's range [{lo:.4g}, {hi:.4g}] "
                         "(that of its training data). Scale the samples as the training data was: for a [0, 1] "
                         "model, divide 8-bit pixel values by 255 (uint8 arrays are divided for you).")


def _image_shape(shape: tuple[int, ...]) -> tuple[int, ...]:
    if len(shape) >= 2:
        return shape
    side = int(round(shape[0] ** 0.5))
    if side * side != shape[0]:
        raise InputError(f"samples of {shape[0]} values are not square images, so no image grid can be drawn; "
                         "save the arrays only (out=None) or train on (N, C, H, W) images.")
    return (1, side, side)


# ---------------------------------------------------------------------------- samplers
@dataclass(frozen=True)
class CodeDensity:
    """A Gaussian mixture over an autoencoder's training codes (Ghosh et al. 2020).

    Attributes
    ----------
    mixture : sklearn.mixture.GaussianMixture
        Fitted on ``model.transform(X)`` with full covariances; ``mixture.n_components``
        is the size used (the one chosen, with ``n_components="auto"``).
    heldout_loglik : dict of int to float
        With ``n_components="auto"``: the mean log-likelihood of the held-out codes under each
        candidate size (:func:`select_n_components`); empty for a size given as an int.
    """

    mixture: GaussianMixture
    heldout_loglik: dict[int, float] = field(default_factory=dict)

    def sample(self, n: int, random_state: int | np.random.Generator | None = None) -> np.ndarray:
        """``n`` codes drawn from the mixture, ``(n, latent_dim)``; seeded by ``random_state`` alone."""
        n = _positive_int("n", n)
        gm, rng = self.mixture, np.random.default_rng(random_state)
        comp = rng.choice(len(gm.weights_), size=n, p=gm.weights_ / gm.weights_.sum())
        chol = np.linalg.cholesky(gm.covariances_)  # (K, d, d)
        eps = rng.standard_normal((n, gm.means_.shape[1]))
        return (gm.means_[comp] + np.einsum("nij,nj->ni", chol[comp], eps)).astype(np.float32)


#: The mixture sizes ``n_components="auto"`` chooses among.
AUTO_COMPONENTS: tuple[int, ...] = (1, 2, 5, 10, 20, 50, 100)


def _components(value: Any) -> int | str:
    """``"auto"`` or a positive int; anything else is refused with the allowed values."""
    if isinstance(value, str) and value == "auto":
        return "auto"
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value <= 0:
        raise InputError(f"n_components must be 'auto' or a positive int (> 0), got {value!r}; pass 'auto' to "
                         "choose the size from the training codes, or a number of components such as 10.")
    return int(value)


def _mixture(k: int, Z: np.ndarray, random_state: int | None) -> GaussianMixture:
    return GaussianMixture(k, covariance_type="full", reg_covar=1e-5, random_state=random_state).fit(Z)


def select_n_components(Z: Any, *, candidates: tuple[int, ...] = AUTO_COMPONENTS, holdout: float = 0.1,
                        random_state: int | None = 0) -> tuple[int, dict[int, float]]:
    """The mixture size whose fit on most codes best predicts the rest: held-out log-likelihood.

    A seeded random ``holdout`` share of the codes is set aside; a full-covariance mixture of
    each candidate size is fitted on the others and scored by the mean log-likelihood of the
    held-out codes; the best size wins. Held-out likelihood rather than BIC because it measures
    what sampling needs (how well the density covers codes it did not see) without BIC's
    large-sample penalty, which assumes a regular model (mixtures are not) and tends to pick
    too few components for sampling; its cost is one fit per candidate.

    Candidates with more than ``n_fit / (d + 1)`` components (fewer than ``d + 1`` codes each,
    the least a full covariance in ``d`` dimensions needs) are skipped; 1 always remains.

    Parameters
    ----------
    Z : array-like of shape (N, d)
        Codes, N >= 2.
    candidates : tuple of int, default=AUTO_COMPONENTS
    holdout : float, default=0.1
        Share of the codes held out, in (0, 1).
    random_state : int, optional
        Seeds the split and the fits.

    Returns
    -------
    n_components : int
    heldout_loglik : dict of int to float
        Mean held-out log-likelihood per candidate tried.
    """
    Z = np.asarray(Z, dtype=np.float64)
    if Z.ndim != 2 or len(Z) < 2:
        raise InputError(f"choosing the mixture size needs at least 2 codes (an (N, d) array), got shape {Z.shape}; "
                         "pass more samples or an int n_components.")
    if not 0 < holdout < 1:
        raise InputError(f"holdout must be a share in (0, 1), got {holdout!r}.")
    n_val = max(1, int(round(holdout * len(Z))))
    order = np.random.default_rng(random_state).permutation(len(Z))
    fit, val = Z[order[n_val:]], Z[order[:n_val]]
    sizes = sorted({1, *(int(k) for k in candidates if 0 < k and k * (Z.shape[1] + 1) <= len(fit))})
    scores = {k: float(_mixture(k, fit, random_state).score(val)) for k in sizes}
    return max(scores, key=lambda k: scores[k]), scores


def fit_code_density(model: Any, X: Any, *, n_components: int | str = "auto",
                     random_state: int | None = 0) -> CodeDensity:
    """Fit a Gaussian mixture to the codes of X (the training images, usually).

    Parameters
    ----------
    model : fitted aekit autoencoder
    X : array-like
        Samples of the model's input shape.
    n_components : "auto" or int, default="auto"
        Mixture components. "auto" chooses among :data:`AUTO_COMPONENTS` by the held-out
        log-likelihood of 10% of the codes (:func:`select_n_components`), then refits the
        chosen size on all of them; an int (at most the number of samples) is used as given.
    random_state : int, optional

    Returns
    -------
    CodeDensity

    Raises
    ------
    aekit.errors.InputError
        ``n_components`` neither "auto" nor a positive int, or more than the samples.
    """
    n_components = _components(n_components)
    Z = np.asarray(model.transform(_check_data(model, X)), dtype=np.float64)
    scores: dict[int, float] = {}
    if n_components == "auto":
        if len(Z) < 2:
            return CodeDensity(_mixture(1, Z, random_state))
        k, scores = select_n_components(Z, random_state=random_state)
    else:
        k = int(n_components)
    if k > len(Z):
        raise InputError(f"n_components={k} exceeds the {len(Z)} samples in X; pass more samples, fewer components "
                         "or 'auto'.")
    return CodeDensity(_mixture(k, Z, random_state), scores)


def sample(model: Any, n: int, *, sampler: str = "gmm", X: Any = None, density: CodeDensity | None = None,
           n_components: int | str = "auto", random_state: int | None = None) -> np.ndarray:
    """Decode ``n`` codes drawn from the prior or from a density fitted to the training codes.

    Parameters
    ----------
    model : fitted aekit autoencoder
    n : int
        How many samples, > 0.
    sampler : {"gmm", "prior"}, default="gmm"
        "prior": N(0, I), variational autoencoders only. "gmm": a Gaussian mixture fitted
        to ``transform(X)`` (or ``density``), for any autoencoder.
    X : array-like, optional
        Training samples for the mixture (needed for "gmm" unless ``density`` is given).
    density : CodeDensity, optional
        A mixture fitted before (:func:`fit_code_density`), to reuse.
    n_components : "auto" or int, default="auto"
        The mixture's size (:func:`fit_code_density`).
    random_state : int, optional
        Seeds the draws (and the mixture's fit); the same seed gives the same samples.

    Returns
    -------
    ndarray of shape (n, *input_shape_)

    Raises
    ------
    aekit.errors.InputError
        ``n`` <= 0, an unknown sampler, "prior" for a deterministic autoencoder, "gmm"
        without ``X`` or ``density``, or ``n_components`` neither "auto" nor a positive int.
    """
    n = _positive_int("n", n)
    n_components = _components(n_components)
    _input_shape(model)
    if sampler not in SAMPLERS:
        raise InputError(f"sampler must be one of {', '.join(map(repr, SAMPLERS))}, got {sampler!r}.")
    if sampler == "prior":
        if not hasattr(model, "sample"):
            raise InputError(f"sampler='prior' needs a VariationalAutoencoder; a {type(model).__name__} has no prior. "
                             "Use sampler='gmm' (a mixture fitted to the training codes).")
        return np.asarray(model.sample(n, random_state=random_state))
    if density is None:
        if X is None:
            raise InputError("sampler='gmm' needs the training samples X (or a density from fit_code_density) to fit "
                             "the mixture to their codes.")
        density = fit_code_density(model, X, n_components=n_components, random_state=random_state)
    return np.asarray(model.inverse_transform(density.sample(n, random_state)))


def pca_gaussian_samples(X: Any, n: int, *, n_components: int, random_state: int | None = None) -> np.ndarray:
    """The classical baseline: a Gaussian in PCA space, sampled and projected back.

    PCA with ``n_components`` components (match the autoencoder's code size), a
    Gaussian with the component variances (PCA scores are uncorrelated), draws decoded by
    ``inverse_transform`` and clipped to the data's range.

    Parameters
    ----------
    X : array-like of shape (N, ...)
        Training samples.
    n : int
        How many samples, > 0.
    n_components : int
    random_state : int, optional

    Returns
    -------
    ndarray of shape (n, *X.shape[1:])
    """
    n = _positive_int("n", n)
    n_components = _positive_int("n_components", n_components)
    arr = np.asarray(X, dtype=np.float64)
    flat = arr.reshape(len(arr), -1)
    if n_components > min(flat.shape):
        raise InputError(f"n_components={n_components} exceeds min(n_samples, n_features)={min(flat.shape)}.")
    pca = PCA(n_components, random_state=random_state).fit(flat)
    rng = np.random.default_rng(random_state)
    z = rng.standard_normal((n, n_components)) * np.sqrt(pca.explained_variance_)
    out = np.clip(pca.inverse_transform(z), flat.min(), flat.max())
    return out.reshape(n, *arr.shape[1:]).astype(np.float32)


# ---------------------------------------------------------------------------- paths in code space
def lerp(za: Any, zb: Any, t: Any) -> np.ndarray:
    """``(1 − t) za + t zb`` for each t: ``(len(t), d)``."""
    a, b, t = np.asarray(za, np.float64), np.asarray(zb, np.float64), np.asarray(t, np.float64)[:, None]
    return (1.0 - t) * a + t * b


def slerp(za: Any, zb: Any, t: Any) -> np.ndarray:
    """Spherical interpolation: ``sin((1−t)ω)/sin ω · za + sin(tω)/sin ω · zb`` with ω the angle
    between the codes; linear when they are (nearly) parallel. ``(len(t), d)``."""
    a, b, t = np.asarray(za, np.float64), np.asarray(zb, np.float64), np.asarray(t, np.float64)[:, None]
    na, nb = np.linalg.norm(a), np.linalg.norm(b)
    if na == 0 or nb == 0:
        return lerp(a, b, t[:, 0])
    omega = np.arccos(np.clip(a @ b / (na * nb), -1.0, 1.0))
    if np.sin(omega) < 1e-6:
        return lerp(a, b, t[:, 0])
    return (np.sin((1.0 - t) * omega) * a + np.sin(t * omega) * b) / np.sin(omega)


def _endpoint(model: Any, v: Any, X: Any, name: str) -> np.ndarray:
    if isinstance(v, (int, np.integer)) and not isinstance(v, bool):
        if X is None:
            raise InputError(f"{name}={v} is an index, so pass the samples X it indexes.")
        n = len(X)
        if not -n <= v < n:
            raise InputError(f"{name}={v} is out of range for X of {n} samples; use an index in [0, {n - 1}].")
        v = np.asarray(X)[v]
    return _check_data(model, v, what=name)


def interpolate(model: Any, a: Any, b: Any, steps: int = 8, *, method: str = "linear", X: Any = None) -> np.ndarray:
    """Decode ``steps`` codes on the path from ``a``'s code to ``b``'s, both ends included.

    Parameters
    ----------
    model : fitted aekit autoencoder
    a, b : int or array-like
        Two images, or indices into ``X``.
    steps : int, default=8
        Points on the path, >= 2.
    method : {"linear", "spherical"}, default="linear"
    X : array-like, optional
        The samples ``a`` and ``b`` index.

    Returns
    -------
    ndarray of shape (steps, *input_shape_)
        The first and last are the reconstructions of ``a`` and ``b``.

    Raises
    ------
    aekit.errors.InputError
        An index out of range, images of another size than the model's, ``steps`` < 2 or
        an unknown method.
    """
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps < 2:
        raise InputError(f"steps must be an int >= 2 (both ends are included), got {steps!r}.")
    if method not in METHODS:
        raise InputError(f"method must be one of {', '.join(map(repr, METHODS))}, got {method!r}.")
    xa, xb = _endpoint(model, a, X, "a"), _endpoint(model, b, X, "b")
    za, zb = (np.asarray(model.transform(x), np.float64)[0] for x in (xa, xb))
    t = np.linspace(0.0, 1.0, int(steps))
    Z = lerp(za, zb, t) if method == "linear" else slerp(za, zb, t)
    return np.asarray(model.inverse_transform(Z.astype(np.float32)))


def traverse(model: Any, X: Any, *, index: int = 0, dims: Any = None, steps: int = 7, span: float = 2.0) -> np.ndarray:
    """Vary one code dimension at a time around the code of ``X[index]``.

    Dimension ``j`` moves over ``z_j ± span · s_j`` in ``steps`` points, with ``s_j`` the
    standard deviation of that dimension over the codes of ``X`` (1 for a VAE's prior
    scale would ignore collapsed dimensions; the data's spread shows what each one does).

    Parameters
    ----------
    model : fitted aekit autoencoder
    X : array-like
        Samples: the spread of their codes sets the range, ``X[index]`` the centre.
    index : int, default=0
    dims : sequence of int, optional
        Code dimensions to traverse; default all (at most the first 16).
    steps : int, default=7
    span : float, default=2.0
        Half-width of the range in standard deviations, > 0.

    Returns
    -------
    ndarray of shape (len(dims), steps, *input_shape_)
    """
    steps = _positive_int("steps", steps)
    if not (isinstance(span, (int, float, np.floating)) and np.isfinite(span) and span > 0):
        raise InputError(f"span must be a positive number of standard deviations, got {span!r}.")
    data = _check_data(model, X)
    if isinstance(index, bool) or not isinstance(index, (int, np.integer)) or not -len(data) <= index < len(data):
        raise InputError(f"index={index!r} is out of range for X of {len(data)} samples; use an index in "
                         f"[0, {len(data) - 1}].")
    Z = np.asarray(model.transform(data), np.float64)
    d = Z.shape[1]
    dims = list(range(min(d, 16))) if dims is None else [int(j) for j in dims]
    bad = [j for j in dims if not 0 <= j < d]
    if bad or not dims:
        raise InputError(f"dims {bad or dims} are not code dimensions; the code has {d}: use values in [0, {d - 1}].")
    spread = Z.std(axis=0)
    offsets = np.linspace(-span, span, steps)
    codes = np.repeat(Z[index][None, None], len(dims), axis=0).repeat(steps, axis=1)  # (len(dims), steps, d)
    for row, j in enumerate(dims):
        codes[row, :, j] = Z[index, j] + offsets * spread[j]
    out = np.asarray(model.inverse_transform(codes.reshape(-1, d).astype(np.float32)))
    return out.reshape(len(dims), steps, *out.shape[1:])


# ---------------------------------------------------------------------------- the app
@dataclass(frozen=True)
class GenerateResult:
    """What :func:`generate` made.

    Attributes
    ----------
    samples : ndarray of shape (n, *input_shape_)
        Decoded draws from the chosen sampler.
    baseline : ndarray of shape (n, *input_shape_) or None
        Draws from the PCA-Gaussian baseline with as many components as the code; None
        with ``baseline=False``.
    interpolations : dict of str to ndarray
        ``"linear"`` and ``"spherical"`` paths of ``steps`` images (empty without
        ``interpolate``).
    traversal : ndarray or None
        ``(dims, steps, *input_shape_)``, with ``traverse=True``.
    paths : dict of str to Path
        The PNG grids and ``.npy`` arrays written.
    n_components : int or None
        The gmm sampler's mixture size (chosen, with "auto"); None for the prior.
    """

    samples: np.ndarray
    baseline: np.ndarray | None
    interpolations: dict[str, np.ndarray] = field(default_factory=dict)
    traversal: np.ndarray | None = None
    paths: dict[str, Path] = field(default_factory=dict)
    n_components: int | None = None


def generate(model: Any, X: Any, *, n: int = 64, sampler: str = "gmm", n_components: int | str = "auto",
             interpolate_pair: tuple[int, int] | None = None, steps: int = 8, traverse_dims: bool = False,
             baseline: bool = True, out: str | os.PathLike[str] | None = None,
             random_state: int | None = 0) -> GenerateResult:
    """Samples, optional interpolation and traversal grids, and the PCA-Gaussian baseline.

    Parameters
    ----------
    model : fitted aekit autoencoder
    X : array-like
        The training samples: the mixture, the baseline and traversals are fitted on them,
        and ``interpolate_pair`` indexes them.
    n : int, default=64
    sampler : {"gmm", "prior"}, default="gmm"
    n_components : "auto" or int, default="auto"
        Size of the gmm sampler's mixture; "auto" chooses it by held-out log-likelihood of the
        codes (:func:`fit_code_density`).
    interpolate_pair : (int, int), optional
        Indices I, J into X: write linear and spherical interpolations between them.
    steps : int, default=8
    traverse_dims : bool, default=False
        Write a traversal of each code dimension (at most 16) around ``X[0]``.
    baseline : bool, default=True
        Also draw ``n`` samples of the PCA-Gaussian baseline (:func:`pca_gaussian_samples`).
    out : path, optional
        Folder for ``samples.png``/``.npy``, ``baseline_pca.png``/``.npy``,
        ``interpolation.png``/``.npy`` and ``traversal.png``/``.npy``.
    random_state : int, optional

    Returns
    -------
    GenerateResult

    Raises
    ------
    aekit.errors.InputError
        ``n`` <= 0, samples of another shape than the model's or far outside its value
        range, interpolation indices out of range, or a sampler the model lacks.
    """
    n, n_components = _positive_int("n", n), _components(n_components)
    data = _check_data(model, X)
    shape = _input_shape(model)
    density = None
    if sampler == "gmm":
        density = fit_code_density(model, data, n_components=n_components, random_state=random_state)
    samples = sample(model, n, sampler=sampler, X=data, density=density, random_state=random_state)
    Z_dim = int(np.asarray(model.transform(data[:1])).shape[1])
    base = pca_gaussian_samples(data, n, n_components=min(Z_dim, *data.reshape(len(data), -1).shape),
                                random_state=random_state) if baseline else None
    paths_ = {}
    interps: dict[str, np.ndarray] = {}
    if interpolate_pair is not None:
        if len(tuple(interpolate_pair)) != 2:
            raise InputError(f"interpolate_pair must be two indices (I, J) into X, got {interpolate_pair!r}.")
        i, j = interpolate_pair
        for method in METHODS:
            interps[method] = interpolate(model, i, j, steps, method=method, X=data)
    trav = traverse(model, data, steps=steps) if traverse_dims else None
    if out is not None:
        folder = Path(out)
        folder.mkdir(parents=True, exist_ok=True)
        img = _image_shape(shape)
        ncols = int(np.ceil(np.sqrt(n)))
        grids = [("samples", samples, f"{sampler} samples")]
        if base is not None:
            grids.append(("baseline_pca", base, f"PCA-Gaussian baseline ({Z_dim} components)"))
        for name, arr, title in grids:
            np.save(folder / f"{name}.npy", arr)
            paths_[f"{name}_npy"] = folder / f"{name}.npy"
            paths_[name] = plot_image_grid(arr.reshape(len(arr), -1), folder / f"{name}.png", ncols=ncols,
                                           title=title, image_shape=img)
        if interps and interpolate_pair is not None:
            both = np.stack([interps["linear"], interps["spherical"]])
            np.save(folder / "interpolation.npy", both)
            paths_["interpolation_npy"] = folder / "interpolation.npy"
            labels = ["linear"] + [""] * (steps - 1) + ["spherical"] + [""] * (steps - 1)
            paths_["interpolation"] = plot_image_grid(both.reshape(2 * steps, -1), folder / "interpolation.png",
                                                      ncols=steps, labels=labels, image_shape=img,
                                                      title=f"interpolation {interpolate_pair[0]} -> "
                                                            f"{interpolate_pair[1]}")
        if trav is not None:
            np.save(folder / "traversal.npy", trav)
            paths_["traversal_npy"] = folder / "traversal.npy"
            labels = [f"z{j}" if k == 0 else "" for j in range(trav.shape[0]) for k in range(steps)]
            paths_["traversal"] = plot_image_grid(trav.reshape(-1, int(np.prod(shape))), folder / "traversal.png",
                                                  ncols=steps, labels=labels, image_shape=img,
                                                  title="latent traversals (±2 sd per dimension)")
    return GenerateResult(samples=samples, baseline=base, interpolations=interps, traversal=trav, paths=paths_,
                          n_components=None if density is None else int(density.mixture.n_components))


__all__ = ["AUTO_COMPONENTS", "METHODS", "SAMPLERS", "CodeDensity", "GenerateResult", "fit_code_density", "generate", "interpolate",
           "lerp", "pca_gaussian_samples", "sample", "select_n_components", "slerp", "traverse"]
