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
from typing import Annotated, Any

from fastapi import Header, Response

from serving.errors import PreconditionFailed

# `*`, or entity tags (strong or weak) separated by commas: RFC 9110's If-Match.
IF_MATCH_PATTERN = r'^\s*(\*|(W/)?"[^"]*"(\s*,\s*(W/)?"[^"]*")*)\s*$'

# Optional: without it a write still runs alone (the record is locked) and the last one wins,
# whole. Left out of the OpenAPI parameters (the 412 response and the ETag header say it):
# declared, schemathesis 4.32 no longer counts the fuzz test's fixed Authorization header as
# explicit and reports every success of the operation as "authentication ignored".
IfMatch = Annotated[
    str | None, Header(pattern=IF_MATCH_PATTERN, max_length=2000, include_in_schema=False)
]


def etag_responses(status: int = 200) -> dict[int | str, dict[str, Any]]:
    """OpenAPI: the success answer carries the record's ETag."""
    header = {
        "description": "the record's version: send it back as If-Match to make a write "
        "conditional (412 if the record changed since)",
        "schema": {"type": "string"},
    }
    return {status: {"headers": {"ETag": header}}}


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
