"""Field types shared by request bodies."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, StringConstraints

# A reason someone gives for an oversight decision: blank or whitespace is not a reason.
# No NUL either: PostgreSQL text cannot store it. The pattern says in the schema what is
# checked: at least three characters, the first and last not a space, tab or line break. It
# names those characters rather than `\s`, which JSON Schema's, Rust's and Python's regular
# expressions read differently (U+0085, U+00A0). Length and pattern are checked on the text as
# sent, what the schema describes; then those characters around it are stripped.
_SPACE = " \t\n\r\f\v"
Reason = Annotated[
    str,
    StringConstraints(
        strip_whitespace=False,  # not even where a model strips its strings: see above
        min_length=3,
        max_length=2000,
        pattern=rf"^[{_SPACE}]*[^\x00{_SPACE}][^\x00]+[^\x00{_SPACE}][{_SPACE}]*$",
    ),
    AfterValidator(lambda text: text.strip(_SPACE)),
]
