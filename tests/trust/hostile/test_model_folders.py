"""Model folders as a careless user leaves them and as a forger edits them (config.json and
model.safetensors), met by ``aekit.load`` and by ``aekit encode``.

A forger who edits config.json also recomputes its ``config_sha256`` and the weights'
``sha256`` ("re-signed"): the checksums stop helping and the checks behind them must hold.
A re-signed model that loads must give the codes of the original (an edit of a setting that
does not change the model), or refuse.
"""

from __future__ import annotations

import copy
import hashlib
import json
import os
import shutil
import struct
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import torch
from safetensors.torch import load as st_load
from safetensors.torch import save as st_save

import aekit
from aekit.io.model_file import config_digest
from tests.trust.hostile._build import Evil, json_nested
from tests.trust.hostile.conftest import COLUMNS, table

MODEL_WORDS = r"config|model|weights|shape|format|checksum|sha|corrupt|json|safetensors|tensor|edited|size|version|saved"


@pytest.fixture(scope="module")
def reference(material: dict[str, Path]) -> dict[str, Any]:
    frame = pd.DataFrame(table(), columns=COLUMNS)
    model = aekit.load(material["run"])
    return {"frame": frame, "codes": model.transform(frame), "recon": model.inverse_transform(model.transform(frame)),
            "config": json.loads((material["run"] / "config.json").read_text()),
            "weights": (material["run"] / "model.safetensors").read_bytes()}


def fresh(material: dict[str, Path], tmp: Path) -> Path:
    m = tmp / "m"
    m.mkdir()
    for name in ("config.json", "model.safetensors"):
        shutil.copy2(material["run"] / name, m / name)
    return m


def resign(folder: Path, cfg: Any) -> None:
    """What a careful forger does: both checksums recomputed after the edit."""
    if isinstance(cfg, dict):
        weights = folder / "model.safetensors"
        if isinstance(cfg.get("weights"), dict) and weights.is_file():
            cfg["weights"]["sha256"] = hashlib.sha256(weights.read_bytes()).hexdigest()
        cfg["config_sha256"] = config_digest(cfg)
    (folder / "config.json").write_text(json.dumps(cfg))


def same_model(ref: dict[str, Any], atol: float = 1e-6) -> Callable[[Any], bool]:
    def check(model: Any) -> bool:
        codes = model.transform(ref["frame"])
        assert codes.shape == ref["codes"].shape and np.allclose(codes, ref["codes"], atol=atol), "codes differ"
        recon = model.inverse_transform(codes)
        assert recon.shape == ref["recon"].shape and np.allclose(recon, ref["recon"], atol=atol), \
            f"reconstructions differ (shape {recon.shape})"
        return True
    return check


def _set(path: str, value: Any) -> Callable[[dict], None]:
    keys = path.split(".")

    def edit(cfg: dict) -> None:
        node = cfg
        for k in keys[:-1]:
            node = node[k]
        node[keys[-1]] = value
    return edit


def _del(path: str) -> Callable[[dict], None]:
    keys = path.split(".")

    def edit(cfg: dict) -> None:
        node = cfg
        for k in keys[:-1]:
            node = node[k]
        del node[keys[-1]]
    return edit


# Keys whose loss or corruption must be refused (or, where marked harmless, change nothing).
STRUCTURAL = ["estimator", "model", "model.kind", "model.spec", "model.spec.n_features", "model.spec.latent_dim",
              "model.spec.hidden", "model.spec.activation", "model.spec.output", "fitted", "fitted.input_shape",
              "fitted.n_features_in", "fitted.scaler", "fitted.scaler.method", "params", "weights", "format",
              "format_version"]
HARMLESS = ["params.lr", "params.epochs", "params.verbose", "params.batch_size", "fitted.history", "aekit_version",
            "fitted.epochs_run", "params.random_state"]

CONFIG_CASES: dict[str, tuple[Callable[[dict], None], bool, str | None]] = {}  # id -> (edit, resigned, "same"|None)
for key in STRUCTURAL:
    CONFIG_CASES[f"delete_{key}"] = (_del(key), True, None)
    CONFIG_CASES[f"null_{key}"] = (_set(key, None), True, None)
    CONFIG_CASES[f"text_{key}"] = (_set(key, "evil text"), True, None)
    CONFIG_CASES[f"list_{key}"] = (_set(key, [1, [2, {"3": None}]]), True, None)
for key in HARMLESS:
    CONFIG_CASES[f"harmless_change_{key}"] = (_set(key, 7), True, "same")
CONFIG_CASES["harmless_change_params.device"] = (_set("params.device", "cpu"), True, "same")
CONFIG_CASES.update({
    "latent_dim_1e7": (_set("model.spec.latent_dim", 10**7), True, None),
    "latent_dim_1e9": (_set("model.spec.latent_dim", 10**9), True, None),
    "latent_dim_0": (_set("model.spec.latent_dim", 0), True, None),
    "latent_dim_negative": (_set("model.spec.latent_dim", -2), True, None),
    "latent_dim_float": (_set("model.spec.latent_dim", 2.5), True, None),
    "latent_dim_bool": (_set("model.spec.latent_dim", True), True, None),
    "latent_dim_2_as_float": (_set("model.spec.latent_dim", 2.0), True, None),
    "latent_dim_3": (_set("model.spec.latent_dim", 3), True, None),
    "n_features_1e9": (_set("model.spec.n_features", 10**9), True, None),
    "n_features_7": (_set("model.spec.n_features", 7), True, None),
    "hidden_1e7": (_set("model.spec.hidden", [10**7]), True, None),
    "hidden_two_layers": (_set("model.spec.hidden", [4, 4]), True, None),
    "hidden_empty": (_set("model.spec.hidden", []), True, None),
    "hidden_zero": (_set("model.spec.hidden", [0]), True, None),
    "activation_unknown": (_set("model.spec.activation", "os.system"), True, None),
    "activation_dunder": (_set("model.spec.activation", "__import__"), True, None),
    "kind_unknown": (_set("model.kind", "evil"), True, None),
    "kind_conv": (_set("model.kind", "conv"), True, None),
    "kind_vae": (_set("model.kind", "vae"), True, None),
    "estimator_vae": (_set("estimator", "VariationalAutoencoder"), True, None),
    "estimator_compressor": (_set("estimator", "ImageCompressor"), True, None),
    "estimator_classifier": (_set("estimator", "AutoencoderClassifier"), True, None),
    "estimator_detector": (_set("estimator", "AnomalyDetector"), True, None),
    "estimator_imputer": (_set("estimator", "AutoencoderImputer"), True, None),
    "estimator_sequence": (_set("estimator", "SequenceAutoencoder"), True, None),
    "estimator_code": (_set("estimator", "__import__('os').system('id')"), True, None),
    "input_shape_7": (_set("fitted.input_shape", [7]), True, None),
    "input_shape_1e9": (_set("fitted.input_shape", [10**9]), True, None),
    "input_shape_negative": (_set("fitted.input_shape", [-6]), True, None),
    "n_features_in_7": (_set("fitted.n_features_in", 7), True, None),
    "feature_names_wrong_count": (_set("fitted.feature_names_in", ["a", "b"]), True, None),
    "scaler_minmax_no_stats": (_set("fitted.scaler", {"method": "minmax", "per_feature": True}), True, None),
    "scaler_unknown": (_set("fitted.scaler.method", "evil"), True, None),
    "output_unknown": (_set("fitted.output", "evil"), True, None),
    "format_version_0": (_set("format_version", 0), True, None),
    "format_version_-1": (_set("format_version", -1), True, None),
    "format_version_3": (_set("format_version", 3), True, None),
    "format_version_99": (_set("format_version", 99), True, None),
    "format_version_text": (_set("format_version", "2"), True, None),
    "format_version_float": (_set("format_version", 2.0), True, None),
    "format_version_bool": (_set("format_version", True), True, None),
    "format_version_2pow64": (_set("format_version", 2**64), True, None),
    "format_version_1_with_v2_weights": (_set("format_version", 1), True, None),
    "format_other": (_set("format", "keras.model"), True, None),
    "format_empty": (_set("format", ""), True, None),
    "weights_file_parent": (_set("weights.file", "../model.safetensors"), True, None),
    "weights_file_absolute": (_set("weights.file", "/etc/passwd"), True, None),
    "weights_file_empty": (_set("weights.file", ""), True, None),
    "weights_file_dot": (_set("weights.file", "."), True, None),
    "weights_file_subdir": (_set("weights.file", "sub/model.safetensors"), True, None),
    "weights_file_config": (_set("weights.file", "config.json"), True, None),
    "weights_file_nul": (_set("weights.file", "model.safetensors\x00.txt"), True, None),
    "weights_file_int": (_set("weights.file", 7), True, None),
    "weights_sha_short": (_set("weights.sha256", "abc"), True, None),
    "weights_sha_int": (_set("weights.sha256", 12345), True, None),
    "weights_sha_deleted": (_del("weights.sha256"), True, None),
    "config_sha_wrong": (_set("config_sha256", "0" * 64), False, None),
    "config_sha_deleted_and_edited": (_set("model.spec.latent_dim", 3), False, None),
    "edited_not_resigned": (_set("params.lr", 0.5), False, None),
    "extra_unknown_keys": (_set("evil", {"__class__": "os.system"}), True, "same"),
})


@pytest.mark.parametrize("name", list(CONFIG_CASES))
def test_config_edit(trust, material, reference, tmp_path: Path, name: str) -> None:
    edit, resigned, outcome = CONFIG_CASES[name]
    m = fresh(material, tmp_path)
    cfg = copy.deepcopy(reference["config"])
    edit(cfg)
    if resigned:
        resign(m, cfg)
    else:
        cfg.pop("config_sha256", None) if name == "config_sha_deleted_and_edited" else None
        (m / "config.json").write_text(json.dumps(cfg))
    # Loading anyway is fine only if the model is the same one (a refusal is the other way out).
    trust.api("model config.json edits", lambda: aekit.load(m), expect=MODEL_WORDS,
              check=same_model(reference), valid=outcome == "same")


def _raw_config(text: str | bytes) -> Callable[[Path, dict], None]:
    def build(m: Path, cfg: dict) -> None:
        (m / "config.json").write_bytes(text if isinstance(text, bytes) else text.encode())
    return build


def _json_with(fn: Callable[[str], str]) -> Callable[[Path, dict], None]:
    def build(m: Path, cfg: dict) -> None:
        (m / "config.json").write_text(fn(json.dumps(cfg, indent=1)))
    return build


def _replace_path(target: str, how: str) -> Callable[[Path, dict], None]:
    def build(m: Path, cfg: dict) -> None:
        p = m / target
        p.unlink()
        if how == "dir":
            p.mkdir()
        elif how == "dev_zero":
            os.symlink("/dev/zero", p)
        elif how == "fifo":
            os.mkfifo(p)
        elif how == "dangling":
            os.symlink(m / "nowhere", p)
        elif how == "loop":
            os.symlink(p, p)
    return build


FILE_CASES: dict[str, Callable[[Path, dict], None]] = {
    "config_empty": _raw_config(""),
    "config_bom": _json_with(lambda s: "\ufeff" + s),
    "config_utf16": lambda m, cfg: (m / "config.json").write_bytes(json.dumps(cfg).encode("utf-16")),
    "config_binary": _raw_config(bytes(range(256)) * 8),
    "config_list": _raw_config("[1, 2, 3]"),
    "config_string": _raw_config('"aekit.model"'),
    "config_number": _raw_config("42"),
    "config_null": _raw_config("null"),
    "config_nan_literal": _json_with(lambda s: s.replace('"lr": 0.005', '"lr": NaN')),
    "config_infinity_latent": _json_with(lambda s: s.replace('"latent_dim": 2', '"latent_dim": Infinity', 1)),
    "config_duplicate_key": _json_with(lambda s: s.replace('"latent_dim": 2', '"latent_dim": 2, "latent_dim": 3', 1)),
    "config_deep_nesting": lambda m, cfg: (m / "config.json").write_text(
        json.dumps(cfg)[:-1] + ', "deep": ' + json_nested(200_000) + "}"),
    "config_huge_int": _json_with(lambda s: s.replace('"latent_dim": 2', '"latent_dim": ' + "9" * 5000, 1)),
    **{f"config_truncated_{f}pct": (lambda f: lambda m, cfg: (m / "config.json").write_text(
        json.dumps(cfg)[: int(len(json.dumps(cfg)) * f / 100)]))(f) for f in (1, 25, 50, 75, 99)},
    "config_missing": lambda m, cfg: (m / "config.json").unlink(),
    "weights_missing": lambda m, cfg: (m / "model.safetensors").unlink(),
    "config_is_folder": _replace_path("config.json", "dir"),
    "weights_is_folder": _replace_path("model.safetensors", "dir"),
    "config_is_dev_zero": _replace_path("config.json", "dev_zero"),
    "weights_is_dev_zero": _replace_path("model.safetensors", "dev_zero"),
    "config_is_fifo": _replace_path("config.json", "fifo"),
    "weights_is_fifo": _replace_path("model.safetensors", "fifo"),
    "weights_dangling_symlink": _replace_path("model.safetensors", "dangling"),
    "config_symlink_loop": _replace_path("config.json", "loop"),
}


LOADS_FINE = {"config_5mb_string": lambda m, cfg: resign(m, {**cfg, "note": "x" * 5_000_000}),
              "config_indented_differently": lambda m, cfg: resign(m, cfg),
              "config_crlf": _json_with(lambda s: s.replace("\n", "\r\n"))}
FILE_CASES.update(LOADS_FINE)


@pytest.mark.parametrize("name", list(FILE_CASES))
def test_config_file(trust, material, reference, tmp_path: Path, name: str) -> None:
    m = fresh(material, tmp_path)
    FILE_CASES[name](m, copy.deepcopy(reference["config"]))
    trust.api("model config.json files", lambda: aekit.load(m), expect=MODEL_WORDS + r"|exist|folder|missing",
              check=same_model(reference), valid=name in LOADS_FINE, timeout=20)


# -- model.safetensors ------------------------------------------------------------------------

def split_st(data: bytes) -> tuple[dict, bytes]:
    n = struct.unpack("<Q", data[:8])[0]
    return json.loads(data[8:8 + n]), data[8 + n:]


def join_st(header: dict, body: bytes) -> bytes:
    h = json.dumps(header).encode()
    h += b" " * (-len(h) % 8)
    return struct.pack("<Q", len(h)) + h + body


def _tensors(ref: dict) -> dict[str, torch.Tensor]:
    return dict(st_load(ref["weights"]))


def _with_tensors(edit: Callable[[dict[str, torch.Tensor]], None]) -> Callable[[dict], bytes]:
    def build(ref: dict) -> bytes:
        tensors = _tensors(ref)
        edit(tensors)
        header, _ = split_st(ref["weights"])
        return st_save(tensors, metadata=header.get("__metadata__"))
    return build


def _header_edit(edit: Callable[[dict], None]) -> Callable[[dict], bytes]:
    def build(ref: dict) -> bytes:
        header, body = split_st(ref["weights"])
        edit(header)
        return join_st(header, body)
    return build


def _first(name_part: str) -> Callable[[dict], str]:
    return lambda d: next(k for k in sorted(d) if name_part in k and k != "__metadata__")


def _h(edit: Callable[[dict, str], None], part: str = "encoder.1.weight") -> Callable[[dict], bytes]:
    return _header_edit(lambda h: edit(h, _first(part)(h)))


def _evil_torch(ref: dict, tmp: Path) -> bytes:
    import io
    buf = io.BytesIO()
    torch.save({"x": Evil(tmp / "PWNED")}, buf)
    return buf.getvalue()


WEIGHT_CASES: dict[str, tuple[Callable[..., bytes], str | None]] = {  # id -> (bytes builder, "same"|None)
    **{f"truncated_at_{n}": ((lambda n: lambda ref: ref["weights"][:n])(n), None) for n in (0, 4, 8, 9, 40, 200)},
    "truncated_last_byte": (lambda ref: ref["weights"][:-1], None),
    "truncated_half": (lambda ref: ref["weights"][: len(ref["weights"]) // 2], None),
    "header_len_2pow63": (lambda ref: struct.pack("<Q", 2**63) + ref["weights"][8:], None),
    "header_len_1tb": (lambda ref: struct.pack("<Q", 2**40) + ref["weights"][8:], None),
    "header_len_plus_one": (lambda ref: struct.pack("<Q", struct.unpack("<Q", ref["weights"][:8])[0] + 1)
                            + ref["weights"][8:], None),
    "header_not_json": (lambda ref: struct.pack("<Q", 16) + b"{not json at all" + ref["weights"][24:], None),
    "header_json_list": (lambda ref: join_st([1, 2], b""), None),  # type: ignore[arg-type]
    "offsets_past_end": (_h(lambda h, k: h[k].update(data_offsets=[0, 10**9])), None),
    "offsets_reversed": (_h(lambda h, k: h[k].update(data_offsets=h[k]["data_offsets"][::-1])), None),
    "offsets_overlap": (_h(lambda h, k: h[k].update(data_offsets=[0, h[k]["data_offsets"][1] - h[k]["data_offsets"][0]])),
                        None),
    "shape_lies_bigger": (_h(lambda h, k: h[k].update(shape=[4, 600])), None),
    "shape_transposed": (_h(lambda h, k: h[k].update(shape=h[k]["shape"][::-1])), None),
    "shape_negative": (_h(lambda h, k: h[k].update(shape=[-4, 6])), None),
    "shape_huge": (_h(lambda h, k: h[k].update(shape=[2**40, 2**40])), None),
    "dtype_unknown": (_h(lambda h, k: h[k].update(dtype="Q99")), None),
    "dtype_lies_f64": (_h(lambda h, k: h[k].update(dtype="F64")), None),
    "dtype_lies_i32": (_h(lambda h, k: h[k].update(dtype="I32")), None),
    "metadata_foreign_format": (_header_edit(lambda h: h.update(__metadata__={"format": "pt"})), "same"),
    "metadata_future_version": (_header_edit(lambda h: h.update(
        __metadata__={"aekit": json.dumps({"format": "aekit.model", "format_version": 99})})), None),
    "tensor_missing": (_with_tensors(lambda t: t.pop(_first("encoder.1.weight")(t))), None),
    "tensor_extra": (_with_tensors(lambda t: t.update({"module.evil": torch.zeros(3)})), None),
    "tensor_renamed": (_with_tensors(lambda t: t.update({"module.x": t.pop(_first("encoder.1.weight")(t))})), None),
    "tensor_transposed": (_with_tensors(lambda t: t.update({_first("encoder.1.weight")(t):
                                                            t[_first("encoder.1.weight")(t)].T.contiguous()})), None),
    "tensor_float64": (_with_tensors(lambda t: t.update({k: v.double() for k, v in t.items()})), "same"),
    "tensor_float16": (_with_tensors(lambda t: t.update({k: v.half() for k, v in t.items()})), None),
    "tensor_int8": (_with_tensors(lambda t: t.update({k: v.to(torch.int8) for k, v in t.items()})), None),
    "tensor_bool": (_with_tensors(lambda t: t.update({_first("encoder.1.weight")(t):
                                                      torch.ones(4, 6, dtype=torch.bool)})), None),
    "tensor_nan": (_with_tensors(lambda t: t[_first("encoder.1.weight")(t)].__setitem__((0, 0), float("nan"))), None),
    "tensor_inf": (_with_tensors(lambda t: t[_first("decoder.2.bias")(t)].__setitem__(0, float("inf"))), None),
    "scaler_scale_zero": (_with_tensors(lambda t: t[_first("scaler.scale")(t)].zero_()), None),
    "no_tensors": (lambda ref: st_save({}), None),
    "pickled_torch_file": (_evil_torch, None),
    "zip_file": (lambda ref: b"PK\x03\x04" + bytes(100), None),
}


@pytest.mark.parametrize("resigned", [True, False], ids=["resigned", "as_is"])
@pytest.mark.parametrize("name", list(WEIGHT_CASES))
def test_weights_file(trust, material, reference, tmp_path: Path, name: str, resigned: bool) -> None:
    build, outcome = WEIGHT_CASES[name]
    m = fresh(material, tmp_path)
    data = build(reference, tmp_path) if name == "pickled_torch_file" else build(reference)
    (m / "model.safetensors").write_bytes(data)
    if resigned:
        resign(m, copy.deepcopy(reference["config"]))
    same = outcome == "same" and resigned
    atol = 5e-3 if name == "tensor_float16" else 1e-6  # half-precision weights are that model, rounded
    trust.api("model.safetensors edits", lambda: aekit.load(m), expect=MODEL_WORDS,
              check=same_model(reference, atol), valid=same, timeout=20)
    assert not (tmp_path / "PWNED").exists(), "loading ran code from the file"


@pytest.mark.parametrize("position", [0.1, 0.3, 0.5, 0.7, 0.9, 0.999])
def test_weights_bit_flip(trust, material, reference, tmp_path: Path, position: float) -> None:
    """One flipped bit anywhere, checksums left alone: the SHA-256 must catch it."""
    m = fresh(material, tmp_path)
    data = bytearray(reference["weights"])
    data[int(len(data) * position)] ^= 0x04
    (m / "model.safetensors").write_bytes(bytes(data))
    trust.api("model.safetensors edits", lambda: aekit.load(m), expect=r"SHA-256|checksum|match")


# -- the same files through the command line: one line, no traceback ------------------------

CLI_CASES = ["delete_model.spec", "text_model.spec.latent_dim", "latent_dim_1e9", "n_features_7", "input_shape_7",
             "estimator_vae", "estimator_code", "format_version_99", "weights_file_parent", "weights_file_absolute",
             "config_sha_wrong", "kind_unknown", "text_fitted.scaler", "hidden_zero", "null_fitted"]


@pytest.mark.parametrize("name", CLI_CASES)
@pytest.mark.parametrize("command", ["encode", "evaluate"])
def test_cli_meets_edited_config(trust, material, reference, tmp_path: Path, name: str, command: str) -> None:
    edit, resigned, _ = CONFIG_CASES[name]
    m = fresh(material, tmp_path)
    shutil.copy2(material["run"] / "run.json", m / "run.json")
    cfg = copy.deepcopy(reference["config"])
    edit(cfg)
    if resigned:
        resign(m, cfg)
    else:
        (m / "config.json").write_text(json.dumps(cfg))
    args = [command, m, "--data", material["csv"]] + (["--out", tmp_path / "codes.npy"] if command == "encode" else [])
    trust.cli("CLI with edited model files", args, expect=MODEL_WORDS)
    assert not (tmp_path / "codes.npy").exists(), "codes written from a refused model"
