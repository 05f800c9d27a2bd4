"""`talent index`: profile texts encoded and the search indexes built."""

from __future__ import annotations

import time
from typing import Annotated

import typer

from serving.cli.console import console
from serving.settings import Settings
from serving.state import build_state


def index(
    taxonomy: Annotated[
        bool,
        typer.Option(
            "--taxonomy/--no-taxonomy",
            help="also encode the taxonomy's skill labels and occupation titles (~77k texts, "
            "minutes on two cores; --no-taxonomy: a server encodes them in the background "
            "and serves lexical skill and title lookups meanwhile)",
        ),
    ] = True,
) -> None:
    """Encode profile texts (kept in var/vectors) and build the search indexes.

    Every text is encoded once, ever: the profiles' skill labels, the taxonomy's labels and
    the occupation titles share one store, so a second run encodes only what is new.
    """
    started = time.perf_counter()
    console.print("encoding profile texts (new ones only) and building the FAISS indexes")
    state = build_state(Settings())
    profiles = state.encoder.texts_encoded
    if taxonomy:
        missing = state.normalizer.missing_vectors() + state.occupations.missing_vectors()
        console.print(
            f"the labels of {len(state.taxonomy)} taxonomy skills and the titles of "
            f"{len(state.occupations)} occupations: {missing} texts not yet encoded"
        )
        state.warm_up(background=False)
    state.close()
    sizes = ", ".join(f"{name}={size}" for name, size in state.matcher.sizes.items())
    console.print(
        f"indexed in {time.perf_counter() - started:.1f}s ({sizes}); "
        f"{len(state.vectors)} stored text vectors; "
        f"{state.encoder.texts_encoded} texts encoded by the transformer in this run "
        f"({profiles} for profiles)"
    )
