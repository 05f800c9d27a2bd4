"""Signing in: without a token the page asks for one; a wrong one is explained; the API
reference is served offline."""

from __future__ import annotations

from playwright.sync_api import Browser

from tests.web.browsing import Site


def test_without_a_token_the_page_asks_for_one_and_a_wrong_one_is_explained(
    browser: Browser, site: Site
) -> None:
    context = browser.new_context()
    page = context.new_page()
    page.goto(site.url + "/")
    page.get_by_label("Your access token").fill("not-a-token")
    page.get_by_role("button", name="Sign in").click()
    page.get_by_text("That token is not valid").wait_for()
    docs = context.new_page()
    docs.goto(site.url + "/docs")
    docs.get_by_text("talent-marketplace").first.wait_for()  # Swagger UI rendered, offline
    assert docs.locator(".swagger-ui").count() == 1
    context.close()
