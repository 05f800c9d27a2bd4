"""The application layer: each use case end to end, wiring the layers below for one request.

Routes authenticate, validate and make one call here; the layers below know nothing of one
another beyond `features` and `data` (`tests/test_layers.py` holds that line).
"""
