"""Visualise: a 2-D map of the data through a trained model, and pictures of what it decodes.

A model with a 2-D latent is its own map. Wider codes are brought to 2-D by t-SNE
(scikit-learn), UMAP (the optional ``umap-learn``) or PCA; with labels, the map's 5-NN
accuracy says how well it keeps the classes apart.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike
from sklearn.decomposition import PCA
from sklearn.manifold import TSNE

from aekit.apps.runs import open_run
from aekit.data.checks import check_is_fitted
from aekit.errors import InputError, MissingDependencyError
from aekit.io.run_dir import write_json
from aekit.metrics import knn_accuracy as _knn_accuracy
from aekit.plots import plot_image_grid, plot_latent_map, plot_reconstructions

Method = Literal["auto", "latent", "tsne", "umap", "pca"]
METHODS: tuple[str, ...] = ("auto", "latent", "tsne", "umap", "pca")
UMAP_HINT = "UMAP needs the optional package umap-learn: pip install 'aekit[umap]' (or pip install umap-learn)."

_AXES = {"latent": ("z₁", "z₂"), "tsne": ("t-SNE 1", "t-SNE 2"), "umap": ("UMAP 1", "UMAP 2"),
         "pca": ("PC 1 of the codes", "PC 2 of the codes")}
_NAMES = {"latent": "2-D latent", "tsne": "t-SNE of the codes", "umap": "UMAP of the codes",
          "pca": "PCA of the codes"}


@dataclass(frozen=True, eq=False)
class LatentMap:
    """Points of a 2-D map of the data, one per (sub-sampled) sample.

    Attributes
    ----------
    coords : ndarray of shape (n_points, 2)
    labels : ndarray of shape (n_points,) or None
    method : {"latent", "tsne", "umap", "pca"}
        How the codes became 2-D (``"auto"`` resolved).
    indices : ndarray of shape (n_points,)
        Rows of the input the points belong to (all rows unless sub-sampled).
    latent_dim : int
        Size of the model's codes.
    knn_accuracy : float or None
        Cross-validated 5-NN accuracy of the labels in the map (None without labels).
    baseline_knn_accuracy : float or None
        The same score for the same points mapped the same way from PCA codes of the
        same size instead of the model's codes (PCA-2 of the inputs for a "latent" map);
        None without labels or with ``baseline=False``.
    """

    coords: np.ndarray
    labels: np.ndarray | None
    method: str
    indices: np.ndarray
    latent_dim: int
    knn_accuracy: float | None = None
    baseline_knn_accuracy: float | None = None

    @property
    def title(self) -> str:
        text = f"{_NAMES[self.method]} ({len(self.coords):,} points"
        text += f", {self.latent_dim}-D codes)" if self.method != "latent" else ")"
        if self.knn_accuracy is not None:
            text += f" — 5-NN accuracy {self.knn_accuracy:.3f}"
            if self.baseline_knn_accuracy is not None:
                text += f" (PCA codes: {self.baseline_knn_accuracy:.3f})"
        return text

    @property
    def behind_baseline(self) -> bool:
        """True when the PCA-codes map keeps the labels apart better than the model's."""
        return (self.knn_accuracy is not None and self.baseline_knn_accuracy is not None
                and self.knn_accuracy < self.baseline_knn_accuracy)

    def plot(self, path: str | os.PathLike[str], *, title: str | None = None,
             class_names: Sequence[str] | Mapping[Any, str] | None = None) -> Path:
        """Scatter the map, coloured by label with a legend (``latent_map.png``)."""
        return plot_latent_map(self.coords, path, labels=self.labels, title=title or self.title,
                               class_names=class_names, axis_labels=_AXES[self.method])


@dataclass(frozen=True, eq=False)
class LatentGrid:
    """Decoded images of a regular grid of 2-D codes.

    Attributes
    ----------
    images : ndarray of shape (n * n, *input_shape)
        Row-major: the first row has the largest z₂, and z₁ grows along each row, so the
        picture has the orientation of the latent map.
    codes : ndarray of shape (n * n, 2)
    n : int
    span : tuple of two (low, high) pairs
        The range of z₁ and of z₂.
    """

    images: np.ndarray
    codes: np.ndarray
    n: int
    span: tuple[tuple[float, float], tuple[float, float]]

    def plot(self, path: str | os.PathLike[str], *, title: str | None = None,
             image_shape: Sequence[int] | None = None) -> Path:
        """The decoded images as an n x n grid (``latent_grid.png``)."""
        images = self.images
        if images.ndim == 2 and image_shape is None:
            raise InputError(f"the model decodes flat samples of {images.shape[1]} values, not images; pass "
                             "image_shape=(C, H, W) to draw them as pictures.")
        (a, b), (c, d) = self.span
        return plot_image_grid(images, path, ncols=self.n, image_shape=image_shape,
                               title=title or f"Decoded grid: z₁ {a:.3g}…{b:.3g} (→), z₂ {c:.3g}…{d:.3g} (↑)")


@dataclass(frozen=True, eq=False)
class Visualisation:
    """What :func:`visualise` drew: the map, the grid (2-D latents of images) and the files."""

    latent_map: LatentMap
    latent_grid: LatentGrid | None
    files: dict[str, Path] = field(default_factory=dict)


def _latent_dim(estimator: Any) -> int:
    spec = getattr(estimator, "spec_", None)
    return int(spec.latent_dim if spec is not None else estimator.latent_dim)


def _resolve(method: str, latent_dim: int) -> str:
    if method not in METHODS:
        raise InputError(f"method must be one of {', '.join(map(repr, METHODS))}; got {method!r}.")
    if method == "auto":
        return "latent" if latent_dim == 2 else "tsne"
    if method == "latent" and latent_dim != 2:
        raise InputError(f"method='latent' draws the codes directly and needs latent_dim=2, but this model has "
                         f"latent_dim={latent_dim}. Use method='tsne', 'umap' or 'pca', or train with --latent-dim 2.")
    if method == "pca" and latent_dim < 2:
        raise InputError("method='pca' needs codes of at least 2 values; this model has latent_dim=1. "
                         "Use method='tsne'.")
    return method


def _umap(codes: np.ndarray, random_state: int | None) -> np.ndarray:
    try:
        import umap  # type: ignore[import-not-found]
    except ImportError as exc:
        raise MissingDependencyError(UMAP_HINT) from exc
    neighbours = int(min(15, len(codes) - 1))
    reducer = umap.UMAP(n_components=2, n_neighbors=max(neighbours, 2), random_state=random_state)
    return np.asarray(reducer.fit_transform(codes), dtype=np.float64)


def embed_2d(codes: np.ndarray, method: str, *, random_state: int | None = 0,
             perplexity: float = 30.0) -> np.ndarray:
    """Bring codes to 2-D: as they are ("latent"), or by t-SNE, UMAP or PCA."""
    if method == "latent":
        return codes.astype(np.float64)
    if not np.all(np.isfinite(codes)):
        raise InputError("the model's codes hold NaN or infinite values; no 2-D map can be made of them. "
                         "Check the input data, or retrain the model.")
    if len(codes) > 1 and float(np.ptp(codes, axis=0).max()) == 0.0:
        # t-SNE's PCA start divides by the spread of the codes and crashes on none.
        raise InputError(f"every sample has the same code ({len(codes)} identical {codes.shape[1]}-D codes, e.g. "
                         "all ReLU units dead), so a map would be a single point. Train longer, with a lower lr or "
                         "another activation (e.g. activation='leaky_relu'), then map again.")
    if method == "pca":
        return PCA(n_components=2, random_state=random_state).fit_transform(codes)
    if method == "umap":
        return _umap(codes, random_state)
    if len(codes) < 4:
        raise InputError(f"t-SNE needs at least 4 points, got {len(codes)}.")
    # Perplexity must stay below the number of points; 30 is scikit-learn's default.
    tsne = TSNE(n_components=2, perplexity=min(float(perplexity), (len(codes) - 1) / 3.0), init="pca",
                learning_rate="auto", random_state=random_state)
    return np.asarray(tsne.fit_transform(codes.astype(np.float64)), dtype=np.float64)


def _map_accuracy(coords: np.ndarray, labels: np.ndarray | None, k: int, random_state: int | None) -> float | None:
    if labels is None or len(np.unique(labels)) < 2:
        return None
    try:
        return _knn_accuracy(coords, labels, k=k, random_state=random_state)
    except InputError:  # too few points for the folds: a map without a score
        return None


def latent_map(estimator: Any, X: ArrayLike, y: ArrayLike | None = None, *, method: Method = "auto",
               max_points: int | None = 5000, k: int = 5, perplexity: float = 30.0,
               random_state: int | None = 0, baseline: bool = True) -> LatentMap:
    """A 2-D map of X through a trained model's codes.

    Parameters
    ----------
    estimator : fitted estimator
        An :class:`aekit.Autoencoder` (anything with ``transform`` and a latent size).
    X : array-like of shape (n_samples, ...)
    y : array-like of shape (n_samples,), optional
        Labels: colour the map and score it with k-NN accuracy.
    method : {"auto", "latent", "tsne", "umap", "pca"}, default="auto"
        "latent" draws a 2-D code as it is; "tsne" (scikit-learn), "umap" (needs
        ``pip install 'aekit[umap]'``) and "pca" bring wider codes to 2-D. "auto" = "latent"
        when ``latent_dim == 2``, else "tsne".
    max_points : int or None, default=5000
        Draw at most this many samples, chosen at random (seeded); t-SNE takes about a
        minute on 5,000 points on two CPU cores and grows faster than linearly. None = all.
    k : int, default=5
        Neighbours for :attr:`LatentMap.knn_accuracy` (5-fold cross-validated).
    perplexity : float, default=30.0
        t-SNE perplexity (lowered automatically for tiny inputs).
    random_state : int or None, default=0
        Seeds the sub-sample, t-SNE / UMAP and the folds.
    baseline : bool, default=True
        With labels, also score the classical alternative: the same points, mapped the
        same way from PCA codes of the model's code size (``baseline_knn_accuracy``).
        It costs one more PCA and, for t-SNE / UMAP, one more embedding.

    Returns
    -------
    LatentMap
        ``coords``, ``labels``, ``method``, ``indices``, ``knn_accuracy``,
        ``baseline_knn_accuracy``; ``.plot(path)``.

    Raises
    ------
    aekit.errors.InputError
        Unknown method, "latent" on codes that are not 2-D, labels of another length.
    MissingDependencyError
        ``method="umap"`` without umap-learn installed (an ``ImportError``).

    Examples
    --------
    >>> m = latent_map(ae, X_test, y_test, method="tsne")   # doctest: +SKIP
    >>> m.knn_accuracy, m.plot("latent_map.png")            # doctest: +SKIP
    """
    check_is_fitted(estimator)
    dim = _latent_dim(estimator)
    resolved = _resolve(method, dim)
    n = len(X)  # type: ignore[arg-type]
    labels = None if y is None else np.asarray(y)
    if labels is not None and (labels.ndim != 1 or len(labels) != n):
        raise InputError(f"y must hold one label per sample: got shape {labels.shape} for {n} samples.")
    if max_points is not None and (isinstance(max_points, bool) or int(max_points) < 1):
        raise InputError(f"max_points must be an int >= 1 or None, got {max_points!r}.")
    if max_points is not None and n > max_points:
        indices = np.sort(np.random.default_rng(random_state).choice(n, size=int(max_points), replace=False))
    else:
        indices = np.arange(n)
    X_sub = np.asarray(X)[indices] if len(indices) < n else X
    codes = np.asarray(estimator.transform(X_sub), dtype=np.float64)
    coords = embed_2d(codes, resolved, random_state=random_state, perplexity=perplexity)
    sub_labels = None if labels is None else labels[indices]
    accuracy = _map_accuracy(coords, sub_labels, k, random_state)
    base = None
    if baseline and accuracy is not None:
        base = _map_accuracy(_pca_map(X_sub, dim, resolved, random_state, perplexity), sub_labels, k, random_state)
    return LatentMap(coords=coords, labels=sub_labels, method=resolved, indices=indices, latent_dim=dim,
                     knn_accuracy=accuracy, baseline_knn_accuracy=base)


def _pca_map(X: Any, dim: int, method: str, random_state: int | None, perplexity: float) -> np.ndarray:
    """The classical map beside the model's: PCA codes of the same size, brought to 2-D the same way."""
    flat = np.asarray(X, dtype=np.float64).reshape(len(X), -1)
    n_components = max(1, min(dim if method != "latent" else 2, *flat.shape))
    codes = PCA(n_components=n_components, random_state=random_state).fit_transform(flat)
    if codes.shape[1] < 2:
        codes = np.hstack([codes, np.zeros((len(codes), 2 - codes.shape[1]))])
    return codes if method == "latent" else embed_2d(codes, method, random_state=random_state,
                                                     perplexity=perplexity)


def _span_pair(value: Any) -> tuple[float, float]:
    lo, hi = float(value[0]), float(value[1])
    if not (np.isfinite(lo) and np.isfinite(hi) and lo < hi):
        raise InputError(f"each span must be (low, high) with low < high, both finite; got ({lo:g}, {hi:g}).")
    return lo, hi


def latent_grid(estimator: Any, n: int = 15, *, span: Any = None, X: ArrayLike | None = None,
                quantiles: tuple[float, float] = (0.02, 0.98)) -> LatentGrid:
    """Decode a regular n x n grid of 2-D codes: what each region of the latent map looks like.

    Parameters
    ----------
    estimator : fitted estimator with a 2-D latent
    n : int, default=15
        Codes per axis; ``n * n`` images in all.
    span : (low, high) or ((low1, high1), (low2, high2)), optional
        The range of the grid on both axes, or on each. Default: the ``quantiles`` of the
        codes of ``X``.
    X : array-like, optional
        Data whose codes set the span when ``span`` is not given.
    quantiles : (float, float), default=(0.02, 0.98)
        Which part of the codes of X the grid covers (outliers would waste the grid).

    Returns
    -------
    LatentGrid
        ``images`` (n*n, *input_shape), ``codes`` (n*n, 2), ``n``, ``span``; ``.plot(path)``.
    """
    check_is_fitted(estimator)
    dim = _latent_dim(estimator)
    if dim != 2:
        raise InputError(f"a latent grid decodes 2-D codes, but this model has latent_dim={dim}; "
                         "train a model with latent_dim=2 for it.")
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or not 1 <= n <= 100:
        raise InputError(f"n must be an int in 1..100 (codes per axis), got {n!r}.")
    if span is None:
        if X is None:
            raise InputError("latent_grid needs the range of the codes: pass span=(low, high) or data X whose "
                             "codes set it.")
        codes = np.asarray(estimator.transform(X), dtype=np.float64)
        lo, hi = np.quantile(codes, quantiles, axis=0)
        pad = np.where(hi - lo > 0, 0.0, 0.5)  # a collapsed axis (e.g. a dead ReLU unit) still gets a range
        spans = ((float(lo[0] - pad[0]), float(hi[0] + pad[0])), (float(lo[1] - pad[1]), float(hi[1] + pad[1])))
    else:
        try:
            bounds = np.asarray(span, dtype=np.float64)
        except (TypeError, ValueError):
            bounds = np.empty(0)
        if bounds.shape not in ((2,), (2, 2)):
            raise InputError(f"span must be (low, high) or ((low1, high1), (low2, high2)), got {span!r}.")
        spans = (_span_pair(bounds), _span_pair(bounds)) if bounds.ndim == 1 else \
            (_span_pair(bounds[0]), _span_pair(bounds[1]))
    z1 = np.linspace(*spans[0], int(n))
    z2 = np.linspace(*spans[1], int(n))[::-1]  # top row = largest z₂, as on the map
    grid = np.stack(np.meshgrid(z1, z2), axis=-1).reshape(-1, 2).astype(np.float32)  # (n*n, 2), row-major
    images = np.asarray(estimator.inverse_transform(grid))
    return LatentGrid(images=images, codes=grid, n=int(n), span=spans)


def visualise(estimator: Any, X: ArrayLike, y: ArrayLike | None = None, *, out: str | os.PathLike[str],
              method: Method = "auto", max_points: int | None = 5000, image_shape: Sequence[int] | None = None,
              feature_names: Sequence[str] | None = None, class_names: Sequence[str] | Mapping[Any, str] | None = None,
              grid_n: int = 15, random_state: int | None = 0, baseline: bool = True) -> Visualisation:
    """Draw a trained model's pictures of X into the folder ``out``.

    Writes ``latent_map.png`` (coloured by label, with a legend), ``reconstructions.png``
    (ten samples above their reconstructions; table rows as profiles) and, for a 2-D latent
    of image data, ``latent_grid.png`` (an n x n grid of decoded codes).

    Parameters
    ----------
    estimator, X, y, method, max_points, random_state, baseline
        As :func:`latent_map`.
    out : path
        Folder for the PNGs (created); files are written atomically.
    image_shape : (C, H, W), optional
        For flat image data: how to draw a sample.
    feature_names : sequence of str, optional
        Table column names for the reconstruction profiles.
    class_names : sequence or dict, optional
        Legend names for integer labels.
    grid_n : int, default=15
        Codes per axis of the latent grid.

    Returns
    -------
    Visualisation
        ``latent_map``, ``latent_grid`` (or None) and ``files`` (name -> path).
    """
    folder = Path(out)
    m = latent_map(estimator, X, y, method=method, max_points=max_points, random_state=random_state,
                   baseline=baseline)
    files = {"latent_map": m.plot(folder / "latent_map.png", class_names=class_names)}
    sample = np.asarray(X[:10])  # type: ignore[index]
    recon = np.asarray(estimator.predict(sample)).reshape(sample.shape)
    shown: Any = sample
    if feature_names is not None and sample.ndim == 2 and image_shape is None:
        import pandas as pd

        shown = pd.DataFrame(sample, columns=list(feature_names))
    files["reconstructions"] = plot_reconstructions(shown, recon, folder / "reconstructions.png",
                                                    image_shape=image_shape)
    grid = None
    is_image = sample.ndim >= 3 or image_shape is not None
    if _latent_dim(estimator) == 2 and is_image:
        grid = latent_grid(estimator, grid_n, X=np.asarray(X)[m.indices])
        files["latent_grid"] = grid.plot(folder / "latent_grid.png", image_shape=image_shape)
    return Visualisation(latent_map=m, latent_grid=grid, files=files)


@dataclass(frozen=True, eq=False)
class RunVisualisation:
    """What :func:`visualise_run` drew for a run: the pictures, the folder, the report it refreshed."""

    visualisation: Visualisation
    data_name: str
    folder: Path
    report: Path | None


def visualise_run(run: str | os.PathLike[str], data: str, *, out: str | os.PathLike[str] | None = None,
                  method: Method = "auto", split: str = "test", label_column: str | None = None,
                  max_points: int | None = 5000, grid_n: int = 15, baseline: bool = True,
                  write_report: Callable[[Path], Path] | None = None) -> RunVisualisation:
    """:func:`visualise` the model of a run folder on ``data``, into ``out`` (default: the run folder).

    Also writes ``latent_map.json`` (method, points, latent size, 5-NN accuracy of the map
    and of the PCA-codes map beside it)
    and, when ``out`` is the run folder or one of its sub-folders (the ones its report
    shows), re-writes the report with ``write_report``.
    """
    opened = open_run(run, data, split=split, label_column=label_column)
    ds, run_dir = opened.data, opened.run_dir
    folder = Path(out) if out is not None else run_dir
    result = visualise(opened.estimator, ds.X, ds.y, out=folder, method=method, max_points=max_points,
                       feature_names=None if ds.columns is None or ds.is_image else list(ds.columns), grid_n=grid_n,
                       baseline=baseline)
    m = result.latent_map
    write_json(folder / "latent_map.json", {"data": ds.name, "split": split, "method": m.method,
                                            "n_points": len(m.coords), "latent_dim": m.latent_dim, "knn_k": 5,
                                            "knn_accuracy": m.knn_accuracy,
                                            "baseline": f"PCA-{m.latent_dim if m.method != 'latent' else 2} codes, "
                                                        f"same map" if baseline else None,
                                            "baseline_knn_accuracy": m.baseline_knn_accuracy})
    try:  # the report shows PNGs of the run folder and its immediate sub-folders only
        inside = folder.resolve() == run_dir.resolve() or folder.resolve().parent == run_dir.resolve()
    except OSError:
        inside = False
    report = write_report(run_dir) if inside and write_report is not None else None
    return RunVisualisation(result, ds.name, folder, report)


__all__ = ["METHODS", "UMAP_HINT", "LatentGrid", "LatentMap", "MissingDependencyError", "RunVisualisation",
           "Visualisation", "embed_2d", "latent_grid", "latent_map", "visualise", "visualise_run"]
