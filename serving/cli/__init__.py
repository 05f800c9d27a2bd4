"""The `talent` command line: database, demo company, imports, index, tokens, server.

One module per command group; this one builds the app from them, in the order `--help` lists
them (commands first, then groups)."""

from __future__ import annotations

import os

import typer

from serving.cli.audit import audit_app
from serving.cli.database import init_db, taxonomy_app
from serving.cli.demo import DEMO_TOKENS, demo
from serving.cli.imports import import_file
from serving.cli.indexing import index
from serving.cli.notify import notify
from serving.cli.retention import retention_app
from serving.cli.server import serve, server_options
from serving.cli.tokens import token_app
from serving.cli.training import evaluate, models_app, train

__all__ = ["DEMO_TOKENS", "app", "main", "server_options"]

app = typer.Typer(help="talent-marketplace: skill-based internal matching.", no_args_is_help=True)
app.command("init-db")(init_db)
app.command()(demo)
app.command("import")(import_file)
app.command()(index)
app.command()(evaluate)
app.command()(train)
app.command()(notify)
app.command()(serve)
app.add_typer(taxonomy_app, name="taxonomy")
app.add_typer(token_app, name="token")
app.add_typer(models_app, name="models")
app.add_typer(audit_app, name="audit")
app.add_typer(retention_app, name="retention")


def main() -> None:
    # Everything this program writes (database, exports, keys, models) holds people's data or
    # secrets: private to the service's user.
    os.umask(0o077)
    app()
