"""The service's secrets: read from settings, else from key files (created on first use).

The audit key and the token secret live outside `TALENT_VAR_DIR` (default
`~/.config/talent-marketplace/`): whoever can rewrite the data folder must not also hold the
key that seals the audit log, nor the one that makes a copied database useless for guessing
tokens. Losing the audit key makes the existing log unverifiable: back it up like a password.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from fairness.audit_log import AuditKey
from serving.settings import Settings


def read_or_create_secret(path: Path, *, create: bool = True) -> bytes:
    """The key file's text as bytes; a new random key (0600, in a 0700 folder) if missing."""
    if not path.is_file():
        if not create:
            raise FileNotFoundError(f"key file {path} does not exist")
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as stream:
            stream.write(secrets.token_hex(32) + "\n")
    secret = path.read_text().strip().encode()
    if len(secret) < 16:
        raise ValueError(f"key file {path} holds fewer than 16 characters")
    return secret


def audit_key(settings: Settings) -> AuditKey:
    if settings.audit_key is not None:
        return AuditKey(settings.audit_key.get_secret_value().encode())
    path = settings.audit_key_file or settings.key_dir / "audit.key"
    # Production refuses to start without a configured key (Settings); never invent one there.
    return AuditKey(read_or_create_secret(path, create=settings.environment != "production"))


def token_secret(settings: Settings) -> bytes:
    if settings.token_secret is not None:
        return settings.token_secret.get_secret_value().encode()
    return read_or_create_secret(settings.key_dir / "token.key")


def pseudonym_key(settings: Settings) -> bytes:
    if settings.pseudonym_secret is not None:
        return settings.pseudonym_secret.get_secret_value().encode()
    return read_or_create_secret(settings.var_dir / "pseudonym.key")
