"""SCIM filters (RFC 7644 §3.4.2.2), parsed by scim2-models, as SQL: the attributes people
are looked up by (userName, externalId, emails, active, employeeNumber...) become WHERE
clauses, so the lookup an identity provider makes before each create stays an index read. A
filter naming an attribute kept only in the SCIM document (displayName of a User, an e-mail's
type) raises NeedsDocuments: serving/scim/search.py evaluates it on the rendered resources
instead. Names arrive resolved against the published schemas (serving/scim/names.py)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from scim2_models.path.expressions import (
    AttrPath,
    CompareOperator,
    Comparison,
    FilterNode,
    LogicalExpr,
    LogicalOperator,
    Not,
    Present,
)
from sqlalchemy import ColumnElement, and_, exists, false, func, not_, or_, select, true

from data.storage.scim_users import NOT_PROVIDED
from data.storage.tables import EmployeeRow, ScimGroupMemberRow, ScimGroupRow, ScimUserRow

CORE_USER = "urn:ietf:params:scim:schemas:core:2.0:user"
ENTERPRISE_USER = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:user"
CORE_GROUP = "urn:ietf:params:scim:schemas:core:2.0:group"


class FilterRefused(ValueError):
    """A filter this service cannot run as written (its words say why)."""


class NeedsDocuments(Exception):
    """The filter names an attribute with no column: evaluate it on the documents."""


@dataclass(frozen=True, slots=True)
class Column:
    column: Any
    kind: str = "text"  # text (case-insensitive) | exact (case-sensitive) | bool | folded
    absent: Any = None  # the stored value meaning "unassigned", besides NULL


USER_COLUMNS: dict[tuple[str, str | None], Column] = {
    ("username", None): Column(ScimUserRow.user_name_key, "folded"),
    ("externalid", None): Column(ScimUserRow.scim_external_id, "exact"),
    ("id", None): Column(EmployeeRow.external_id, "exact"),
    ("emails", None): Column(EmployeeRow.email_key, "folded"),
    ("emails", "value"): Column(EmployeeRow.email_key, "folded"),
    ("active", None): Column(EmployeeRow.active, "bool"),
    ("title", None): Column(EmployeeRow.title, "text", NOT_PROVIDED),
    ("name", "formatted"): Column(EmployeeRow.name),
    ("department", None): Column(EmployeeRow.department, "text", NOT_PROVIDED),
    # As the User carries it (a later employeeNumber never renames the person: not their id).
    ("employeenumber", None): Column(ScimUserRow.attributes["employeeNumber"].as_string()),
    ("manager", None): Column(EmployeeRow.manager_external_id, "exact"),
    ("manager", "value"): Column(EmployeeRow.manager_external_id, "exact"),
}
GROUP_COLUMNS: dict[tuple[str, str | None], Column] = {
    ("displayname", None): Column(ScimGroupRow.display_name_key, "folded"),
    ("externalid", None): Column(ScimGroupRow.scim_external_id, "exact"),
    ("id", None): Column(ScimGroupRow.id, "exact"),
}
MEMBER_KEYS = {("members", None), ("members", "value")}


def user_clause(node: FilterNode) -> ColumnElement[bool]:
    return _clause(node, lambda path: _column(path, USER_COLUMNS, CORE_USER, ENTERPRISE_USER))


def group_clause(node: FilterNode) -> ColumnElement[bool]:
    def resolve(path: AttrPath) -> Column | str:
        key = _key(path, CORE_GROUP, None)
        if key in MEMBER_KEYS:
            return "members"
        return _column(path, GROUP_COLUMNS, CORE_GROUP, None)

    return _clause(node, resolve)


def _key(path: AttrPath, core: str, extension: str | None) -> tuple[str, str | None]:
    uri = (path.uri or "").lower()
    if uri and uri not in (core, (extension or "").lower()):
        raise FilterRefused(f"unknown schema {path.uri!r}")
    return path.attr.lower(), path.sub_attr.lower() if path.sub_attr else None


def _column(
    path: AttrPath, columns: dict[tuple[str, str | None], Column], core: str, extension: str | None
) -> Column:
    found = columns.get(_key(path, core, extension))
    if found is None:
        raise NeedsDocuments(str(path))
    return found


def _clause(node: FilterNode, resolve: Callable[[AttrPath], Column | str]) -> ColumnElement[bool]:
    if isinstance(node, LogicalExpr):
        terms = [_clause(term, resolve) for term in node.terms]
        return and_(*terms) if node.op is LogicalOperator.and_ else or_(*terms)
    if isinstance(node, Not):
        return not_(_clause(node.expr, resolve))
    if isinstance(node, Present):
        target = resolve(node.attr_path)
        if target == "members":
            return exists().where(ScimGroupMemberRow.group_id == ScimGroupRow.id)
        assert isinstance(target, Column)
        return _present(target)
    if isinstance(node, Comparison):
        target = resolve(node.attr_path)
        if target == "members":
            return _member(node)
        assert isinstance(target, Column)
        return _compare(target, node.op, node.value, str(node.attr_path))
    raise NeedsDocuments(str(node))  # a value path: emails[type eq "work"]


def _present(target: Column) -> ColumnElement[bool]:
    if target.kind == "bool":
        return true()
    clause = target.column.is_not(None)
    return and_(clause, target.column != target.absent) if target.absent else clause


def _member(node: Comparison) -> ColumnElement[bool]:
    if node.op is not CompareOperator.eq or not isinstance(node.value, str):
        raise FilterRefused("members supports eq with a User's id")
    return exists().where(
        ScimGroupMemberRow.group_id == ScimGroupRow.id,
        ScimGroupMemberRow.employee_id
        == select(EmployeeRow.id).where(EmployeeRow.external_id == node.value).scalar_subquery(),
    )


def _compare(target: Column, op: CompareOperator, value: Any, name: str) -> ColumnElement[bool]:
    column: ColumnElement[Any] = target.column
    if target.kind == "bool":
        if not isinstance(value, bool) or op not in (CompareOperator.eq, CompareOperator.ne):
            raise FilterRefused(f"{name} compares with eq/ne and true or false")
        return column.is_(value) if op is CompareOperator.eq else column.is_not(value)
    if value is None:
        return column.is_(None) if op is CompareOperator.eq else column.is_not(None)
    if not isinstance(value, str):
        raise FilterRefused(f"{name} compares with a string")
    if target.kind in ("text", "folded"):
        folded = value.casefold() if target.kind == "folded" else value.lower()
        column = column if target.kind == "folded" else func.lower(column)
        value = folded
    if target.absent is not None and value == target.absent.lower():
        return false()
    pattern = value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    clauses: dict[CompareOperator, Callable[[], ColumnElement[bool]]] = {
        CompareOperator.eq: lambda: column == value,
        CompareOperator.ne: lambda: or_(column.is_(None), column != value),
        CompareOperator.co: lambda: column.like(f"%{pattern}%", escape="\\"),
        CompareOperator.sw: lambda: column.like(f"{pattern}%", escape="\\"),
        CompareOperator.ew: lambda: column.like(f"%{pattern}", escape="\\"),
        CompareOperator.gt: lambda: column > value,
        CompareOperator.ge: lambda: column >= value,
        CompareOperator.lt: lambda: column < value,
        CompareOperator.le: lambda: column <= value,
    }
    return clauses[op]()
