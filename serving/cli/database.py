"""`talent init-db` and `talent taxonomy`; the migrated database every command opens."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy.orm import Session, sessionmaker

from data.storage.engine import transaction
from data.storage.skills import upsert_skills
from serving.cli.console import console
from serving.settings import Settings
from serving.state import prepare_database

taxonomy_app = typer.Typer(help="Skills taxonomy.", no_args_is_help=True)


@contextmanager
def database(settings: Settings) -> Iterator[sessionmaker[Session]]:
    """A migrated database for one command; its connections are closed afterwards."""
    engine, sessions, changes = prepare_database(settings)
    for line in changes:
        console.print(f"taxonomy upgrade: {line}")
    try:
        yield sessions
    finally:
        engine.dispose()


def init_db() -> None:
    """Create or migrate the database and load the packaged ESCO taxonomy."""
    settings = Settings()
    with database(settings):
        pass
    console.print(f"database ready: {settings.resolved_database_url}")


@taxonomy_app.command("import-esco")
def import_esco(
    directory: Annotated[
        Path, typer.Argument(exists=True, file_okay=False, help="ESCO CSV folder")
    ],
) -> None:
    """Load the official ESCO CSV download (skills_en.csv, occupations_en.csv, relations)."""
    from data.taxonomy.esco_csv import read_esco_csv

    taxonomy = read_esco_csv(directory)
    with database(Settings()) as sessions, transaction(sessions) as session:
        written = upsert_skills(session, taxonomy.skills.values())
    console.print(
        f"imported {written} skills and {len(taxonomy.occupations)} occupations from {directory}"
    )
