"""Build-time tools, run from a checkout and never shipped (pyproject.toml's package list
leaves this folder out): they derive the files the packages carry from their public sources.

Layering (tests/test_layers.py): a tool may import the shipped packages; nothing shipped
imports a tool.
"""
