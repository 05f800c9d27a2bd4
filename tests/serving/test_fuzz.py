"""Fuzz every operation of the OpenAPI schema with every schemathesis check: bad input is a
4xx in the documented envelope naming the field, never a 5xx; every status and body is the one
documented; and a rejected write leaves what is stored as it was.

schemathesis derives valid ("positive") and invalid ("negative") requests from the app's own
OpenAPI document; each one goes in-process to the ASGI app as an admin, a lead or an employee.
All checks run; the one setting changed is which statuses count as accepting schema-valid
input on operations with business rules a schema cannot state (an owner that must exist, two
names that resolve to one skill): there a 422 naming the field is the right answer.

Wiring: `schemathesis.pytest.from_fixture` cannot be used here: schemathesis 4.32 rewrites the
pytest node's `_nodeid`, which pytest 9.2 no longer has (AttributeError). So the test loads the
schema from the app built by the `client` fixture and runs one seeded Hypothesis test per
operation (`APIOperation.as_strategy`), each in its own subtest.
"""

from __future__ import annotations

import hashlib
import os
import zlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import hypothesis
import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import strategies as st
from schemathesis.core.result import Ok
from sqlalchemy import Table, select

from data.schemas import Role
from data.storage.tables import (
    DemographicsRow,
    EmployeeRow,
    EmployeeSkillRow,
    InteractionRow,
    OpportunityRow,
    OpportunitySkillRow,
    OversightEventRow,
    PipelineRow,
    RankingOverrideRow,
    RankingPolicyRow,
    SkillAliasRow,
    SkillProposalRow,
    SkillRow,
)
from serving.state import ServiceState
from tests.helpers.api import seed, token_for

if TYPE_CHECKING:
    from hypothesis.strategies import SearchStrategy
    from schemathesis import APIOperation, Case, HookContext, Response


# Fixed by default: the same requests on every run. A longer hunt (nightly, or after touching
# validation) sets e.g. TALENT_FUZZ_EXAMPLES=300 TALENT_FUZZ_SEED=7.
SEED = int(os.environ.get("TALENT_FUZZ_SEED", "20261101"))
# Per operation, spread over 3 roles x (valid, invalid): about a minute per backend on 2
# cores (the whole suite must stay within CI's 20 minutes).
EXAMPLES_PER_OPERATION = int(os.environ.get("TALENT_FUZZ_EXAMPLES", "25"))
# Operations whose schema-valid input can still break a rule only the data can check.
BUSINESS_RULES = (
    "/api/v1/employees/bulk",
    "/api/v1/employees/{external_id}",
    "/api/v1/employees/{external_id}/skills/{skill_id}",
    "/api/v1/opportunities",
    "/api/v1/opportunities/bulk",
    "/api/v1/opportunities/{external_id}",
    "/api/v1/opportunities/{external_id}/overrides",
    # a completion needs its rating, a rejection its reason, used skills must resolve
    "/api/v1/opportunities/{external_id}/pipeline",
    "/api/v1/audits/policies/{kind}",
    "/api/v1/interleaving/{kind}/{direction}",  # the challenger must be a registered version
    "/api/v1/skills/{skill_id}/review",
    "/api/v1/skills/aliases",  # the skill must exist; the alias must not name another skill
    # `to` before `from`: each date is valid alone
    "/api/v1/audits/oversight",
    "/api/v1/audits/report",
    "/api/v1/audits/report.html",
    "/api/v1/audits/outcomes",
    # the same, and a period of at most three years
    "/api/v1/audits/bias-audit",
    "/api/v1/audits/bias-audit/publish",
    "/api/v1/audits/impact-assessment",
    "/api/v1/employees/{external_id}/career-target",  # the role or occupation must exist
    "/api/v1/employees/{external_id}/matches",  # `starts_until` before `starts_from`
    # a person's token names a person who exists; the auditor permission is for HR and admin
    "/api/v1/tokens",
    # the content must be a readable CSV or XLSX file, the mapping name the columns it has
    "/api/v1/imports/files",
    "/api/v1/imports/files/columns",
    "/api/v1/imports/files/dry-run",
    # a chat channel needs its webhook, e-mail an address and the company's SMTP
    "/api/v1/me/notifications",
    # a review is of another's decision; a correction's value must suit its field and differ
    # from the record; an overturned review needs its remedy, a refused correction its reason
    "/api/v1/me/reviews",
    "/api/v1/me/corrections",
    "/api/v1/reviews/{review_id}/decision",
    "/api/v1/corrections/{correction_id}/decision",
)
ACCEPTED = ["2xx", "401", "403", "404", "409", "429"]
# Stored company data a rejected request must leave untouched (tokens and audit records are
# written by reads too; the taxonomy only grows through custom skills).
COMPANY_TABLES = (
    EmployeeRow,
    EmployeeSkillRow,
    DemographicsRow,
    OpportunityRow,
    OpportunitySkillRow,
    InteractionRow,
    RankingPolicyRow,
    RankingOverrideRow,
    OversightEventRow,
    SkillAliasRow,
    PipelineRow,
    SkillProposalRow,
)


@dataclass(frozen=True)
class Company:
    """The seeded company: its state, a token per role and ids that exist, per path parameter."""

    state: ServiceState
    headers: dict[str, dict[str, str]]
    known: dict[str, list[str | int]]


@pytest.fixture
def company(client: TestClient, state: ServiceState, admin_headers: dict[str, str]) -> Company:
    """The test_api company plus an application, a served ranking and an override, so that
    ids in paths can hit real records."""
    seed(client, admin_headers)
    employee = token_for(state, Role.EMPLOYEE, "DATA")
    applied = client.post("/api/v1/opportunities/GIG-WEB/applications", headers=employee)
    assert applied.status_code == 201, applied.text
    served = client.get(
        "/api/v1/employees/DATA/matches", headers={**employee, "X-Request-ID": "fuzz-ranking"}
    )
    assert served.status_code == 200, served.text
    override = client.post(
        "/api/v1/opportunities/GIG-DATA/overrides",
        json={"candidate": "DATA", "action": "pin", "reason": "seeded for the fuzz test"},
        headers=admin_headers,
    )
    assert override.status_code == 201, override.text
    # The first normalisation encodes every taxonomy label (~20 s once per run): pay it here,
    # not inside a fuzzed request that has schemathesis' 10 s timeout.
    assert client.get("/api/v1/skills/normalize?q=sql", headers=admin_headers).status_code == 200
    profile = client.get("/api/v1/employees/DATA", headers=employee).json()
    pipeline = client.get("/api/v1/employees/DATA/pipeline", headers=employee).json()
    gigs: list[str | int] = ["GIG-DATA", "GIG-WEB", "GIG-CLOSED"]
    return Company(
        state=state,
        headers={
            "admin": admin_headers,
            "lead": token_for(state, Role.LEAD, "LEAD"),
            "employee": employee,
        },
        known={
            "employees": ["LEAD", "DATA", "WEB", "SHY"],
            "opportunities": gigs,
            "opportunity_id": gigs,
            "skill_id": [skill["skill_id"] for skill in profile["skills"]],
            "override_id": [override.json()["id"]],
            "request_id": ["fuzz-ranking"],
            "opportunity_external_id": [
                p["opportunity_external_id"] for p in pipeline["applications"]
            ],
            "employee_external_id": ["DATA"],
        },
    )


def _config() -> schemathesis.Config:
    return schemathesis.Config.from_dict(
        {
            "checks": {"positive_data_acceptance": {"expected-statuses": ACCEPTED}},
            "operations": [
                {
                    "include-path": path,
                    "checks": {
                        "positive_data_acceptance": {"expected-statuses": [*ACCEPTED, "422"]}
                    },
                }
                for path in BUSINESS_RULES
            ],
        }
    )


def _with_known_ids(known: dict[str, list[str | int]]) -> Any:
    def flatmap_path_parameters(
        ctx: HookContext, path_parameters: dict[str, Any] | None
    ) -> SearchStrategy[dict[str, Any] | None]:
        """Each path parameter: the generated value or an id that exists."""
        if not path_parameters:
            return st.just(path_parameters)
        assert ctx.operation is not None
        path = ctx.operation.path
        choices = {}
        for name, value in path_parameters.items():
            key = name
            if name == "external_id":
                key = "employees" if path.startswith("/api/v1/employees") else "opportunities"
            choices[name] = st.sampled_from([value, *known.get(key, [])])
        return st.fixed_dictionaries(choices)

    return flatmap_path_parameters


@pytest.mark.slow
def test_every_operation_survives_fuzzing(
    client: TestClient, company: Company, subtests: pytest.Subtests
) -> None:
    schema = schemathesis.openapi.from_asgi("/openapi.json", client.app, config=_config())
    schema.hook(_with_known_ids(company.known))
    operations = []
    for result in schema.get_all_operations():
        assert isinstance(result, Ok), result.err()  # an operation the schema cannot describe
        operations.append(result.ok())
    assert len(operations) > 30, "the schema lost its operations"
    for operation in operations:
        with subtests.test(operation.label):
            _fuzz(operation, company)


def _fuzz(operation: APIOperation, company: Company) -> None:
    cases = st.one_of(
        [
            operation.as_strategy(mode, headers=headers)
            for headers in company.headers.values()
            for mode in schemathesis.GenerationMode
        ]
    )

    # A fixed seed per operation: the same requests on every run and backend, no example database.
    @hypothesis.seed(SEED + zlib.crc32(operation.label.encode()))
    @hypothesis.settings(
        max_examples=EXAMPLES_PER_OPERATION,
        deadline=None,
        database=None,
        # Requests to the matcher are slow by Hypothesis' standards, and bodies are big.
        suppress_health_check=[
            hypothesis.HealthCheck.too_slow,
            hypothesis.HealthCheck.data_too_large,
            hypothesis.HealthCheck.filter_too_much,
        ],
    )
    @hypothesis.given(case=cases)
    def fuzz(case: Case) -> None:
        before = _stored(company.state) if case.method.upper() != "GET" else None
        response = case.call()  # in-process: an unhandled error in the app is raised here
        case.validate_response(response)
        _check_project_rules(response, before, company.state)

    fuzz()


def _check_project_rules(response: Response, before: str | None, state: ServiceState) -> None:
    if not 400 <= response.status_code < 500:
        return
    body = response.json()
    assert set(body) == {"error", "detail", "request_id"}, body
    assert [body["request_id"]] == response.headers["x-request-id"]
    if response.status_code == 422:
        assert all("field" in item and item["message"] for item in body["detail"]), body
    if before is not None:
        assert _stored(state) == before, f"a {response.status_code} changed stored data"


def _stored(state: ServiceState) -> str:
    """A digest of the company's stored data."""
    digest = hashlib.sha256()
    with state.sessions() as session:
        for table in COMPANY_TABLES:
            columns = table.__table__
            assert isinstance(columns, Table)  # a mapped class's (declared as a FromClause)
            # Which seal covers an event is written on the sealing thread just after a write
            # commits: a 4xx that follows a 2xx at once would see it land (a flaky "changed").
            kept = [c for c in columns.columns if c.name != "sealed_by"]
            query = select(*kept).order_by(*columns.primary_key.columns)
            for row in session.execute(query):
                digest.update(repr(tuple(row)).encode())
        skills = SkillRow.__table__
        custom = select(skills).where(skills.c.source == "custom").order_by(skills.c.skill_id)
        for row in session.execute(custom):
            digest.update(repr(tuple(row)).encode())
    return digest.hexdigest()
