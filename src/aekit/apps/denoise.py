"""Denoise images: train a denoiser for a noise model on clean images, then clean noisy ones.

Two steps, each a function:

- :func:`train_denoiser` learns to undo one noise model (Gaussian with σ, salt-and-pepper
  or pixel masking with probability p, block masking of a fraction p of each image) from
  clean images, with a residual network that
  predicts the noise (``model="residual"``, DnCNN; the default, and the one that wins in
  ``benchmarks/bench_denoise.py``) or a denoising autoencoder (``"dense"``, ``"conv"``:
  :class:`aekit.Autoencoder` with ``noise=``). A ``(low, high)`` Gaussian level trains a
  *blind* denoiser: every training image gets its own σ drawn from the range, so one model
  serves every level in it. :meth:`Denoiser.save` writes it to a folder and
  :func:`load_denoiser` reads it back (``aekit denoise RUN`` reuses such a folder).
- :func:`denoise` cleans noisy images with such a :class:`Denoiser`, or with any fitted
  aekit autoencoder, writes the denoised array (and optionally one PNG per image) and a
  grid noisy / denoised / median 3×3 / clean, and returns a :class:`DenoiseResult`. When
  the clean images are known it reports PSNR and SSIM of the noisy input, of the
  denoiser, and of the classical baseline, a 3×3 median filter, on the same images.

Images are ``(N, H, W)``, ``(N, C, H, W)`` or flat ``(N, D)`` arrays with values in
[0, 1] (``uint8`` arrays are divided by 255), or anything :func:`aekit.data.sources.load_dataset`
reads (``.npy``, IDX, a folder of images).
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from scipy.ndimage import median_filter
from torch import Tensor, nn

from aekit.data.corruption import IMAGE_NOISES, Corruption, check_noise
from aekit.data.images import write_image
from aekit.data.noise_levels import GaussianLevels, check_level_range
from aekit.data.sources import load_dataset
from aekit.errors import InputError, ModelFileError, NotFittedError
from aekit.estimators import Autoencoder, load
from aekit.io.model_file import load_model, save_model
from aekit.metrics.image import ssim
from aekit.metrics.reconstruction import psnr
from aekit.models.registry import check_state_shapes, spec_from_dict, spec_to_dict
from aekit.models.residual import ResidualDenoiser, ResidualSpec
from aekit.plots.grids import plot_image_grid
from aekit.train.config import TrainConfig
from aekit.train.loop import fit_module

MODELS: tuple[str, ...] = ("residual", "conv", "dense")
#: The noises a denoiser trains for (:data:`aekit.data.corruption.IMAGE_NOISES`).
NOISES: tuple[str, ...] = IMAGE_NOISES
#: The ``estimator`` name in a saved residual denoiser's ``config.json``.
SAVED_NAME = "Denoiser"


# ---------------------------------------------------------------------------- input
def as_images(X: Any, *, what: str = "X", image_shape: Sequence[int] | None = None) -> np.ndarray:
    """Images as ``(N, C, H, W)`` float32 in [0, 1], or an :class:`InputError` naming the problem.

    Parameters
    ----------
    X : array-like or path
        ``(H, W)`` (one image), ``(N, H, W)``, ``(N, C, H, W)``, flat ``(N, D)`` with
        ``image_shape``, or a file/folder :func:`~aekit.data.sources.load_dataset` reads.
        ``uint8`` values are divided by 255; anything else must lie in [0, 1].
    what : str, default="X"
        The argument's name, for messages.
    image_shape : tuple of int, optional
        ``(C, H, W)`` or ``(H, W)`` of one image, needed for flat rows.

    Returns
    -------
    ndarray of shape (N, C, H, W), float32
    """
    if isinstance(X, (str, os.PathLike)):
        X = load_dataset(Path(X)).X
    arr = np.asarray(X)
    if arr.dtype == np.uint8:
        arr = arr.astype(np.float32) / 255.0
    elif arr.dtype.kind not in "fiub":
        raise InputError(f"{what} must hold numbers, got an array of dtype {arr.dtype}.")
    arr = arr.astype(np.float32, copy=False)
    if arr.ndim == 2 and image_shape is not None:
        shape = tuple(int(s) for s in image_shape)
        shape = (1, *shape) if len(shape) == 2 else shape
        if int(np.prod(shape)) != arr.shape[1]:
            raise InputError(f"{what} has {arr.shape[1]} values per row, but image_shape={tuple(image_shape)} needs "
                             f"{int(np.prod(shape))}; pass the shape the rows were flattened from.")
        arr = arr.reshape(-1, *shape)
    elif arr.ndim == 2:
        arr = arr[None, None]
    elif arr.ndim == 3:
        arr = arr[:, None]
    elif arr.ndim != 4:
        raise InputError(f"{what} must be images of shape (N, H, W) or (N, C, H, W) (or flat rows with image_shape), "
                         f"got shape {arr.shape}.")
    if arr.shape[0] == 0:
        raise InputError(f"{what} holds no images (length 0).")
    if not np.isfinite(arr).all():
        raise InputError(f"{what} holds NaN or infinite values; replace or drop those images first.")
    lo, hi = float(arr.min()), float(arr.max())
    if lo < 0.0 or hi > 1.0:
        raise InputError(f"{what} has values in [{lo:.4g}, {hi:.4g}], outside the denoiser's range [0, 1]. "
                         "Divide 8-bit pixel values by 255 (uint8 arrays are divided for you).")
    return arr


def _check_level(noise: str, level: Any) -> float | tuple[float, float]:
    if isinstance(level, (tuple, list, np.ndarray)):
        if noise != "gaussian":
            raise InputError(f"a range of levels (blind mode) works with noise='gaussian' only, got noise={noise!r} "
                             f"and level={tuple(level)!r}. Pass one probability for {noise!r}.")
        return check_level_range(level, name="level")
    check_noise(noise, level, names=("noise", "level"), kinds=NOISES)
    return float(level)


# ---------------------------------------------------------------------------- train
class _NoiseObjective:
    """MSE between the network's estimate from a freshly corrupted copy and the clean batch."""

    def __init__(self, corrupt: Any) -> None:
        self.corrupt = corrupt

    def __call__(self, module: nn.Module, x: Tensor) -> dict[str, Tensor]:
        return {"loss": torch.mean((module(self.corrupt(x)) - x) ** 2)}


@dataclass(frozen=True)
class Denoiser:
    """A trained denoiser and the noise it was trained for (see :func:`train_denoiser`).

    Call it on images to clean them: ``denoiser(noisy)`` returns ``(N, C, H, W)`` float32
    in [0, 1].

    Attributes
    ----------
    model : {"residual", "conv", "dense", "estimator"}
        The network kind; "estimator" for a fitted aekit autoencoder passed in.
    network : torch.nn.Module or fitted estimator
        The :class:`~aekit.models.residual.ResidualDenoiser`, or the aekit estimator.
    noise : str or None
        The noise model it was trained for ("gaussian", "salt_pepper", "mask").
    level : float, (float, float) or None
        σ or p; a ``(low, high)`` range for a blind Gaussian denoiser.
    image_shape : tuple of int
        ``(C, H, W)`` of the training images. The residual network is fully convolutional
        and takes any H and W with C channels; the others need exactly this shape.
    history : tuple of dict
        One record per training epoch.
    fit_seconds : float
    """

    model: str
    network: Any
    noise: str | None
    level: float | tuple[float, float] | None
    image_shape: tuple[int, int, int]
    history: tuple[dict[str, Any], ...] = ()
    fit_seconds: float = 0.0

    @classmethod
    def from_estimator(cls, estimator: Any) -> "Denoiser":
        """Wrap a fitted aekit autoencoder (trained with ``noise=``, ideally) as a denoiser."""
        if not (hasattr(estimator, "predict") and hasattr(estimator, "inverse_transform")):
            raise InputError(f"expected a Denoiser or a fitted aekit autoencoder (Autoencoder, VariationalAutoencoder), "
                             f"got a {type(estimator).__name__}, which does not reconstruct images; train a denoiser "
                             "(train_denoiser, or aekit denoise --noise ...) instead.")
        shape = getattr(estimator, "input_shape_", None)
        if shape is None:
            raise NotFittedError(f"this {type(estimator).__name__} is not fitted yet; call fit(X) or aekit.load(folder) "
                                 "before denoising with it.")
        shape = tuple(int(s) for s in shape)
        image_shape = shape if len(shape) == 3 else (1, *shape) if len(shape) == 2 else getattr(
            estimator, "image_shape", None) or _square(shape[0])
        return cls(model="estimator", network=estimator, noise=getattr(estimator, "noise", None),
                   level=getattr(estimator, "noise_level", None), image_shape=tuple(image_shape))  # type: ignore[arg-type]

    def save(self, folder: str | Path) -> Path:
        """Write the denoiser to ``folder`` (``config.json`` + ``model.safetensors``, no pickle).

        A residual network is saved with its noise model and image shape; a denoising
        autoencoder as the estimator it is (``aekit.load`` reads it too). Read either back
        with :func:`load_denoiser`. Returns the path of ``config.json``.
        """
        if self.model != "residual":
            return Path(self.network.save(folder))
        net: ResidualDenoiser = self.network
        config = {"estimator": SAVED_NAME, "model": "residual", "spec": spec_to_dict(net.spec), "noise": self.noise,
                  "level": list(self.level) if isinstance(self.level, tuple) else self.level,
                  "image_shape": list(self.image_shape), "history": [_plain(r) for r in self.history],
                  "fit_seconds": self.fit_seconds}
        state = {k: v.detach().cpu().contiguous() for k, v in net.state_dict().items()}
        return save_model(folder, config, state)

    def check_images(self, X: Any, *, what: str = "X") -> np.ndarray:
        """X as ``(N, C, H, W)`` in [0, 1], refused unless this denoiser can take its size."""
        x = as_images(X, what=what, image_shape=self.image_shape)
        c, h, w = self.image_shape
        fully_conv = self.model == "residual"
        if x.shape[1] != c or (not fully_conv and tuple(x.shape[2:]) != (h, w)):
            need = f"{c} channel(s)" if fully_conv else f"{c}x{h}x{w} (C x H x W)"
            raise InputError(f"{what} holds images of {x.shape[1]}x{x.shape[2]}x{x.shape[3]} (C x H x W), but this "
                             f"denoiser takes {need}. Resize the images (load_dataset(folder, size=({h}, {w}))) or "
                             "train a denoiser on images of this size.")
        return x

    def __call__(self, X: Any, *, batch_size: int = 256) -> np.ndarray:
        x = self.check_images(X)
        if self.model == "residual":
            net: nn.Module = self.network
            device = next(net.parameters()).device
            net.eval()
            out = []
            with torch.no_grad():
                for start in range(0, len(x), batch_size):
                    xb = torch.from_numpy(x[start:start + batch_size]).to(device)
                    out.append(net(xb).clamp_(0.0, 1.0).cpu().numpy())
            return np.concatenate(out)
        flat = self.model == "dense" or len(getattr(self.network, "input_shape_", (0, 0, 0))) == 1
        inp = x.reshape(len(x), -1) if flat else x
        pred = np.asarray(self.network.predict(inp), dtype=np.float32)
        return np.clip(pred.reshape(x.shape), 0.0, 1.0)


def _plain(record: dict[str, Any]) -> dict[str, Any]:
    """A history record as JSON values (numbers as float, anything else as text)."""
    return {str(k): float(v) if isinstance(v, (int, float, np.integer, np.floating)) else str(v)
            for k, v in record.items()}


def load_denoiser(path: str | Path) -> Denoiser:
    """The denoiser saved in ``path``: a residual one (:meth:`Denoiser.save`) or any aekit autoencoder.

    Parameters
    ----------
    path : path
        A folder written by :meth:`Denoiser.save`, ``aekit denoise`` or ``aekit train``
        (or its ``config.json``).

    Returns
    -------
    Denoiser

    Raises
    ------
    aekit.errors.ModelFileError
        Missing, corrupt or edited files (see :func:`aekit.io.model_file.load_model`), or
        a saved denoiser whose config does not match its weights.
    """
    config, tensors = load_model(path)
    if config.get("estimator") != SAVED_NAME:
        return Denoiser.from_estimator(load(path))
    try:
        spec = spec_from_dict("residual", dict(config["spec"]))
        noise = config["noise"]
        level = config["level"]
        level = tuple(float(v) for v in level) if isinstance(level, list) else float(level)
        image_shape = tuple(int(v) for v in config["image_shape"])
        if len(image_shape) != 3 or noise not in NOISES:
            raise ValueError(f"image_shape {image_shape}, noise {noise!r}")
    except (KeyError, TypeError, ValueError) as exc:
        raise ModelFileError(f"{path} holds a denoiser whose config.json is incomplete or malformed ({exc}); restore "
                             "it from the same save as its weights, or train the denoiser again.") from exc
    check_state_shapes(lambda: ResidualDenoiser(spec), tensors, what=str(path))
    net = ResidualDenoiser(spec)
    net.load_state_dict(tensors)
    return Denoiser(model="residual", network=net.eval(), noise=noise, level=level,  # type: ignore[arg-type]
                    image_shape=image_shape, history=tuple(config.get("history") or ()),  # type: ignore[arg-type]
                    fit_seconds=float(config.get("fit_seconds") or 0.0))


def _square(n: int) -> tuple[int, int, int]:
    side = int(round(n ** 0.5))
    if side * side != n:
        raise InputError(f"the estimator was fitted on flat rows of {n} values, which are not square images; "
                         "refit it on (N, C, H, W) images or with image_shape=(C, H, W).")
    return (1, side, side)


def train_denoiser(X: Any, *, noise: str = "gaussian", level: float | tuple[float, float] = 0.3,
                   model: str = "residual", depth: int = 8, width: int = 48, latent_dim: int = 32,
                   epochs: int = 10, batch_size: int = 128, lr: float = 1e-3, lr_schedule: str = "cosine",
                   image_shape: Sequence[int] | None = None, device: str = "auto", random_state: int | None = 0,
                   verbose: bool = False) -> Denoiser:
    """Train a denoiser for one noise model on clean images.

    Parameters
    ----------
    X : array-like or path
        Clean training images (see :func:`as_images`), values in [0, 1].
    noise : {"gaussian", "salt_pepper", "mask", "blocks"}, default="gaussian"
        The noise to undo: added Gaussian noise clipped to [0, 1]; each pixel set to 0 or
        1 with probability ``level``; each pixel set to 0 with probability ``level``; one
        block per image, a fraction ``level`` of its area, set to 0 (residual model only).
    level : float or (float, float), default=0.3
        σ for "gaussian" (>= 0), else the probability or area fraction p (in [0, 1]). A
        ``(low, high)`` pair for "gaussian" trains a blind denoiser: each training image
        gets a σ drawn uniformly from the range, so one model serves every level in it.
    model : {"residual", "conv", "dense"}, default="residual"
        "residual": a DnCNN that predicts the noise at full resolution
        (:class:`~aekit.models.residual.ResidualDenoiser`). "conv", "dense": a denoising
        :class:`aekit.Autoencoder` with a ``latent_dim`` code (one fixed level of
        "gaussian", "mask" or "salt_pepper" only).
    depth, width : int, default=8, 48
        Layers and channels of the residual network.
    latent_dim : int, default=32
        Code size of the autoencoders.
    epochs, batch_size, lr : int, int, float, default=10, 128, 1e-3
        Adam training settings.
    lr_schedule : {"cosine", "constant", "onecycle"}, default="cosine"
        For the residual network (the autoencoders use their own default).
    image_shape : tuple of int, optional
        ``(C, H, W)`` for flat rows.
    device : str, default="auto"
        "auto" (cuda, then mps, then cpu), "cpu" or "cuda"; the trained network is moved
        back to the CPU.
    random_state : int or None, default=0
        Seeds the initial weights and the noise; the same seed gives the same model.
    verbose : bool, default=False
        Show a progress bar.

    Returns
    -------
    Denoiser

    Raises
    ------
    aekit.errors.InputError
        An unknown noise or model, a negative σ or a probability outside [0, 1], a range
        or "blocks" for a model other than "residual", or images that are not images in
        [0, 1].

    Examples
    --------
    >>> clean = np.random.default_rng(0).random((64, 1, 8, 8)).astype(np.float32)
    >>> den = train_denoiser(clean, level=(0.0, 0.5), depth=3, width=8, epochs=1)
    >>> den(clean[:2]).shape
    (2, 1, 8, 8)
    """
    if model not in MODELS:
        raise InputError(f"model must be one of {', '.join(map(repr, MODELS))}, got {model!r}.")
    if not isinstance(noise, str):
        raise InputError(f"noise must be one of {', '.join(map(repr, NOISES))}, got {noise!r}.")
    lvl = _check_level(noise, level)
    if model != "residual" and isinstance(lvl, tuple):
        raise InputError(f"a range of levels (blind mode) needs model='residual', got model={model!r} with "
                         f"level={lvl}. Use model='residual', or pass one σ for a {model} autoencoder.")
    if model != "residual" and noise == "blocks":
        raise InputError(f"noise='blocks' needs model='residual' (the autoencoders' noise= takes 'gaussian', 'mask' "
                         f"and 'salt_pepper'), got model={model!r}. Use model='residual'.")
    for name, value in (("depth", depth), ("width", width), ("epochs", epochs), ("batch_size", batch_size)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < (2 if name == "depth" else 1):
            raise InputError(f"{name} must be an int >= {2 if name == 'depth' else 1}, got {value!r}.")
    x = as_images(X, what="X", image_shape=image_shape)
    shape = tuple(int(s) for s in x.shape[1:])
    t0 = time.perf_counter()
    if model != "residual":
        assert not isinstance(lvl, tuple)  # a range was refused above for the autoencoders
        est = Autoencoder(int(latent_dim), model=model, noise=noise, noise_level=lvl, epochs=int(epochs),
                          batch_size=int(batch_size), lr=float(lr), device=device, random_state=random_state,
                          verbose=verbose)
        est.fit(x.reshape(len(x), -1) if model == "dense" else x)
        return Denoiser(model=model, network=est, noise=noise, level=lvl, image_shape=shape,  # type: ignore[arg-type]
                        history=tuple(est.history_), fit_seconds=time.perf_counter() - t0)
    corrupt = GaussianLevels(*lvl) if isinstance(lvl, tuple) else Corruption(noise, lvl)
    with torch.random.fork_rng(devices=[]):
        if random_state is not None:
            torch.manual_seed(int(random_state))
        net = ResidualDenoiser(ResidualSpec(in_channels=shape[0], depth=int(depth), width=int(width)))
    config = TrainConfig(epochs=int(epochs), batch_size=int(batch_size), lr=float(lr), lr_schedule=lr_schedule,
                         device=device, seed=random_state)
    callbacks = []
    if verbose:
        from aekit.train.callbacks import ProgressBar
        callbacks.append(ProgressBar())
    history = fit_module(net, torch.from_numpy(x), _NoiseObjective(corrupt), config, callbacks=callbacks)
    net.cpu().eval()
    return Denoiser(model="residual", network=net, noise=noise, level=lvl, image_shape=shape,  # type: ignore[arg-type]
                    history=tuple(history), fit_seconds=time.perf_counter() - t0)


# ---------------------------------------------------------------------------- clean
def median3(X: Any) -> np.ndarray:
    """The classical baseline: a 3×3 median filter on each image and channel (``scipy.ndimage``)."""
    x = as_images(X)
    return median_filter(x, size=(1, 1, 3, 3), mode="reflect")


@dataclass(frozen=True)
class DenoiseResult:
    """What :func:`denoise` did.

    Attributes
    ----------
    denoised : ndarray of shape (N, C, H, W)
        The cleaned images, float32 in [0, 1].
    images_per_second : float
        Throughput of the denoiser alone.
    psnr, ssim : dict of str to float
        With the clean images known: PSNR (dB) and SSIM of ``"noisy"`` (the input),
        ``"denoised"`` and ``"median3"`` (the 3×3 median baseline; absent with
        ``baseline=False``), each against the clean images; empty otherwise. Higher is
        better for both.
    paths : dict of str to Path
        ``"denoised"`` (``denoised.npy``), ``"grid"`` (``denoise_grid.png``) and
        ``"images"`` (a folder of PNGs) for what was written.
    """

    denoised: np.ndarray
    images_per_second: float
    psnr: dict[str, float] = field(default_factory=dict)
    ssim: dict[str, float] = field(default_factory=dict)
    paths: dict[str, Path] = field(default_factory=dict)

    def summary(self) -> str:
        """One line per measure, e.g. ``PSNR  noisy 12.10  median3 17.02  denoised 21.44 dB``."""
        lines = [f"{len(self.denoised)} images, {self.images_per_second:,.0f} images/s"]
        if self.psnr:
            lines.append("PSNR  " + "  ".join(f"{k} {v:.2f}" for k, v in self.psnr.items()) + " dB")
            lines.append("SSIM  " + "  ".join(f"{k} {v:.4f}" for k, v in self.ssim.items()))
        return "\n".join(lines)


def denoise(model: Denoiser | Any, noisy: Any, *, clean: Any = None, out: str | os.PathLike[str] | None = None,
            n_show: int = 10, write_images: bool = False, baseline: bool = True,
            batch_size: int = 256) -> DenoiseResult:
    """Clean noisy images; with the clean images known, measure against the 3×3 median filter.

    Parameters
    ----------
    model : Denoiser or fitted aekit autoencoder
        From :func:`train_denoiser`, or an :class:`aekit.Autoencoder` (ideally fitted with
        ``noise=``) whose reconstruction is the denoised image.
    noisy : array-like or path
        The images to clean (see :func:`as_images`).
    clean : array-like or path, optional
        The same images without noise; adds PSNR/SSIM and a "clean" row to the grid.
    out : path, optional
        A folder for ``denoised.npy``, ``denoise_grid.png`` (rows noisy / denoised /
        median 3×3 / clean) and, with ``write_images``, ``images/00000.png``, ...
    n_show : int, default=10
        Images in the grid.
    write_images : bool, default=False
        Also write each denoised image as a PNG.
    baseline : bool, default=True
        Also run the 3×3 median filter and report it beside the denoiser (its row in the
        grid, ``"median3"`` in the scores).
    batch_size : int, default=256

    Returns
    -------
    DenoiseResult

    Raises
    ------
    aekit.errors.InputError
        Images of a size or channel count the model does not take, values outside [0, 1],
        clean images that do not match the noisy ones, or ``n_show`` < 1.

    Examples
    --------
    >>> res = denoise(den, noisy, clean=clean, out="runs/denoised")  # doctest: +SKIP
    >>> print(res.summary())  # doctest: +SKIP
    """
    den = model if isinstance(model, Denoiser) else Denoiser.from_estimator(model)
    if isinstance(n_show, bool) or not isinstance(n_show, (int, np.integer)) or n_show < 1:
        raise InputError(f"n_show must be an int >= 1, got {n_show!r}.")
    x = den.check_images(noisy, what="noisy")
    ref = None if clean is None else as_images(clean, what="clean")
    if ref is not None and ref.shape != x.shape:
        raise InputError(f"clean images of shape {ref.shape} do not match the noisy ones of shape {x.shape}; pass the "
                         "clean version of exactly these images, in the same order.")
    t0 = time.perf_counter()
    y = den(x, batch_size=batch_size)
    speed = len(x) / max(time.perf_counter() - t0, 1e-9)
    base = median3(x) if baseline else None
    contenders = [("noisy", x)] + ([("median3", base)] if base is not None else []) + [("denoised", y)]
    psnrs: dict[str, float] = {}
    ssims: dict[str, float] = {}
    if ref is not None:
        for name, img in contenders:
            psnrs[name] = psnr(ref, img, data_range=1.0)
            ssims[name] = ssim(ref, img, data_range=1.0)
    paths: dict[str, Path] = {}
    if out is not None:
        folder = Path(out)
        folder.mkdir(parents=True, exist_ok=True)
        paths["denoised"] = folder / "denoised.npy"
        np.save(paths["denoised"], y)
        k = min(int(n_show), len(x))
        rows = [("noisy", x), ("denoised", y)] + ([("median 3x3", base)] if base is not None else []) \
            + ([("clean", ref)] if ref is not None else [])
        grid = np.concatenate([r[:k] for _, r in rows])  # type: ignore[index]
        labels = [name if j == 0 else "" for name, _ in rows for j in range(k)]
        title = " / ".join(name for name, _ in rows)
        if psnrs:
            title += "  (PSNR " + " / ".join(f"{psnrs[n]:.1f}" for n in ("noisy", "denoised", "median3")
                                             if n in psnrs) + " dB)"
        paths["grid"] = plot_image_grid(grid, folder / "denoise_grid.png", ncols=k, title=title, labels=labels)
        if write_images:
            paths["images"] = folder / "images"
            paths["images"].mkdir(exist_ok=True)
            for i, img in enumerate(y):
                write_image(paths["images"] / f"{i:05d}.png", img)
    return DenoiseResult(denoised=y, images_per_second=speed, psnr=psnrs, ssim=ssims, paths=paths)


__all__ = ["MODELS", "NOISES", "DenoiseResult", "Denoiser", "as_images", "denoise", "load_denoiser", "median3",
           "train_denoiser"]
