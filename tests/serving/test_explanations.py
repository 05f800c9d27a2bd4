"""Every match says why, in words true to the model: contributions add up to the score, leads
read only what their masked card shows, and the what-if is the model's own answer."""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient

from data.demo import generate_company
from data.importing.demo import store_demo_company
from data.schemas import Role
from data.storage.engine import transaction
from data.taxonomy.packaged import load_packaged_taxonomy
from features.registry import FEATURE_NAMES
from matching.explain import EMPLOYEE, LEAD, explain_rows
from matching.masking import lead_reasons, shared_reasons
from matching.views import CandidateView, Coverage, LeadWeighing, RankedFeature
from serving.state import ServiceState
from tests.conftest import TODAY
from tests.factories import make_employee, make_opportunity
from tests.helpers.api import token_for

IDENTITY = re.compile(r"\b(zyxalia|quorrin|she|her|hers|he|him|his)\b", re.IGNORECASE)


@pytest.fixture
def demo(state: ServiceState) -> dict[str, Any]:
    company = generate_company(
        load_packaged_taxonomy(), employees=200, opportunities=40, seed=13, as_of=TODAY
    )
    with transaction(state.sessions) as session:
        store_demo_company(session, company)
    with state.sessions() as session:
        state.matcher.load(session)
    gig = next(o for o in company.opportunities if o.kind.value == "gig")
    return {
        "employees": [e.external_id for e in company.employees[3:60]],
        "gig": gig.external_id,
        "lead": token_for(state, Role.LEAD, gig.owner_external_id),
    }


def first_matches(client: TestClient, demo: dict[str, Any], headers: dict[str, str]) -> dict:
    for employee in demo["employees"]:
        body = client.get(
            f"/api/v1/employees/{employee}/matches?kind=gig&limit=10", headers=headers
        ).json()
        if len(body["items"]) >= 3:
            return {"employee": employee, **body}
    raise AssertionError("no demo employee has three gig matches")


def assert_adds_up(item: dict[str, Any]) -> None:
    explanation = item["explanation"]
    total = explanation["base_value"] + sum(explanation["contributions"].values())
    assert total == pytest.approx(item["score"], abs=1e-9)


def test_explanations_add_up_to_the_score_in_both_directions(
    client: TestClient, demo: dict[str, Any], admin_headers: dict[str, str]
) -> None:
    matches = first_matches(client, demo, admin_headers)
    for item in matches["items"]:
        assert_adds_up(item)
        explanation = item["explanation"]
        assert set(explanation["contributions"]) == set(FEATURE_NAMES)
        assert explanation["reasons"] and all(r["text"] for r in explanation["reasons"])
        assert {"matched_skills", "missing_skills", "learning", "what_if"} <= set(explanation)
    # "Close the gap": a missing skill comes with a course from the demo's catalog that
    # reaches the asked level, and never with the opportunity itself.
    gapped = [i for i in matches["items"] if i["explanation"]["missing_skills"]]
    assert gapped
    for item in gapped:
        missing = {
            s["skill_id"]: s["level_required"] for s in item["explanation"]["missing_skills"]
        }
        learning = item["explanation"]["learning"]
        courses = [e for e in learning if e["kind"] == "course" and e["skill_id"] in missing]
        assert courses and all(e["level_held"] == 0 for e in courses)
        assert any(e["closes_gap"] and e["level_to"] >= missing[e["skill_id"]] for e in courses)
        own = item["opportunity"]["external_id"]
        assert all(e["external_id"] != own for e in learning)
    candidates = client.get(
        f"/api/v1/opportunities/{demo['gig']}/candidates?limit=10", headers=demo["lead"]
    ).json()["items"]
    assert candidates
    for item in candidates:
        # A lead reads reasons with their direction, never amounts or a score: with a fair
        # re-ranker on, a lower score above a higher one would say who was moved up.
        explanation = item["explanation"]
        assert "score" not in item and "contributions" not in explanation
        assert "base_value" not in explanation
        # A card that shows nothing says nothing; every other card says why.
        assert bool(explanation["reasons"]) is (item["candidate"]["detail"] != "withheld")
        assert all(r["effect"] in ("raises", "lowers") for r in explanation["reasons"])
        assert all(set(r) == {"feature", "text", "effect"} for r in explanation["reasons"])
    assert any(item["explanation"]["reasons"] for item in candidates)
    admin = client.get(
        f"/api/v1/opportunities/{demo['gig']}/candidates?limit=10", headers=admin_headers
    ).json()["items"]
    assert all("score" in item for item in admin)


def test_a_leads_view_carries_no_names_or_pronouns_from_profiles(
    client: TestClient,
    state: ServiceState,
    admin_headers: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(state.settings, "mask_k", 1)  # one candidate: show the card in full
    person = make_employee(
        "E-ID",
        name="Zyxalia Quorrin",
        email="zyxalia@corp.example",
        bio="She/her. Zyxalia Quorrin, ten years in analytics; ask her about churn.",
        aspirations="Zyxalia wants to lead her own data team",
        interests=["she/her pronouns circle", "Quorrin family book club", "machine learning"],
    )
    lead = make_employee("LEAD-ID", name="Lead Person")
    assert (
        client.post(
            "/api/v1/employees/bulk", json=[person, lead], headers=admin_headers
        ).status_code
        == 200
    )
    gig = make_opportunity("GIG-ID", owner="LEAD-ID")
    assert (
        client.post("/api/v1/opportunities/bulk", json=[gig], headers=admin_headers).status_code
        == 200
    )
    lead_token = token_for(state, Role.LEAD, "LEAD-ID")
    body = client.get("/api/v1/opportunities/GIG-ID/candidates", headers=lead_token)
    assert body.status_code == 200 and body.json()["items"]
    assert not IDENTITY.search(body.text), IDENTITY.search(body.text)
    reasons = [r["text"] for item in body.json()["items"] for r in item["explanation"]["reasons"]]
    assert reasons and all(not t.startswith("You have") for t in reasons)
    # The person's own view may speak of them: it is theirs.
    own = client.get("/api/v1/employees/E-ID/matches?kind=gig", headers=admin_headers)
    assert own.json()["items"][0]["explanation"]["reasons"]


def test_the_what_if_agrees_with_rescoring_the_edited_profile(
    client: TestClient, demo: dict[str, Any], admin_headers: dict[str, str]
) -> None:
    matches = first_matches(client, demo, admin_headers)
    employee = matches["employee"]
    target = matches["items"][-1]["opportunity"]["external_id"]
    answer = client.get(
        f"/api/v1/employees/{employee}/matches/{target}/what-if", headers=admin_headers
    ).json()
    best = answer["best"]
    assert best is not None and answer["options"][0] == best
    assert best["edit"]["change"] in ("add", "raise")
    assert answer["current"]["score"] == pytest.approx(matches["items"][-1]["score"], abs=1e-9)

    edit = best["edit"]
    changed = client.put(
        f"/api/v1/employees/{employee}/skills/{edit['skill_id']}",
        json={"level": edit["to_level"]},
        headers=admin_headers,
    )
    assert changed.status_code == 200
    after = client.get(
        f"/api/v1/employees/{employee}/matches?kind=gig&limit=100", headers=admin_headers
    ).json()
    rescored = next(i for i in after["items"] if i["opportunity"]["external_id"] == target)
    assert rescored["score"] == pytest.approx(best["score"], abs=1e-6)


def test_profile_corrections_from_a_match_card_are_validated(
    client: TestClient, demo: dict[str, Any], admin_headers: dict[str, str]
) -> None:
    employee = demo["employees"][0]
    url = f"/api/v1/employees/{employee}/skills"
    bad = client.put(f"{url}/esco:whatever", json={"level": 9}, headers=admin_headers)
    assert bad.status_code == 422 and bad.json()["detail"][0]["field"] == "level"
    unknown = client.put(f"{url}/esco:not-a-skill", json={"level": 3}, headers=admin_headers)
    assert unknown.status_code == 422 and "skill" in unknown.text
    assert client.delete(f"{url}/esco:not-held", headers=admin_headers).status_code == 404
    other = token_for_employee(client, demo)
    assert client.put(f"{url}/esco:x", json={"level": 2}, headers=other).status_code == 403


def token_for_employee(client: TestClient, demo: dict[str, Any]) -> dict[str, str]:
    state: ServiceState = client.app.state.service  # type: ignore[attr-defined]  # any ASGI app
    return token_for(state, Role.EMPLOYEE, demo["employees"][1])


def test_golden_sentences_for_a_fixed_fixture() -> None:
    contributions = np.zeros((1, len(FEATURE_NAMES) + 1))
    values = np.zeros((1, len(FEATURE_NAMES)), dtype=np.float32)
    amounts = {
        "required_coverage": 0.42,
        "availability_slack": -0.30,
        "skill_similarity": 0.17,
        "tenure_years": 0.25,
        "worst_level_deficit": -0.05,
    }
    for name, amount in amounts.items():
        contributions[0, FEATURE_NAMES.index(name)] = amount
    contributions[0, -1] = -0.1  # base value
    values[0, FEATURE_NAMES.index("required_coverage")] = 0.8
    values[0, FEATURE_NAMES.index("skill_similarity")] = 0.734
    values[0, FEATURE_NAMES.index("tenure_years")] = 3.25
    values[0, FEATURE_NAMES.index("worst_level_deficit")] = 2
    details = {
        "matched": 4,
        "required": 5,
        "matched_names": ": Python (computer programming), SQL, data mining, statistics",
        "missing_count": 1,
        "missing_names": ": Apache Spark",
        "preferred_matched": 1,
        "preferred": 2,
        "hours": 10.0,
        "availability": 6.0,
        "location_text": "remote or in your location",
        "applications": 3,
        "resemblance": "closely",
    }
    [mine] = explain_rows(contributions, values, [details], audience=EMPLOYEE)
    assert mine["reasons"] == [
        {
            "feature": "required_coverage",
            "text": "You have 4 of 5 required skills: Python (computer programming), SQL, "
            "data mining, statistics",
            "contribution": 0.42,
        },
        {"feature": "tenure_years", "text": "3.2 years with the company", "contribution": 0.25},
        {
            "feature": "skill_similarity",
            "text": "Your skills come close to the ones it asks for",
            "contribution": 0.17,
        },
        {
            "feature": "availability_slack",
            "text": "Needs 10 h a week; you have 6 free",
            "contribution": -0.30,
        },
        {
            "feature": "worst_level_deficit",
            "text": "Largest gap on a required skill: 2 level(s)",
            "contribution": -0.05,
        },
    ]
    [theirs] = explain_rows(contributions, values, [details], audience=LEAD)
    # Which way each spoken feature pushes; tenure, similarity and hours are never spoken of to
    # a lead (the amounts stay in the audit record: the lead's card gets no amount).
    assert [(r["feature"], r["effect"]) for r in theirs["reasons"]] == [
        ("required_coverage", "raises"),
        ("worst_level_deficit", "lowers"),
    ]
    coverage: Coverage = {"required": 5, "required_held": 4, "required_at_level": 3}
    coverage |= {"preferred": 2, "preferred_held": 1}
    card: CandidateView = {"detail": "skills", "coverage": coverage, "level_in_range": True}
    [ranked] = shared_reasons([theirs], [card])
    assert lead_reasons(ranked, card) == [
        {
            "feature": "required_coverage",
            "text": "Holds 4 of the 5 required skills",
            "effect": "raises",
        },
        {
            "feature": "worst_level_deficit",
            "text": "Short of the asked level on 2 of the 5 required skills",
            "effect": "lowers",
        },
    ]
    # A coarser card: the sentences say no more than it shows.
    coarse: CandidateView = {
        "detail": "coarse",
        "coverage": {"required": 5, "required_share": "most"},
    }
    assert [r["text"] for r in lead_reasons(ranked, coarse)] == [
        "Holds most of the 5 required skills"
    ]
    assert lead_reasons(ranked, {"detail": "withheld"}) == []


def test_cards_that_look_alike_carry_the_same_reasons() -> None:
    """One person's own amounts depend on levels and hours the card does not show: cards that
    look alike get the reasons of their mean, so the reasons cannot tell them apart."""
    card: CandidateView = {"detail": "counts", "coverage": {"required": 3, "required_held": 2}}
    card["coverage"] |= {"preferred": 0, "preferred_held": 0}
    card["level_in_range"] = True
    first: LeadWeighing = {
        "reasons": [{"feature": "required_coverage", "effect": "raises", "amount": 0.3}]
    }
    first["reasons"].append({"feature": "worst_level_deficit", "effect": "lowers", "amount": -0.1})
    second: LeadWeighing = {
        "reasons": [{"feature": "worst_level_deficit", "effect": "raises", "amount": 0.2}]
    }
    other: CandidateView = {**card, "level_in_range": False}
    shared = shared_reasons([first, second, first], [card, card, other])
    assert (
        shared[0]
        == shared[1]
        == [
            {"feature": "required_coverage", "effect": "raises"},  # 0.15
            {"feature": "worst_level_deficit", "effect": "raises"},  # 0.05
        ]
    )
    assert shared[2] == [
        {"feature": "required_coverage", "effect": "raises"},
        {"feature": "worst_level_deficit", "effect": "lowers"},
    ]


def test_a_zero_reads_as_a_plain_statement_not_as_zero_of_something() -> None:
    contributions = np.zeros((1, len(FEATURE_NAMES) + 1))
    values = np.zeros((1, len(FEATURE_NAMES)), dtype=np.float32)
    contributions[0, FEATURE_NAMES.index("level_outside_band")] = 0.03
    contributions[0, FEATURE_NAMES.index("required_missing")] = 0.02
    details = {"matched": 1, "required": 1, "matched_names": "", "missing_count": 0}
    details |= {"missing_names": "", "preferred_matched": 0, "preferred": 0, "hours": 4.0}
    details |= {"availability": 6.0, "location_text": "", "applications": 0}
    [mine] = explain_rows(contributions, values, [details], audience=EMPLOYEE)
    assert [r["text"] for r in mine["reasons"]] == [
        "Your level is within the range asked",
        "No required skill is missing",
    ]
    [theirs] = explain_rows(contributions, values, [details], audience=LEAD)
    card: CandidateView = {"detail": "counts", "coverage": {"required": 1, "required_held": 1}}
    card["coverage"] |= {"preferred": 0, "preferred_held": 0}
    card = {**card, "level_in_range": True}
    [ranked] = shared_reasons([theirs], [card])
    said = lead_reasons(ranked, card)
    assert [r["text"] for r in said] == [
        "Level is within the range asked",
        "No required skill is missing",
    ]


def test_a_mentorship_feature_is_never_a_reason_about_a_gig() -> None:
    contributions = np.zeros((1, len(FEATURE_NAMES) + 1))
    values = np.zeros((1, len(FEATURE_NAMES)), dtype=np.float32)
    contributions[0, FEATURE_NAMES.index("mentor_level_gap")] = 0.4
    contributions[0, FEATURE_NAMES.index("required_coverage")] = 0.1
    values[0, FEATURE_NAMES.index("mentor_level_gap")] = 2.0  # the mentor is 2 levels ahead
    values[0, FEATURE_NAMES.index("required_coverage")] = 1.0
    details = {"matched": 1, "required": 1, "matched_names": "", "missing_count": 0}
    details |= {"missing_names": "", "preferred_matched": 0, "preferred": 0, "hours": 4.0}
    details |= {"availability": 6.0, "location_text": "", "applications": 0}
    for kind, spoken in (("gig", False), ("mentorship", True)):
        [shown] = explain_rows(
            contributions, values, [{**details, "kind": kind}], audience=EMPLOYEE
        )
        features = [r["feature"] for r in shown["reasons"]]
        assert ("mentor_level_gap" in features) is spoken, (kind, features)
        # A lead (the mentor) is not told their level gap with a masked candidate: it would
        # tell the candidate's levels on skills beyond the card.
        [theirs] = explain_rows(contributions, values, [{**details, "kind": kind}], audience=LEAD)
        assert "mentor_level_gap" not in [r["feature"] for r in theirs["reasons"]]


def test_a_lead_card_never_says_one_shortfall_twice() -> None:
    """A new user's trial: cards read "Required skills not held: 10 of 10" beside "Short of the
    asked level on 10 of the 10 required skills". When every skill short is one not held, the
    second is left out, whichever comes first, and the slot goes to the next reason; when some
    are held below the level, both are said."""
    ranked: list[RankedFeature] = [
        {"feature": "level_outside_band", "effect": "raises"},
        {"feature": "preferred_coverage", "effect": "raises"},
        {"feature": "worst_level_deficit", "effect": "lowers"},
        {"feature": "required_missing", "effect": "lowers"},
    ]
    blind: CandidateView = {"detail": "counts", "level_in_range": True}
    blind["coverage"] = {"required": 10, "required_held": 0, "required_at_level": 0}
    blind["coverage"] |= {"preferred": 1, "preferred_held": 1}
    lowering = [r["text"] for r in lead_reasons(ranked, blind) if r["effect"] == "lowers"]
    assert lowering == ["Required skills not held: 10 of 10"]
    for order in (ranked, [*ranked[:2], ranked[3], ranked[2]]):
        said = [r["feature"] for r in lead_reasons(order, blind) if r["effect"] == "lowers"]
        assert len(said) == 1
    partly: CandidateView = {**blind, "coverage": {**blind["coverage"], "required_held": 6}}
    partly["coverage"]["required_at_level"] = 3
    lowering = [r["text"] for r in lead_reasons(ranked, partly) if r["effect"] == "lowers"]
    assert len(lowering) == 2
