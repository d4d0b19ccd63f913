"""Bits on disk: integer probability tables and range coding with ``constriction``.

A learned density is a float computation, and two processes (or two machines) may
round it differently. So the density is turned, once after training, into integer
tables — for each latent channel, the counts of the integers ``offset .. offset +
length - 1`` out of ``2**16`` (:data:`PRECISION`), every count at least 1 — which are
saved with the model. Coding reads only those integers, so a file decodes to the same
symbols in any process that has the same tables.

Each image's latents are range-coded (``constriction.stream.queue.RangeEncoder``), channel
by channel in raster order, with a ``Categorical`` model per channel. The coder writes
32-bit words; the encoder then keeps the shortest byte prefix of the big-endian words
that still decodes to the same symbols when the decoder pads it with ``0xFF`` bytes
(checked by decoding it). That trims the coder's flush from about 4 bytes to less than
one on average, which matters when a 28x28 image costs 10-30 bytes. Values outside a
channel's table are clipped to its ends (the tables cover all but ~1e-9 of the mass).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from aekit.errors import DataFileError, MissingDependencyError, ModelFileError
from aekit.models.compression import FactorizedDensity

#: Bits of the integer tables: each channel's counts sum to ``2**PRECISION``.
PRECISION = 16
#: Probability left out beyond each end of a channel's table.
TAIL_MASS = 1e-9
#: Tables never reach further than this from zero.
MAX_SUPPORT = 1024
_FILL = b"\xff"


def _constriction():  # type: ignore[no-untyped-def]
    try:
        import constriction
    except ImportError as exc:  # pragma: no cover - constriction is a dependency
        raise MissingDependencyError("entropy coding needs the 'constriction' package: pip install constriction") from exc
    return constriction


@dataclass(frozen=True)
class EntropyTables:
    """Integer probability tables of the latent channels.

    Attributes
    ----------
    offsets : ndarray of int32, shape (M,)
        The integer value of each channel's first table entry.
    counts : ndarray of int32, shape (M, L)
        Counts per value out of ``2**PRECISION``; row ``c`` uses its first ``lengths[c]``
        entries (each >= 1, summing to ``2**PRECISION``), zeros after.
    lengths : ndarray of int32, shape (M,)
    """

    offsets: np.ndarray
    counts: np.ndarray
    lengths: np.ndarray

    @property
    def channels(self) -> int:
        return int(self.offsets.shape[0])

    def to_tensors(self) -> dict[str, torch.Tensor]:
        return {"offsets": torch.from_numpy(self.offsets.copy()), "counts": torch.from_numpy(self.counts.copy()),
                "lengths": torch.from_numpy(self.lengths.copy())}

    @classmethod
    def from_tensors(cls, tensors: dict[str, torch.Tensor]) -> EntropyTables:
        """Tables saved by :meth:`to_tensors`, checked (a corrupt table is refused, not coded with)."""
        try:
            offsets, counts, lengths = (np.asarray(tensors[k].numpy(), dtype=np.int64) for k in
                                        ("offsets", "counts", "lengths"))
        except KeyError as exc:
            raise ModelFileError(f"the model's entropy tables lack {exc}; the file is corrupt. Retrain.") from exc
        m = offsets.shape[0] if offsets.ndim == 1 else -1
        ok = (m > 0 and counts.ndim == 2 and counts.shape[0] == m and lengths.shape == (m,)
              and np.all(lengths >= 2) and np.all(lengths <= counts.shape[1]))
        if ok:
            inside = np.arange(counts.shape[1])[None, :] < lengths[:, None]
            ok = (bool(np.all(counts[inside] >= 1)) and bool(np.all(counts[~inside] == 0))
                  and bool(np.all(counts.sum(axis=1) == 2**PRECISION)))
        if not ok:
            raise ModelFileError("the model's entropy tables are inconsistent (shapes, zero counts or sums other "
                                 f"than 2**{PRECISION}); the file is corrupt. Retrain.")
        return cls(offsets.astype(np.int32), counts.astype(np.int32), lengths.astype(np.int32))


def quantize_pmf(pmf: np.ndarray) -> np.ndarray:
    """Integer counts summing to ``2**PRECISION``, each >= 1, from probabilities (one row).

    Deterministic: floors of the scaled probabilities plus one, the remainder added to the
    most likely value.
    """
    total = 2**PRECISION
    p = np.asarray(pmf, dtype=np.float64)
    p = p / p.sum()
    counts = np.floor(p * (total - p.size)).astype(np.int64) + 1
    counts[int(np.argmax(p))] += total - int(counts.sum())
    return counts


def build_tables(density: FactorizedDensity, *, tail_mass: float = TAIL_MASS) -> EntropyTables:
    """Integer tables from a learned per-channel density.

    Each channel's table spans the integers whose bins hold all but ``tail_mass`` of the
    probability on either side, at least two values, at most ``MAX_SUPPORT`` from zero.
    """
    pmf = density.pmf(-MAX_SUPPORT, MAX_SUPPORT)  # (M, 2 * MAX_SUPPORT + 1)
    cdf = np.cumsum(pmf, axis=1)
    rows = []
    for c in range(pmf.shape[0]):
        lo = int(np.searchsorted(cdf[c], tail_mass))  # first value with cumulative mass above the tail
        hi = int(np.searchsorted(cdf[c], 1.0 - tail_mass))
        hi = min(max(hi, lo + 1), pmf.shape[1] - 1)
        lo = min(lo, hi - 1)
        row = pmf[c, lo: hi + 1].copy()
        row[0] += pmf[c, :lo].sum()
        row[-1] += pmf[c, hi + 1:].sum()
        rows.append((lo - MAX_SUPPORT, quantize_pmf(row)))
    width = max(len(r) for _, r in rows)
    counts = np.zeros((len(rows), width), dtype=np.int32)
    for c, (_, r) in enumerate(rows):
        counts[c, : len(r)] = r
    return EntropyTables(offsets=np.array([o for o, _ in rows], dtype=np.int32), counts=counts,
                         lengths=np.array([len(r) for _, r in rows], dtype=np.int32))


class EntropyCoder:
    """Range coding of integer latents ``(M, h, w)`` with fixed :class:`EntropyTables`.

    Parameters
    ----------
    tables : EntropyTables

    Examples
    --------
    >>> coder = EntropyCoder(tables)                    # doctest: +SKIP
    >>> data = coder.encode(q)                          # q: int array (M, h, w)
    >>> np.array_equal(coder.decode(data, q.shape), q)
    True
    """

    def __init__(self, tables: EntropyTables) -> None:
        constriction = _constriction()
        self.tables = tables
        self._lows = tables.offsets.astype(np.int64)
        self._highs = self._lows + tables.lengths - 1
        self._models = [constriction.stream.model.Categorical(
            tables.counts[c, : tables.lengths[c]].astype(np.float64), perfect=False) for c in range(tables.channels)]
        self._queue = constriction.stream.queue

    def symbols(self, q: np.ndarray) -> np.ndarray:
        """Table indices of integer latents ``(M, h, w)`` (values clipped into each table), int32."""
        q = np.asarray(q, dtype=np.int64).reshape(self.tables.channels, -1)
        return (np.clip(q, self._lows[:, None], self._highs[:, None]) - self._lows[:, None]).astype(np.int32)

    def _decode_symbols(self, data: bytes, per_channel: int) -> np.ndarray:
        padded = data + _FILL * (-len(data) % 4)
        words = np.frombuffer(padded, dtype=">u4").astype(np.uint32)
        decoder = self._queue.RangeDecoder(words)
        return np.stack([decoder.decode(model, per_channel) for model in self._models])

    def encode(self, q: np.ndarray) -> bytes:
        """The bytes of one image's integer latents ``(M, h, w)``."""
        sym = self.symbols(q)
        encoder = self._queue.RangeEncoder()
        for c, model in enumerate(self._models):
            encoder.encode(sym[c], model)
        data = encoder.get_compressed().astype(">u4").tobytes()
        # keep the shortest prefix that still decodes exactly (the decoder pads with 0xFF)
        while data and self._decodes_to(data[:-1], sym):
            data = data[:-1]
        return data

    def _decodes_to(self, data: bytes, sym: np.ndarray) -> bool:
        try:
            return bool(np.array_equal(self._decode_symbols(data, sym.shape[1]), sym))
        except (ValueError, RuntimeError, AssertionError):
            return False

    def decode(self, data: bytes, shape: tuple[int, int, int]) -> np.ndarray:
        """Integer latents of ``shape`` ``(M, h, w)`` from :meth:`encode` output, int32.

        Raises
        ------
        aekit.errors.DataFileError
            If the coder rejects the bytes (they are corrupt).
        """
        m, h, w = shape
        if m != self.tables.channels:
            raise DataFileError(f"latents with {m} channels cannot be decoded by tables of {self.tables.channels}.")
        try:
            sym = self._decode_symbols(bytes(data), h * w)
        except (ValueError, RuntimeError, AssertionError) as exc:
            raise DataFileError(f"the entropy coder rejected a payload of {len(data)} bytes ({exc}); "
                                "the file is corrupt.") from exc
        return (sym.astype(np.int64) + self._lows[:, None]).astype(np.int32).reshape(m, h, w)
