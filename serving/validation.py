"""Field types shared by request bodies."""

from __future__ import annotations

from typing import Annotated

from pydantic import StringConstraints

# A reason someone gives for an oversight decision: blank or whitespace is not a reason.
# No NUL either: PostgreSQL text cannot store it. The pattern says in the schema what the
# stripping does: three characters or more once the spaces around are taken off.
Reason = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True,
        min_length=3,
        max_length=2000,
        pattern=r"^\s*[^\x00\s][^\x00]+[^\x00\s]\s*$",
    ),
]
