"""/scim/v2 (RFC 7644): Users, Groups and the discovery endpoints, for the provisioning token
alone. Every answer is application/scim+json; every refusal a SCIM error (status, scimType,
detail), including those of authentication and of FastAPI itself."""

from __future__ import annotations

import json
from collections.abc import Callable, Coroutine
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Request
from fastapi.responses import Response
from fastapi.routing import APIRoute
from sqlalchemy.exc import IntegrityError

from data.schemas import Role
from serving.auth import Principal, authenticate
from serving.deps import SessionDep, StateDep, vouch
from serving.errors import AppError
from serving.scim import discovery, names
from serving.scim.errors import ScimError, bad_request, error_response, not_found, scim_response
from serving.usecases import provisioning

PREFIX = "/scim/v2"


class ScimRoute(APIRoute):
    """Renders every exception a SCIM route raises (its dependencies' too) as a SCIM error."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handle = super().get_route_handler()

        async def handler(request: Request) -> Response:
            try:
                return await handle(request)
            except ScimError as error:
                return error_response(error)
            except AppError as error:
                headers = {"WWW-Authenticate": "Bearer"} if error.status_code == 401 else None
                detail = error.detail if isinstance(error.detail, str) else json.dumps(error.detail)
                return error_response(ScimError(error.status_code, detail, headers=headers))
            except IntegrityError:  # a concurrent create took the same name first
                return error_response(
                    ScimError(409, "another write took this name a moment ago", "uniqueness")
                )

        return handler


def scim_caller(
    request: Request,
    state: StateDep,
    session: SessionDep,
    authorization: Annotated[str | None, Header(include_in_schema=False)] = None,
) -> Principal:
    """The provisioning token, and only it: an admin's or a person's token is refused here as
    the provisioning token is refused everywhere else."""
    user = authenticate(authorization, state.settings, session, state.token_secret)
    if user.role is not Role.SCIM:
        raise ScimError(
            403, "/scim/v2 takes a provisioning token (role 'scim'); an admin issues one"
        )
    vouch(request, user)
    return user


Caller = Annotated[Principal, Depends(scim_caller)]
# Out of the OpenAPI document: SCIM describes itself (/ServiceProviderConfig, /ResourceTypes,
# /Schemas, RFC 7644 §4) in its own media type and error shape; docs/scim.md says the rest.
router = APIRouter(prefix=PREFIX, tags=["scim"], route_class=ScimRoute, include_in_schema=False)


def _base(request: Request) -> str:
    return str(request.base_url).rstrip("/") + PREFIX


async def _body(request: Request) -> Any:
    raw = await request.body()
    try:
        return json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise bad_request(f"the body is not JSON: {exc}", "invalidSyntax") from None


def _resource(document: dict[str, Any], status: int = 200) -> Response:
    headers = {"ETag": document["meta"]["version"], "Location": document["meta"]["location"]}
    return scim_response(document, status, headers)


def _int(value: str | None, name: str, default: int) -> int:
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise bad_request(f"{name} must be an integer") from None


def _names(value: str | list[str] | None) -> list[str]:
    if value is None:
        return []
    items = value if isinstance(value, list) else value.split(",")
    return [item.strip() for item in items if isinstance(item, str) and item.strip()]


def _projected(
    document: dict[str, Any], attributes: list[str], excluded: list[str]
) -> dict[str, Any]:
    """`attributes` / `excludedAttributes` (RFC 7644 §3.9), by top-level attribute (an
    extension's attributes named with its URN or, unambiguous, without: `employeeNumber`);
    id, schemas and meta always come back."""
    always = {"schemas", "id", "meta"}
    is_user = document.get("meta", {}).get("resourceType") == "User"
    vocabulary = names.user_names() if is_user else names.group_names()

    def split(name: str) -> tuple[str, str | None]:
        name = vocabulary.qualified(name)
        for key in document:
            if key.startswith("urn:") and name.lower().startswith(key.lower()):
                rest = name[len(key) :].lstrip(":").split(".")[0]
                return key, rest or None
        return name.split(".")[0], None

    if attributes:
        kept = {k: v for k, v in document.items() if k in always}
        for name in attributes:
            top, inner = split(name)
            key = next((k for k in document if k.lower() == top.lower()), None)
            if key is None:
                continue
            if inner is None:
                kept[key] = document[key]
            else:
                source = document[key]
                found = next((k for k in source if k.lower() == inner.lower()), None)
                if found is not None:
                    kept.setdefault(key, {})[found] = source[found]
        return kept
    if excluded:
        kept = dict(document)
        for name in excluded:
            top, inner = split(name)
            key = next((k for k in kept if k.lower() == top.lower()), None)
            if key is None or key in always:
                continue
            if inner is None:
                kept.pop(key)
            else:
                kept[key] = {k: v for k, v in kept[key].items() if k.lower() != inner.lower()}
        return kept
    return document


def _list_response(page: provisioning.Page, attributes: list[str], excluded: list[str]) -> Response:
    return scim_response(
        {
            "schemas": [discovery.LIST_RESPONSE],
            "totalResults": page.total,
            "startIndex": page.start,
            "itemsPerPage": len(page.resources),
            "Resources": [_projected(r, attributes, excluded) for r in page.resources],
        }
    )


# -- discovery ------------------------------------------------------------------------------
@router.get("/ServiceProviderConfig")
def service_provider_config(request: Request, caller: Caller) -> Response:
    return scim_response(discovery.service_provider_config(_base(request)))


@router.get("/ResourceTypes")
def resource_types(request: Request, caller: Caller) -> Response:
    found = discovery.resource_type_documents(_base(request))
    return _list_response(provisioning.Page(len(found), 1, found), [], [])


@router.get("/ResourceTypes/{name}")
def resource_type(request: Request, caller: Caller, name: str) -> Response:
    for document in discovery.resource_type_documents(_base(request)):
        if document["id"] == name:
            return scim_response(document)
    raise not_found(f"no resource type {name!r}")


@router.get("/Schemas")
def schemas(request: Request, caller: Caller) -> Response:
    found = discovery.schema_documents(_base(request))
    return _list_response(provisioning.Page(len(found), 1, found), [], [])


@router.get("/Schemas/{schema_id}")
def schema(request: Request, caller: Caller, schema_id: str) -> Response:
    for document in discovery.schema_documents(_base(request)):
        if document["id"] == schema_id:
            return scim_response(document)
    raise not_found(f"no schema {schema_id!r}")


# -- Users ----------------------------------------------------------------------------------
@router.get("/Users")
def list_users(request: Request, session: SessionDep, caller: Caller) -> Response:
    return _search(request, session, provisioning.list_users, dict(request.query_params))


@router.post("/Users/.search")
async def search_users(request: Request, session: SessionDep, caller: Caller) -> Response:
    return _search(request, session, provisioning.list_users, _search_request(await _body(request)))


@router.post("/Users")
async def create_user(
    request: Request, state: StateDep, session: SessionDep, caller: Caller
) -> Response:
    body = await _body(request)
    return _resource(
        provisioning.create_user(state, session, caller, body, base=_base(request)), 201
    )


@router.get("/Users/{user_id}")
def read_user(request: Request, session: SessionDep, caller: Caller, user_id: str) -> Response:
    document = provisioning.read_user(session, user_id, base=_base(request))
    if_none_match = request.headers.get("if-none-match")
    if if_none_match and document["meta"]["version"] in if_none_match:
        return Response(status_code=304, headers={"ETag": document["meta"]["version"]})
    params = request.query_params
    return _resource(
        _projected(
            document, _names(params.get("attributes")), _names(params.get("excludedAttributes"))
        )
        | {"meta": document["meta"]}
    )


@router.put("/Users/{user_id}")
async def replace_user(
    request: Request, state: StateDep, session: SessionDep, caller: Caller, user_id: str
) -> Response:
    body = await _body(request)
    document = provisioning.replace_user(
        state, session, caller, user_id, body, base=_base(request), if_match=_if_match(request)
    )
    return _resource(document)


@router.patch("/Users/{user_id}")
async def patch_user(
    request: Request, state: StateDep, session: SessionDep, caller: Caller, user_id: str
) -> Response:
    body = await _body(request)
    document = provisioning.patch_user(
        state, session, caller, user_id, body, base=_base(request), if_match=_if_match(request)
    )
    return _resource(document)


@router.delete("/Users/{user_id}")
def delete_user(
    request: Request, state: StateDep, session: SessionDep, caller: Caller, user_id: str
) -> Response:
    provisioning.delete_user(
        state, session, caller, user_id, base=_base(request), if_match=_if_match(request)
    )
    return Response(status_code=204)


# -- Groups ---------------------------------------------------------------------------------
@router.get("/Groups")
def list_groups(request: Request, session: SessionDep, caller: Caller) -> Response:
    return _search(request, session, provisioning.list_groups, dict(request.query_params))


@router.post("/Groups/.search")
async def search_groups(request: Request, session: SessionDep, caller: Caller) -> Response:
    body = _search_request(await _body(request))
    return _search(request, session, provisioning.list_groups, body)


@router.post("/Groups")
async def create_group(request: Request, session: SessionDep, caller: Caller) -> Response:
    body = await _body(request)
    return _resource(provisioning.create_group(session, caller, body, base=_base(request)), 201)


@router.get("/Groups/{group_id}")
def read_group(request: Request, session: SessionDep, caller: Caller, group_id: str) -> Response:
    document = provisioning.read_group(session, group_id, base=_base(request))
    params = request.query_params
    return _resource(
        _projected(
            document, _names(params.get("attributes")), _names(params.get("excludedAttributes"))
        )
        | {"meta": document["meta"]}
    )


@router.put("/Groups/{group_id}")
async def replace_group(
    request: Request, session: SessionDep, caller: Caller, group_id: str
) -> Response:
    body = await _body(request)
    document = provisioning.replace_group(
        session, caller, group_id, body, base=_base(request), if_match=_if_match(request)
    )
    return _resource(document)


@router.patch("/Groups/{group_id}")
async def patch_group(
    request: Request, session: SessionDep, caller: Caller, group_id: str
) -> Response:
    body = await _body(request)
    document = provisioning.patch_group(
        session, caller, group_id, body, base=_base(request), if_match=_if_match(request)
    )
    return _resource(document)


@router.delete("/Groups/{group_id}")
def delete_group(request: Request, session: SessionDep, caller: Caller, group_id: str) -> Response:
    provisioning.remove_group(
        session, caller, group_id, base=_base(request), if_match=_if_match(request)
    )
    return Response(status_code=204)


# -- the rest -------------------------------------------------------------------------------
@router.post("/.search")
def search_everything(caller: Caller) -> Response:
    raise ScimError(501, "search Users and Groups apart: POST /Users/.search, /Groups/.search")


@router.api_route("/{rest:path}", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
def unknown(request: Request, rest: str, caller: Caller) -> Response:
    if rest.split("/")[0] in ENDPOINTS:  # a known endpoint, a method it does not take
        raise ScimError(405, f"/{rest} does not take {request.method}")
    raise not_found(f"no SCIM endpoint /{rest}")


ENDPOINTS = {"ServiceProviderConfig", "ResourceTypes", "Schemas", "Users", "Groups"}


def _if_match(request: Request) -> str | None:
    return request.headers.get("if-match")


def _search_request(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise bad_request("the body must be a SearchRequest object", "invalidSyntax")
    return {k: v for k, v in body.items() if k != "schemas"}


def _search(
    request: Request,
    session: Any,
    lister: Callable[..., provisioning.Page],
    params: dict[str, Any],
) -> Response:
    filter_text = params.get("filter")
    if filter_text is not None and not isinstance(filter_text, str):
        raise bad_request("filter must be a string", "invalidFilter")
    if params.get("sortBy"):
        raise ScimError(
            400, "sorting is not supported (ServiceProviderConfig: sort)", "invalidValue"
        )
    start = _int(_text(params.get("startIndex")), "startIndex", 1)
    count = _int(_text(params.get("count")), "count", discovery.MAX_RESULTS)
    page = lister(session, filter_text=filter_text, start=start, count=count, base=_base(request))
    return _list_response(
        page, _names(params.get("attributes")), _names(params.get("excludedAttributes"))
    )


def _text(value: Any) -> str | None:
    return None if value is None else str(value)
