"""Field types shared by request bodies."""

from __future__ import annotations

from typing import Annotated

from pydantic import StringConstraints

# A reason someone gives for an oversight decision: blank or whitespace is not a reason.
# No NUL either: PostgreSQL text cannot store it.
Reason = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=3, max_length=2000, pattern=r"^[^\x00]*$"),
]
