"""Matching: encoder, skill-vector cache, vector composition, FAISS indexes and the pipeline."""
