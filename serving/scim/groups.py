"""A group as a SCIM Group and back: a display name and members, each a provisioned person
(nested groups are not kept: a role is granted to people)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError
from scim2_models import Group

from data.storage.tables import ScimGroupRow
from serving.scim.discovery import CORE_GROUP, GROUP_ATTRIBUTES
from serving.scim.errors import bad_request
from serving.scim.users import _iso, validation_words, weak_etag

COMMON = {"schemas", "id", "externalId", "meta"}


@dataclass(frozen=True, slots=True)
class GroupInput:
    display_name: str
    scim_external_id: str | None
    member_ids: list[str]  # the members' SCIM ids


def parse_group(payload: Any) -> Group:
    if not isinstance(payload, dict):
        raise bad_request("the body must be a JSON object (a SCIM Group)", "invalidSyntax")
    wanted = {name.lower(): name for name in (*COMMON, *GROUP_ATTRIBUTES)}
    kept = {wanted[k.lower()]: v for k, v in payload.items() if k.lower() in wanted}
    kept["schemas"] = [CORE_GROUP]
    try:
        return Group.model_validate(kept)
    except ValidationError as invalid:
        raise bad_request(validation_words(invalid)) from None


def group_input(group: Group) -> GroupInput:
    name = (group.display_name or "").strip()
    if not name:
        raise bad_request("displayName is required")
    if len(name) > 200:
        raise bad_request("displayName is longer than 200 characters")
    members: list[str] = []
    for member in group.members or []:
        if member.type is not None and member.type.lower() != "user":
            raise bad_request("members must be Users (groups are not nested here)")
        value = member.value or (member.ref.rsplit("/", 1)[-1] if member.ref else None)
        if not value:
            raise bad_request("each member needs a value (the User's id)")
        members.append(value)
    return GroupInput(name, group.external_id, members)


def group_document(
    group: ScimGroupRow, members: list[tuple[str, str]], *, base: str
) -> dict[str, Any]:
    document: dict[str, Any] = {
        "schemas": [CORE_GROUP],
        "id": group.id,
        "displayName": group.display_name,
    }
    if group.scim_external_id is not None:
        document["externalId"] = group.scim_external_id
    if members:
        document["members"] = [
            {"value": member, "$ref": f"{base}/Users/{member}", "type": "User"}
            for member, _ in members
        ]
    document["meta"] = {
        "resourceType": "Group",
        "created": _iso(group.created_at),
        "lastModified": _iso(group.updated_at),
        "location": f"{base}/Groups/{group.id}",
        "version": weak_etag(document),
    }
    return document
