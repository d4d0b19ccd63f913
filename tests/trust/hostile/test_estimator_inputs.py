"""The Python API given what users pass to ``fit`` and ``transform``: arrays of every odd kind."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

import aekit
from tests.trust.hostile.conftest import COLUMNS, table

X = table()
FAST = dict(latent_dim=2, hidden=(4,), epochs=1, random_state=0, verbose=False)


def _fit(data: Any, model: str = "Autoencoder", **kw: Any) -> Any:
    return getattr(aekit, model)(**{**FAST, **kw}).fit(data)


def _with(value: float, where: tuple[int, int] = (3, 2), dtype: Any = np.float64) -> np.ndarray:
    a = X.astype(dtype).copy()
    a[where] = value
    return a


FIT_BAD: dict[str, tuple[Any, str]] = {
    "nan": (lambda: _with(np.nan), r"NaN|missing"),
    "inf": (lambda: _with(np.inf), r"infinite"),
    "float32_overflow": (lambda: _with(1e39), r"float32|large|overflow|range"),
    "strings": (lambda: np.array([["a", "b"], ["c", "d"]]), r"number|text|string|dtype"),
    "object_mixed": (lambda: np.array([[1, "x"], [2, 3]], dtype=object), r"number|text|string|dtype|'x'"),
    "complex": (lambda: X.astype(np.complex64), r"complex|dtype|number"),
    "empty": (lambda: np.zeros((0, 6)), r"sample|empty|0"),
    "no_features": (lambda: np.zeros((10, 0)), r"feature|0"),
    "scipy_sparse": (lambda: sp.csr_matrix(X), r"sparse"),
    "scalar": (lambda: np.float32(3.0), r"2-D|2D|array|shape|scalar"),
    "one_dim": (lambda: X[:, 0], r"2-D|2D|reshape|shape|1-D"),
    "ragged_list": (lambda: [[1.0, 2.0], [3.0]], r"ragged|shape|same length|sequence|inhomogeneous"),
    "none": (lambda: None, r"None|array|data"),
    "dict": (lambda: {"a": [1, 2]}, r"array|data|dict|feature|number"),
    "dataframe_with_text": (lambda: pd.DataFrame({"a": [1.0, 2.0] * 10, "b": ["x", "y"] * 10}), r"'b'"),
    "dataframe_categorical": (lambda: pd.DataFrame({"a": [1.0, 2.0] * 10, "c": pd.Categorical(["x", "y"] * 10)}),
                              r"'c'|categor"),
    "dataframe_duplicate_columns": (lambda: pd.DataFrame(X[:, :2], columns=["a", "a"]), r"duplicate|'a'|column"),
    "dataframe_nullable_na": (lambda: pd.DataFrame({"a": pd.array([1, None] * 10, dtype="Int64"),
                                                    "b": [1.0, 2.0] * 10}), r"NaN|missing|NA"),
    "four_dim_to_dense_ok_but_nan": (lambda: np.full((4, 1, 8, 8), np.nan, np.float32), r"NaN|missing"),
}


@pytest.mark.parametrize("name", list(FIT_BAD))
def test_fit_refuses(trust, name: str) -> None:
    make, words = FIT_BAD[name]
    trust.api("estimator inputs", lambda: _fit(make()), expect=words)


FIT_ODD_OK: dict[str, Any] = {
    "float16": lambda: X.astype(np.float16),
    "int_values": lambda: (X * 100).astype(np.int64),
    "bool_values": lambda: X > 0.5,
    "fortran_order": lambda: np.asfortranarray(X),
    "non_contiguous": lambda: np.repeat(X, 2, axis=1)[:, ::2],
    "read_only": lambda: _read_only(X),
    "list_of_lists": lambda: X.tolist(),
    "dataframe": lambda: pd.DataFrame(X, columns=COLUMNS),
    "dataframe_int_names": lambda: pd.DataFrame(X),
    "one_sample": lambda: X[:1],
    "memmap": None,  # built in the test
    "constant_columns": lambda: np.ones((40, 6), np.float32),
    "two_samples": lambda: X[:2],
    "huge_but_finite": lambda: (X * 1e30).astype(np.float32),
}


def _read_only(a: np.ndarray) -> np.ndarray:
    a = a.copy()
    a.setflags(write=False)
    return a


@pytest.mark.parametrize("name", list(FIT_ODD_OK))
def test_fit_odd_but_valid(trust, tmp_path, name: str) -> None:
    if name == "memmap":
        np.save(tmp_path / "m.npy", X)
        data = np.load(tmp_path / "m.npy", mmap_mode="r")
    else:
        data = FIT_ODD_OK[name]()

    def check(model: Any) -> bool:
        codes = model.transform(data)
        assert codes.shape == (np.shape(data)[0], 2) and np.isfinite(codes).all(), f"codes {codes.shape}"
        return True
    trust.api("estimator inputs", lambda: _fit(data), check=check, valid=True)


def test_bce_on_data_outside_0_1(trust) -> None:
    """BCE needs [0, 1]: data in [-3, 7] is scaled in and back out (or refused), never clipped to [0, 1]."""
    data = X * 10 - 3

    def check(model: Any) -> bool:
        recon = model.inverse_transform(model.transform(data))
        assert recon.max() > 1.5, f"reconstructions clipped to [{recon.min():.2f}, {recon.max():.2f}]"
        return True
    trust.api("estimator inputs", lambda: _fit(data, loss="bce", epochs=30), expect=r"\[0, 1\]|range|bce",
              check=check)


@pytest.fixture(scope="module")
def fitted() -> Any:
    return _fit(pd.DataFrame(X, columns=COLUMNS))


TRANSFORM_BAD: dict[str, tuple[Any, str]] = {
    "fewer_features": (lambda: X[:, :4], r"feature|column|6"),
    "more_features": (lambda: np.hstack([X, X[:, :1]]), r"feature|column|6|7"),
    "reordered_columns": (lambda: pd.DataFrame(X, columns=COLUMNS)[COLUMNS[::-1]], r"order|column"),
    "renamed_columns": (lambda: pd.DataFrame(X, columns=[c.upper() for c in COLUMNS]), r"column|F0|f0"),
    "nan": (lambda: _with(np.nan), r"NaN|missing"),
    "strings": (lambda: np.full((3, 6), "a"), r"number|text|string|dtype"),
    "images_into_dense": (lambda: np.zeros((3, 1, 8, 8), np.float32), r"feature|shape|64|6"),
    "empty": (lambda: np.zeros((0, 6)), r"sample|empty|0"),
}


@pytest.mark.parametrize("name", list(TRANSFORM_BAD))
def test_transform_refuses(trust, fitted: Any, name: str) -> None:
    make, words = TRANSFORM_BAD[name]
    trust.api("estimator inputs", lambda: fitted.transform(make()), expect=words)


def test_transform_numpy_after_dataframe_fit(trust, fitted: Any) -> None:
    """A plain array after a DataFrame fit: scikit-learn warns and uses the order; codes must match."""
    ref = fitted.transform(pd.DataFrame(X, columns=COLUMNS))
    trust.api("estimator inputs", lambda: fitted.transform(X), check=lambda c: np.allclose(c, ref), valid=True)


PARAMS_BAD: dict[str, dict[str, Any]] = {
    "latent_dim_0": {"latent_dim": 0}, "latent_dim_float": {"latent_dim": 2.5}, "latent_dim_text": {"latent_dim": "2"},
    "hidden_negative": {"hidden": (-4,)}, "epochs_negative": {"epochs": -1}, "lr_nan": {"lr": float("nan")},
    "batch_size_0": {"batch_size": 0}, "loss_unknown": {"loss": "l7"}, "activation_unknown": {"activation": "evil"},
    "validation_fraction_1": {"validation_fraction": 1.0}, "device_unknown": {"device": "tpu"},
    "noise_level_negative": {"noise": "gaussian", "noise_level": -1.0},
}


@pytest.mark.parametrize("name", list(PARAMS_BAD))
def test_bad_parameters(trust, name: str) -> None:
    key = next(iter(PARAMS_BAD[name]))
    trust.api("estimator inputs", lambda: _fit(X, **PARAMS_BAD[name]), expect=key.split("_")[0] + r"|" + key)
