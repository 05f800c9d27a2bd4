"""Entity tags for profiles and postings: a client that read a version can make its write
conditional on nothing having changed since (`If-Match`), instead of overwriting someone
else's edit made in between (two tabs, a person and HR, a lead and an admin).

The tag is a digest of the document GET answers, so it changes exactly when what a client saw
changes, whoever changed it (an edit, an import, a seat taken, a skill merged or renamed).
`If-Match` stays optional: without it the row lock still keeps writers from mixing their
changes; the last one wins, whole.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from fastapi import Response

from serving.errors import PreconditionFailed


def etag_of(document: dict[str, Any]) -> str:
    digest = hashlib.sha256(
        json.dumps(document, sort_keys=True, separators=(",", ":"), default=str).encode()
    ).hexdigest()
    return f'"{digest[:32]}"'


def tagged(response: Response, document: dict[str, Any]) -> dict[str, Any]:
    """The document, its tag set on the response."""
    response.headers["ETag"] = etag_of(document)
    return document


def check_if_match(if_match: str | None, document: dict[str, Any]) -> None:
    """412 unless the `If-Match` header (when sent) names the current tag or is `*`. Weak tags
    (`W/"…"`) never match, as RFC 9110 says for If-Match (a strong comparison)."""
    if if_match is None:
        return
    offered = [tag.strip() for tag in if_match.split(",") if tag.strip()]
    if "*" in offered:
        return
    current = etag_of(document)
    if current not in offered:
        raise PreconditionFailed(
            f"the record changed since the version named by If-Match (now {current}); "
            "read it again (GET) and apply your change to what it shows"
        )
