"""Compress: images to an ``.aek`` file and back, beside JPEG at the same rate.

:func:`compress_images` writes the ``.aek`` file of a fitted
:class:`~aekit.estimators.compressor.ImageCompressor`, decodes it, reports bits per pixel
(the whole file, header included) and PSNR, encodes the same images with JPEG at the
quality whose rate is closest, and draws the rate–distortion figure and an
originals-vs-decoded grid. :func:`rate_distortion` does the same for several models (the
rates of an ``aekit train --model compress`` run): bits per pixel, PSNR and SSIM per rate
beside JPEG at the closest rate, the rate–distortion curve and a decoded grid per rate.
:func:`decompress_file` writes decoded images as PNG files or one ``.npy``. The Pillow codecs (:func:`pil_encode`, :func:`jpeg_payload`,
:func:`webp_payload`, :func:`mosaic`) are what ``benchmarks/bench_compress.py`` measures.
"""

from __future__ import annotations

import io
import struct
import time
from collections.abc import Mapping
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike
from PIL import Image

from aekit.data.files import atomic_path, atomic_write_bytes
from aekit.errors import DataFileError, InputError
from aekit.estimators.compressor import ImageCompressor
from aekit.metrics import ssim
from aekit.plots import plot_image_grid
from aekit.plots.rate_distortion import rate_distortion_figure, save_figure

JPEG_QUALITIES = tuple(range(5, 100, 5))
#: Test images a training run measures each rate on (the first ones): a CPU codes and scores
#: them in seconds; ``benchmarks/bench_compress.py`` measures whole test sets.
N_EVAL = 1000


# ---------------------------------------------------------------- measures
def psnr_uint8(clean: np.ndarray, decoded: np.ndarray) -> float:
    """PSNR in dB of uint8 images over all pixels: ``10 log10(255² / MSE)`` (inf if identical)."""
    mse = float(np.mean((np.asarray(clean, np.float64) - np.asarray(decoded, np.float64)) ** 2))
    return float("inf") if mse == 0 else float(10 * np.log10(255.0**2 / mse))


def bits_per_pixel(n_bytes: float, images: np.ndarray) -> float:
    """Bits per pixel of ``n_bytes`` for uint8 images ``(N, H, W)`` or ``(N, C, H, W)`` (per pixel, all channels)."""
    n, h, w = images.shape[0], images.shape[-2], images.shape[-1]
    return 8.0 * n_bytes / (n * h * w)


# ---------------------------------------------------------------- Pillow codecs
def _pil(image: np.ndarray) -> Image.Image:
    if image.ndim == 2:
        return Image.fromarray(image, mode="L")
    if image.shape[0] == 3:
        return Image.fromarray(np.moveaxis(image, 0, -1), mode="RGB")
    if image.shape[0] == 1:
        return Image.fromarray(image[0], mode="L")
    raise InputError(f"Pillow codecs take 1- or 3-channel images, got {image.shape[0]} channels.")


def pil_encode(image: np.ndarray, codec: Literal["jpeg", "webp", "png"], quality: int = 75) -> tuple[bytes, np.ndarray]:
    """One uint8 image ``(H, W)`` or ``(C, H, W)`` through Pillow: ``(file bytes, decoded image)``.

    JPEG uses Pillow's defaults (4:2:0 chroma for colour, standard tables, baseline);
    WebP is lossy at ``quality`` (method 6, the slowest and best); PNG is lossless
    (``optimize=True``).
    """
    buf = io.BytesIO()
    pil = _pil(image)
    if codec == "jpeg":
        pil.save(buf, format="JPEG", quality=int(quality))
    elif codec == "webp":
        pil.save(buf, format="WEBP", quality=int(quality), method=6, lossless=False)
    elif codec == "png":
        pil.save(buf, format="PNG", optimize=True)
    else:
        raise InputError(f"codec must be 'jpeg', 'webp' or 'png', got {codec!r}.")
    data = buf.getvalue()
    decoded = np.asarray(Image.open(io.BytesIO(data)).convert(pil.mode))
    if image.ndim == 3:
        decoded = np.moveaxis(decoded, -1, 0) if decoded.ndim == 3 else decoded[None]
    return data, decoded


def jpeg_payload(data: bytes) -> int:
    """Bytes of a baseline JPEG's entropy-coded scan data: after the SOS segment, before EOI.

    Everything else (SOI, APP0/JFIF, quantisation and Huffman tables, frame and scan
    headers, EOI) is header a container could share between images.
    """
    pos = 2  # after SOI
    while pos + 4 <= len(data):
        if data[pos] != 0xFF:
            raise DataFileError("not a JPEG marker sequence")
        marker = data[pos + 1]
        (length,) = struct.unpack(">H", data[pos + 2: pos + 4])
        if marker == 0xDA:  # SOS: the scan follows its header
            start = pos + 2 + length
            end = data.rfind(b"\xff\xd9")
            return end - start
        pos += 2 + length
    raise DataFileError("JPEG without a scan")


def webp_payload(data: bytes) -> int:
    """Bytes of a lossy WebP's VP8 bitstream without its containers and frame header.

    Strips the 12-byte RIFF/WEBP header, every chunk header (8 bytes), any chunk that is
    not ``VP8 `` (VP8X, ALPH, metadata), and the VP8 key frame's 10-byte frame tag, start
    code and dimensions; what is left is the two VP8 partitions (modes, quantisers and
    coefficients), which are the compressed image proper.
    """
    if data[:4] != b"RIFF" or data[8:12] != b"WEBP":
        raise DataFileError("not a WebP file")
    pos, total = 12, 0
    while pos + 8 <= len(data):
        tag, size = data[pos: pos + 4], struct.unpack("<I", data[pos + 4: pos + 8])[0]
        if tag == b"VP8 ":
            total += size - 10
        pos += 8 + size + (size & 1)
    return total


def mosaic(images: np.ndarray, cols: int = 10) -> np.ndarray:
    """Tile uint8 images ``(N, H, W)`` or ``(N, C, H, W)`` row by row into one image (N must fill the grid)."""
    n = images.shape[0]
    if n % cols:
        raise InputError(f"a mosaic of {cols} columns needs a multiple of {cols} images, got {n}.")
    rows = n // cols
    x = images if images.ndim == 4 else images[:, None]
    c, h, w = x.shape[1:]
    out = x.reshape(rows, cols, c, h, w).transpose(2, 0, 3, 1, 4).reshape(c, rows * h, cols * w)  # (C, rows*H, cols*W)
    return out[0] if images.ndim == 3 else out


def unmosaic(image: np.ndarray, n: int, shape: tuple[int, ...], cols: int = 10) -> np.ndarray:
    """The inverse of :func:`mosaic`: ``n`` images of ``shape`` ((H, W) or (C, H, W))."""
    rows = n // cols
    x = image if image.ndim == 3 else image[None]
    c, h, w = (1, *shape) if len(shape) == 2 else shape
    out = x.reshape(c, rows, h, cols, w).transpose(1, 3, 0, 2, 4).reshape(n, c, h, w)
    return out[:, 0] if len(shape) == 2 else out


def jpeg_mosaics(images: np.ndarray, quality: int, cols: int = 10) -> tuple[int, np.ndarray]:
    """JPEG at ``quality`` of uint8 ``images`` tiled ``cols`` across, ``cols`` rows per file:
    ``(bytes of all files, the decoded images)``.

    Only a multiple of ``cols`` images is used (the rest ignored), so the ~300 bytes of
    JPEG tables are shared by up to ``cols**2`` images: JPEG's best case as a real file.
    """
    n = (len(images) // cols) * cols
    if n == 0:
        raise InputError(f"the JPEG baseline needs at least {cols} images, got {len(images)}.")
    x = images[:n]
    size, decoded = 0, []
    block = cols * cols
    for i in range(0, n, block):
        chunk = x[i: i + block]
        data, dec = pil_encode(mosaic(chunk, cols), "jpeg", quality)
        size += len(data)
        decoded.append(unmosaic(dec, len(chunk), chunk.shape[1:], cols))
    return size, np.concatenate(decoded)


def jpeg_curve(images: np.ndarray, qualities: tuple[int, ...] = JPEG_QUALITIES,
               cols: int = 10) -> list[tuple[int, float, float]]:
    """``(quality, bits per pixel, PSNR)`` of JPEG files of mosaics of images (:func:`jpeg_mosaics`)."""
    out = []
    for q in qualities:
        size, decoded = jpeg_mosaics(images, q, cols)
        x = images[:len(decoded)]
        out.append((q, bits_per_pixel(size, x), psnr_uint8(x, decoded)))
    return out


def jpeg_applies(images: np.ndarray, cols: int = 10) -> bool:
    """Whether the JPEG baseline can run on uint8 ``images``: at least ``cols``, of 1 or 3 channels."""
    return len(images) >= cols and (images.ndim == 3 or images.shape[1] in (1, 3))


# ---------------------------------------------------------------- the app
@dataclass(frozen=True)
class CompressResult:
    """What :func:`compress_images` wrote and measured.

    Attributes
    ----------
    path : Path
        The ``.aek`` file.
    n_images : int
    file_bytes : int
        Size of the ``.aek`` file, header included.
    bits_per_pixel : float
        ``8 * file_bytes / (N * H * W)``.
    psnr : float
        PSNR (dB, 0-255 scale, all pixels) of the decoded file against the input.
    jpeg_quality, jpeg_bits_per_pixel, jpeg_psnr : int, float, float
        JPEG (mosaics of 10 x 10 images, tables shared) at the quality whose rate is
        closest to ``bits_per_pixel``; 0, NaN, NaN when the baseline was skipped or
        could not run (fewer than 10 images, or not 1 or 3 channels).
    encode_seconds, decode_seconds : float
    figures : tuple of Path
        The rate–distortion figure and the originals-vs-decoded grid.
    """

    path: Path
    n_images: int
    file_bytes: int
    bits_per_pixel: float
    psnr: float
    jpeg_quality: int
    jpeg_bits_per_pixel: float
    jpeg_psnr: float
    encode_seconds: float
    decode_seconds: float
    figures: tuple[Path, ...]


def _as_uint8(X: ArrayLike) -> np.ndarray:
    x = np.asarray(X)
    if x.dtype != np.uint8:
        if x.dtype.kind != "f" or not np.all(np.isfinite(x)) or x.min() < 0 or x.max() > 1:
            raise InputError("images to compress must be uint8 (0-255) or finite floats in [0, 1]; scale them, "
                             "e.g. X / 255.")
        x = np.rint(x * 255).astype(np.uint8)
    return x


def compress_images(compressor: ImageCompressor, X: ArrayLike, out: str | Path, *,
                    figures_dir: str | Path | None = None, n_show: int = 10, baseline: bool = True) -> CompressResult:
    """Write images ``X`` to the ``.aek`` file ``out`` and measure it against JPEG.

    Parameters
    ----------
    compressor : ImageCompressor
        Fitted.
    X : array-like, shape (N, H, W) or (N, C, H, W)
        uint8 images, or floats in [0, 1] (measured after rounding to 8 bits).
    out : str or Path
        The ``.aek`` file to write (atomically).
    figures_dir : str or Path, optional
        Where to write ``rate_distortion.png`` and ``decoded.png``; default: beside ``out``.
    n_show : int, default=10
        Images in the originals-vs-decoded grid.
    baseline : bool, default=True
        Encode the images with JPEG too (the rate-distortion figure and the ``jpeg_*``
        fields); False skips it (``jpeg_quality`` 0, ``jpeg_*`` NaN, no figure).

    Returns
    -------
    CompressResult
    """
    x = _as_uint8(X)
    out = Path(out)
    t0 = time.perf_counter()
    compressor.compress_file(x, out)
    t1 = time.perf_counter()
    decoded = compressor.decompress(out)
    t2 = time.perf_counter()
    size = out.stat().st_size
    bpp, quality = bits_per_pixel(size, x), psnr_uint8(x, decoded)
    curve = jpeg_curve(x) if baseline and jpeg_applies(x) else []
    figs_at = Path(figures_dir) if figures_dir is not None else out.parent
    figures: list[Path] = []
    if curve:
        q_best, jpeg_bpp, jpeg_psnr = min(curve, key=lambda r: abs(r[1] - bpp))
        fig = rate_distortion_figure({f"{len(x)} images": {"aekit": ([bpp], [quality]),
                                                           "JPEG (10x10 mosaics)": ([r[1] for r in curve],
                                                                                   [r[2] for r in curve])}},
                                     highlight="aekit")
        figures.append(save_figure(fig, figs_at / "rate_distortion.png"))
    else:
        q_best, jpeg_bpp, jpeg_psnr = 0, float("nan"), float("nan")
    k = min(n_show, len(x))
    figures.append(plot_image_grid(np.concatenate([x[:k], decoded[:k]]).astype(np.float32) / 255.0,
                                   figs_at / "decoded.png", ncols=k,
                                   title=f"top: originals, bottom: decoded ({bpp:.3f} bpp, {quality:.1f} dB)"))
    return CompressResult(path=out, n_images=len(x), file_bytes=size, bits_per_pixel=bpp, psnr=quality,
                          jpeg_quality=q_best, jpeg_bits_per_pixel=jpeg_bpp, jpeg_psnr=jpeg_psnr,
                          encode_seconds=t1 - t0, decode_seconds=t2 - t1, figures=tuple(figures))


@dataclass(frozen=True)
class RatePoint:
    """One rate of a trained compressor on held-out images, beside JPEG at the quality closest in rate.

    Attributes
    ----------
    rate_lambda : float
    model : str
        Where the model is (a run's folder, or a name).
    file_bytes : int
        Size of the ``.aek`` bytes of all the images, header included.
    bits_per_pixel, psnr, ssim : float
        ``8 * file_bytes / (N * H * W)``; PSNR (dB, 0-255, all pixels) and mean SSIM
        (7x7 window, data range 255; NaN for images under 7 pixels) of the decoded images.
    jpeg_quality : int
        JPEG's quality (mosaics of 10 x 10 images, tables shared) whose rate is closest to
        ``bits_per_pixel``; 0 when the baseline was skipped or could not run.
    jpeg_bits_per_pixel, jpeg_psnr, jpeg_ssim : float
        JPEG's measures at that quality, on the same images (NaN without the baseline).
    beaten_by : int
        A JPEG quality that needs no more bits for a higher PSNR (the best such), 0 when
        none does: then JPEG cannot match this point.
    """

    rate_lambda: float
    model: str
    file_bytes: int
    bits_per_pixel: float
    psnr: float
    ssim: float
    jpeg_quality: int = 0
    jpeg_bits_per_pixel: float = float("nan")
    jpeg_psnr: float = float("nan")
    jpeg_ssim: float = float("nan")
    beaten_by: int = 0

    @property
    def behind(self) -> bool:
        """Some JPEG quality needs no more bits for a higher PSNR."""
        return bool(self.beaten_by)

    def to_dict(self) -> dict[str, float | int | str]:
        return asdict(self)


@dataclass(frozen=True)
class RateDistortion:
    """What :func:`rate_distortion` measured and drew.

    Attributes
    ----------
    points : tuple of RatePoint
        One per model, in rate order (most bits first).
    n_images : int
        The held-out images measured.
    jpeg : list of (int, float, float)
        JPEG's whole curve on them, ``(quality, bits per pixel, PSNR)``; empty without the baseline.
    figures : dict of str to Path
        ``rate_distortion`` and one ``decoded_lambda-<rate_lambda>`` grid per model.
    """

    points: tuple[RatePoint, ...]
    n_images: int
    jpeg: list[tuple[int, float, float]]
    figures: dict[str, Path]


def _ssim255(clean: np.ndarray, decoded: np.ndarray) -> float:
    return ssim(clean, decoded, data_range=255.0) if min(clean.shape[-2:]) >= 7 else float("nan")


def rate_distortion(compressors: Mapping[str, ImageCompressor], X: ArrayLike, out_dir: str | Path, *,
                    baseline: bool = True, n_show: int = 10, name: str = "held-out images") -> RateDistortion:
    """Measure fitted compressors on images ``X`` beside JPEG, and draw their rate–distortion figure.

    Each model codes all of ``X`` into one ``.aek`` container in memory and decodes it:
    bits per pixel (the whole container), PSNR and SSIM. JPEG codes the same images as
    10 x 10 mosaics at qualities 5-95 (:func:`jpeg_curve`); each model is set beside the
    quality whose rate is closest. Writes ``rate_distortion.png`` (PSNR against bits per
    pixel: the models' curve, and JPEG's) and, per model, ``decoded_lambda-<rate_lambda>.png``
    (``n_show`` originals above their decoded images, and JPEG's at that quality) into ``out_dir``.

    Parameters
    ----------
    compressors : dict of str to ImageCompressor
        Fitted models, keyed by where they are (shown in the points).
    X : array-like, shape (N, H, W) or (N, C, H, W)
        uint8 images, or floats in [0, 1] (measured after rounding to 8 bits).
    out_dir : str or Path
    baseline : bool, default=True
        Measure JPEG too; without it the figure shows the models alone.
    n_show : int, default=10
    name : str
        What ``X`` is, for the figure's title.

    Returns
    -------
    RateDistortion
    """
    x = _as_uint8(X)
    out_dir = Path(out_dir)
    jpeg = jpeg_curve(x) if baseline and jpeg_applies(x) else []
    jpeg_decoded: dict[int, np.ndarray] = {}
    points, decoded = [], {}
    for where, comp in compressors.items():
        xc = x[:, 0] if x.ndim == 4 and x.shape[1] == 1 and comp.input_ndim_ == 3 else x
        data = comp.compress(xc)
        dec = np.asarray(comp.decompress(data)).reshape(x.shape)
        bpp = bits_per_pixel(len(data), x)
        point = RatePoint(float(comp.rate_lambda), where, len(data), bpp, psnr_uint8(x, dec), _ssim255(x, dec))
        if jpeg:
            q, jpeg_bpp, jpeg_psnr = min(jpeg, key=lambda r: abs(r[1] - bpp))
            if q not in jpeg_decoded:
                jpeg_decoded[q] = jpeg_mosaics(x, q)[1]
            better = [r for r in jpeg if r[1] <= bpp and r[2] > point.psnr]
            point = replace(point, jpeg_quality=q, jpeg_bits_per_pixel=jpeg_bpp, jpeg_psnr=jpeg_psnr,
                            jpeg_ssim=_ssim255(x[:len(jpeg_decoded[q])], jpeg_decoded[q]),
                            beaten_by=max(better, key=lambda r: r[2])[0] if better else 0)
        points.append(point)
        decoded[where] = dec
    points.sort(key=lambda p: -p.bits_per_pixel)
    curves = {"aekit": ([p.bits_per_pixel for p in points], [p.psnr for p in points])}
    if jpeg:
        curves["JPEG (10x10 mosaics)"] = ([r[1] for r in jpeg], [r[2] for r in jpeg])
    figures = {"rate_distortion": save_figure(
        rate_distortion_figure({f"{len(x):,} {name}": curves}, highlight="aekit"), out_dir / "rate_distortion.png")}
    if x.ndim == 3 or x.shape[1] in (1, 3):
        for p in points:
            figures[f"decoded_lambda-{p.rate_lambda:g}"] = _decoded_grid(
                x, decoded[p.model], jpeg_decoded.get(p.jpeg_quality), p, n_show,
                out_dir / f"decoded_lambda-{p.rate_lambda:g}.png")
    return RateDistortion(tuple(points), len(x), jpeg, figures)


def _decoded_grid(x: np.ndarray, decoded: np.ndarray, jpeg: np.ndarray | None, p: RatePoint, n_show: int,
                  path: Path) -> Path:
    """Originals, the model's decoded images and JPEG's at the matched quality, a row each."""
    k = min(n_show, len(x))
    rows = [("original", x[:k]), ("aekit", decoded[:k])]
    title = f"rate_lambda={p.rate_lambda:g}: aekit {p.bits_per_pixel:.3f} bpp, {p.psnr:.2f} dB"
    if jpeg is not None and len(jpeg) >= k:
        rows.append((f"JPEG q{p.jpeg_quality}", jpeg[:k]))
        title += f"; JPEG q{p.jpeg_quality} {p.jpeg_bits_per_pixel:.3f} bpp, {p.jpeg_psnr:.2f} dB"
    labels = [label if i == 0 else "" for label, _ in rows for i in range(k)]
    images = np.concatenate([r for _, r in rows]).astype(np.float32) / 255.0
    return plot_image_grid(images, path, ncols=k, labels=labels, title=title)


@dataclass(frozen=True)
class DecompressResult:
    """What :func:`decompress_file` wrote: the decoded images' files, count and shape."""

    paths: tuple[Path, ...]
    n_images: int
    shape: tuple[int, ...]
    dtype: str


def decompress_file(compressor: ImageCompressor, path: str | Path, out_dir: str | Path, *,
                    format: Literal["png", "npy"] = "png") -> DecompressResult:
    """Decode the ``.aek`` file ``path`` into ``out_dir``: one PNG per image or ``images.npy``.

    Raises
    ------
    aekit.errors.DataFileError
        A corrupt, truncated or non-``.aek`` file.
    aekit.errors.InputError
        A file written by another model, or a ``format`` other than png/npy.
    """
    if format not in ("png", "npy"):
        raise InputError(f"format must be 'png' or 'npy', got {format!r}.")
    images = compressor.decompress(Path(path))
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    if format == "npy":
        with atomic_path(out_dir / "images.npy") as tmp, open(tmp, "wb") as f:
            np.save(f, images, allow_pickle=False)
        paths: tuple[Path, ...] = (out_dir / "images.npy",)
    else:
        as8 = images if images.dtype == np.uint8 else np.rint(np.clip(images, 0, 1) * 255).astype(np.uint8)
        width = len(str(max(len(images) - 1, 0)))
        written = []
        for i, image in enumerate(as8):
            buf = io.BytesIO()
            _pil(image).save(buf, format="PNG")
            target = out_dir / f"{i:0{width}d}.png"
            atomic_write_bytes(target, buf.getvalue())
            written.append(target)
        paths = tuple(written)
    return DecompressResult(paths=paths, n_images=len(images), shape=tuple(images.shape[1:]), dtype=str(images.dtype))


