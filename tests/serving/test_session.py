"""The web app's sign-in: a token becomes an HTTP-only, same-site, secure cookie; writes it
authenticates need the page's own header; sign-out clears it; the pages load nothing from
another site."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from data.schemas import Role
from serving.session import COOKIE
from serving.state import ServiceState
from tests.serving.test_api import seed, token_for


def _token(state: ServiceState, role: Role, subject: str | None) -> str:
    return token_for(state, role, subject)["Authorization"].removeprefix("Bearer ")


def test_a_token_becomes_a_cookie_that_scripts_cannot_read_and_sign_out_clears(
    client: TestClient, state: ServiceState, admin_headers: dict[str, str]
) -> None:
    seed(client, admin_headers)
    token = _token(state, Role.EMPLOYEE, "DATA")
    assert client.post("/api/v1/session", json={"token": "wrong"}).status_code == 401
    signed = client.post("/api/v1/session", json={"token": token})
    assert signed.status_code == 200 and signed.json()["name"] == "Dana Data"
    cookie = signed.headers["set-cookie"]
    assert cookie.startswith(f"{COOKIE}=")
    for flag in ("HttpOnly", "Secure", "SameSite=strict", "Path=/"):
        assert flag.lower() in cookie.lower(), cookie
    jar = {"Cookie": f"{COOKIE}={token}"}
    client.cookies.clear()
    # The page asks first whether it is signed in: an answer either way, not an error.
    assert client.get("/api/v1/session").json() == {"signed_in": False}
    assert client.get("/api/v1/session", headers={"Cookie": f"{COOKIE}=stale"}).json() == {
        "signed_in": False
    }
    assert client.get("/api/v1/session", headers=jar).json()["me"]["name"] == "Dana Data"
    assert client.get("/api/v1/me", headers=jar).json()["subject_external_id"] == "DATA"
    # A write signed in by the cookie alone could come from another site's form: refused.
    forged = client.post("/api/v1/opportunities/GIG-WEB/saves", headers=jar)
    assert forged.status_code == 403 and "X-Requested-With" in forged.json()["detail"]
    page = {**jar, "X-Requested-With": "talent-web"}
    assert client.post("/api/v1/opportunities/GIG-WEB/saves", headers=page).status_code == 201
    out = client.post("/api/v1/session/end", headers=page)
    assert out.status_code == 200 and "max-age=0" in out.headers["set-cookie"].lower()
    # HR's HTML report opens in a browser tab by the cookie.
    hr = {"Cookie": f"{COOKIE}={_token(state, Role.HR, 'WEB')}"}
    assert client.get("/api/v1/audits/report.html", headers=hr).status_code == 200


def test_the_pages_load_nothing_from_another_site(client: TestClient) -> None:
    page = client.get("/")
    assert page.status_code == 200
    assert "default-src 'self'" in page.headers["content-security-policy"]
    for path in ("/", "/docs", "/redoc"):
        html = client.get(path).text
        sources = re.findall(r'(?:src|href)="([^"]+)"', html)
        assert sources and all(not s.startswith(("http:", "https:", "//")) for s in sources), (
            path,
            sources,
        )
    for asset in ("/static/app.js", "/static/app.css", "/docs-assets/swagger-ui-bundle.js"):
        assert client.get(asset).status_code == 200
