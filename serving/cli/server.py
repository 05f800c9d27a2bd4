"""`talent serve`: the API and the web page, and the banner that says where they are."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer
from rich.table import Table

from serving.cli.console import console
from serving.cli.database import database
from serving.settings import Settings


def serve(
    host: Annotated[str | None, typer.Option(help="bind address")] = None,
    port: Annotated[int | None, typer.Option(help="port")] = None,
    workers: Annotated[
        int | None,
        typer.Option(
            min=1,
            help="server processes, each with its models and indexes (default TALENT_WORKERS)",
        ),
    ] = None,
) -> None:
    """Serve the API and the web page."""
    import uvicorn

    from serving.app import create_app

    settings = Settings()
    host, port = host or settings.host, port or settings.port
    workers = workers or settings.workers
    _print_banner(settings, host, port)
    options = server_options(settings)
    if workers == 1:
        uvicorn.run(create_app(settings), host=host, port=port, **options)
    else:  # each worker builds its app from the same environment
        uvicorn.run(
            "serving.app:create_app", factory=True, host=host, port=port, workers=workers, **options
        )


def server_options(settings: Settings) -> dict[str, Any]:
    """uvicorn's options: it believes X-Forwarded-For (and -Proto) only from TALENT_TRUSTED_PROXIES
    (its own default trusts 127.0.0.1, so any local client could choose its address). The
    request guard applies the same rule to the client address it limits by."""
    trusted = list(settings.trusted_proxies)
    return {
        "log_level": "info",
        "proxy_headers": bool(trusted),
        "forwarded_allow_ips": trusted or None,
    }


def _print_banner(settings: Settings, host: str, port: int) -> None:
    base = f"http://{host}:{port}"
    table = Table(title="talent-marketplace", show_header=False)
    table.add_row("web page", f"{base}/")
    table.add_row("API docs", f"{base}/docs")
    table.add_row("health", f"{base}/healthz")
    tokens_file = settings.var_dir / "demo" / "tokens.json"
    if tokens_file.exists() and settings.environment == "production":
        table.add_row("demo tokens", "refused in production (issue tokens with `talent token`)")
    elif tokens_file.exists():
        from data.storage.employees import direct_report_count

        entries = json.loads(tokens_file.read_text())
        with database(settings) as sessions, sessions() as session:
            reports = {
                e["external_id"]: direct_report_count(session, e["external_id"])
                for e in entries.values()
            }
        for role, entry in entries.items():
            manages = reports.get(entry["external_id"], 0)
            note = f"; manages {manages}: Approvals" if manages else ""
            table.add_row(
                f"{role} token", f"{entry['token']}  (acts as {entry['external_id']}{note})"
            )
    if settings.admin_token is not None:
        table.add_row("admin token", "the value of TALENT_ADMIN_TOKEN")
    console.print(table)
