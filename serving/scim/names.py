"""Attribute names as clients write them, resolved against what /Schemas publishes (RFC 7644
§3.10): case-insensitive, with or without the schema URN; an extension attribute may be named
without its URN when no core attribute has the same name (`employeeNumber`, `manager.value`).
A filter naming an attribute that is not published is refused (§3.4.2.2: invalidFilter)
instead of silently matching nobody."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache

from scim2_models.path.expressions import (
    AttrPath,
    Comparison,
    FilterNode,
    LogicalExpr,
    Not,
    Present,
    ValuePath,
)

from serving.scim.discovery import CORE_GROUP, CORE_USER, ENTERPRISE_USER, published_attributes

# Every resource's common attributes (RFC 7643 §3.1): not in /Schemas, rendered on every read.
COMMON: dict[str, tuple[str, ...] | None] = {
    "id": None,
    "externalId": None,
    "meta": ("resourceType", "created", "lastModified", "location", "version"),
}
_LEADING_NAME = re.compile(r"^([A-Za-z][\w$-]*)")


class UnknownAttribute(ValueError):
    """A name no published schema of the resource type declares (its words name it)."""


@dataclass(frozen=True, slots=True)
class Attribute:
    schema: str  # the URN of the schema declaring it
    name: str  # as the schema spells it
    sub_attributes: dict[str, str] | None  # lower-cased -> as spelled; None: simple


@dataclass(frozen=True, slots=True)
class Vocabulary:
    """The attribute names one resource type publishes: its core schema's, then its
    extensions' (a short name only where no core attribute takes it)."""

    core: str
    by_schema: dict[str, dict[str, Attribute]]  # lower-cased URN -> lower-cased name -> it
    short: dict[str, Attribute] = field(default_factory=dict)

    def attribute(self, path: AttrPath) -> Attribute:
        name = path.attr.lower()
        if path.uri is None:
            found = self.short.get(name)
        else:
            schema = self.by_schema.get(path.uri.lower())
            if schema is None:
                raise UnknownAttribute(f"unknown schema {path.uri!r}")
            found = schema.get(name)
        if found is None:
            raise UnknownAttribute(f"unknown attribute {str(path)!r}")
        return found

    def resolve(self, path: AttrPath) -> AttrPath:
        """The path as the schemas spell it, an extension attribute with its URN."""
        found = self.attribute(path)
        sub = path.sub_attr
        if sub is not None:
            if found.sub_attributes is None or sub.lower() not in found.sub_attributes:
                raise UnknownAttribute(f"unknown attribute {str(path)!r}")
            sub = found.sub_attributes[sub.lower()]
        uri = None if found.schema == self.core else found.schema
        return AttrPath(attr=found.name, sub_attr=sub, uri=uri)

    def qualified(self, text: str) -> str:
        """An attribute path or PATCH path with an extension's short name given its URN
        (`manager.value` -> `urn:...:User:manager.value`); anything else as it was."""
        if ":" in text.split("[")[0]:
            return text
        leading = _LEADING_NAME.match(text)
        found = self.short.get(leading.group(1).lower()) if leading else None
        if leading is None or found is None or found.schema == self.core:
            return text
        return f"{found.schema}:{found.name}{text[leading.end() :]}"


def vocabulary(core: str, extensions: tuple[str, ...] = ()) -> Vocabulary:
    published = published_attributes()
    by_schema: dict[str, dict[str, Attribute]] = {}
    short: dict[str, Attribute] = {}
    for schema in (core, *extensions):
        declared = {**COMMON, **published[schema]} if schema == core else published[schema]
        attributes = {
            name.lower(): Attribute(
                schema, name, None if subs is None else {s.lower(): s for s in subs}
            )
            for name, subs in declared.items()
        }
        by_schema[schema.lower()] = attributes
        for key, attribute in attributes.items():
            short.setdefault(key, attribute)  # the core schema's first: it wins a clash
    return Vocabulary(core, by_schema, short)


def in_filter(node: FilterNode, names: Vocabulary) -> FilterNode:
    """The filter with every attribute resolved; UnknownAttribute for one not published."""
    if isinstance(node, LogicalExpr):
        return LogicalExpr(op=node.op, terms=tuple(in_filter(t, names) for t in node.terms))
    if isinstance(node, Not):
        return Not(expr=in_filter(node.expr, names))
    if isinstance(node, Present):
        return Present(attr_path=names.resolve(node.attr_path))
    if isinstance(node, Comparison):
        return Comparison(attr_path=names.resolve(node.attr_path), op=node.op, value=node.value)
    if isinstance(node, ValuePath):
        outer = names.resolve(node.attr_path)
        inner = names.attribute(node.attr_path).sub_attributes
        if inner is None or outer.sub_attr is not None:
            raise UnknownAttribute(f"{str(node.attr_path)!r} has no values to select from")
        return ValuePath(
            attr_path=outer,
            val_filter=_in_value_filter(node.val_filter, inner, str(outer)),
            sub_attr=node.sub_attr,
        )
    raise UnknownAttribute(f"cannot read {node}")


def _in_value_filter(node: FilterNode, subs: dict[str, str], outer: str) -> FilterNode:
    """The filter inside `emails[...]`: it names the attribute's sub-attributes."""

    def resolve(path: AttrPath) -> AttrPath:
        if path.uri is not None or path.sub_attr is not None or path.attr.lower() not in subs:
            raise UnknownAttribute(f"unknown attribute {str(path)!r} in {outer}[...]")
        return AttrPath(attr=subs[path.attr.lower()])

    if isinstance(node, LogicalExpr):
        return LogicalExpr(
            op=node.op, terms=tuple(_in_value_filter(t, subs, outer) for t in node.terms)
        )
    if isinstance(node, Not):
        return Not(expr=_in_value_filter(node.expr, subs, outer))
    if isinstance(node, Present):
        return Present(attr_path=resolve(node.attr_path))
    if isinstance(node, Comparison):
        return Comparison(attr_path=resolve(node.attr_path), op=node.op, value=node.value)
    raise UnknownAttribute(f"cannot read {node} in {outer}[...]")


@cache
def user_names() -> Vocabulary:
    return vocabulary(CORE_USER, (ENTERPRISE_USER,))


@cache
def group_names() -> Vocabulary:
    return vocabulary(CORE_GROUP)
