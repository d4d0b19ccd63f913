"""Model files (safetensors + JSON), checkpoints' tensor files and run directories."""

from aekit.io.model_file import CONFIG_NAME, FORMAT_VERSION, WEIGHTS_NAME, load_model, resolve_model_path, save_model
from aekit.io.tensors import load_tensors, save_tensors

__all__ = ["CONFIG_NAME", "FORMAT_VERSION", "WEIGHTS_NAME", "load_model", "load_tensors", "resolve_model_path",
           "save_model", "save_tensors"]
