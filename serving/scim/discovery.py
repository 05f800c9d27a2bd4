"""What /scim/v2 publishes about itself (RFC 7643 §5-7): the service provider's configuration,
the resource types and the schemas. The schemas list exactly the attributes this service
stores and returns; a client reading them (scim2-tester does) knows what round-trips."""

from __future__ import annotations

from functools import cache
from typing import Any

from scim2_models import (
    Attribute,
    EnterpriseUser,
    Group,
    Required,
    Schema,
    User,
)

CORE_USER = "urn:ietf:params:scim:schemas:core:2.0:User"
ENTERPRISE_USER = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
CORE_GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
LIST_RESPONSE = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
SEARCH_REQUEST = "urn:ietf:params:scim:api:messages:2.0:SearchRequest"
MAX_RESULTS = 200  # a page's most resources (filter.maxResults)

# Published attribute -> its sub-attributes (None: a simple attribute).
USER_ATTRIBUTES: dict[str, tuple[str, ...] | None] = {
    "userName": None,
    "name": ("formatted", "familyName", "givenName"),
    "displayName": None,
    "title": None,
    "active": None,
    "emails": ("value", "type", "primary"),
    "groups": ("value", "$ref", "display"),
}
ENTERPRISE_ATTRIBUTES: dict[str, tuple[str, ...] | None] = {
    "employeeNumber": None,
    "department": None,
    "manager": ("value", "$ref"),
}
GROUP_ATTRIBUTES: dict[str, tuple[str, ...] | None] = {
    "displayName": None,
    "members": ("value", "$ref", "type"),
}


def _trimmed(schema: Schema, keep: dict[str, tuple[str, ...] | None]) -> Schema:
    attributes: list[Attribute] = []
    for attribute in schema.attributes or []:
        if attribute.name not in keep:
            continue
        wanted = keep[attribute.name]
        if wanted is not None and attribute.sub_attributes:
            attribute.sub_attributes = [s for s in attribute.sub_attributes if s.name in wanted]
        attributes.append(attribute)
    schema.attributes = attributes
    return schema


def _location(document: dict[str, Any], base: str, path: str, kind: str) -> dict[str, Any]:
    document["meta"] = {"resourceType": kind, "location": f"{base}/{path}"}
    return document


@cache
def _schemas() -> tuple[Schema, ...]:
    user = _trimmed(User.to_schema().model_copy(deep=True), USER_ATTRIBUTES)
    for attribute in user.attributes or []:
        if attribute.name == "active":
            # Always known here (a person is active or deactivated): reported on every read,
            # never left unassigned; a create that leaves it out makes an active person.
            attribute.required = Required.true
    enterprise = _trimmed(EnterpriseUser.to_schema().model_copy(deep=True), ENTERPRISE_ATTRIBUTES)
    group = _trimmed(Group.to_schema().model_copy(deep=True), GROUP_ATTRIBUTES)
    return user, enterprise, group


@cache
def published_attributes() -> dict[str, dict[str, tuple[str, ...] | None]]:
    """Schema URN -> attribute -> its sub-attributes (None: simple), as /Schemas says."""
    return {
        schema.id: {
            attribute.name: (
                tuple(s.name for s in attribute.sub_attributes if s.name)
                if attribute.sub_attributes
                else None
            )
            for attribute in schema.attributes or []
            if attribute.name
        }
        for schema in _schemas()
        if schema.id
    }


def schema_documents(base: str) -> list[dict[str, Any]]:
    return [
        _location(s.model_dump(mode="json", exclude_none=True), base, f"Schemas/{s.id}", "Schema")
        for s in _schemas()
    ]


def resource_type_documents(base: str) -> list[dict[str, Any]]:
    rtype = "urn:ietf:params:scim:schemas:core:2.0:ResourceType"
    user = {
        "schemas": [rtype],
        "id": "User",
        "name": "User",
        "description": "A person: an employee of the company",
        "endpoint": "/Users",
        "schema": CORE_USER,
        "schemaExtensions": [{"schema": ENTERPRISE_USER, "required": False}],
    }
    group = {
        "schemas": [rtype],
        "id": "Group",
        "name": "Group",
        "description": "A group of people, kept as provisioned; it grants no role (roles "
        "come from the identity provider's groups claim at single sign-on)",
        "endpoint": "/Groups",
        "schema": CORE_GROUP,
    }
    return [
        _location(user, base, "ResourceTypes/User", "ResourceType"),
        _location(group, base, "ResourceTypes/Group", "ResourceType"),
    ]


def service_provider_config(base: str) -> dict[str, Any]:
    document = {
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"],
        "patch": {"supported": True},
        "bulk": {"supported": False, "maxOperations": 0, "maxPayloadSize": 0},
        "filter": {"supported": True, "maxResults": MAX_RESULTS},
        "changePassword": {"supported": False},
        "sort": {"supported": False},
        "etag": {"supported": True},
        "authenticationSchemes": [
            {
                "type": "oauthbearertoken",
                "name": "Provisioning token",
                "description": "Authorization: Bearer <token> with a token of role 'scim', "
                "issued by an admin (POST /api/v1/tokens or talent token create --role scim)",
                "primary": True,
            }
        ],
    }
    return _location(document, base, "ServiceProviderConfig", "ServiceProviderConfig")
