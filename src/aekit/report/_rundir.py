"""Read what a report shows from a run directory on disk: config, metrics, history, figures."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from aekit.errors import InputError

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

# Figures a reader expects first, in this order (matched on the file stem); the rest follow
# alphabetically.
KNOWN_FIGURES = (
    "loss_curves",
    "reconstructions",
    "latent_map",
    "pca_comparison",
    "error_vs_dim",
    "classification_history",
    "score_histogram",
    "rate_distortion",
    "denoised",
    "samples",
    "interpolation",
    "interpolations",
    "traversal",
    "traversals",
)


@dataclass(frozen=True)
class FigureFile:
    """One PNG of the run: where it is, its caption, and its bytes (None if not a PNG)."""

    relative: str
    caption: str
    data: bytes | None


@dataclass(frozen=True)
class RunContents:
    """Everything the report shows, already flattened to (key, value) rows."""

    name: str
    config: list[tuple[str, Any]] | None
    metrics: list[tuple[str, Any]] | None
    history: pd.DataFrame | None
    figures: list[FigureFile] = field(default_factory=list)


def _flatten(mapping: dict[str, Any], prefix: str = "") -> list[tuple[str, Any]]:
    """Nested dicts become dotted keys: {"noise": {"kind": "mask"}} -> [("noise.kind", "mask")]."""
    rows: list[tuple[str, Any]] = []
    for key, value in mapping.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict) and value:
            rows.extend(_flatten(value, f"{name}."))
        else:
            rows.append((name, value))
    return rows


def _read_json_dict(path: Path) -> list[tuple[str, Any]] | None:
    if not path.is_file():
        return None
    try:
        # JSON written by Python may hold NaN/Infinity; json accepts those by default.
        content = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(
            f"{path} could not be read as JSON ({exc}); fix or delete it, or re-run to rewrite it."
        ) from None
    if not isinstance(content, dict):
        raise InputError(
            f"{path} holds a JSON {type(content).__name__}, expected an object of name -> value."
        )
    return _flatten(content)


def _read_history(path: Path) -> pd.DataFrame | None:
    if not path.is_file():
        return None
    try:
        return pd.read_csv(path)
    except pd.errors.EmptyDataError:
        return pd.DataFrame()
    except (OSError, UnicodeDecodeError, pd.errors.ParserError) as exc:
        raise InputError(
            f"{path} could not be read as CSV ({exc}); fix or delete it, or re-run to rewrite it."
        ) from None


_ACRONYMS = {"pca", "vae", "ae", "roc", "pr", "auc", "psnr", "ssim", "mse", "kl", "bpp", "umap", "jpeg"}


def caption_for(filename: str) -> str:
    """``loss_curves.png`` -> ``Loss curves``; ``pca_comparison.png`` -> ``PCA comparison``."""
    words = Path(filename).stem.replace("_", " ").replace("-", " ").split()
    words = [w.upper() if w.lower() in _ACRONYMS else w for w in words]
    text = " ".join(words) or Path(filename).stem
    return text[:1].upper() + text[1:]


def _figure_order(relative: Path) -> tuple[int, str]:
    stem = relative.stem.lower()
    rank = KNOWN_FIGURES.index(stem) if stem in KNOWN_FIGURES else len(KNOWN_FIGURES)
    return rank, relative.as_posix().lower()


def _find_figures(run_dir: Path) -> list[FigureFile]:
    candidates = [*run_dir.glob("*.png"), *run_dir.glob("*/*.png")]
    # Hidden files and folders (editor caches, half-written temp files) are not figures.
    candidates = [
        p for p in candidates
        if p.is_file() and not any(part.startswith(".") for part in p.relative_to(run_dir).parts)
    ]
    figures = []
    for png in sorted((p.relative_to(run_dir) for p in candidates), key=_figure_order):
        data = (run_dir / png).read_bytes()
        figures.append(
            FigureFile(png.as_posix(), caption_for(png.name), data if data.startswith(PNG_SIGNATURE) else None)
        )
    return figures


def read_run(run_dir: Path) -> RunContents:
    """Load a run directory; refuse a folder that is not one."""
    if not run_dir.is_dir():
        raise InputError(
            f"{run_dir} is not an aekit run directory: it does not exist or is not a folder. "
            "Pass the folder a training or application run wrote (it holds config.json)."
        )
    config = _read_json_dict(run_dir / "config.json")
    metrics = _read_json_dict(run_dir / "metrics.json")
    if config is None and metrics is None:
        raise InputError(
            f"{run_dir} is not an aekit run directory: it has neither config.json nor "
            "metrics.json. Pass the folder a training or application run wrote."
        )
    return RunContents(
        name=run_dir.resolve().name,
        config=config,
        metrics=metrics,
        history=_read_history(run_dir / "history.csv"),
        figures=_find_figures(run_dir),
    )


def format_value(value: Any) -> str:
    """Numbers to 4 significant digits, JSON words for booleans/null, lists as JSON."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "NaN"
        if math.isinf(value):
            return "∞" if value > 0 else "−∞"
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return f"{value:.1f}" if 1e4 <= abs(value) < 1e15 else f"{value:.4g}"
    if isinstance(value, str):
        return value
    try:
        return json.dumps(value, ensure_ascii=False, allow_nan=True)
    except (TypeError, ValueError):
        return str(value)
