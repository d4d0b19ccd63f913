"""Data in: readers, the embedded default set, input checks, scaling and batching."""
