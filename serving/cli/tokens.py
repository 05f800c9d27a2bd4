"""`talent token`: API tokens issued, listed and revoked."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import typer
from rich.table import Table

from data.schemas import Role
from data.storage.engine import transaction
from data.storage.tokens import issue_token
from serving.cli.console import console
from serving.cli.database import database
from serving.settings import Settings

token_app = typer.Typer(help="API tokens.", no_args_is_help=True)


@token_app.command("create")
def create_token(
    role: Annotated[Role, typer.Option(help="role the token grants")],
    subject: Annotated[
        str | None, typer.Option(help="employee external id the token acts as")
    ] = None,
    label: Annotated[str, typer.Option(help="note for whoever audits tokens")] = "",
    scope: Annotated[
        list[str] | None,
        typer.Option(help="extra permission (repeatable): auditor reads rankings item by item"),
    ] = None,
    days: Annotated[
        int | None, typer.Option(min=1, help="lifetime (default TALENT_TOKEN_DAYS)")
    ] = None,
) -> None:
    """Issue a bearer token (printed once; only a keyed digest is stored)."""
    from data.storage.employees import get_employee
    from data.storage.tokens import SCOPES
    from serving.keys import token_secret

    if role in (Role.EMPLOYEE, Role.LEAD, Role.HR) and not subject:
        # A person's token acts as that person: what it does is logged under their name.
        raise typer.BadParameter(
            "employee, lead and HR tokens need --subject (the person it acts as)",
            param_hint="--subject",
        )
    if role is Role.SCIM and subject:
        # The HR system's provisioning token opens /scim/v2 only and acts as nobody.
        raise typer.BadParameter(
            "a provisioning (scim) token acts as no person", param_hint="--subject"
        )
    unknown = sorted(set(scope or []) - set(SCOPES))
    if unknown:
        raise typer.BadParameter(
            f"unknown scope {unknown[0]!r}; known: {', '.join(SCOPES)}", param_hint="--scope"
        )
    if scope and role not in (Role.HR, Role.ADMIN):
        raise typer.BadParameter(
            "the auditor permission is for HR and admin tokens", param_hint="--scope"
        )
    settings = Settings()
    with database(settings) as sessions, transaction(sessions) as session:
        if subject is not None and get_employee(session, subject) is None:
            raise typer.BadParameter(
                f"no employee {subject!r} in {settings.resolved_database_url}",
                param_hint="--subject",
            )
        issued = issue_token(
            session,
            secret=token_secret(settings),
            role=role,
            subject_external_id=subject,
            label=label,
            scopes=scope or (),
            lifetime=dt.timedelta(days=days or settings.token_days),
        )
    console.print(issued.token, markup=False, highlight=False)
    console.print(
        f"[dim]id {issued.token_id}, expires {issued.expires_at:%Y-%m-%d}; "
        f"revoke with `talent token revoke {issued.token_id}`[/dim]"
    )


@token_app.command("list")
def list_tokens_command() -> None:
    """Every token's id, role, subject, permissions, expiry and state (never the token)."""
    from data.storage.tokens import list_tokens, token_state

    with database(Settings()) as sessions, sessions() as session:
        rows = list_tokens(session)
        table = Table(title=f"{len(rows)} tokens")
        table.add_column("id", no_wrap=True, min_width=12)  # what `token revoke` takes
        for column in ("role", "acts as", "scopes", "label", "created", "expires", "state"):
            table.add_column(column)
        for row in rows:
            table.add_row(
                row.token_id,
                row.role,
                row.subject_external_id or "",
                ",".join(row.scopes or []),
                row.label,
                f"{row.created_at:%Y-%m-%d}",
                f"{row.expires_at:%Y-%m-%d}" if row.expires_at else "",
                token_state(row),
            )
    console.print(table)


@token_app.command("revoke")
def revoke_token_command(
    token_id: Annotated[str, typer.Argument(help="the id shown by `token create` / `token list`")],
) -> None:
    """Withdraw a token at once (requests with it answer 401)."""
    from data.storage.tokens import revoke_token

    with database(Settings()) as sessions, transaction(sessions) as session:
        row = revoke_token(session, token_id)
    if row is None:
        raise typer.BadParameter(f"no token with id {token_id!r}", param_hint="TOKEN_ID")
    console.print(
        f"revoked token {token_id} ({row.role}, {row.subject_external_id or 'no subject'})"
    )
