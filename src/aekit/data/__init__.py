"""Data in: readers, the embedded default set, input checks, scaling and batching."""

from aekit.data.dataset import Dataset
from aekit.data.default import load_default
from aekit.data.idx import read_idx, write_idx
from aekit.data.images import image_folder_classes, read_image, read_image_folder, write_image
from aekit.data.mnist import load_mnist
from aekit.data.scaling import Scaler
from aekit.data.sources import DATASET_NAMES, load_dataset
from aekit.data.tables import iter_table_chunks, read_array, read_table
from aekit.data.windows import length_mask, pad_sequences, read_series, sliding_windows, with_mask_channel

__all__ = [
    "DATASET_NAMES",
    "Dataset",
    "Scaler",
    "image_folder_classes",
    "iter_table_chunks",
    "length_mask",
    "load_dataset",
    "load_default",
    "load_mnist",
    "pad_sequences",
    "read_array",
    "read_idx",
    "read_image",
    "read_image_folder",
    "read_series",
    "read_table",
    "sliding_windows",
    "with_mask_channel",
    "write_idx",
    "write_image",
]
