"""A SCIM filter parsed (scim2-models), its attribute names resolved against the published
schemas (serving/scim/names.py), and run: as SQL where its attributes have columns
(data/storage/scim_filters.py), on the rendered resources otherwise."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from scim2_models import Resource, ScimFilter
from scim2_models.path.expressions import FilterNode
from sqlalchemy import ColumnElement

from data.storage import scim_filters
from data.storage.scim_filters import NeedsDocuments
from serving.scim import names
from serving.scim.errors import bad_request

__all__ = ["NeedsDocuments", "group_clause", "matches", "parse", "user_clause"]


def parse(text: str, vocabulary: names.Vocabulary) -> FilterNode:
    """The filter with every attribute as the schemas spell it (an extension's with its URN);
    400 invalidFilter naming a syntax error or an attribute that is not published."""
    try:
        node = ScimFilter(text).ast
    except Exception as exc:  # the parser's own words name what is wrong
        raise bad_request(f"filter: {exc}", "invalidFilter") from None
    try:
        return names.in_filter(node, vocabulary)
    except names.UnknownAttribute as unknown:
        raise bad_request(f"filter: {unknown}", "invalidFilter") from None


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


def bound(node: FilterNode, model: type[Resource[Any]]) -> Any:
    """The resolved filter bound to the resource's model, for `matches` (an operator or value
    the attribute cannot take is refused here, once, not per document)."""
    try:
        # Parametrised by the resource type read at run time: mypy wants a static type there.
        return ScimFilter[model](node)  # type: ignore[valid-type]
    except Exception as exc:
        raise bad_request(f"filter: {exc}", "invalidFilter") from None


def matches(scim_filter: Any, model: type[Resource[Any]], document: dict[str, Any]) -> bool:
    """Evaluate a bound filter on one rendered document (the attributes with no column)."""
    try:
        resource = model.model_validate(document)
        return bool(scim_filter.match(resource, strict=True))
    except Exception as exc:
        raise bad_request(f"filter: {exc}", "invalidFilter") from None
