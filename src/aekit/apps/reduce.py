"""Reduce: codes for new data, and how an autoencoder compares with PCA at the same size.

PCA is the linear baseline every autoencoder should beat: an undercomplete autoencoder
with linear layers and MSE loss learns the same subspace, so the gap between the two
errors is what the non-linearity buys.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import ArrayLike
from sklearn.base import BaseEstimator, clone
from sklearn.decomposition import PCA

from aekit.apps.baselines import Baseline
from aekit.apps.runs import load_run, model_input, open_run, pca_for_run
from aekit.data.checks import check_is_fitted
from aekit.data.splits import load_train_test
from aekit.errors import InputError
from aekit.estimators import Autoencoder
from aekit.io.run_dir import write_json
from aekit.metrics import reconstruction_mse
from aekit.metrics.reconstruction import reconstruction_metrics
from aekit.plots import plot_error_vs_dim

EstimatorFactory = Callable[[int], Any]


def reduce(estimator: Any, X: ArrayLike) -> np.ndarray:
    """Codes of X from a trained model: ``estimator.transform(X)``.

    Returns
    -------
    ndarray of shape (n_samples, latent_dim)
    """
    return np.asarray(estimator.transform(X))


@dataclass(frozen=True)
class PCAComparisonRow:
    """One latent size: the test reconstruction MSE of the autoencoder and of PCA."""

    dim: int
    ae_mse: float
    pca_mse: float

    @property
    def ratio(self) -> float:
        """``ae_mse / pca_mse``: below 1 means the autoencoder reconstructs better."""
        return self.ae_mse / self.pca_mse if self.pca_mse > 0 else float("inf")


@dataclass(frozen=True)
class PCAComparison:
    """Autoencoder vs PCA reconstruction error at several latent sizes.

    Attributes
    ----------
    dims : tuple of int
        Latent sizes, ascending.
    ae_mse, pca_mse : tuple of float
        Test reconstruction MSE per value (data units) at each dim.
    n_train, n_test : int
        Samples used to fit and to measure.
    estimators : tuple
        The fitted autoencoders, one per dim (not part of the JSON).
    """

    dims: tuple[int, ...]
    ae_mse: tuple[float, ...]
    pca_mse: tuple[float, ...]
    n_train: int
    n_test: int
    estimators: tuple[Any, ...] = field(default=(), repr=False, compare=False)

    @property
    def rows(self) -> tuple[PCAComparisonRow, ...]:
        """One row per dim."""
        return tuple(PCAComparisonRow(d, a, p) for d, a, p in zip(self.dims, self.ae_mse, self.pca_mse))

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: the sizes and one record per dim."""
        return {"n_train": self.n_train, "n_test": self.n_test, "metric": "test reconstruction MSE per value",
                "rows": [{"dim": r.dim, "ae_mse": r.ae_mse, "pca_mse": r.pca_mse, "ae_over_pca": r.ratio}
                         for r in self.rows]}

    def table(self) -> str:
        """A plain-text table, one line per dim."""
        lines = [f"{'dim':>5}  {'autoencoder MSE':>16}  {'PCA MSE':>12}  {'AE / PCA':>8}"]
        lines += [f"{r.dim:>5}  {r.ae_mse:>16.5g}  {r.pca_mse:>12.5g}  {r.ratio:>8.3g}" for r in self.rows]
        return "\n".join(lines)

    def plot(self, path: str | os.PathLike[str], *, title: str | None = None) -> Path:
        """Both error curves against the latent size (``pca_comparison.png``)."""
        return plot_error_vs_dim(self.dims, {"autoencoder": self.ae_mse, "PCA": self.pca_mse}, path,
                                 ylabel="test reconstruction MSE",
                                 title=title or f"Autoencoder vs PCA ({self.n_test:,} test samples)")


@dataclass(frozen=True)
class PCABaseline:
    """One trained model against PCA with as many components as it has codes."""

    latent_dim: int
    ae_mse: float
    pca_mse: float
    n_samples: int

    @property
    def ratio(self) -> float:
        """``ae_mse / pca_mse``: below 1 means the autoencoder reconstructs better."""
        return self.ae_mse / self.pca_mse if self.pca_mse > 0 else float("inf")


def _flat(X: Any, name: str) -> np.ndarray:
    arr = np.asarray(X)
    if arr.ndim < 2 or len(arr) == 0:
        raise InputError(f"{name} must hold samples along axis 0 (2-D or more, at least one sample), "
                         f"got shape {arr.shape}.")
    return arr.reshape(len(arr), -1)


def _check_dims(dims: Sequence[int], limit: int) -> tuple[int, ...]:
    try:
        values = [int(d) for d in dims]
        ok = len(values) > 0 and all(v == d and v >= 1 for v, d in zip(values, dims))
    except (TypeError, ValueError):
        ok = False
    if not ok:
        raise InputError(f"dims must be a non-empty list of ints >= 1, e.g. (2, 8, 32, 64), got {dims!r}.")
    out = tuple(sorted(set(values)))
    if out[-1] > limit:
        raise InputError(f"dims {list(out)} go up to {out[-1]}, but PCA on this data has at most {limit} components "
                         "(the smaller of training samples and features); drop the larger dims.")
    return out


def pca_errors(X_train: ArrayLike, X_test: ArrayLike, dims: Sequence[int], *,
               random_state: int | None = 0) -> tuple[float, ...]:
    """Test reconstruction MSE of PCA fitted on X_train, at each number of components.

    One PCA with ``max(dims)`` components is fitted (full SVD); the reconstruction with
    ``d`` components uses its first ``d``, which is exactly PCA at ``d``.
    """
    train, test = _flat(X_train, "X_train"), _flat(X_test, "X_test")
    if train.shape[1] != test.shape[1]:
        raise InputError(f"X_train has {train.shape[1]} values per sample but X_test has {test.shape[1]}.")
    dims = _check_dims(dims, min(train.shape))
    pca = PCA(n_components=dims[-1], svd_solver="full", random_state=random_state).fit(train.astype(np.float64))
    centred = test.astype(np.float64) - pca.mean_
    scores = centred @ pca.components_.T  # (N, max_dim)
    errors = []
    for d in dims:
        recon = scores[:, :d] @ pca.components_[:d]
        errors.append(reconstruction_mse(centred, recon))
    return tuple(errors)


def _factory(make_estimator: EstimatorFactory | BaseEstimator | None,
             estimator_params: Mapping[str, Any] | None) -> EstimatorFactory:
    if make_estimator is not None and estimator_params is not None:
        raise InputError("pass make_estimator or estimator_params, not both: estimator_params are the "
                         "Autoencoder keyword arguments used when make_estimator is not given.")
    if make_estimator is None:
        params = dict(estimator_params or {})
        params.pop("latent_dim", None)
        return lambda d: Autoencoder(latent_dim=d, **params)
    if isinstance(make_estimator, BaseEstimator):
        template = make_estimator
        return lambda d: clone(template).set_params(latent_dim=d)
    if callable(make_estimator):
        return make_estimator
    raise InputError("make_estimator must be a function dim -> unfitted estimator, or an estimator to clone "
                     f"with latent_dim=dim; got {type(make_estimator).__name__}.")


def compare_with_pca(X_train: ArrayLike, X_test: ArrayLike, dims: Sequence[int] = (2, 8, 32, 64), *,
                     make_estimator: EstimatorFactory | BaseEstimator | None = None,
                     estimator_params: Mapping[str, Any] | None = None,
                     random_state: int | None = 0) -> PCAComparison:
    """Fit one autoencoder per latent size and PCA at the same sizes; compare test errors.

    Both are fitted on ``X_train`` and measured on ``X_test`` with the same metric: mean
    squared error per value between ``X_test`` and its reconstruction, in the data's own
    units (:func:`aekit.metrics.reconstruction_mse`).

    Parameters
    ----------
    X_train, X_test : array-like of shape (n_samples, ...)
        Samples for fitting and for measuring (flat rows or images).
    dims : sequence of int, default=(2, 8, 32, 64)
        Latent sizes (PCA components); at most min(n_train, n_features).
    make_estimator : callable or estimator, optional
        ``make_estimator(dim)`` returning an unfitted estimator, or an estimator that is
        cloned with ``latent_dim=dim``. Default: :class:`aekit.Autoencoder`.
    estimator_params : dict, optional
        Keyword arguments of the default ``Autoencoder`` (e.g. ``{"hidden": (256,),
        "epochs": 10}``); not together with ``make_estimator``.
    random_state : int or None, default=0
        Passed to PCA (the autoencoders take theirs from their own parameters).

    Returns
    -------
    PCAComparison
        ``dims``, ``ae_mse``, ``pca_mse``, ``rows``, the fitted ``estimators``; ``.plot(path)``
        draws both curves, ``.table()`` and ``.to_dict()`` give the numbers.

    Examples
    --------
    >>> result = compare_with_pca(X_train, X_test, dims=(2, 8),
    ...                           estimator_params={"hidden": (64,), "epochs": 5})  # doctest: +SKIP
    >>> print(result.table())                                                     # doctest: +SKIP
    """
    make = _factory(make_estimator, estimator_params)
    pca_mse = pca_errors(X_train, X_test, dims, random_state=random_state)
    dims = _check_dims(dims, min(_flat(X_train, "X_train").shape))
    ae_mse, fitted = [], []
    for d in dims:
        estimator = make(d).fit(X_train)
        fitted.append(estimator)
        ae_mse.append(reconstruction_mse(X_test, estimator.predict(X_test)))
    return PCAComparison(dims=dims, ae_mse=tuple(ae_mse), pca_mse=pca_mse, n_train=len(X_train),  # type: ignore[arg-type]
                         n_test=len(X_test), estimators=tuple(fitted))  # type: ignore[arg-type]


def pca_baseline(estimator: Any, X: ArrayLike, *, X_fit: ArrayLike | None = None,
                 random_state: int | None = 0) -> PCABaseline:
    """A trained model's reconstruction error on X beside PCA's with ``latent_dim`` components.

    Parameters
    ----------
    estimator : fitted estimator
        With ``transform``/``predict`` and ``spec_.latent_dim`` (or ``latent_dim``).
    X : array-like of shape (n_samples, ...)
        Where both errors are measured.
    X_fit : array-like, optional
        Data PCA is fitted on: pass the model's training data for a fair, out-of-sample
        comparison. Default: X itself, which gives PCA the best linear code of X (its
        error is then a lower bound for any linear reducer of that size).
    random_state : int or None, default=0

    Returns
    -------
    PCABaseline
        ``latent_dim``, ``ae_mse``, ``pca_mse``, ``n_samples``, ``ratio``.
    """
    check_is_fitted(estimator)
    spec = getattr(estimator, "spec_", None)
    dim = int(spec.latent_dim if spec is not None else estimator.latent_dim)
    (pca_mse,) = pca_errors(X if X_fit is None else X_fit, X, (dim,), random_state=random_state)
    ae_mse = reconstruction_mse(X, estimator.predict(X))
    return PCABaseline(latent_dim=dim, ae_mse=ae_mse, pca_mse=pca_mse, n_samples=len(np.asarray(X)))


def run_pca_baseline(run: str | os.PathLike[str], data: str, *, split: str = "test",
                     label_column: str | None = None) -> Baseline:
    """The reconstruction MSE of the model of ``run`` on ``data`` beside PCA's with as many components.

    What ``aekit reduce`` prints by default: PCA is fitted on a named set's training split
    (at most 10,000 rows) or on the data itself for a file
    (:func:`aekit.apps.runs.pca_for_run`); both are measured on ``data``'s ``split``.
    """
    opened = open_run(run, data, split=split, label_column=label_column)
    X = np.asarray(model_input(opened.estimator, opened.data).X)
    ours = reconstruction_metrics(opened.estimator, X)["mse"]
    return pca_for_run(opened, data, X, ours, label_column=label_column)


@dataclass(frozen=True)
class RunPCAComparison:
    """What :func:`compare_run_with_pca` measured and wrote into the run folder."""

    comparison: PCAComparison
    table: Path
    picture: Path
    report: Path | None


def compare_run_with_pca(run: str | os.PathLike[str], data: str, dims: Sequence[int] = (2, 8, 32, 64), *,
                         label_column: str | None = None, epochs: int | None = None, verbose: bool = False,
                         note: Callable[[str], None] | None = None,
                         write_report: Callable[[Path], Path] | None = None) -> RunPCAComparison:
    """:func:`compare_with_pca` with the settings of a trained run, written into its folder.

    One autoencoder per size in ``dims`` (a clone of the run's model, ``epochs`` each, the
    run's own when None) and PCA are fitted on the training part of ``data`` and measured on
    its test part (:func:`aekit.data.splits.load_train_test`; a table's label column
    defaults to the run's). Writes ``pca_comparison.json`` and ``pca_comparison.png``;
    ``note`` hears one line before the training starts.
    """
    estimator, run_dir, info = load_run(run)
    column = label_column if label_column is not None else info.get("label_column")
    train, test, test_source = load_train_test(data, label_column=column)
    template = clone(estimator).set_params(verbose=verbose)
    if epochs is not None:
        template.set_params(epochs=epochs)
    n_epochs = template.get_params()["epochs"]
    if note is not None:
        note(f"training {len(dims)} autoencoders ({n_epochs} epochs each) on {len(train):,} samples; "
             f"measuring on {len(test):,} ({test_source})")
    result = compare_with_pca(train.X, test.X, dims, make_estimator=template)
    record: dict[str, Any] = {"data": data, "test_data": test_source, "epochs": n_epochs, **result.to_dict()}
    table = write_json(run_dir / "pca_comparison.json", record)
    picture = result.plot(run_dir / "pca_comparison.png", title=f"Autoencoder vs PCA on {train.name}")
    report = write_report(run_dir) if write_report is not None else None
    return RunPCAComparison(result, table, picture, report)


__all__ = ["PCABaseline", "PCAComparison", "PCAComparisonRow", "RunPCAComparison", "compare_run_with_pca",
           "compare_with_pca", "pca_baseline", "pca_errors", "reduce", "run_pca_baseline"]
