"""A SCIM filter parsed (scim2-models) and run: as SQL where its attributes have columns
(data/storage/scim_filters.py), on the rendered resources otherwise."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from scim2_models import ScimFilter
from scim2_models.path.expressions import FilterNode
from sqlalchemy import ColumnElement

from data.storage import scim_filters
from data.storage.scim_filters import NeedsDocuments
from serving.scim.errors import bad_request

__all__ = ["NeedsDocuments", "group_clause", "matches", "parse", "user_clause"]


def parse(text: str) -> FilterNode:
    try:
        return ScimFilter(text).ast
    except Exception as exc:  # the parser's own words name what is wrong
        raise bad_request(f"filter: {exc}", "invalidFilter") from None


def user_clause(node: FilterNode) -> ColumnElement[bool]:
    return _refused_as_scim(scim_filters.user_clause, node)


def group_clause(node: FilterNode) -> ColumnElement[bool]:
    return _refused_as_scim(scim_filters.group_clause, node)


def _refused_as_scim(
    build: Callable[[FilterNode], ColumnElement[bool]], node: FilterNode
) -> ColumnElement[bool]:
    try:
        return build(node)
    except scim_filters.FilterRefused as refused:
        raise bad_request(f"filter: {refused}", "invalidFilter") from None


def matches(text: str, model: type, document: dict[str, Any]) -> bool:
    """Evaluate a filter on one rendered document (the attributes with no column)."""
    try:
        resource = model.model_validate(document)
        return bool(ScimFilter[model](text).match(resource))  # type: ignore[index]
    except Exception as exc:
        raise bad_request(f"filter: {exc}", "invalidFilter") from None
