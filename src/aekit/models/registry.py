"""Model names to (module class, spec class): the one table that building and loading read."""

from __future__ import annotations

from dataclasses import asdict, fields
from typing import Any

from torch import nn

from aekit.errors import ModelFileError
from aekit.models.conv import ConvAE, ConvSpec
from aekit.models.dense import DenseAE, DenseSpec
from aekit.models.recurrent import RecurrentAE, RecurrentSpec
from aekit.models.residual import ResidualDenoiser, ResidualSpec
from aekit.models.vae import VAE, ConvVAE, ConvVAESpec, VAESpec

REGISTRY: dict[str, tuple[type[nn.Module], type[Any]]] = {
    "dense": (DenseAE, DenseSpec),
    "conv": (ConvAE, ConvSpec),
    "recurrent": (RecurrentAE, RecurrentSpec),
    "vae": (VAE, VAESpec),
    "conv-vae": (ConvVAE, ConvVAESpec),
    "residual": (ResidualDenoiser, ResidualSpec),
}

#: Names older aekit versions wrote into model files, and the name each has now.
RENAMED: dict[str, str] = {"conv_vae": "conv-vae"}


def canonical_kind(kind: str) -> str:
    """The current registry name of ``kind``, which may be a name an older aekit wrote."""
    return RENAMED.get(kind, kind)


def spec_to_dict(spec: Any) -> dict[str, Any]:
    """A spec as JSON-ready values (tuples become lists)."""
    return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(spec).items()}


def spec_from_dict(kind: str, values: dict[str, Any]) -> Any:
    """Rebuild the spec of model ``kind`` from :func:`spec_to_dict` output, checking the keys."""
    kind = canonical_kind(kind)
    if kind not in REGISTRY:
        raise ModelFileError(f"unknown model kind {kind!r}; this aekit knows {', '.join(sorted(REGISTRY))}. "
                             "Upgrade aekit or check the file.")
    spec_cls = REGISTRY[kind][1]
    names = {f.name for f in fields(spec_cls)}
    unknown = set(values) - names
    if unknown:
        raise ModelFileError(f"model config for {kind!r} has unknown fields {sorted(unknown)}; "
                             "it was written by another aekit version. Upgrade aekit or retrain.")
    return spec_cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in values.items()})


def build(kind: str, spec: Any) -> nn.Module:
    """Instantiate the module registered under ``kind`` (a current or an older name)."""
    return REGISTRY[canonical_kind(kind)][0](spec)
