"""Model names to (module class, spec class): the one table that building and loading read."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import asdict, fields
from typing import Any, Literal, get_args, get_origin, get_type_hints

import torch
from torch import nn

from aekit.errors import ModelFileError
from aekit.models.blocks import upgrade_uncentred_state
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
    values = {k: tuple(v) if isinstance(v, list) else v for k, v in values.items()}
    _check_choices(kind, spec_cls, values)
    return spec_cls(**values)


def _check_choices(kind: str, spec_cls: type, values: dict[str, Any]) -> None:
    """Refuse a value outside a field's ``Literal`` choices (an edited ``output``, say), which
    would otherwise build a model that silently computes something else."""
    hints = get_type_hints(spec_cls)
    for name, value in values.items():
        hint = hints.get(name)
        if get_origin(hint) is Literal and value not in get_args(hint):
            allowed = ", ".join(map(repr, get_args(hint)))
            raise ModelFileError(f"model config for {kind!r} has {name}={value!r}, which is not one of {allowed}; "
                                 "config.json is corrupt or was edited. Restore it, or retrain.")


def build(kind: str, spec: Any) -> nn.Module:
    """Instantiate the module registered under ``kind`` (a current or an older name)."""
    return REGISTRY[canonical_kind(kind)][0](spec)


def check_state_shapes(make: Callable[[], nn.Module], state: Mapping[str, Any], *, what: str = "the model") -> None:
    """Refuse saved weights whose names or shapes differ from the module ``make`` builds, before building it.

    ``make`` runs on the meta device, so a config edited to declare a huge layer costs no
    memory: the shapes are compared, nothing is allocated. ``state`` maps names to anything
    with a ``shape`` (tensors, or shapes read from a safetensors header).
    """
    try:
        with torch.device("meta"):
            module = make()
    except (TypeError, ValueError, RuntimeError) as exc:
        raise ModelFileError(f"{what}'s config describes no valid model ({exc}); config.json is corrupt or was "
                             "edited. Restore it from the same save as its weights, or retrain.") from exc
    expected = {k: tuple(v.shape) for k, v in module.state_dict().items()}
    saved = {k: tuple(v.shape) for k, v in upgrade_uncentred_state(module, dict(state)).items()}
    problems = [f"{k}: config implies {expected[k]}, weights hold {saved[k]}"
                for k in expected if k in saved and expected[k] != saved[k]]
    missing = [k for k in expected if k not in saved]
    extra = [k for k in saved if k not in expected]
    if missing:
        problems.append(f"missing {', '.join(missing[:3])}{', ...' if len(missing) > 3 else ''}")
    if extra:
        problems.append(f"unexpected {', '.join(extra[:3])}{', ...' if len(extra) > 3 else ''}")
    if problems:
        raise ModelFileError(f"{what}'s config.json does not match its weights ({'; '.join(problems[:3])}): "
                             "the config was edited or the pair comes from different saves. Restore both from "
                             "the same save, or retrain.")
