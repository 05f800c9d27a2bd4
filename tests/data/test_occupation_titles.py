"""Job titles placed by all the evidence; titles that name no occupation placed by skills or
not at all; titles placed nowhere still accepted ("needs skills"), never matched."""

from __future__ import annotations

import random
from collections import Counter

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from data.importing import import_employees, import_opportunities
from data.schemas import Role, normalize_label
from data.storage.engine import transaction
from data.storage.tables import EmployeeRow, OpportunityRow
from data.taxonomy.model import Taxonomy
from data.taxonomy.occupations import OccupationNormalizer
from data.taxonomy.packaged import load_packaged_taxonomy
from data.taxonomy.title_evidence import GENERIC_SPREAD
from data.taxonomy.title_words import LEADING_WORDS, tokens
from serving.presenters.opportunities import opportunity_document
from serving.state import ServiceState
from tests.factories import make_employee, make_opportunity
from tests.helpers.api import token_for

# Titles a real HR export carries that name no kind of work on their own (issue 23).
GENERIC_TITLES = [
    "Employee",
    "Associate",
    "Team Member",
    "Specialist",
    "Staff",
    "Worker",
    "Consultant",
    "Professional",
    "Officer",
    "Manager",
    "Analyst",
    "Engineer",
    "Assistant",
    "Senior Associate II",
    "Junior Specialist",
    "Lead Consultant",
]


@pytest.fixture(scope="module")
def taxonomy() -> Taxonomy:
    return load_packaged_taxonomy()


@pytest.fixture(scope="module")
def lexical(taxonomy: Taxonomy) -> OccupationNormalizer:
    """Exact titles and word evidence only (no encoder): fast, and what exact ranks rest on."""
    return OccupationNormalizer(taxonomy)


def _label(taxonomy: Taxonomy, occupation_id: str) -> str:
    return taxonomy.occupations[occupation_id].label


def test_an_own_label_beats_another_occupations_alt_title_with_a_seniority_word(
    taxonomy: Taxonomy, lexical: OccupationNormalizer
) -> None:
    """Every case in the taxonomy: "<seniority> <label of A>" is an alt title of B. A title
    typed that way is A (seniority is the level, not the work)."""
    labels: dict[str, set[str]] = {}
    for occupation in taxonomy.occupations.values():
        labels.setdefault(normalize_label(occupation.label), set()).add(occupation.occupation_id)
    cases = []
    for other in taxonomy.occupations.values():
        for alt in other.alt_labels:
            words = normalize_label(alt).split()
            if len(words) > 1 and words[0] in LEADING_WORDS:
                owners = labels.get(" ".join(words[1:]), set()) - {other.occupation_id}
                if owners:
                    cases.append((alt, owners, other.occupation_id))
    assert len(cases) >= 10, "the taxonomy has this class (e.g. senior data analyst)"
    assert any(alt.casefold() == "senior data analyst" for alt, _, _ in cases)
    wrong = [
        (alt, _label(taxonomy, best.occupation_id))
        for alt, owners, _ in cases
        for best in lexical.normalize(alt, limit=1)
        if best.occupation_id not in owners
    ]
    assert wrong == []
    # Without the seniority word it is A's own label, found as such.
    for alt, _, _ in cases[:20]:
        rest = " ".join(normalize_label(alt).split()[1:])
        assert lexical.normalize(rest, limit=1)[0].method == "label"


def _generated_generic_titles(taxonomy: Taxonomy, lexical: OccupationNormalizer) -> list[str]:
    """Words the taxonomy spreads over many kinds of work, none an occupation's own label,
    alone, with a seniority word or grade, and in pairs no title holds together."""
    labels = {normalize_label(o.label) for o in taxonomy.occupations.values()}
    counts: Counter[str] = Counter()
    for occupation in taxonomy.occupations.values():
        words = {w for t in (occupation.label, *occupation.alt_labels) for w in tokens(t)}
        counts.update(words)
    lexicon = lexical.lexicon
    spread = [
        w
        for w, _ in counts.most_common(300)
        if w not in labels
        and w not in LEADING_WORDS
        and lexicon.spread({lexicon.vocabulary[w]}) >= GENERIC_SPREAD * 1.5
    ][:25]
    assert len(spread) >= 15
    rng = random.Random(23)
    titles = [w.title() for w in spread]
    titles += [f"Senior {w.title()}" for w in rng.sample(spread, 8)]
    titles += [f"{w.title()} II" for w in rng.sample(spread, 8)]
    pairs = 0
    while pairs < 10:
        a, b = rng.sample(spread, 2)
        if lexicon.spread({lexicon.vocabulary[a], lexicon.vocabulary[b]}) == 0.0:
            titles.append(f"{a.title()} {b.title()}")
            pairs += 1
    return titles


def test_generic_titles_are_never_placed_by_the_title_alone(
    taxonomy: Taxonomy, lexical: OccupationNormalizer, state: ServiceState
) -> None:
    titles = GENERIC_TITLES + _generated_generic_titles(taxonomy, lexical)
    occupations = state.occupations  # with the encoder: embedding evidence is not enough
    assert [t for t in titles if not occupations.is_generic(t)] == []
    placed = occupations.infer_many(titles)
    assert {t: p.label for t, p in zip(titles, placed, strict=True) if p is not None} == {}
    assert all(r == [] for r in occupations.normalize_many(titles, limit=5))


def test_titles_of_several_words_that_name_the_work_together_are_not_generic(
    taxonomy: Taxonomy, lexical: OccupationNormalizer
) -> None:
    """Words each spread over many kinds of work can name one together: ESCO's own
    alternative titles of two words or more (after seniority words), and O*NET-style titles
    none of whose words is specific alone."""
    esco = sorted(
        {
            alt
            for occupation in taxonomy.occupations.values()
            for alt in (*occupation.alt_labels, *occupation.hidden_labels)
            if len(lexical._query(alt).core.split()) > 1
        }
    )
    assert [t for t in esco if lexical.is_generic(t)] == []
    for title in (
        "Food Service Manager",
        "Power Plant Operations Manager",
        "Professional Stock Car Driver",
        "System Safety Engineer",
        "Fuel System Maintenance Worker",
    ):
        assert not lexical.is_generic(title), title


SPECIFIC = {
    "data analyst": "data analyst",
    "Senior Data Analyst": "data analyst",
    "Welder": "welder",
    "Java developer": "software developer",
    "Nurse": "nurse",
    "Fish Cook (Ikan Bakar)": "cook",
    "Confinement Dietician": "dietitian",
    "Staff Nurse - Night Shift": "nurse",
    "Welder, Jurong": "welder",
    "Cook (Part Time)": "cook",
    "Sr. Business Analyst II": "business analyst",
}


@pytest.mark.parametrize("title", sorted(SPECIFIC))
def test_specific_titles_are_still_placed(state: ServiceState, title: str) -> None:
    placed = state.occupations.infer(title)
    assert placed is not None, title
    assert SPECIFIC[title] in placed.label, (title, placed.label)
    assert not state.occupations.is_generic(title)


def test_every_preferred_label_with_a_seniority_word_is_placed_at_itself(
    taxonomy: Taxonomy, lexical: OccupationNormalizer
) -> None:
    rng = random.Random(5)
    sample = rng.sample(sorted(taxonomy.occupations.values(), key=lambda o: o.label), 300)
    missed = []
    for occupation in sample:
        for title in (occupation.label, f"Senior {occupation.label} II"):
            best = lexical.infer(title)
            shared = {
                o.occupation_id
                for o in taxonomy.occupations.values()
                if normalize_label(o.label) == normalize_label(occupation.label)
            }
            if best is None or best.occupation_id not in shared:
                missed.append(title)
    assert missed == []


def _specific_skills(taxonomy: Taxonomy, occupation_id: str, count: int) -> list[str]:
    listed = taxonomy.occupations[occupation_id].essential_skill_ids
    return sorted(listed, key=lambda s: (taxonomy.listing_count(s), s))[:count]


def test_a_generic_title_is_placed_by_the_skills_listed_or_not_at_all(
    taxonomy: Taxonomy, lexical: OccupationNormalizer
) -> None:
    rng = random.Random(11)
    pool = sorted(o for o, occ in taxonomy.occupations.items() if len(occ.essential_skill_ids) >= 8)
    right = 0
    sample = rng.sample(pool, 60)
    for occupation_id in sample:
        skills = _specific_skills(taxonomy, occupation_id, 6)
        title = rng.choice(GENERIC_TITLES)
        best = lexical.infer(title, skills)
        assert best is not None, (title, _label(taxonomy, occupation_id))
        assert best.method == "skills"
        held = set(taxonomy.occupations[best.occupation_id].essential_skill_ids)
        held |= set(taxonomy.occupations[best.occupation_id].optional_skill_ids)
        assert len(held.intersection(skills)) >= 4  # a profile that really holds them
        right += best.occupation_id == occupation_id
    assert right >= 0.8 * len(sample)
    # Skills of six unrelated kinds of work place a generic title nowhere.
    by_group: dict[str, list[str]] = {}
    for occupation_id in pool:
        by_group.setdefault(taxonomy.occupations[occupation_id].isco_group[:1], []).append(
            occupation_id
        )
    unplaced = 0
    for _ in range(40):
        groups = rng.sample(sorted(by_group), 6)
        skills = [_specific_skills(taxonomy, rng.choice(by_group[g]), 1)[0] for g in groups]
        unplaced += lexical.infer("Employee", skills) is None
    assert unplaced >= 36


def _import_postings(state: ServiceState, records: list[dict]) -> dict:
    with transaction(state.sessions) as session:
        resolver = state.skill_resolver()
        import_opportunities(session, [(i + 1, r) for i, r in enumerate(records)], resolver)
    return resolver.report.as_dict()


def _people(state: ServiceState, *people: dict) -> None:
    with transaction(state.sessions) as session:
        import_employees(
            session, [(i + 1, p) for i, p in enumerate(people)], state.skill_resolver()
        )


def test_unplaceable_titles_are_accepted_marked_needs_skills_and_never_matched(
    state: ServiceState,
) -> None:
    _people(state, make_employee("LEAD"), make_employee("E2", title="Employee", skills=[]))
    titles = [*GENERIC_TITLES[:6], "Wizard of Light Bulb Moments"]
    records = [
        make_opportunity(f"V{i}", "LEAD", title=t, required_skills=[], preferred_skills=[])
        for i, t in enumerate(titles)
    ] + [make_opportunity("W1", "LEAD", title="Welder", required_skills=[], preferred_skills=[])]
    report = _import_postings(state, records)  # one batch, nothing refused
    assert report["summary"]["needs_skills"] == len(titles)
    assert report["needs_skills_rows"] == list(range(1, len(titles) + 1))
    assert {u["title"] for u in report["unplaced_titles"]} == set(titles)
    with state.sessions() as session:
        rows = {r.external_id: r for r in session.scalars(select(OpportunityRow))}
        documents = {k: opportunity_document(r) for k, r in rows.items()}
    for i in range(len(titles)):
        document = documents[f"V{i}"]
        assert document["needs_skills"] and document["required_skills"] == []
        assert document["occupation"] is None
    wizard = documents[f"V{len(titles) - 1}"]
    assert wizard["occupation_choices"], "a non-generic title keeps its closest occupations"
    assert not documents["W1"]["needs_skills"] and documents["W1"]["required_skills"]
    # Matched with nobody: the open pool marks them closed; the welder posting stays open.
    state.matcher.refresh_opportunity_rows(list(rows.values()))
    for external_id, row in rows.items():
        kind_pool = state.matcher.opportunities[row.kind]
        position = kind_pool.position_of[row.id]
        assert bool(kind_pool.column("is_open")[position]) == (external_id == "W1")
    # A person with a generic title and no skills is stored, with no occupation.
    with state.sessions() as session:
        person = session.scalar(select(EmployeeRow).where(EmployeeRow.external_id == "E2"))
        assert person is not None and person.occupation_id is None


def test_a_postings_occupation_comes_from_its_own_title_not_its_lead(
    state: ServiceState,
) -> None:
    _people(
        state,
        make_employee("NURSE", title="Nurse", skills=[]),
        make_employee("DEV", title="Java developer", skills=[]),
    )
    titles = ["Welder", "Data Analyst", "Team Member", "Fish Cook (Ikan Bakar)"]
    records = [
        make_opportunity(f"{lead}-{i}", lead, title=t, required_skills=[], preferred_skills=[])
        for lead in ("NURSE", "DEV")
        for i, t in enumerate(titles)
    ]
    _import_postings(state, records)
    with state.sessions() as session:
        rows = {r.external_id: r for r in session.scalars(select(OpportunityRow))}
    for i in range(len(titles)):
        a, b = rows[f"NURSE-{i}"], rows[f"DEV-{i}"]
        assert a.occupation_id == b.occupation_id
        assert {s.skill_id for s in a.skills} == {s.skill_id for s in b.skills}


def test_a_description_naming_the_work_places_a_generic_title(state: ServiceState) -> None:
    best = state.occupations.infer(
        "Team Member", description="We need a welder for our shipyard repairs."
    )
    assert best is not None and best.label == "welder"
    assert state.occupations.infer("Team Member", description="Join a friendly team.") is None


def test_a_lead_posts_an_unplaceable_title_then_picks_an_occupation(
    client: TestClient, state: ServiceState, admin_headers: dict[str, str]
) -> None:
    people = [make_employee("LEAD"), make_employee("E2")]
    assert (
        client.post("/api/v1/employees/bulk", json=people, headers=admin_headers).status_code == 200
    )
    lead = token_for(state, Role.LEAD, "LEAD")
    posted = {}
    for external_id, title in (
        ("G-VAGUE", "Team Member"),
        ("G-ODD", "Wizard of Light Bulb Moments"),
    ):
        body = make_opportunity(external_id, "LEAD", title=title, required_skills=[])
        response = client.post("/api/v1/opportunities", json=body, headers=lead)
        assert response.status_code == 201, response.text  # accepted, not refused
        posted[external_id] = response.json()
        assert posted[external_id]["needs_skills"] and posted[external_id]["occupation"] is None
        refused = client.get(f"/api/v1/opportunities/{external_id}/candidates", headers=lead)
        assert refused.status_code == 409 and "needs skills" in refused.text
    # A generic title has no near occupation to offer; an odd but specific one does.
    assert posted["G-VAGUE"]["occupation_choices"] == []
    choice = posted["G-ODD"]["occupation_choices"][0]
    # The GET document sent back whole is accepted (read-only fields ignored).
    again = client.get("/api/v1/opportunities/G-ODD", headers=lead).json()
    assert again["occupation_choices"] == posted["G-ODD"]["occupation_choices"]
    picked = client.patch(
        "/api/v1/opportunities/G-ODD", json={"occupation_id": choice["occupation_id"]}, headers=lead
    )
    assert picked.status_code == 200, picked.text
    body = picked.json()
    assert not body["needs_skills"] and body["occupation_choices"] == []
    assert body["required_skills"] and all(s["inferred"] for s in body["required_skills"])
    assert client.get("/api/v1/opportunities/G-ODD/candidates", headers=lead).status_code == 200
    # Listing skills is the other way out.
    listed = client.patch(
        "/api/v1/opportunities/G-VAGUE",
        json={"required_skills": [{"name": "SQL", "level": 3}]},
        headers=lead,
    )
    assert listed.status_code == 200 and not listed.json()["needs_skills"]


def test_the_closest_occupations_offer_several_kinds_of_work(
    lexical: OccupationNormalizer, taxonomy: Taxonomy
) -> None:
    """ESCO splits one O*NET occupation into close variants ("nitrator operator", "granulator
    machine operator"): at most two of them come before the other kinds of work a vague title
    could name, for every title tried, and the best match stays first."""
    by_work = Counter(o.onet_codes for o in taxonomy.occupations.values() if o.onet_codes)
    crowded = [codes for codes, n in by_work.items() if n >= 6]
    titles = sorted(
        {
            taxonomy.occupations[o].label.split()[-1]
            for o in taxonomy.occupations
            if taxonomy.occupations[o].onet_codes in crowded
        }
    )[:40]
    assert len(titles) >= 20
    for title in titles:
        ranked = lexical.normalize(title, limit=5)
        unlimited = lexical.normalize(title, limit=1)
        assert not ranked or ranked[0].occupation_id == unlimited[0].occupation_id
        works = Counter(taxonomy.occupations[m.occupation_id].onet_codes for m in ranked)
        if any(n > 2 for codes, n in works.items() if codes):
            # A third of one kind only once every other kind found is listed.
            wider = lexical.normalize(title, limit=30)
            kinds = {taxonomy.occupations[m.occupation_id].onet_codes for m in wider}
            assert kinds <= set(works), (title, [m.label for m in ranked])


def test_words_spread_over_an_occupations_titles_place_the_title_together(
    lexical: OccupationNormalizer, taxonomy: Taxonomy
) -> None:
    """A title made of one word from each of two of an occupation's titles, which no single
    title holds both of ("production" from one, "sorter" from another), is found through all
    its titles read together: the work (its O*NET occupations) among the first five for three
    in four such titles (six in ten from the best single title alone)."""
    rng = random.Random(11)
    tried = found = 0
    occupations = sorted(taxonomy.occupations.values(), key=lambda o: o.occupation_id)
    for occupation in rng.sample(occupations, 600):
        every = [occupation.label, *occupation.alt_labels, *occupation.other_titles]
        if len(occupation.other_titles) < 2:
            continue
        first, second = (tokens(t) for t in rng.sample(occupation.other_titles, 2))
        only_first = [w for w in first if w not in second]
        only_second = [w for w in second if w not in first]
        if not only_first or not only_second:
            continue
        query = f"{rng.choice(only_first)} {rng.choice(only_second)}"
        if any(set(tokens(query)) <= set(tokens(t)) for t in every) or lexical.is_generic(query):
            continue
        tried += 1
        ranked = lexical.normalize(query, limit=5)
        found += any(
            taxonomy.occupations[m.occupation_id].onet_codes == occupation.onet_codes
            for m in ranked
        )
    assert tried >= 300
    assert found / tried >= 0.75, (found, tried)


def test_tools_a_title_names_are_what_a_title_only_posting_asks_for(
    state: ServiceState, taxonomy: Taxonomy
) -> None:
    """A new user's trial: "Tableau dashboard developer" was placed nowhere and asked for
    nothing, not even Tableau. A title-only posting now asks for the products its title names
    (before its occupation's skills), and is matched on them even where no occupation is
    placed; an English word that is also a product's short name ("Access", "Teams") is none."""
    _people(state, make_employee("LEAD"))
    titles = {
        "T1": ("Tableau dashboard developer", ["Tableau"]),
        "T2": ("AutoCAD drafter", ["Autodesk AutoCAD"]),
        "T3": ("Salesforce Administrator", ["Salesforce software"]),
        "T4": ("Kubernetes platform engineer", ["Kubernetes"]),
        "T5": ("Access Coordinator", []),
        "T6": ("Teams lead", []),
    }
    records = [
        make_opportunity(key, "LEAD", title=title, required_skills=[], preferred_skills=[])
        for key, (title, _) in titles.items()
    ]
    _import_postings(state, records)
    with state.sessions() as session:
        rows = {r.external_id: r for r in session.scalars(select(OpportunityRow))}
        documents = {k: opportunity_document(r) for k, r in rows.items()}
    for key, (title, named) in titles.items():
        required = [s["name"] for s in documents[key]["required_skills"]]
        assert required[: len(named)] == named, (title, required)
        if named:
            assert not documents[key]["needs_skills"], title
    # Where the occupation is placed too, its skills follow the named tool.
    drafter = documents["T2"]
    assert drafter["occupation"] is not None and len(drafter["required_skills"]) > 1
