"""Small data every test folder can use: made here, CPU only, fixed seeds."""

from __future__ import annotations

import numpy as np
import pytest
import torch

# Tests use tiny tensors: a second intra-op thread only adds synchronisation, and on a busy
# 2-core machine spinning OpenMP threads made small steps up to 30x slower.
torch.set_num_threads(1)


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(0)


def low_rank_table(n: int = 200, d: int = 10, rank: int = 2, seed: int = 0) -> np.ndarray:
    """Rank-``rank`` data squashed into [0, 1]^d: an autoencoder with a code of that size can learn it."""
    r = np.random.default_rng(seed)
    X = r.normal(size=(n, rank)) @ r.normal(size=(rank, d))
    X = (X - X.min(0)) / (X.max(0) - X.min(0))
    return X.astype(np.float32)


@pytest.fixture
def table() -> np.ndarray:
    return low_rank_table()


@pytest.fixture
def images(rng: np.random.Generator) -> np.ndarray:
    """64 8x8 one-channel images: a bright square at a random place on a dark background."""
    out = np.zeros((64, 1, 8, 8), np.float32)
    for i in range(64):
        r, c = rng.integers(0, 5, size=2)
        out[i, 0, r:r + 3, c:c + 3] = 1.0
    return out
