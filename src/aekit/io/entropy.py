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

Under a hyperprior (:class:`HyperpriorCoder`) one stream holds the side information
``z`` (coded as above) and then the latents ``round(y - mean)``, each under a zero-mean
Gaussian whose scale the decoder recomputes from ``z``. Scales are snapped to a fixed
ladder of :data:`N_SCALES` values, each with its own integer table
(:func:`build_scale_tables`), and the scale network runs in float64, so encoder and decoder pick
the same table; symbols are coded grouped by table, in an order the decoder can rebuild.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from aekit.errors import DataFileError, MissingDependencyError, ModelFileError
from aekit.models.compression import SCALE_MIN, FactorizedDensity

#: Bits of the integer tables: each channel's counts sum to ``2**PRECISION``.
PRECISION = 16
#: Probability left out beyond each end of a channel's table.
TAIL_MASS = 1e-9
#: Tables never reach further than this from zero.
MAX_SUPPORT = 1024
#: Rungs of the scale ladder (:func:`scale_ladder`), log-spaced from SCALE_MIN to SCALE_MAX.
N_SCALES = 64
SCALE_MAX = 64.0
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
    def from_rows(cls, rows: list[tuple[int, np.ndarray]]) -> EntropyTables:
        """Tables of ``(offset, counts)`` rows of any lengths, zero-padded to the longest."""
        counts = np.zeros((len(rows), max(len(r) for _, r in rows)), dtype=np.int32)
        for c, (_, r) in enumerate(rows):
            counts[c, : len(r)] = r
        return cls(offsets=np.array([o for o, _ in rows], dtype=np.int32), counts=counts,
                   lengths=np.array([len(r) for _, r in rows], dtype=np.int32))

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
    return EntropyTables.from_rows(rows)


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
        return self.decode_from(_range_decoder(data), per_channel)

    def encode_into(self, encoder, sym: np.ndarray) -> None:  # type: ignore[no-untyped-def]
        """Append table indices ``sym`` ``(M, n)`` (:meth:`symbols`) to a range encoder, channel by channel."""
        for c, model in enumerate(self._models):
            encoder.encode(sym[c], model)

    def decode_from(self, decoder, per_channel: int) -> np.ndarray:  # type: ignore[no-untyped-def]
        """Read ``per_channel`` table indices of every channel from a range decoder: ``(M, per_channel)``."""
        return np.stack([decoder.decode(model, per_channel) for model in self._models])

    def encode(self, q: np.ndarray) -> bytes:
        """The bytes of one image's integer latents ``(M, h, w)``."""
        sym = self.symbols(q)
        encoder = self._queue.RangeEncoder()
        self.encode_into(encoder, sym)
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


def scale_ladder() -> np.ndarray:
    """The :data:`N_SCALES` Gaussian scales a hyperprior's predictions are snapped to (float64)."""
    return np.exp(np.linspace(np.log(SCALE_MIN), np.log(SCALE_MAX), N_SCALES))


def scale_indices(scale: np.ndarray) -> np.ndarray:
    """The ladder rung of each predicted scale: the smallest rung at or above it (int32).

    Rounding up errs towards wider tables: a too-narrow one costs far more bits.
    """
    ladder = scale_ladder()
    return np.searchsorted(ladder, np.asarray(scale, dtype=np.float64), side="left").clip(0, N_SCALES - 1).astype(np.int32)


def build_scale_tables(*, tail_mass: float = TAIL_MASS) -> EntropyTables:
    """Integer tables of ``round(v)`` for ``v ~ N(0, s²)`` plus U(-1/2, 1/2) noise, one row per rung.

    Each row spans ``-K .. K`` with ``K`` the bin where the Gaussian's upper tail drops
    below ``tail_mass`` (at least 8), and stores the mass beyond the ends in the end bins.
    These depend on nothing learned, so they are the same for every model.
    """
    from scipy.special import ndtr, ndtri

    rows = []
    for s in scale_ladder():
        k = max(8, int(np.ceil(-ndtri(tail_mass) * s + 0.5)))
        edges = np.arange(-k - 0.5, k + 1.5)
        pmf = np.diff(ndtr(edges / s))
        pmf[0] += ndtr(edges[0] / s)
        pmf[-1] += 1.0 - ndtr(edges[-1] / s)
        rows.append((-k, quantize_pmf(pmf)))
    return EntropyTables.from_rows(rows)


class HyperpriorCoder:
    """One image's side information ``z`` and latents ``round(y - mean)`` in one range-coded stream.

    ``z`` (``(Z, hz, wz)``) is coded channel by channel with the learned tables, then the
    latent symbols grouped by the ladder rung of their predicted scale, rungs in ascending
    order, raster order inside a rung: the decoder knows every rung once it has ``z``.

    Parameters
    ----------
    z_tables : EntropyTables
        The learned factorized density of ``z`` (:func:`build_tables`).
    scale_tables : EntropyTables
        :func:`build_scale_tables`, one row per rung.
    """

    def __init__(self, z_tables: EntropyTables, scale_tables: EntropyTables) -> None:
        self.z_coder = EntropyCoder(z_tables)
        self.rung_coder = EntropyCoder(scale_tables)  # row r = the table of rung r

    def clip(self, q: np.ndarray, rungs: np.ndarray) -> np.ndarray:
        """Latent symbols ``q`` clipped into their rung's table (what the decoder will read), int32."""
        r = rungs.astype(np.int64)
        return np.clip(q.astype(np.int64), self.rung_coder._lows[r], self.rung_coder._highs[r]).astype(np.int32)

    @staticmethod
    def _groups(rungs: np.ndarray) -> tuple[np.ndarray, list[tuple[int, int]]]:
        """The coding order of the latents (by rung, stable) and ``(rung, count)`` of each group in it."""
        flat = rungs.ravel()
        order = np.argsort(flat, kind="stable")
        present, counts = np.unique(flat[order], return_counts=True)
        return order, [(int(r), int(n)) for r, n in zip(present, counts)]

    def encode(self, zq: np.ndarray, q: np.ndarray, rungs: np.ndarray) -> bytes:
        """The bytes of one image: integer ``z`` ``(Z, hz, wz)``, latent symbols ``q`` and their rungs ``(M, h, w)``."""
        z_sym, q = self.z_coder.symbols(zq), self.clip(q, rungs)
        order, groups = self._groups(rungs)
        sym = (q.ravel().astype(np.int64) - self.rung_coder._lows[rungs.ravel()]).astype(np.int32)[order]
        encoder = self.rung_coder._queue.RangeEncoder()
        self.z_coder.encode_into(encoder, z_sym)
        start = 0
        for r, n in groups:
            encoder.encode(sym[start: start + n], self.rung_coder._models[r])
            start += n
        data = encoder.get_compressed().astype(">u4").tobytes()
        # keep the shortest prefix that still decodes exactly, as EntropyCoder.encode does
        while data and self._decodes_to(data[:-1], z_sym, q, rungs):
            data = data[:-1]
        return data

    def _decode_q(self, decoder, rungs: np.ndarray) -> np.ndarray:  # type: ignore[no-untyped-def]
        order, groups = self._groups(rungs)
        lows = self.rung_coder._lows
        sym = np.empty(rungs.size, dtype=np.int64)
        parts = [np.asarray(decoder.decode(self.rung_coder._models[r], n), dtype=np.int64) for r, n in groups]
        sym[order] = np.concatenate(parts) if parts else np.zeros(0, np.int64)
        return (sym + lows[rungs.ravel()]).astype(np.int32).reshape(rungs.shape)

    def _decodes_to(self, data: bytes, z_sym: np.ndarray, q: np.ndarray, rungs: np.ndarray) -> bool:
        try:
            decoder = _range_decoder(data)
            if not np.array_equal(self.z_coder.decode_from(decoder, z_sym.shape[1]), z_sym):
                return False
            return bool(np.array_equal(self._decode_q(decoder, rungs), q))
        except (ValueError, RuntimeError, AssertionError):
            return False

    def decode_z(self, data: bytes, z_shape: tuple[int, int, int]):  # type: ignore[no-untyped-def]
        """``(integer z of z_shape, the decoder positioned at the latents)``; see :meth:`decode_q`."""
        m = z_shape[0]
        if m != self.z_coder.tables.channels:
            raise DataFileError(f"side information with {m} channels cannot be decoded by tables of "
                                f"{self.z_coder.tables.channels}.")
        try:
            decoder = _range_decoder(bytes(data))
            sym = self.z_coder.decode_from(decoder, z_shape[1] * z_shape[2])
        except (ValueError, RuntimeError, AssertionError) as exc:
            raise DataFileError(f"the entropy coder rejected a payload of {len(data)} bytes ({exc}); "
                                "the file is corrupt.") from exc
        zq = (sym.astype(np.int64) + self.z_coder._lows[:, None]).astype(np.int32).reshape(z_shape)
        return zq, decoder

    def decode_q(self, decoder, rungs: np.ndarray, n_bytes: int) -> np.ndarray:  # type: ignore[no-untyped-def]
        """The latent symbols ``(M, h, w)`` whose rungs ``rungs`` the decoder computed from ``z``."""
        try:
            return self._decode_q(decoder, rungs)
        except (ValueError, RuntimeError, AssertionError) as exc:
            raise DataFileError(f"the entropy coder rejected a payload of {n_bytes} bytes ({exc}); "
                                "the file is corrupt.") from exc


def _range_decoder(data: bytes):  # type: ignore[no-untyped-def]
    """A range decoder over ``data``, padded with ``0xFF`` to whole 32-bit words (see the module docstring)."""
    padded = data + _FILL * (-len(data) % 4)
    return _constriction().stream.queue.RangeDecoder(np.frombuffer(padded, dtype=">u4").astype(np.uint32))
