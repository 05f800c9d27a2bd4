"""Store a generated demo company: the same importers a customer's files go through."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from sqlalchemy.orm import Session

from data.demo import DemoCompany
from data.importing.service import import_employees, import_opportunities
from data.importing.skills import SkillResolver
from data.schemas import InteractionIn, InteractionType, OpportunityStatus, Role
from data.storage.courses import upsert_courses
from data.storage.interactions import add_interactions
from data.storage.opportunities import set_posted_at
from data.storage.pipeline import add_pairs
from data.storage.reset import clear_company_data
from data.storage.skills import load_taxonomy
from data.storage.tables import PipelineRow
from data.storage.tokens import issue_token
from data.taxonomy.packaged import load_packaged_taxonomy
from data.workflow import Stage


@dataclass(frozen=True, slots=True)
class DemoToken:
    """A documented demo login: `persona` names whose profile it acts as (employee, lead, hr)."""

    persona: str
    role: Role
    token: str
    scopes: tuple[str, ...] = ()


# Long enough for a demo that runs for a while; `talent demo` issues them again.
DEMO_TOKEN_LIFETIME = dt.timedelta(days=365)


def open_pipeline(company: DemoCompany) -> list[PipelineRow]:
    """The history's undecided applications to opportunities still open, as pipeline pairs
    (applied or shortlisted), so a lead has live candidates to act on. Pairs the history
    already decided (accepted, completed, rejected) stay in the interaction log only."""
    open_ids = {o.external_id for o in company.opportunities if o.status is OpportunityStatus.OPEN}
    seen: dict[tuple[str, str], dict[str, InteractionIn]] = {}
    for event in company.interactions:
        if event.opportunity_external_id in open_ids:
            pair = (event.employee_external_id, event.opportunity_external_id)
            seen.setdefault(pair, {}).setdefault(event.type.value, event)
    rows = []
    for (employee, opportunity), events in seen.items():
        applied = events.get(InteractionType.APPLY.value)
        decided = {InteractionType.ACCEPT.value, InteractionType.COMPLETE.value}
        if applied is None or decided & set(events) or InteractionType.REJECT.value in events:
            continue
        shortlisted = events.get(InteractionType.SHORTLIST.value)
        rows.append(
            PipelineRow(
                employee_external_id=employee,
                opportunity_external_id=opportunity,
                stage=(Stage.SHORTLISTED if shortlisted else Stage.APPLIED).value,
                version=1,
                request_id=applied.request_id,
                origin="application",
                note="",
                approval="none",
                approval_reason="",
                created_at=applied.occurred_at,
                updated_at=(shortlisted or applied).occurred_at,
            )
        )
    return rows


def store_demo_company(
    session: Session,
    company: DemoCompany,
    tokens: Iterable[DemoToken] = (),
    *,
    token_secret: bytes = b"",
    step: Callable[[], None] = lambda: None,
) -> None:
    """Replace the company data with `company` (course catalog included) and issue its persona
    tokens (keyed with `token_secret`). `step` is called three times, after people,
    opportunities and the rest."""
    clear_company_data(session)
    # The packaged taxonomy brings the occupations the demo's people and postings declare.
    resolver = SkillResolver(load_taxonomy(session, base=load_packaged_taxonomy()))
    records = [e.model_dump(mode="json") for e in company.employees]
    import_employees(session, list(enumerate(records, start=1)), resolver)
    step()
    records = [o.model_dump(mode="json") for o in company.opportunities]
    import_opportunities(session, list(enumerate(records, start=1)), resolver)
    set_posted_at(session, company.posted_at)
    # Courses teach the skills the opportunities ask for, all taxonomy skills already stored.
    upsert_courses(session, company.courses)
    step()
    add_interactions(session, company.interactions)
    add_pairs(session, open_pipeline(company))
    for demo in tokens:
        issue_token(
            session,
            secret=token_secret,
            role=demo.role,
            subject_external_id=company.personas[demo.persona],
            label=f"demo {demo.persona}" + "".join(f" ({s})" for s in demo.scopes),
            token=demo.token,
            scopes=demo.scopes,
            lifetime=DEMO_TOKEN_LIFETIME,
            demo=True,
        )
    step()
