"""Quality measures: arrays in, floats out."""
