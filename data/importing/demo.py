"""Store a generated demo company: the same importers a customer's files go through."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from sqlalchemy.orm import Session

from data.demo import DemoCompany
from data.importing.service import import_employees, import_opportunities
from data.importing.skills import SkillResolver
from data.schemas import Role
from data.storage.courses import upsert_courses
from data.storage.interactions import add_interactions
from data.storage.reset import clear_company_data
from data.storage.skills import load_taxonomy
from data.storage.tokens import issue_token


def store_demo_company(
    session: Session,
    company: DemoCompany,
    tokens: Mapping[Role, str],
    *,
    step: Callable[[], None] = lambda: None,
) -> None:
    """Replace the company data with `company` (course catalog included) and issue its persona
    tokens. `step` is called three times, after people, opportunities and the rest."""
    clear_company_data(session)
    resolver = SkillResolver(load_taxonomy(session))
    records = [e.model_dump(mode="json") for e in company.employees]
    import_employees(session, list(enumerate(records, start=1)), resolver)
    step()
    records = [o.model_dump(mode="json") for o in company.opportunities]
    import_opportunities(session, list(enumerate(records, start=1)), resolver)
    # Courses teach the skills the opportunities ask for, all taxonomy skills already stored.
    upsert_courses(session, company.courses)
    step()
    add_interactions(session, company.interactions)
    for role, token in tokens.items():
        issue_token(
            session,
            role=role,
            subject_external_id=company.personas[role.value],
            label=f"demo {role.value}",
            token=token,
        )
    step()
