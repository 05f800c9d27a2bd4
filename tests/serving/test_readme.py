"""Every curl example in the README works against a (small) demo company."""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient

from data.demo import generate_company
from data.importing.demo import store_demo_company
from data.storage.engine import transaction
from data.taxonomy.packaged import load_packaged_taxonomy
from serving.cli import DEMO_TOKENS
from serving.state import ServiceState
from tests.conftest import ADMIN_TOKEN, TODAY

README = Path(__file__).resolve().parents[2] / "README.md"


def curl_examples() -> list[list[str]]:
    blocks = re.findall(r"```bash\n(.*?)```", README.read_text(), flags=re.S)
    return [
        shlex.split(line)
        for block in blocks
        for line in block.splitlines()
        if line.startswith("curl ")
    ]


def request_of(args: list[str]) -> tuple[str, str, dict[str, str], str | None]:
    method, headers, data, url = "GET", {}, None, ""
    it = iter(args[1:])
    for arg in it:
        if arg == "-s":
            continue
        if arg == "-X":
            method = next(it)
        elif arg == "-H":
            name, _, value = next(it).partition(":")
            headers[name.strip()] = value.strip().replace("demo-admin-token", ADMIN_TOKEN)
        elif arg == "-d":
            data = next(it)
            method = "POST" if method == "GET" else method
        elif arg.startswith("http"):
            url = arg
        else:
            raise AssertionError(f"README curl uses an option this test does not know: {arg}")
    parts = urlsplit(url)
    assert parts.netloc == "127.0.0.1:8000", "examples must target the `make run` address"
    return method, parts.path + (f"?{parts.query}" if parts.query else ""), headers, data


def test_readme_has_examples_for_every_role() -> None:
    text = " ".join(" ".join(a) for a in curl_examples())
    for token in ("demo-employee-token", "demo-lead-token", "demo-hr-token", "demo-admin-token"):
        assert token in text


@pytest.mark.slow
def test_every_readme_curl_example_works(client: TestClient, state: ServiceState) -> None:
    company = generate_company(
        load_packaged_taxonomy(), employees=150, opportunities=40, seed=7, as_of=TODAY
    )
    with transaction(state.sessions) as session:
        store_demo_company(session, company, DEMO_TOKENS, token_secret=state.token_secret)
    with state.sessions() as session:
        state.matcher.load(session)
    for args in curl_examples():
        method, path, headers, data = request_of(args)
        response = client.request(method, path, headers=headers, content=data)
        expect_rejection = data is not None and '"level": 9' in data
        if expect_rejection:
            assert response.status_code == 422, response.text
            assert response.json()["detail"][0]["field"] == "skills.0.level"
        else:
            assert response.status_code < 300, f"{method} {path}: {response.text}"
            body = response.json()
            if isinstance(body, dict) and "items" in body and "matches" in path:
                assert body["items"], f"{path} returned no matches for the demo persona"
        json.loads(response.text)
