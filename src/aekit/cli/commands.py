"""The sub-commands of ``aekit``: where each one lives and its one-line summary.

``aekit --help`` lists the commands from this table alone, so it neither imports the
seventeen command modules nor builds their options; a command's module is imported and
its options built only when that command runs or shows its own help (issue #8's 0.5 s
budget for ``--help``). ``tests/cli/test_cli_commands.py`` checks every summary against the
first paragraph of its command's docstring, so the two cannot drift apart.
"""

from __future__ import annotations

from typing import NamedTuple


class CommandEntry(NamedTuple):
    """One sub-command: ``aekit.cli.<module>.<function>``, its summary, and whether it is listed."""

    module: str
    function: str
    summary: str
    hidden: bool = False


COMMANDS: dict[str, CommandEntry] = {
    "train": CommandEntry("train", "train", "Train an autoencoder of any family and write a run folder."),
    "demo": CommandEntry("demo", "demo", "Train the classic 784-32-784 autoencoder on 5,000 embedded MNIST digits "
                                         "(no download)."),
    "encode": CommandEntry("encode", "encode", "Encode data with a trained model: one row of latent_dim codes per "
                                               "sample."),
    "reconstruct": CommandEntry("reconstruct", "reconstruct", "Reconstruct data with a trained model (encode, then "
                                                              "decode), in the data's own units."),
    "evaluate": CommandEntry("evaluate", "evaluate", "Measure reconstruction error of a trained model on data; print "
                                                     "and save the metrics."),
    "reduce": CommandEntry("reduce", "reduce", "Reduce data to a trained model's codes, and compare the model with "
                                               "PCA at the same size."),
    "visualize": CommandEntry("visualise", "visualise", "Draw a trained model's view of data: latent map, "
                                                        "reconstructions, latent grid."),
    "visualise": CommandEntry("visualise", "visualise", "Draw a trained model's view of data: latent map, "
                                                        "reconstructions, latent grid.", hidden=True),  # British spelling
    "classify": CommandEntry("classify", "classify", "Train a classifier on an autoencoder's codes and write a run "
                                                     "folder."),
    "report": CommandEntry("report", "report", "Write one self-contained HTML page for a run: its config, metrics, "
                                               "history and every plot."),
    "detect": CommandEntry("detect", "detect", "Score every sample of a table, images or a series, and flag the most "
                                               "unusual ones."),
    "denoise": CommandEntry("denoise", "denoise", "Clean noisy images and compare with the classical filter (3×3 "
                                                  "median)."),
    "generate": CommandEntry("generate", "generate", "Draw new samples from a trained model; also interpolations and "
                                                     "latent traversals."),
    "compress": CommandEntry("compress", "compress", "Compress images into one .aek file with a learned compressor; "
                                                     "measure it against JPEG."),
    "decompress": CommandEntry("compress", "decompress", "Decode an .aek file back into images (PNG files or one "
                                                         ".npy)."),
    "impute": CommandEntry("impute", "impute", "Fill the missing values of a table (or of images, from .npy) with a "
                                               "denoising autoencoder."),
    "export": CommandEntry("export", "export", "Export a trained model for use outside Python: ONNX encoder, decoder "
                                               "and full model."),
}
