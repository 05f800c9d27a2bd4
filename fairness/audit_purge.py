"""Retention and erasure on the sealed log: purging the oldest records and seals from a signed
checkpoint, and pseudonymising one person inside sealed records and rows.

A purge first seals what is pending, verifies the whole log and exports a checkpoint of it (a
log that does not verify is not purged: deleting would hide the damage). It then deletes the
records served before the cutoff, and the oldest seals whose every row is past its stream's
cutoff together with those rows, and files the signed checkpoint of the last record and seal
it deleted (`audit_purges`): verify walks the remaining chains from there, so a tampered,
deleted or reordered record after it is still named. The newest record and the newest seal are
never purged: the head file vouches for them, and without them the next append would read as a
truncation. Seals cover a batch of rows: a seal is purged only when all of them are old enough,
so some rows outlive their period until the seal's youngest row does.

An erasure rewrites, in the records and rows that name the person, every string equal to their
external id (items, the asked-about person, explanation details, override entries, actors) to
a random pseudonym nobody keeps (crypto-shredding the link: not derivable from the id even with
the keys), and signs a redaction for each sealed one (fairness/audit_redaction.py). Each record
is checked against its seal (or an earlier redaction) before it is rewritten: a tampered record
is never laundered into a vouched one.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from data.storage import audit as stored
from data.storage import retention as retained
from data.storage.engine import transaction
from data.storage.tables import AuditPurgeRow
from fairness.audit_log import (
    GENESIS,
    STREAMS,
    AuditIntegrityError,
    AuditLog,
    Checkpoint,
    canonical,
    searched_columns,
)
from fairness.audit_redaction import Redaction, replace_ids
from fairness.audit_sealing import row_digest, row_text
from fairness.audit_verify import read_redactions

# Columns of a sealed row that may hold a person's id as a whole value (besides `details`).
PERSON_COLUMNS = {"interactions": ("employee_external_id", "actor"), "oversight": ("actor",)}
SEAL_PAGE = 500


@dataclass
class PurgeResult:
    dry_run: bool
    counts: dict[str, int]  # records, interactions, oversight
    through: dict[str, int]  # the last record and seal deleted (or that would be)
    checkpoint: Checkpoint | None = None  # of the whole log just before the purge
    problems: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "dry_run": self.dry_run,
            "counts": self.counts,
            "through": self.through,
            "checkpoint": self.checkpoint.as_dict() if self.checkpoint is not None else None,
        }


def purge(
    log: AuditLog,
    *,
    records_before: dt.datetime,
    rows_before: dict[str, dt.datetime],
    actor: str,
    dry_run: bool = False,
    now: dt.datetime | None = None,
) -> PurgeResult:
    """Delete records served before `records_before`, and the oldest seals (with their rows)
    sealed before their stream's cutoff in `rows_before`. A dry run counts, writes nothing.
    AuditIntegrityError when the log does not verify (nothing deleted)."""
    now = now or dt.datetime.now(dt.UTC)
    checkpoint = None
    if not dry_run:
        with log.sessions() as session:
            verified, checkpoint = log.export_checkpoint(session)
        if checkpoint is None:
            raise AuditIntegrityError(
                "the audit log does not verify, so nothing was purged: "
                + "; ".join(verified.problems[:3])
            )
    with log.quiet(), transaction(log.sessions) as session:
        stored.lock_chain(session)
        base = _current_base(log, session)
        last = retained.last_record_before(session, _utc(records_before))
        records = last if last is not None and last[0] > base[0] else base[:2]
        seals = _purgeable_seals(session, base[2:], rows_before)
        counts = {"records": retained.count_records_through(session, records[0])}
        for stream in STREAMS:
            counts[stream] = retained.count_sealed_through(session, stream, seals[0])
        through = {"records": records[0], "seals": seals[0]}
        result = PurgeResult(dry_run, counts, through, checkpoint)
        if dry_run or not any(counts.values()):
            return result
        retained.delete_records_through(session, records[0])
        retained.delete_sealed_through(session, seals[0])
        new_base = Checkpoint.make(log.key, records[0], records[1], seals[0], seals[1])
        retained.add_purge(
            session,
            AuditPurgeRow(at=now, actor=actor, base=new_base.to_json(), counts=counts),
        )
        return result


def _current_base(log: AuditLog, session: Session) -> tuple[int, str, int, str]:
    text = retained.purge_base(session)
    if text is None:
        return (0, GENESIS, 0, GENESIS)
    base = Checkpoint.from_json(text)
    if not base.valid(log.key):  # export_checkpoint's verify would have said so
        raise AuditIntegrityError("the last purge's checkpoint is not signed with this key")
    return (base.records, base.head, base.seals or 0, base.seals_head or GENESIS)


def _purgeable_seals(
    session: Session, base: tuple[int, str], rows_before: dict[str, dt.datetime]
) -> tuple[int, str]:
    """The newest seal such that it and every seal before it were sealed before their stream's
    cutoff (and it is not the newest seal)."""
    newest = retained.newest_seal_seq(session)
    through = base
    while True:
        page = retained.seals_in_order(session, after=through[0], limit=SEAL_PAGE)
        for seal in page:
            cutoff = rows_before.get(seal.stream)
            sealed_at = json.loads(seal.body).get("sealed_at")
            if (
                seal.seq >= newest
                or cutoff is None
                or sealed_at is None
                or _utc(dt.datetime.fromisoformat(sealed_at)) >= _utc(cutoff)
            ):
                return through
            through = (seal.seq, seal.hash)
        if len(page) < SEAL_PAGE:
            return through


# -- erasure ------------------------------------------------------------------------------------


def pseudonymise(
    log: AuditLog, session: Session, external_id: str, pseudonym: str, *, now: dt.datetime
) -> dict[str, int]:
    """Replace the person's id by `pseudonym` in every record and sealed row naming it, in the
    caller's transaction, each sealed one vouched for by a signed redaction; counts per
    stream. AuditIntegrityError (nothing rewritten: the caller rolls back) when one of them
    no longer matches its seal."""
    replacements = {external_id: pseudonym}
    at = now.astimezone(dt.UTC).isoformat(timespec="seconds")
    vouched = {(r.stream, r.row_key): r for r in read_redactions(session)}
    counts = {"records": 0, **{stream: 0 for stream in STREAMS}}
    for row in retained.records_naming(session, external_id):
        text = stored.record_text(row)
        earlier = vouched.get(("records", row.seq))
        genuine = log.key.seal(row.prev_hash, text) == row.hash or (
            earlier is not None and earlier.vouches(log.key.sign, original=row.hash, text=text)
        )
        if not genuine:
            raise AuditIntegrityError(
                f"record {row.seq} does not match its seal: run `talent audit verify` first"
            )
        body = json.loads(text)
        rewritten = replace_ids(body, replacements)
        if rewritten == body:
            continue
        new_text = canonical(rewritten)
        retained.rewrite_record(
            row,
            new_text,
            item_ids=searched_columns(rewritten)["item_ids"],
            query_external_id=rewritten["query_external_id"],
        )
        _vouch(log, session, "records", row.seq, row.hash, new_text, at)
        counts["records"] += 1
    for stream in STREAMS:
        seal_rows: dict[int, dict[int, str]] = {}
        for values in retained.rows_naming(session, stream, external_id, PERSON_COLUMNS[stream]):
            seal = values.pop("sealed_by")
            rewritten = {
                name: replace_ids(value, replacements) if name != "id" else value
                for name, value in values.items()
            }
            if rewritten == values:
                continue
            if seal is not None:
                if seal not in seal_rows:
                    body = json.loads(retained.seal_body(session, seal) or "{}")
                    seal_rows[seal] = {int(i): d for i, d in body.get("rows", [])}
                original = seal_rows[seal].get(values["id"])
                earlier = vouched.get((stream, values["id"]))
                text = row_text(stream, values)
                if original is None or not (
                    row_digest(text) == original
                    or (
                        earlier is not None
                        and earlier.vouches(log.key.sign, original=original, text=text)
                    )
                ):
                    raise AuditIntegrityError(
                        f"{STREAMS[stream][0]} {values['id']} does not match its seal {seal}: "
                        "run `talent audit verify` first"
                    )
                _vouch(
                    log, session, stream, values["id"], original, row_text(stream, rewritten), at
                )
            changed = {n: v for n, v in rewritten.items() if v != values[n]}
            retained.rewrite_row(session, stream, values["id"], changed)
            counts[stream] += 1
    return counts


def _vouch(
    log: AuditLog, session: Session, stream: str, row_key: int, original: str, text: str, at: str
) -> None:
    redaction = Redaction.make(log.key.sign, stream, row_key, original=original, text=text, at=at)
    retained.save_redaction(
        session,
        stream=stream,
        row_key=row_key,
        original=original,
        redacted=redaction.redacted,
        at=at,
        signature=redaction.signature,
    )


def _utc(value: dt.datetime) -> dt.datetime:
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)
