"""The command line given what careless users type: every failure one line (exit 1) or a usage
error (exit 2), never a traceback; a handful through the real program in a subprocess."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from tests.trust.hostile.conftest import COLUMNS, TINY, table

NUM = r"must be|invalid value|range|>=|<=|between|positive|not a valid|is not|number|finite"


def csv(tmp: Path, frame: pd.DataFrame, name: str = "d.csv") -> Path:
    frame.to_csv(tmp / name, index=False)
    return tmp / name


def good_frame(n: int = 60) -> pd.DataFrame:
    return pd.DataFrame(table(n), columns=COLUMNS)


def with_nan(tmp: Path) -> Path:
    f = good_frame()
    f.iloc[5, 2] = np.nan
    return csv(tmp, f)


def with_text(tmp: Path) -> Path:
    f = good_frame()
    f["city"] = "x"
    return csv(tmp, f)


def overflow(tmp: Path) -> Path:
    f = good_frame().astype(np.float64)
    f.iloc[3, 1] = 1e39
    return csv(tmp, f)


def rows(n: int):  # noqa: ANN201
    return lambda tmp: csv(tmp, good_frame(60).iloc[:n])


def reordered(tmp: Path) -> Path:
    return csv(tmp, good_frame()[COLUMNS[::-1]])


def renamed(tmp: Path) -> Path:
    return csv(tmp, good_frame().rename(columns={"f0": "g0"}))


def fewer(tmp: Path) -> Path:
    return csv(tmp, good_frame()[COLUMNS[:4]])


def constant(tmp: Path) -> Path:
    return csv(tmp, pd.DataFrame(np.ones((60, 6)), columns=COLUMNS))


def labeled(tmp: Path) -> Path:
    f = good_frame()
    f["label"] = (f["f0"] > 0.5).astype(int)
    return csv(tmp, f, "labeled.csv")


def series(tmp: Path) -> Path:
    return csv(tmp, pd.DataFrame({"a": np.sin(np.arange(50) / 5.0), "b": np.cos(np.arange(50) / 5.0)}), "s.csv")


def mixed_sizes(tmp: Path) -> Path:
    from PIL import Image
    (tmp / "imgs").mkdir()
    Image.new("L", (8, 8), 100).save(tmp / "imgs" / "a.png")
    Image.new("L", (9, 7), 100).save(tmp / "imgs" / "b.png")
    return tmp / "imgs"


def empty_dir(tmp: Path) -> Path:
    (tmp / "empty").mkdir()
    return tmp / "empty"


def a_file(tmp: Path) -> Path:
    (tmp / "file.txt").write_text("x")
    return tmp / "file.txt"


def occupied(tmp: Path) -> Path:
    (tmp / "occupied").mkdir()
    (tmp / "occupied" / "config.json").write_text("{}")
    return tmp / "occupied"


def images_npy(tmp: Path) -> Path:
    np.save(tmp / "imgs.npy", np.random.default_rng(0).random((40, 1, 8, 8)).astype(np.float32))
    return tmp / "imgs.npy"


# id -> (argv with {csv} {run} {vae} {comp} {tmp} placeholders or data builders, expected words)
TRAIN = ["train", "--data", "{csv}", *TINY, "-o", "{tmp}/r"]


def train_with(*extra: str, data: Any = "{csv}") -> list[Any]:
    argv = ["train", "--data", data, *TINY, "-o", "{tmp}/r", *extra]
    return argv


CASES: dict[str, tuple[list[Any], str]] = {
    "train_epochs_0": (train_with("--epochs", "0"), NUM + r"|epochs"),
    "train_epochs_negative": (train_with("--epochs", "-1"), NUM + r"|epochs"),
    "train_epochs_text": (train_with("--epochs", "ten"), r"epochs|integer"),
    "train_latent_0": (train_with("--latent-dim", "0"), NUM + r"|latent"),
    "train_latent_huge": (train_with("--latent-dim", "100000000"), r"latent|large|memory|limit|features"),
    "train_batch_0": (train_with("--batch-size", "0"), NUM + r"|batch"),
    "train_lr_negative": (train_with("--lr", "-1"), NUM + r"|lr"),
    "train_lr_nan": (train_with("--lr", "nan"), NUM + r"|lr|nan"),
    "train_lr_inf": (train_with("--lr", "inf"), NUM + r"|lr|inf"),
    "train_lr_0": (train_with("--lr", "0"), NUM + r"|lr"),
    "train_lr_huge_diverges": (train_with("--lr", "1e30", "--epochs", "3"), r"NaN|diverg|infinite|lr"),
    "train_hidden_trailing_comma": (train_with("--hidden", "4,"), r"hidden"),
    "train_hidden_huge": (train_with("--hidden", "100000000"), r"hidden|large|memory|limit"),
    "train_hidden_float": (train_with("--hidden", "4.5"), r"hidden|whole"),
    "train_model_unknown": (train_with("--model", "gan"), r"gan|model"),
    "train_loss_unknown": (train_with("--loss", "l7"), r"l7|loss"),
    "train_validation_1.5": (train_with("--validation-fraction", "1.5"), NUM + r"|validation"),
    "train_validation_1": (train_with("--validation-fraction", "1"), NUM + r"|validation"),
    "train_noise_level_negative": (train_with("--noise", "gaussian", "--noise-level", "-1"), NUM + r"|noise"),
    "train_noise_unknown": (train_with("--noise", "purple"), r"purple|noise"),
    "train_early_stopping_negative": (train_with("--early-stopping", "-2"), NUM + r"|early"),
    "train_device_unknown": (train_with("--device", "tpu9"), r"device|tpu9"),
    "train_device_cuda_absent": (train_with("--device", "cuda"), r"cuda|device|GPU"),
    "train_random_state_text": (train_with("--random-state", "abc"), r"random-state|integer"),
    "train_unknown_option": (train_with("--epoks", "3"), r"epoks|no such option"),
    "train_conv_on_table": (train_with("--model", "conv"), r"conv|image"),
    "train_recurrent_window_too_long": (["train", "--data", series, "--model", "recurrent", "--window", "1000",
                                         "--epochs", "1", "--quiet", "-o", "{tmp}/r"], r"window|steps|long"),
    "train_vae_option_on_dense": (train_with("--beta", "4"), r"beta|vae"),
    "train_label_column_missing": (train_with("--label-column", "nope"), r"nope|label"),
    "train_data_missing": (train_with(data="{tmp}/nope.csv"), r"nope\.csv|exist"),
    "train_data_empty_string": (train_with(data=""), r"data|exist|unknown|no images"),
    "train_data_unknown_name": (train_with(data="mnits"), r"mnits|unknown"),
    "train_data_empty_folder": (train_with(data=empty_dir), r"no images|empty"),
    "train_data_txt_file": (train_with(data=a_file), r"file\.txt|cannot tell|read"),
    "train_data_nan": (train_with(data=with_nan), r"NaN|missing"),
    "train_data_text_column": (train_with(data=with_text), r"city"),
    "train_data_overflow": (train_with(data=overflow), r"float32|large|overflow|range"),
    "train_data_one_row": (train_with(data=rows(1)), r"sample|row|few|test|split"),
    "train_images_of_mixed_sizes": (train_with(data=mixed_sizes), r"differ in size.*(resize|Python)"),
    "train_clip_grad_norm_negative": (train_with("--clip-grad-norm", "-1"), NUM + r"|clip"),
    "train_clip_grad_norm_text": (train_with("--clip-grad-norm", "big"), r"clip|number|float"),
    "encode_device_unknown": (["encode", "{run}", "--data", "{csv}", "--out", "{tmp}/c.npy", "--device", "tpu9"],
                              r"device|tpu9"),
    "encode_device_cuda_absent": (["encode", "{run}", "--data", "{csv}", "--out", "{tmp}/c.npy", "--device", "cuda"],
                                  r"cuda|device|GPU"),
    "train_out_is_a_file": (["train", "--data", "{csv}", *TINY, "-o", a_file], r"file\.txt|file|folder|director"),
    "train_out_occupied": (["train", "--data", "{csv}", *TINY, "-o", occupied], r"overwrite|resume|occupied|exists"),
    "train_resume_other_options": (["train", "--data", "{csv}", *TINY, "-o", "{run}", "--resume", "--latent-dim", "3"],
                                   r"resume|latent|options|differ|match"),
    "encode_fewer_columns": (["encode", "{run}", "--data", fewer, "--out", "{tmp}/c.npy"], r"column|feature"),
    "encode_reordered_columns": (["encode", "{run}", "--data", reordered, "--out", "{tmp}/c.npy"], r"order|column"),
    "encode_renamed_column": (["encode", "{run}", "--data", renamed, "--out", "{tmp}/c.npy"], r"g0|f0|column"),
    "encode_nan": (["encode", "{run}", "--data", with_nan, "--out", "{tmp}/c.npy"], r"NaN|missing"),
    "encode_out_txt": (["encode", "{run}", "--data", "{csv}", "--out", "{tmp}/c.txt"], r"\.npy|\.csv"),
    "encode_out_is_folder": (["encode", "{run}", "--data", "{csv}", "--out", empty_dir], r"folder|director|empty|\.npy"),
    "encode_run_is_file": (["encode", a_file, "--data", "{csv}"], r"model|config|file\.txt|director"),
    "encode_run_missing": (["encode", "{tmp}/nowhere", "--data", "{csv}"], r"nowhere|exist"),
    "encode_images_into_table_model": (["encode", "{run}", "--data", images_npy, "--out", "{tmp}/c.npy"],
                                       r"feature|column|shape|64|6"),
    "evaluate_text_column": (["evaluate", "{run}", "--data", with_text], r"city"),
    "evaluate_empty_folder_run": (["evaluate", empty_dir, "--data", "{csv}"], r"no aekit model|config"),
    "reconstruct_fewer_columns": (["reconstruct", "{run}", "--data", fewer, "--out", "{tmp}/r.npy"], r"column|feature"),
    "classify_pretrained_vae": (["classify", "--data", labeled, "--pretrained", "{vae}", "--label-column", "label",
                                 "--epochs", "1", "--out", "{tmp}/cl"], r"VAE|Variational|pretrained|Autoencoder"),
    "classify_pretrained_compressor": (["classify", "--data", labeled, "--pretrained", "{comp}", "--label-column",
                                        "label", "--epochs", "1", "--out", "{tmp}/cl"],
                                       r"ImageCompressor|compressor|pretrained|Autoencoder"),
    "classify_no_labels": (["classify", "--data", "{csv}", "--epochs", "1", "--out", "{tmp}/cl"], r"label"),
    "classify_label_continuous": (["classify", "--data", "{csv}", "--label-column", "f0", "--epochs", "1",
                                   "--out", "{tmp}/cl"], r"label|class|continuous|integer|f0"),
    "generate_with_dense_on_table": (["generate", "{run}", "--out", "{tmp}/g"], r"image"),
    "generate_n_0": (["generate", "{vae}", "--n", "0", "--out", "{tmp}/g"], NUM + r"|--n"),
    "compress_with_dense": (["compress", "{run}", "--data", images_npy, "--out", "{tmp}/x.aek"],
                            r"ImageCompressor|compressor"),
    "compress_table": (["compress", "{comp}", "--data", "{csv}", "--out", "{tmp}/x.aek"], r"image|shape|table"),
    "compress_out_suffix": (["compress", "{comp}", "--data", images_npy, "--out", "{tmp}/x.zip"], r"\.aek|suffix",),
    "detect_contamination_1.5": (["detect", "{run}", "--data", "{csv}", "--contamination", "1.5", "--out", "{tmp}/d"],
                                 NUM + r"|contamination"),
    "detect_contamination_0": (["detect", "{run}", "--data", "{csv}", "--contamination", "0", "--out", "{tmp}/d"],
                               NUM + r"|contamination"),
    "detect_alpha_2": (["detect", "{run}", "--data", "{csv}", "--alpha", "2", "--out", "{tmp}/d"], NUM + r"|alpha"),
    "impute_nothing_missing_run_missing": (["impute", "{tmp}/nowhere.csv", "--out", "{tmp}/i.csv"], r"nowhere|exist"),
    "report_empty_folder": (["report", empty_dir], r"run|config|nothing|empty|folder"),
    "report_a_file": (["report", a_file], r"folder|director|file"),
    "export_bad_format": (["export", "{run}", "--format", "tflite"], r"tflite|format"),
    "export_vae_to_read_only_place": (["export", "{run}", "--out", "/proc/aekit.onnx"], r"proc|permission|write|read-only|exist|director"),
    "unknown_command": (["trian"], r"trian|no such command"),
    "denoise_noise_level_negative": (["denoise", "--data", images_npy, "--noise", "gaussian", "--noise-level", "-1",
                                      "--epochs", "1", "--out", "{tmp}/dn"], NUM + r"|noise"),
    "visualize_method_unknown": (["visualize", "{run}", "--data", "{csv}", "--method", "lda", "--out", "{tmp}/v.png"],
                                 r"lda|method"),
    "reduce_dims_0": (["reduce", "--data", "{csv}", "--dims", "0", "--out", "{tmp}/red"], NUM + r"|dims"),
}


def _argv(args: list[Any], material: dict[str, Path], tmp: Path) -> list[str]:
    out = []
    for a in args:
        if callable(a):
            a = a(tmp)
        out.append(str(a).format(csv=material["csv"], run=material["run"], vae=material["vae"], comp=material["comp"],
                                 tmp=tmp))
    return out


@pytest.mark.parametrize("name", list(CASES))
def test_cli_user_mistake(trust, material, tmp_path: Path, name: str) -> None:
    args, words = CASES[name]
    argv = _argv(args, material, tmp_path)
    check = CHECKS.get(name)
    trust.isolated("CLI user mistakes", lambda t: t.cli("CLI user mistakes", argv, expect=words, check=check,
                                                        timeout=120), timeout=150)


# A VAE's encoder (its mean) is a fine feature extractor: refusing it or using it are both right.
CHECKS = {"classify_pretrained_vae": lambda r: "accuracy" in r.output.lower()}


ODD_BUT_FINE = {  # odd input that has a right answer: the run completes and writes its files
    "train_hidden_empty_is_no_hidden_layer": train_with("--hidden", ""),
    "train_two_rows": train_with(data=rows(2)),
    "train_constant_columns": train_with(data=constant),
    "train_resume_with_nothing_to_resume": train_with("--resume"),
    "train_out_deep_new_folder": ["train", "--data", "{csv}", *TINY, "-o", "{tmp}/a/b/c/r"],
    "train_data_with_spaces_in_path": ["train", "--data", lambda t: csv(t, good_frame(), "my data (1).csv"), *TINY,
                                       "-o", "{tmp}/r"],
}


@pytest.mark.parametrize("name", list(ODD_BUT_FINE))
def test_cli_odd_input_runs(trust, material, tmp_path: Path, name: str) -> None:
    argv = _argv(ODD_BUT_FINE[name], material, tmp_path)
    run = Path(argv[argv.index("-o") + 1])

    def check(result: Any) -> bool:
        assert (run / "config.json").is_file() and (run / "metrics.json").is_file(), "run folder incomplete"
        assert not list(run.glob(".*.tmp")), "temp files left"
        return True
    trust.isolated("CLI odd but valid input", lambda t: t.cli("CLI odd but valid input", argv, check=check, valid=True),
                   timeout=150)


@pytest.mark.parametrize("name", ["encode_same_columns", "evaluate_same_data", "encode_csv_out"])
def test_cli_good_input_works(trust, material, tmp_path: Path, name: str) -> None:
    """Controls: the same commands on good input succeed and write what they say."""
    out = tmp_path / ("c.csv" if name == "encode_csv_out" else "c.npy")
    argv = {"encode_same_columns": ["encode", material["run"], "--data", material["csv"], "--out", out],
            "evaluate_same_data": ["evaluate", material["run"], "--data", material["csv"]],
            "encode_csv_out": ["encode", material["run"], "--data", material["csv"], "--out", out]}[name]

    def check(result: Any) -> bool:
        if name == "evaluate_same_data":
            return "MSE" in result.output
        codes = np.load(out) if out.suffix == ".npy" else pd.read_csv(out).to_numpy()
        assert codes.shape[1] == 2 and np.isfinite(codes).all(), codes.shape
        return True
    trust.cli("CLI odd but valid input", argv, check=check, valid=True)


SUBPROCESS = {
    "train_missing_file": ["train", "--data", "{tmp}/nope.csv"],
    "encode_truncated_weights": ["encode", "{broken}", "--data", "{csv}", "--out", "{tmp}/c.npy"],
    "decompress_garbage": ["decompress", "{garbage}", "--model", "{comp}", "--out", "{tmp}/d"],
    "classify_label_column_missing": ["classify", "--data", "{labeled}", "--label-column", "nope", "--epochs", "1",
                                      "--out", "{tmp}/cl"],
    "train_bad_hidden": ["train", "--data", "{csv}", "--hidden", "4,x"],
}


@pytest.mark.slow
@pytest.mark.parametrize("name", list(SUBPROCESS))
def test_real_program(trust, material, tmp_path: Path, name: str) -> None:
    """The installed program, not CliRunner: exit code != 0, one line on stderr, no traceback."""
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "config.json").write_bytes((material["run"] / "config.json").read_bytes())
    (broken / "model.safetensors").write_bytes((material["run"] / "model.safetensors").read_bytes()[:300])
    (tmp_path / "g.aek").write_bytes(b"\x89AEK\r\n\x1a\n" + bytes(200))
    argv = [str(a).format(tmp=tmp_path, broken=broken, csv=material["csv"], garbage=tmp_path / "g.aek",
                          comp=material["comp"], run=material["run"], vae=material["vae"], text=with_text(tmp_path),
                          labeled=labeled(tmp_path))
            for a in SUBPROCESS[name]]
    try:
        proc = subprocess.run([sys.executable, "-m", "aekit.cli.main", *argv], capture_output=True, text=True,
                              cwd=tmp_path, timeout=180, env={**__import__("os").environ, "OMP_NUM_THREADS": "1"})
    except subprocess.TimeoutExpired:
        trust.outcome_of("CLI, real program", "hang", "no exit within 180 s")
        return
    err = proc.stderr
    if proc.returncode == 0:
        trust.outcome_of("CLI, real program", "silent_wrong", f"exit 0: {proc.stdout[-200:]}")
    elif "Traceback" in err or proc.returncode < 0:
        trust.outcome_of("CLI, real program", "traceback", f"exit {proc.returncode}: {err[-300:]}")
    elif proc.returncode == 1 and not (err.startswith("error: ") and err.count("\n") == 1):
        trust.outcome_of("CLI, real program", "unclear_error", f"not one line: {err[-300:]}")
    else:
        trust.outcome_of("CLI, real program", "clear_error", f"exit {proc.returncode}: {' '.join(err.split())[:200]}")


def test_debug_shows_the_traceback(trust, tmp_path: Path) -> None:
    """--debug is the way to the traceback: the error itself comes out, not one line."""
    from typer.testing import CliRunner

    from aekit.cli.main import app
    from aekit.errors import AekitError

    def call() -> Any:
        return CliRunner().invoke(app, ["--debug", "train", "--data", str(tmp_path / "nope.csv")])

    trust.api("CLI user mistakes", call, check=lambda r: r.exit_code == 1 and isinstance(r.exception, AekitError)
              and "nope.csv" in str(r.exception), valid=True)


def test_quiet_still_prints_the_error(trust, tmp_path: Path) -> None:
    trust.cli("CLI user mistakes", ["--quiet", "train", "--data", tmp_path / "nope.csv"], expect=r"nope\.csv")
