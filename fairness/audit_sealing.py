"""What the audit log seals, and how: the texts, the keyed seals and the signed checkpoints,
computed without a database (fairness/audit_log.py writes them, fairness/audit_verify.py and
fairness/audit_health.py check them, fairness/audit_head.py keeps the newest checkpoint).

A record's sealed text is its canonical JSON (sorted keys, its own sequence number and the
key's id inside, the items' numbers packed by fairness/audit_codec.py), chained with the
previous record's seal: seal_n = HMAC-SHA256(key, seal_{n-1} + "\n" + text_n), with 64 zeros
(`GENESIS`) before the first. A seal over interaction or oversight rows is the same: a canonical
body listing each row's id and a short digest of its text (`row_text`), the digest of all of
them together, chained in its own sequence. A checkpoint is the record count and newest seal,
and the seal count and newest seal, signed with a second key derived from the same secret.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
from dataclasses import dataclass
from typing import Any

from data.storage.audit import GENESIS
from fairness.audit_codec import compact

# Columns repeated outside the body for filtering; verify checks they still agree with it.
INDEXED = ("request_id", "direction", "kind", "query_external_id")
CHECKPOINT_FORMAT = "talent-audit-checkpoint/2"  # records and seals
CHECKPOINT_FORMAT_V1 = "talent-audit-checkpoint/1"  # records only (still read)

# The sealed streams: (one row, several rows) in what verify says.
STREAMS = {
    "interactions": ("interaction", "interactions"),
    "oversight": ("oversight event", "oversight events"),
}
ROW_DIGEST = 16  # hex digits of each row's digest in a seal (the seal's full digest covers all)


def canonical(body: dict[str, Any]) -> str:
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=True)


def searched_columns(body: dict[str, Any]) -> dict[str, Any]:
    """What a record repeats outside its compressed body for SQL to search: its scored items'
    ids (a JSON array, each id as data/storage/audit_search.json_string writes it) and
    whether it was interleaved. Verify checks they agree with the body. Either form of the
    record: the ids are read without unpacking the items' numbers (verify walks months)."""
    packed = body.get("items_packed")
    ids = packed["ids"] if packed is not None else [i["id"] for i in body.get("items", [])]
    return {
        "item_ids": json.dumps(ids, separators=(",", ":"), ensure_ascii=True),
        "interleaved": "interleaving" in body,
    }


class AuditKey:
    """The secret that seals records and signs checkpoints (two keys derived from it)."""

    def __init__(self, secret: bytes) -> None:
        if len(secret) < 16:
            raise ValueError("the audit key must hold at least 16 bytes")
        self._seal_key = hmac.new(secret, b"talent-audit/seal", hashlib.sha256).digest()
        self._sign_key = hmac.new(secret, b"talent-audit/checkpoint", hashlib.sha256).digest()
        # Public: names the key in records and checkpoints without revealing it.
        self.key_id = hmac.new(secret, b"talent-audit/key-id", hashlib.sha256).hexdigest()[:16]

    def seal(self, previous: str, body_text: str) -> str:
        return hmac.new(
            self._seal_key, f"{previous}\n{body_text}".encode(), hashlib.sha256
        ).hexdigest()

    def sign(self, text: str) -> str:
        return hmac.new(self._sign_key, text.encode(), hashlib.sha256).hexdigest()


def record_text(filed: dict[str, Any], *, seq: int, key_id: str) -> str:
    """The text a record's seal covers: the record as filed, numbered, naming the key, its
    items' numbers packed."""
    return canonical(compact({**filed, "seq": seq, "key_id": key_id}))


def row_text(stream: str, row: dict[str, Any]) -> str:
    """What a seal covers of one row: its stream and columns as canonical JSON."""
    values = {
        name: value.isoformat() if isinstance(value, dt.datetime) else value
        for name, value in row.items()
    }
    return canonical({"stream": stream, **values})


def row_digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:ROW_DIGEST]


def batch_digest(texts: list[str]) -> str:
    return hashlib.sha256("\n".join(texts).encode()).hexdigest()


def seal_body(
    *, seq: int, key_id: str, stream: str, sealed_at: str, ids: list[Any], texts: list[str]
) -> dict[str, Any]:
    """The body of seal `seq` over rows of one stream: each row's id and digest (`texts` are
    their `row_text`s, in the same order), and the digest of all of them together."""
    return {
        "seq": seq,
        "key_id": key_id,
        "stream": stream,
        "sealed_at": sealed_at,
        "rows": [[row_id, row_digest(t)] for row_id, t in zip(ids, texts, strict=True)],
        "digest": batch_digest(texts),
    }


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """The log's length and newest seal at one moment (records, and seals over the interaction
    and oversight rows), signed with the audit key. `seals` is None in a checkpoint made before
    those were sealed (format 1): it vouches for the records only."""

    records: int
    head: str
    key_id: str
    at: str
    signature: str
    seals: int | None = None
    seals_head: str | None = None

    @classmethod
    def make(
        cls, key: AuditKey, records: int, head: str, seals: int = 0, seals_head: str = GENESIS
    ) -> Checkpoint:
        at = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        signature = key.sign(_signed_text(records, head, at, seals, seals_head))
        return cls(records, head, key.key_id, at, signature, seals, seals_head)

    def valid(self, key: AuditKey) -> bool:
        expected = key.sign(
            _signed_text(self.records, self.head, self.at, self.seals, self.seals_head)
        )
        return self.key_id == key.key_id and hmac.compare_digest(expected, self.signature)

    def as_dict(self) -> dict[str, Any]:
        document: dict[str, Any] = {
            "format": CHECKPOINT_FORMAT if self.seals is not None else CHECKPOINT_FORMAT_V1,
            "records": self.records,
            "head": self.head,
        }
        if self.seals is not None:
            document |= {"seals": self.seals, "seals_head": self.seals_head}
        return document | {"key_id": self.key_id, "at": self.at, "signature": self.signature}

    def to_json(self) -> str:
        return json.dumps(self.as_dict(), indent=1) + "\n"

    @classmethod
    def from_json(cls, text: str) -> Checkpoint:
        """Parse a checkpoint file; ValueError naming what is wrong with it."""
        try:
            data = json.loads(text)
            if data.get("format") not in (CHECKPOINT_FORMAT, CHECKPOINT_FORMAT_V1):
                raise ValueError(f"not a {CHECKPOINT_FORMAT} file")
            records = _count(data["records"], "records")
            seals, seals_head = None, None
            if data["format"] == CHECKPOINT_FORMAT:
                seals, seals_head = _count(data["seals"], "seals"), str(data["seals_head"])
            return cls(
                records,
                str(data["head"]),
                str(data["key_id"]),
                str(data["at"]),
                data["signature"],
                seals,
                seals_head,
            )
        except (json.JSONDecodeError, KeyError, TypeError, AttributeError) as bad:
            raise ValueError(f"unreadable checkpoint: {bad}") from None


def _count(value: Any, name: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ValueError(f"{name!r} must be a whole number")
    return value


def _signed_text(
    records: int, head: str, at: str, seals: int | None, seals_head: str | None
) -> str:
    if seals is None:  # format 1: what such a checkpoint was signed over
        return f"{CHECKPOINT_FORMAT_V1}\n{records}\n{head}\n{at}"
    return f"{CHECKPOINT_FORMAT}\n{records}\n{head}\n{seals}\n{seals_head}\n{at}"


def utc(value: dt.datetime) -> dt.datetime:
    """Aware UTC (a naive time is taken as UTC)."""
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)
