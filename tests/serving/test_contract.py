"""The OpenAPI document says what the API sends: a real schema for every success of every
route (no bare "some object"), and the error envelope for every error it lists."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient


def _operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method.upper(), path, operation)
        for path, operations in document["paths"].items()
        for method, operation in operations.items()
    ]


def _described(schema: dict[str, Any]) -> bool:
    """A schema that says something: a named model, typed properties, items, or a scalar."""
    if "$ref" in schema or schema.get("properties") or "items" in schema:
        return True
    if schema.get("type") == "object":  # a mapping: its values must be described
        values = schema.get("additionalProperties")
        return isinstance(values, dict) and _described(values)
    return schema.get("type") in ("string", "integer", "number", "boolean")


def test_every_success_has_a_response_schema(client: TestClient) -> None:
    document = client.get("/openapi.json").json()
    bare = []
    for method, path, operation in _operations(document):
        for status, response in operation["responses"].items():
            if not status.startswith("2"):
                continue
            content = response.get("content", {})
            if not content or not all(_described(c.get("schema", {})) for c in content.values()):
                bare.append(f"{method} {path} {status}")
    assert bare == []
    assert len(_operations(document)) > 30


def test_every_documented_error_is_the_envelope(client: TestClient) -> None:
    document = client.get("/openapi.json").json()
    envelopes = {"#/components/schemas/ErrorEnvelope", "#/components/schemas/ValidationEnvelope"}
    wrong = []
    for method, path, operation in _operations(document):
        for status, response in operation["responses"].items():
            if status[0] in "45" and path.startswith("/api/"):
                schemas = [c.get("schema", {}).get("$ref") for c in response["content"].values()]
                if not set(schemas) <= envelopes:
                    wrong.append(f"{method} {path} {status}: {schemas}")
    assert wrong == []
    assert "HTTPValidationError" not in document["components"]["schemas"]
