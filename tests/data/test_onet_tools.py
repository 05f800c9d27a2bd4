"""O*NET tools and technologies as skills of the packaged taxonomy, O*NET titles on ESCO
occupations, and stored databases catching up (custom skills merging into the tools)."""

from __future__ import annotations

import gzip
import json
from collections import defaultdict
from collections.abc import Set as AbstractSet
from pathlib import Path

import pytest

from data.schemas import normalize_label
from data.taxonomy.model import Taxonomy
from data.taxonomy.onet import ONET_FILE
from data.taxonomy.packaged import load_packaged_taxonomy
from tools.taxonomy import derive_onet
from tools.taxonomy._onet_names import CURATED_ALIASES, EnglishWords, NameRules

REPO = Path(__file__).resolve().parents[2]
SHARED = REPO.parent / "shared"
PACKAGED_ONET = REPO / "data" / "taxonomy" / ONET_FILE


@pytest.fixture(scope="module")
def packaged() -> Taxonomy:
    return load_packaged_taxonomy()


def _tool(taxonomy: Taxonomy, label: str) -> str:
    found = [s.skill_id for s in taxonomy.skills.values() if s.label == label]
    assert len(found) == 1, (label, found)
    return found[0]


def test_bi_tools_are_tools_sharing_one_category(packaged: Taxonomy) -> None:
    tableau, power_bi = _tool(packaged, "Tableau"), _tool(packaged, "Microsoft Power BI")
    for skill_id in (tableau, power_bi):
        assert packaged.skills[skill_id].skill_type == "tool"
        assert packaged.skills[skill_id].source == "onet"
    category = packaged.tool_categories[tableau]
    assert packaged.tool_categories[power_bi] == category
    assert packaged.skills[category].skill_type == "tool_category"
    assert packaged.skills[category].label == "Business intelligence and data analysis software"
    # a different kind of tool is in another category
    assert packaged.tool_categories[_tool(packaged, "Kubernetes")] != category


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("Power BI", "Microsoft Power BI"),
        ("power bi", "Microsoft Power BI"),
        ("MS Power BI", "Microsoft Power BI"),
        ("k8s", "Kubernetes"),
        ("Excel", "Microsoft Excel"),
        ("MS Excel", "Microsoft Excel"),
        ("JIRA", "Atlassian JIRA"),
        ("Jira", "Atlassian JIRA"),
        ("Kafka", "Apache Kafka"),
        ("Final Cut Pro", "Apple Final Cut Pro"),
        ("Dynamics CRM", "Microsoft Dynamics CRM"),
        ("AWS", "Amazon Web Services AWS software"),
        ("GCP", "Google Cloud software"),
        ("Node", "Node.js"),
        ("Postgres", "PostgreSQL"),
        ("JS", "JavaScript"),
        ("Tableau", "Tableau"),
        ("Docker", "Docker"),
    ],
)
def test_short_forms_find_the_product(packaged: Taxonomy, text: str, label: str) -> None:
    found = packaged.lookup_label(text)
    assert found is not None, text
    assert found[0].label == label
    assert found[0].skill_id in packaged.tool_categories  # a tool, or the ESCO skill it is


@pytest.mark.parametrize(
    "text",
    # ordinary words a vendor's product is named by: never the product on their own
    ["Access", "Project", "Teams", "Word", "Spark", "Analytics", "Dispatch", "Log book"],
)
def test_ordinary_words_are_no_alias_of_a_tool(packaged: Taxonomy, text: str) -> None:
    found = packaged.lookup_label(text)
    assert found is None or found[0].skill_type != "tool", (text, found and found[0].label)


def test_no_name_of_a_tool_is_another_skills_name(packaged: Taxonomy) -> None:
    """A name O*NET brought belongs to one skill. ESCO lists some products among the
    alternative labels of a generic skill ("AWK" under "computer programming"): the tool's
    own label wins there, as a preferred label does."""
    labels: dict[str, set[str]] = defaultdict(set)
    alts: dict[str, set[str]] = defaultdict(set)
    for skill in packaged.skills.values():
        if skill.exact:
            labels[normalize_label(skill.label)].add(skill.skill_id)
        for name in skill.alt_labels:
            alts[normalize_label(name)].add(skill.skill_id)
    onet_names = {normalize_label(n) for n in _onet_names()}
    clashes = {}
    for name in onet_names:
        owners = labels.get(name, set()) | alts.get(name, set())
        if len(owners) > 1 and len(labels.get(name, set())) != 1:
            clashes[name] = owners
    assert clashes == {}
    assert all(len(labels[n]) <= 1 for n in onet_names)


def _onet_names() -> list[str]:
    document = json.loads(gzip.decompress(PACKAGED_ONET.read_bytes()))
    return [
        *(n for t in document["tools"] for n in (t["label"], *t["aliases"])),
        *(n for m in document["merged"] for n in m["alt_labels"]),
        *(n for c in document["categories"] for n in (c["title"], *c["aliases"])),
    ]


def test_every_name_of_every_tool_finds_that_tool(packaged: Taxonomy) -> None:
    missed = []
    for skill in packaged.skills.values():
        if skill.source != "onet":
            continue
        for name in (skill.label, *skill.alt_labels):
            found = packaged.lookup_label(name)
            if found is None or found[0].skill_id != skill.skill_id:
                missed.append((name, skill.label))
    assert missed == []


def test_products_esco_already_has_are_not_duplicated(packaged: Taxonomy) -> None:
    esco_names: dict[str, str] = {}
    for skill in packaged.skills.values():
        if skill.source == "esco" and skill.exact:
            esco_names.setdefault(normalize_label(skill.label), skill.skill_id)
    tools = [s for s in packaged.skills.values() if s.skill_type == "tool"]
    assert len(tools) > 8_000
    assert [t.label for t in tools if normalize_label(t.label) in esco_names] == []
    # the ESCO skill stays, gains the product's names and joins its category
    for text, esco_label in [
        ("Python", "Python (computer programming)"),
        ("JavaScript", "JavaScript"),
        ("Apache Hadoop", "Hadoop"),
        ("Microsoft SQL Server", "SQL Server"),
    ]:
        found = packaged.lookup_label(text)
        assert found is not None and found[0].label == esco_label, text
        assert found[0].source == "esco"
        assert found[0].skill_id in packaged.tool_categories
    # a product named like an unrelated ESCO skill stays a tool of its own
    spark = packaged.lookup_label("Apache Spark")
    assert spark is not None and spark[0].skill_type == "tool"


def test_every_tool_has_a_category_that_links_esco_skills(packaged: Taxonomy) -> None:
    tools = [sid for sid, s in packaged.skills.items() if s.skill_type == "tool"]
    assert all(packaged.tool_categories.get(t, "").startswith("toolcat:") for t in tools)
    categories = {sid for sid, s in packaged.skills.items() if s.skill_type == "tool_category"}
    assert set(packaged.tool_categories.values()) <= categories
    linked = [c for c in categories if packaged.category_skills.get(c)]
    assert len(linked) >= 0.9 * len(categories)
    for skills in packaged.category_skills.values():
        assert all(packaged.skills[s].source == "esco" for s in skills)
    assert packaged.copy().category_skills == packaged.category_skills


@pytest.mark.parametrize(
    "label", ["data analyst", "software developer", "ICT business analyst", "accountant"]
)
def test_occupations_carry_onet_titles_codes_and_tools(packaged: Taxonomy, label: str) -> None:
    occupation = next(o for o in packaged.occupations.values() if o.label == label)
    assert occupation.onet_codes
    assert len(occupation.other_titles) >= 5
    assert len(set(occupation.other_titles)) == len(occupation.other_titles)
    assert occupation.tool_ids
    assert all(t in packaged.tool_categories for t in occupation.tool_ids)
    # hot technologies first
    hot = [t in _hot_ids() for t in occupation.tool_ids]
    assert any(hot) and hot == sorted(hot, reverse=True)


def _hot_ids() -> set[str]:
    document = json.loads(gzip.decompress(PACKAGED_ONET.read_bytes()))
    return {t["id"] for t in document["tools"] if t["hot"]} | {
        m["skill"] for m in document["merged"] if m["hot"]
    }


def test_most_occupations_are_mapped(packaged: Taxonomy) -> None:
    mapped = [o for o in packaged.occupations.values() if o.onet_codes]
    assert len(mapped) >= 0.9 * len(packaged.occupations)


def test_version_says_esco_and_onet(packaged: Taxonomy) -> None:
    assert "+onet-29.2." in packaged.version


def test_the_attribution_is_kept() -> None:
    document = json.loads(gzip.decompress(PACKAGED_ONET.read_bytes()))
    texts = " ".join(s["attribution"] for s in document["sources"])
    assert "O*NET 29.2" in texts and "CC BY 4.0" in texts and "trademark of USDOL/ETA" in texts
    assert "Copyright (c) 2021 Nesta" in texts
    notice = (REPO / "data" / "taxonomy" / "ATTRIBUTION.md").read_text(encoding="utf-8")
    assert "CC BY 4.0" in notice and "Copyright (c) 2021 Nesta" in notice


# -- the rules, on names made up for the purpose -----------------------------------------


def _rules(
    labels: list[str], ordinary: str = "", esco: AbstractSet[str] = frozenset()
) -> NameRules:
    from collections import Counter

    words = EnglishWords(Counter({w: 5 for w in ordinary.split()}), Counter(), frozenset({"Apple"}))
    return NameRules(labels, words, lambda name: normalize_label(name) in esco)


def test_vendor_is_dropped_when_several_products_share_it() -> None:
    rules = _rules(["Zyx Qorvex", "Zyx Plimbo", "Zyx Access", "Lonely Wibble"], ordinary="access")
    assert "Qorvex" in rules.aliases("Zyx Qorvex")
    assert "Access" not in rules.aliases("Zyx Access")  # an ordinary word
    assert rules.aliases("Lonely Wibble") == []  # one product: no evidence of a vendor


def test_a_two_word_vendor_is_dropped_whole() -> None:
    rules = _rules(["Red Hat Qorvex", "Red Hat Plimbo"], ordinary="red")
    assert rules.aliases("Red Hat Qorvex") == ["Qorvex"]


def test_acronyms_and_expansions_both_ways() -> None:
    rules = _rules(["Quantum Ledger Tool (QLT)", "Quantum Ledger Tool QLT software"])
    assert set(rules.aliases("Quantum Ledger Tool (QLT)")) >= {"QLT", "Quantum Ledger Tool"}
    assert {"QLT", "Quantum Ledger Tool QLT"} <= set(
        rules.aliases("Quantum Ledger Tool QLT software")
    )


def test_trailing_generic_word_dropped_only_when_the_rest_is_distinctive() -> None:
    rules = _rules(["Qorvex software", "Ledger software"], ordinary="ledger")
    assert rules.aliases("Qorvex software") == ["Qorvex"]
    assert rules.aliases("Ledger software") == []


def test_esco_names_are_never_aliases() -> None:
    rules = _rules(["Zyx Sparkle", "Zyx Plimbo"], esco={"sparkle"})
    assert "Sparkle" not in rules.aliases("Zyx Sparkle")


def test_curated_aliases_point_at_products_or_esco_skills(packaged: Taxonomy) -> None:
    for alias, target in CURATED_ALIASES.items():
        found = packaged.lookup_label(alias)
        assert found is not None, alias
        names = {normalize_label(n) for n in (found[0].label, *found[0].alt_labels)}
        assert normalize_label(target) in names, (alias, target)


# -- reproducibility --------------------------------------------------------------------------


@pytest.mark.skipif(
    not (SHARED / "onet").is_dir() or not (SHARED / "crosswalk").is_dir(),
    reason=f"O*NET and crosswalk sources not found under {SHARED}",
)
def test_derive_onet_reproduces_the_shipped_file(tmp_path: Path) -> None:
    out = tmp_path / ONET_FILE
    derive_onet.main(
        [
            "--onet", str(SHARED / "onet"),
            "--crosswalk", str(SHARED / "crosswalk"),
            "--esco", str(SHARED / "esco"),
            "--out", str(out),
        ]
    )  # fmt: skip
    assert out.read_bytes() == PACKAGED_ONET.read_bytes()


# -- stored databases catch up ------------------------------------------------------------------


@pytest.mark.parametrize("typed", ["tableau", "Power BI", "Apache Hadoop"])
def test_custom_skills_the_taxonomy_now_names_merge_into_it(state, typed: str) -> None:
    """A database from before the tools: a custom skill typed as a tool's name (its label, an
    alias, or a name an ESCO skill took from O*NET), held by a profile and a posting, becomes
    that skill when the newer taxonomy loads; the custom row goes, nothing is held twice, and
    the import report says what happened."""
    from sqlalchemy import delete, select

    from data.importing import import_employees, import_opportunities
    from data.importing.skills import SkillResolver
    from data.storage.engine import transaction
    from data.storage.skills import sync_packaged_taxonomy, upsert_skills
    from data.storage.tables import (
        EmployeeSkillRow,
        OpportunitySkillRow,
        ServiceMetaRow,
        SkillAliasRow,
        SkillRow,
    )
    from data.taxonomy.model import TaxonomySkill
    from data.taxonomy.normalizer import custom_skill_id
    from tests.factories import make_employee, make_opportunity

    packaged = load_packaged_taxonomy()
    target = packaged.lookup_label(typed)
    assert target is not None
    target_id = target[0].skill_id
    custom = custom_skill_id(typed)
    with transaction(state.sessions) as session:
        upsert_skills(
            session,
            [TaxonomySkill(custom, typed, source="custom", status="unreviewed")],
            created_by="someone",
        )
        session.add(SkillAliasRow(alias_key="our bi", alias="our BI", skill_id=custom))
        people = [
            make_employee("E1", skills=[{"skill_id": custom, "level": 2}]),
            # holds both: one row afterwards, the higher level
            make_employee(
                "E2",
                skills=[{"skill_id": custom, "level": 5}, {"skill_id": target_id, "level": 3}],
            ),
        ]
        import_employees(session, list(enumerate(people, 1)), state.skill_resolver())
        posting = make_opportunity("O1", required_skills=[{"skill_id": custom, "level": 3}])
        import_opportunities(session, [(1, posting)], state.skill_resolver())
        session.execute(delete(ServiceMetaRow))  # as a database synced before the tools
    with transaction(state.sessions) as session:
        sync = sync_packaged_taxonomy(session, packaged)
    assert sync is not None
    assert [(m.custom_id, m.skill_id) for m in sync.merged] == [(custom, target_id)]
    assert (sync.merged[0].profiles, sync.merged[0].opportunities) == (2, 1)
    with state.sessions() as session:
        held = sorted((r.skill_id, r.level) for r in session.scalars(select(EmployeeSkillRow)))
        assert held == [(target_id, 2), (target_id, 5)]
        asked = [r.skill_id for r in session.scalars(select(OpportunitySkillRow))]
        assert asked.count(target_id) == 1 and custom not in asked
        assert session.get(SkillRow, custom) is None
        assert session.get(SkillAliasRow, "our bi").skill_id == target_id
    report = SkillResolver(packaged, taxonomy_changes=sync.lines()).report
    said = f"custom skill {typed!r} merged into {target[0].label}"
    assert any(line.strip().startswith(said) for line in report.lines())
    assert report.as_dict()["taxonomy_changes"] == sync.lines()
    with transaction(state.sessions) as session:
        assert sync_packaged_taxonomy(session, packaged) is None  # loaded: nothing more to do


def test_custom_skills_named_otherwise_stay(state) -> None:
    from sqlalchemy import delete

    from data.storage.engine import transaction
    from data.storage.skills import sync_packaged_taxonomy, upsert_skills
    from data.storage.tables import ServiceMetaRow, SkillRow
    from data.taxonomy.model import TaxonomySkill

    names = ["our quarterly ritual", "Access", "Teams"]  # ordinary words are no tool's name
    with transaction(state.sessions) as session:
        upsert_skills(
            session,
            [TaxonomySkill(f"custom:x{i}", n, source="custom") for i, n in enumerate(names)],
        )
        session.execute(delete(ServiceMetaRow))
    with transaction(state.sessions) as session:
        sync = sync_packaged_taxonomy(session, load_packaged_taxonomy())
        assert sync is not None
        kept = {m.custom_id for m in sync.merged if m.kind != "ESCO skill"}
        assert kept == set()
        assert session.get(SkillRow, "custom:x0") is not None
