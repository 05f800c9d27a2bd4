"""The page a refused sign-in shows: what happened and what to do, in words, with a way to
start again and back to the sign-in page. Plain HTML with the app's own stylesheet; nothing
from the request is echoed into it."""

from __future__ import annotations

from html import escape

from fastapi.responses import HTMLResponse

from serving.sso.refusals import SsoRefusal

LOGIN_PATH = "/api/v1/sso/login"
# Like the app's page (serving/app.py): its own styles only, no script, framed by nobody.
PAGE_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; style-src 'self'; script-src 'none'; frame-ancestors 'none'; "
        "base-uri 'none'; form-action 'self'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


def refusal_page(refusal: SsoRefusal, *, provider_name: str) -> HTMLResponse:
    explanation = refusal.explanation.for_provider(provider_name)
    retry = (
        ""
        if refusal.kind == "not_configured"
        else f'<a href="{LOGIN_PATH}">Sign in with {escape(provider_name)} again</a>'
    )
    body = f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sign-in refused: {escape(explanation.title)} · talent-marketplace</title>
<link rel="stylesheet" href="/static/app.css">
<link rel="icon" href="data:,">
</head>
<body>
<header class="bar"><span class="brand">talent-marketplace</span></header>
<main id="main">
  <section class="card" aria-labelledby="refusal-title">
    <h1 id="refusal-title">{escape(explanation.title)}</h1>
    <p id="refusal-reason" data-reason="{refusal.kind}">{escape(explanation.text)}</p>
    <p class="row">{retry}
      <a href="/">Back to the sign-in page</a></p>
  </section>
</main>
</body>
</html>
"""
    return HTMLResponse(body, status_code=explanation.status, headers=PAGE_HEADERS)
