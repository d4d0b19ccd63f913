"""Batches from tensors and streamed arrays: every row once per epoch, ranks split each batch."""

from __future__ import annotations

import numpy as np
import torch

from aekit.data.batching import Batches, eval_batches


def _rows(batches) -> list[int]:
    return sorted(int(v) for xb, _ in batches for v in xb[:, 0].tolist())


def test_tensor_batches_cover_every_row_once_and_reshuffle():
    X = torch.arange(103, dtype=torch.float32).unsqueeze(1)
    b = Batches(X, 16, True, torch.Generator().manual_seed(0))
    first = [xb[:, 0].tolist() for xb, _ in b]
    assert _rows(b) == list(range(103)) and len(b) == 7
    assert [xb[:, 0].tolist() for xb, _ in b] != first  # a new order every epoch


def test_streamed_memmap_chunks_cover_every_row_once(tmp_path):
    np.save(tmp_path / "x.npy", np.arange(250, dtype=np.float32).reshape(-1, 1))
    mm = np.load(tmp_path / "x.npy", mmap_mode="r")
    b = Batches(mm, 32, True, torch.Generator().manual_seed(0), chunk_rows=64)
    assert _rows(b) == list(range(250))
    assert len(b) == sum(1 for _ in b)


def test_two_ranks_together_see_each_global_batch():
    X = torch.arange(70, dtype=torch.float32).unsqueeze(1)
    per_rank = [list(Batches(X, 16, True, torch.Generator().manual_seed(5), rank=r, world=2)) for r in (0, 1)]
    single = list(Batches(X, 16, True, torch.Generator().manual_seed(5)))
    for (a, size_a), (b, size_b), (whole, size) in zip(*per_rank, single):
        assert size_a == size_b == size == len(whole)
        assert sorted(a[:, 0].tolist() + b[:, 0].tolist()) == sorted(whole[:, 0].tolist())


def test_eval_batches_keep_order():
    X = np.arange(10, dtype=np.float32).reshape(-1, 1)
    assert torch.cat(list(eval_batches(X, 3, torch.device("cpu"))))[:, 0].tolist() == list(range(10))
