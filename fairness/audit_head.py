"""The audit log's head file: the latest checkpoint of the log, kept beside it
(`var/audit/head.json`), and the check that the log still holds what it vouches for.

Deleting the newest records (or seals) leaves a shorter chain that is still intact; the head
file names that. The log rewrites it atomically after every append or seal, only ever forwards
(two processes may finish in either order), under a file lock that processes share. Appends
and seals are refused behind a log that ends before it (AuditIntegrityError): chaining after a
gap would hide the gap from the next verify. Whoever can delete records can also put back an
older genuine head file, which is why HR exports checkpoints and keeps them elsewhere
(fairness/audit_verify.py checks both).
"""

from __future__ import annotations

import fcntl
import os
import threading
from pathlib import Path

from data.storage.audit import GENESIS
from fairness.audit_sealing import AuditKey, Checkpoint


class AuditIntegrityError(RuntimeError):
    """The log does not hold what its head file vouches for: appending would hide that."""


def read_head(path: Path | None) -> Checkpoint | None:
    """The head file's checkpoint (None if there is none; ValueError if unreadable)."""
    if path is None or not path.exists():
        return None
    return Checkpoint.from_json(path.read_text())


def read_head_or_refuse(path: Path | None) -> Checkpoint | None:
    """The head file's checkpoint; AuditIntegrityError if it is unreadable."""
    try:
        return read_head(path)
    except ValueError as unreadable:
        raise AuditIntegrityError(f"the head file is unreadable ({unreadable})") from None


def head_stamp(path: Path | None) -> tuple[int, int] | None:
    """The head file's modification time and inode: it changes with every append and seal."""
    try:
        stat = path.stat() if path is not None else None
    except OSError:
        return None
    return (stat.st_mtime_ns, stat.st_ino) if stat is not None else None


def check_head(
    key: AuditKey, head: Checkpoint | None, records: tuple[int, str], seals: tuple[int, str]
) -> None:
    """AuditIntegrityError when the log (as read after `head`) ends before what the head
    file vouches for, or differs from it where they end together."""
    if head is None:
        return
    if not head.valid(key):
        raise AuditIntegrityError("the head file is not signed with this audit key")
    seq, newest = records
    if head.records > seq:
        raise AuditIntegrityError(
            f"the head file vouches for {head.records} records but the log ends at {seq}: "
            "records were deleted"
        )
    if head.records == seq and head.records and head.head != newest:
        raise AuditIntegrityError(f"record {seq} differs from the head file: rewritten")
    if head.seals is None:  # a head file from before the seals
        return
    sealed, newest_seal = seals
    if head.seals > sealed:
        raise AuditIntegrityError(
            f"the head file vouches for {head.seals} seals but the seal chain ends at "
            f"{sealed}: seals were deleted (and with them the record of what they covered)"
        )
    if head.seals == sealed and sealed and head.seals_head != newest_seal:
        raise AuditIntegrityError(f"seal {sealed} differs from the head file: rewritten")


def write_head(path: Path | None, key: AuditKey, checkpoint: Checkpoint) -> None:
    """Move the head file forward to `checkpoint` (each part only forwards); nothing without a
    path."""
    if path is None:
        return
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    # Another process may have appended after us and written a later head already: the
    # head only moves forward (checked and written under a lock shared by processes).
    with open(path.with_name(f".{path.name}.lock"), "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            current = read_head(path)
        except ValueError:
            current = None  # unreadable: replaced by a good one (verify said so before)
        if current is not None and current.valid(key):
            records = max((current.records, current.head), (checkpoint.records, checkpoint.head))
            seals = max(
                (current.seals or 0, current.seals_head or GENESIS),
                (checkpoint.seals or 0, checkpoint.seals_head or GENESIS),
            )
            if records == (current.records, current.head) and seals == (
                current.seals or 0,
                current.seals_head or GENESIS,
            ):
                return  # nothing newer than what the head file holds
            # Each part moves forward on its own: an appender and a sealer in two
            # processes may finish in either order.
            checkpoint = Checkpoint.make(key, *records, *seals)
        # One staging file per process and thread: concurrent writers never share it.
        staging = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
        staging.write_text(checkpoint.to_json())
        os.replace(staging, path)
