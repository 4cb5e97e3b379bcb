"""Measurements, one module per concern: parameters, FLOPs, latency, memory, accuracy.

They take a model (or segmenter) and inputs and return plain dicts of numbers; they know nothing
of the CLI, the registry or the results files."""
