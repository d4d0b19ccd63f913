"""Matplotlib figures from arrays, each written atomically to a PNG.

Every function takes NumPy arrays (or lists, or a DataFrame where noted), draws on its own
``Figure`` with the Agg canvas (pyplot's global state is never touched), writes the PNG to
a temporary file beside ``path`` and moves it into place, then returns the ``Path``.
"""

from aekit.plots.comparison import plot_error_vs_dim, plot_rate_distortion
from aekit.plots.curves import plot_loss_curves
from aekit.plots.grids import plot_image_grid, plot_reconstructions
from aekit.plots.latent import plot_latent_map, plot_score_histogram
from aekit.plots.sequences import plot_sequence_reconstructions

__all__ = [
    "plot_error_vs_dim",
    "plot_image_grid",
    "plot_latent_map",
    "plot_loss_curves",
    "plot_rate_distortion",
    "plot_reconstructions",
    "plot_score_histogram",
    "plot_sequence_reconstructions",
]
