"""Mini-batches straight from tensors, or streamed from arrays too big for memory.

In-memory data is one tensor; a batch is one ``index_select`` of shuffled row indices,
never a per-item ``Dataset.__getitem__`` loop. Memory-mapped arrays are read in chunks
of contiguous rows (chunk order and rows within a chunk shuffled), so only one chunk is
in memory at a time.

Under data-parallel training every rank draws the same global permutation (same seed)
and takes every ``world``-th row of each global batch, so the ranks together see exactly
the batches one process would.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor


@dataclass
class Batches:
    """Iterable of ``(local_batch, global_batch_size)`` pairs for one epoch.

    Args:
        data: a tensor (in memory, already on the training device) or a NumPy array /
            memmap (streamed chunk by chunk, then moved to ``device``).
        batch_size: the global batch size (summed over ranks).
        shuffle: draw a fresh permutation each epoch from ``generator``.
        generator: CPU ``torch.Generator`` owning the shuffling randomness.
        rank, world: this process's shard of each global batch.
        chunk_rows: rows per chunk when streaming.
    """

    data: Tensor | np.ndarray
    batch_size: int
    shuffle: bool
    generator: torch.Generator
    device: torch.device = torch.device("cpu")
    rank: int = 0
    world: int = 1
    chunk_rows: int = 65536

    def __len__(self) -> int:
        n = int(self.data.shape[0])
        if isinstance(self.data, Tensor):
            return -(-n // self.batch_size)
        chunks = [min(self.chunk_rows, n - s) for s in range(0, n, self.chunk_rows)]
        return sum(-(-c // self.batch_size) for c in chunks)

    def __iter__(self) -> Iterator[tuple[Tensor, int]]:
        if isinstance(self.data, Tensor):
            yield from self._from_tensor(self.data)
        else:
            yield from self._streamed(self.data)

    def _perm(self, n: int) -> Tensor:
        if self.shuffle:
            return torch.randperm(n, generator=self.generator)
        return torch.arange(n)

    def _from_tensor(self, x: Tensor) -> Iterator[tuple[Tensor, int]]:
        n = int(x.shape[0])
        perm = self._perm(n).to(x.device)
        for start in range(0, n, self.batch_size):
            idx = perm[start:start + self.batch_size]
            size = int(idx.shape[0])
            if self.world > 1:
                idx = idx[self.rank::self.world]
            yield x.index_select(0, idx), size

    def _streamed(self, arr: np.ndarray) -> Iterator[tuple[Tensor, int]]:
        n = int(arr.shape[0])
        starts = torch.arange(0, n, self.chunk_rows)
        order = starts[self._perm(len(starts))] if self.shuffle else starts
        for s in order.tolist():
            chunk = torch.from_numpy(np.array(arr[s:s + self.chunk_rows], dtype=np.float32))  # a writable copy
            yield from self._from_tensor(chunk.to(self.device))


def eval_batches(data: Tensor | np.ndarray, batch_size: int, device: torch.device) -> Iterator[Tensor]:
    """Every row once, in order, in batches on ``device`` (validation, transform, scoring)."""
    n = int(data.shape[0])
    for start in range(0, n, batch_size):
        part = data[start:start + batch_size]
        if isinstance(part, np.ndarray):
            part = torch.from_numpy(np.array(part, dtype=np.float32))
        yield part.to(device, non_blocking=True)
