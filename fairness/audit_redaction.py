"""Signed redactions: how a sealed record or row can lose a person's ids (an erasure) and still
verify.

A seal is a keyed MAC over the exact text, so pseudonymising a person inside a sealed record
breaks it, and re-sealing would break every exported checkpoint after it. Instead the record
keeps its seal and link (the chain is untouched), its text is rewritten with the person's ids
replaced by a pseudonym, and a redaction is signed with the audit key over what it was (the
record's seal, or the row's digest in its seal) and the SHA-256 of what it holds now. Verify
accepts a rewritten text only with such a redaction: forging one needs the key, as forging a
seal does; deleting one leaves a record whose seal no longer matches ("edited"); editing the
text after the redaction breaks its digest. What the text held before is gone by design (that
is the erasure); the redaction says that it was sealed, and when it was redacted.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

FORMAT = "talent-audit-redaction/1"
STREAMS = ("records", "interactions", "oversight")


def text_digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def signed_text(stream: str, row_key: int, original: str, redacted: str, at: str) -> str:
    return f"{FORMAT}\n{stream}\n{row_key}\n{original}\n{redacted}\n{at}"


@dataclass(frozen=True, slots=True)
class Redaction:
    stream: str
    row_key: int
    original: str  # the record's seal, or the row's digest as its seal lists it
    redacted: str  # SHA-256 of the text as it stands after the redaction
    at: str
    signature: str

    @classmethod
    def make(
        cls,
        sign: Callable[[str], str],
        stream: str,
        row_key: int,
        *,
        original: str,
        text: str,
        at: str,
    ) -> Redaction:
        if stream not in STREAMS:
            raise ValueError(f"stream must be one of {STREAMS}")
        redacted = text_digest(text)
        signature = sign(signed_text(stream, row_key, original, redacted, at))
        return cls(stream, row_key, original, redacted, at, signature)

    def vouches(self, sign: Callable[[str], str], *, original: str, text: str) -> bool:
        """Whether this redaction, signed with the key behind `sign`, vouches for `text`
        standing where `original` was sealed."""
        expected = sign(
            signed_text(self.stream, self.row_key, self.original, self.redacted, self.at)
        )
        return (
            hmac.compare_digest(expected, self.signature)
            and self.original == original
            and self.redacted == text_digest(text)
        )


def replace_ids(value: Any, replacements: dict[str, str]) -> Any:
    """`value` (parsed JSON) with every string, and every key, equal to one of the ids replaced
    by its pseudonym; whole strings only (an id inside free text is not matched)."""
    if isinstance(value, str):
        return replacements.get(value, value)
    if isinstance(value, list):
        return [replace_ids(v, replacements) for v in value]
    if isinstance(value, dict):
        return {replacements.get(k, k): replace_ids(v, replacements) for k, v in value.items()}
    return value
