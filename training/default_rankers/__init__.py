"""Packaged default rankers (LightGBM text) and their meta.json: see training.cold_start."""
