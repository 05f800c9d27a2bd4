"""Keep this process's index in step with what a request just committed (other processes catch
up through the freshness poll, `ServiceState.catch_up`)."""

from __future__ import annotations

from collections.abc import Sequence

from data.storage.queries import rows_by_external_id, rows_of
from data.storage.tables import EmployeeRow, OpportunityRow
from serving.state import ServiceState


def reindex(
    state: ServiceState,
    *,
    employees: Sequence[str] = (),
    opportunities: Sequence[str] = (),
    employee_rows: Sequence[int] = (),
    opportunity_rows: Sequence[int] = (),
) -> None:
    """Refresh these people and opportunities (by external id or row id) from storage."""
    with state.sessions() as session:
        people = [*rows_by_external_id(session, EmployeeRow, employees).values()]
        people += rows_of(session, EmployeeRow, employee_rows)
        jobs = [*rows_by_external_id(session, OpportunityRow, opportunities).values()]
        jobs += rows_of(session, OpportunityRow, opportunity_rows)
        state.matcher.refresh_employee_rows(people)
        state.matcher.refresh_opportunity_rows(jobs)
    state.matcher.cache.save()
