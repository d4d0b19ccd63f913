"""Model files written by earlier aekit versions still load and give the same numbers.

The fixtures were written by aekit at commit 24f4351 (model format 2) and 37cb68c (format 1)
with the script's tiny models: each folder holds the saved model, the input it was run on and
what ``transform`` (or ``predict_proba``) gave then.
"""

from pathlib import Path

import numpy as np
import pytest

import aekit

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
CASES = [(release, name) for release in ("models_24f4351", "models_format1_37cb68c")
         for name in ("dense", "conv", "vae", "conv_vae", "sequence", "classifier")]


@pytest.mark.parametrize(("release", "name"), CASES)
def test_old_model_file_loads_with_the_same_outputs(release, name):
    folder = FIXTURES / release / name
    est = aekit.load(folder)
    X = np.load(folder / "input.npy")
    if name == "classifier":
        np.testing.assert_allclose(est.predict_proba(X), np.load(folder / "expected_proba.npy"), atol=1e-6)
    else:
        np.testing.assert_allclose(est.transform(X), np.load(folder / "expected_transform.npy"), atol=1e-6)


def test_a_compressor_saved_before_the_hyperprior_loads_as_factorized_and_decodes_its_file() -> None:
    """A model and .aek file written by aekit at 15283e8 (factorized prior only, no ``prior`` key)."""
    import aekit

    folder = Path(__file__).parents[1] / "fixtures" / "compressor_15283e8"
    comp = aekit.load(folder / "model")
    assert comp.prior == "factorized" and comp.spec_.prior == "factorized" and comp.scale_tables_ is None
    np.testing.assert_array_equal(comp.decompress(folder / "images.aek"), np.load(folder / "decoded.npy"))
    # and it writes the same bytes it wrote then
    assert comp.compress(np.load(folder / "images.npy")) == (folder / "images.aek").read_bytes()
