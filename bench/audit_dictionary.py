"""How data/storage/audit_dictionary_1.json.gz was made (issue 27): the shared text every audit
record since then is compressed with (data/storage/audit.py, pack_body), ahead of its own item ids.

One full-pool record of each direction from a `bench/serving.py` run (synthetic company, seed 11,
20,000 people; `--keep` keeps its database), in the packed form the log seals, with the packed
numbers and ids emptied: what is left is what every record repeats (keys, feature names, detail
names, the templates' words, policy and retrieval fields). Measured on another company (seed 12,
5,000 people): 1.4 KB less an employee's list, 1.2 KB less a lead's (docs in bench/NOTES.md).

The file is frozen: records compressed with it are read with it for as long as the log is kept.
A better text becomes audit_dictionary_2 with a form byte of its own, never a new version of
this one. Usage: python bench/audit_dictionary.py DATABASE_URL OUT.json.gz
"""

from __future__ import annotations

import gzip
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from data.storage.audit import record_text, records_in_order  # noqa: E402
from data.storage.engine import make_engine, make_session_factory  # noqa: E402
from fairness.audit_codec import compact, parse  # noqa: E402
from fairness.audit_log import canonical  # noqa: E402

FULL_POOL = 200


def stripped(text: str) -> str:
    """A record in its packed form without its numbers and ids (no pattern to share)."""
    record = compact(parse(text))
    record["features"]["f4_columns_zstd"] = ""
    record["items_packed"] |= {"zstd": "", "ids": []}
    record["explained_packed"]["f8"] = ""
    return canonical(record)


def main(url: str, out: Path) -> None:
    sessions = make_session_factory(make_engine(url))
    chosen: dict[str, str] = {}
    with sessions() as session:
        for row in records_in_order(session):
            text = record_text(row)
            body = parse(text)
            full = len(body.get("items", [])) == FULL_POOL and body.get("explained")
            if full and row.direction not in chosen:
                chosen[row.direction] = stripped(text)
    content = chosen["employee"] + chosen["opportunity"]
    out.write_bytes(gzip.compress(content.encode(), mtime=0))
    print(f"{out}: {len(content)} bytes of text")


if __name__ == "__main__":
    main(sys.argv[1], Path(sys.argv[2]))
