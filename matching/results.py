"""Shape ranked hits into API items: the "why" (skill overlap) and the masked candidate view
(matching/masking.py decides what a lead may see)."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable, Mapping, Sequence

from sqlalchemy.orm import Session

from data.storage.snapshots import StoredAskedSkill, StoredEmployee, StoredOpportunity
from matching.aliases import candidate_alias
from matching.course_catalog import CourseCatalog
from matching.explain import inferred_note
from matching.learning import Openings, SkillGap, learning_for
from matching.masking import lead_reasons, revealed_card, shared_reasons
from matching.pipeline import RankedHit
from matching.views import (
    AskedSkill,
    Candidate,
    CandidateItem,
    CandidateView,
    EmployeeExplanation,
    Gap,
    LeadExplanation,
    LeadWeighing,
    LearningItem,
    MatchedSkill,
    OpportunityItem,
    PairExplanation,
    ReasonsAndGaps,
    SkillOverlap,
)


def skill_overlap(employee: StoredEmployee, opportunity: StoredOpportunity) -> SkillOverlap:
    """Which asked-for skills the person has (with both levels) and which are missing."""
    have = {s.skill_id: s.level for s in employee.skills}
    matched: list[MatchedSkill] = []
    missing: list[AskedSkill] = []
    for skill in opportunity.skills:
        entry: AskedSkill = {
            "skill_id": skill.skill_id,
            "name": skill.skill.label,
            "level_required": skill.level,
            "required": skill.required,
        }
        if skill.inferred:  # implied by the title, not chosen by the lead
            entry["inferred_from"] = opportunity.occupation_label or "the title"
        if skill.skill_id in have:
            matched.append({**entry, "level": have[skill.skill_id]})
        else:
            missing.append(entry)
    return {"matched_skills": matched, "missing_skills": missing}


def _explanation(
    hit: RankedHit,
    employee: StoredEmployee,
    opportunity: StoredOpportunity,
    reasons: EmployeeExplanation,
) -> PairExplanation:
    """The model's reasons and exact contributions, plus the skills view. Scores and
    contributions are not rounded: base_value + sum(contributions) == score."""
    return {
        **for_and_against(reasons, kind=opportunity.kind),
        **skill_overlap(employee, opportunity),
        "similarity": hit.similarity,
    }


# What can stand between a person and the work, said as a gap when it lowers the score. Other
# features lower a score only against the reference ("3.2 years with the company", "Your
# occupation is close to the one it is for (relatedness 0.00)" lowering it): no gap a person
# could close or weigh, so the card leaves them unsaid (their amounts stay in `contributions`
# and the audit record).
GAP_FEATURES = frozenset(
    {
        "required_missing",
        "worst_level_deficit",
        "level_outside_band",
        "location_match",
        "timezone_gap_hours",
    }
)


# A mentorship is there to learn the skills on offer: lacking them is its point, not a gap.
MENTEE_GAPS = GAP_FEATURES - {"required_missing", "worst_level_deficit"}


def for_and_against(explanation: EmployeeExplanation, *, kind: str = "gig") -> ReasonsAndGaps:
    """An employee's reasons split by their sign: what speaks for the match stays `reasons`,
    what stands against it becomes `gaps` (a card lists them apart, never a shortfall among
    the "why" bullets). The audit record keeps the model's explanation as it was made."""
    reasons = explanation.get("reasons", [])
    gaps: list[Gap] = [
        {"feature": r["feature"], "text": r["text"]}
        for r in reasons
        if r["contribution"] < 0
        and r["feature"] in (MENTEE_GAPS if kind == "mentorship" else GAP_FEATURES)
    ]
    return {**explanation, "reasons": [r for r in reasons if r["contribution"] > 0], "gaps": gaps}


def opportunity_items(
    employee: StoredEmployee,
    hits: list[RankedHit],
    rows: Mapping[int, StoredOpportunity],
    explanations: list[EmployeeExplanation],
    learning: list[list[LearningItem]],
) -> list[OpportunityItem]:
    """What an employee's match cards say of each pair: the model's reasons, the skills view and
    the ways to close the gap (serving/presenters/matches.py adds the posting as the API shows
    it and the API's link to the what-if)."""
    return [
        {
            "score": hit.score,
            "rank": rank,
            "explanation": {
                **_explanation(hit, employee, rows[hit.row_id], reasons),
                "learning": learn,
            },
        }
        for rank, (hit, reasons, learn) in enumerate(
            zip(hits, explanations, learning, strict=True), start=1
        )
    ]


def candidate_handle(key: bytes, opportunity: StoredOpportunity, employee_external_id: str) -> str:
    """A pseudonym for one candidate on one opportunity of one lead: the lead can refer to
    someone without knowing who, and cannot link them across opportunities (or with what
    another lead sees)."""
    message = "\x1f".join(
        (opportunity.owner_external_id, opportunity.external_id, employee_external_id)
    )
    digest = hmac.new(key, message.encode(), hashlib.sha256).hexdigest()
    return f"cand-{digest[:12]}"


def masked_candidate(
    employee: StoredEmployee,
    opportunity: StoredOpportunity,
    key: bytes,
    *,
    reveal_id: bool,
    revealed: bool,
) -> Candidate:
    """One candidate outside a ranked list (an applicant, a pipeline pair): the finest card
    once the person revealed themselves to this lead for this posting, else only the handle
    (there is no pool here to hide them in; the lead saw their card in the list they came from).
    No name, contact, title, department, no free text and no skill the posting did not ask."""
    view: CandidateView = (
        revealed_card(employee, opportunity) if revealed else {"detail": "withheld"}
    )
    handle = candidate_handle(key, opportunity, employee.external_id)
    candidate: Candidate = {"handle": handle, "alias": candidate_alias(handle), **view}
    if reveal_id:
        candidate["external_id"] = employee.external_id
    return candidate


def candidate_items(
    opportunity: StoredOpportunity,
    hits: list[RankedHit],
    rows: Mapping[int, StoredEmployee],
    key: bytes,
    explanations: list[LeadWeighing],
    cards: dict[int, CandidateView],
    *,
    reveal_ids: bool,
) -> list[CandidateItem]:
    """A lead's page: each candidate's masked card (`cards`, by row id, from
    matching/masking.mask_pool over the pool the lead can be shown) and the model's reasons said
    from that card."""
    items: list[CandidateItem] = []
    note = inferred_note(opportunity)
    views = [cards[hit.row_id] for hit in hits]
    weighed = shared_reasons(explanations, views)
    for rank, (hit, model, view, ranked) in enumerate(
        zip(hits, explanations, views, weighed, strict=True), start=1
    ):
        employee = rows[hit.row_id]
        handle = candidate_handle(key, opportunity, employee.external_id)
        candidate: Candidate = {"handle": handle, "alias": candidate_alias(handle), **view}
        explanation: LeadExplanation = {"reasons": lead_reasons(ranked, view, inferred=note)}
        if "paused" in model:  # the model's document with its reasons said from the card
            explanation["paused"] = model["paused"]
        item: CandidateItem = {"candidate": candidate, "rank": rank, "explanation": explanation}
        if reveal_ids:  # admins only: a lead gets no score (see matching/explain.py)
            candidate["external_id"] = employee.external_id
            item["score"] = hit.score
            explanation["similarity"] = hit.similarity
        items.append(item)
    return items


def resolve_candidate(
    key: bytes, opportunity: StoredOpportunity, handle: str, shown: Iterable[str]
) -> str | None:
    """The employee behind a handle, among the people `shown` for this opportunity (a lead can
    act only on handles it was given)."""
    for external_id in dict.fromkeys(shown):
        if hmac.compare_digest(candidate_handle(key, opportunity, external_id), handle):
            return external_id
    return None


def skill_gaps(employee: StoredEmployee, opportunity: StoredOpportunity) -> list[SkillGap]:
    """Asked-for skills the person lacks or holds below the asked level, required first."""
    have = {s.skill_id: s.level for s in employee.skills}
    skills: Sequence[StoredAskedSkill] = opportunity.skills
    asked = sorted(skills, key=lambda s: (not s.required, s.position))
    return [
        SkillGap(s.skill_id, s.skill.label, have.get(s.skill_id, 0), s.level)
        for s in asked
        if have.get(s.skill_id, 0) < s.level
    ]


def learning_for_page(
    session: Session,
    employee: StoredEmployee,
    opportunities: Sequence[StoredOpportunity],
    *,
    held: Openings | None = None,
    catalog: CourseCatalog | None = None,
) -> list[list[LearningItem]]:
    """ "Close the gap" items for each opportunity on a page, from one batched lookup: courses
    from the catalog and other open gigs or mentorships that build the missing skills."""
    gaps = [skill_gaps(employee, o) for o in opportunities]
    distinct = list(dict.fromkeys(g for item in gaps for g in item))
    found = learning_for(
        session,
        distinct,
        employee_external_id=employee.external_id,
        exclude_opportunities=[o.external_id for o in opportunities],
        held=held,
        catalog=catalog,
    )
    by_gap: dict[tuple[str, int, int], list[LearningItem]] = {}
    for entry in found:
        key = (entry["skill_id"], entry["level_held"], entry["level_asked"])
        by_gap.setdefault(key, []).append(entry)
    return [
        [e for g in item for e in by_gap.get((g.skill_id, g.level_held, g.level_asked), [])]
        for item in gaps
    ]
