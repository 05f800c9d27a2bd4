"""Notifications in the browser: a person chooses channels, the digest and quiet mode by
keyboard, a choice that cannot work is refused in words naming the field, and what was saved
is there after a reload; an admin sees a failed message with its error and retries it. Each
panel passes the axe scan."""

from __future__ import annotations

import datetime as dt

from playwright.sync_api import Browser
from sqlalchemy import delete

from data.storage.engine import transaction
from data.storage.tables import NotificationPreferenceRow, OutboxRow
from tests.conftest import ADMIN_TOKEN
from tests.web.browsing import EMPLOYEE, Site, page_errors, scan_here, signed_in


def test_a_person_chooses_how_to_hear_by_keyboard_and_finds_it_saved(
    browser: Browser, site: Site
) -> None:
    me = site.api("GET", "/api/v1/me", token=EMPLOYEE)["subject_external_id"]
    page = signed_in(browser, site, EMPLOYEE)
    try:
        page.locator('#tabs [data-name="notifications"]').click()
        page.get_by_role("heading", name="Notifications").wait_for()
        # E-mail is not set up on this site: its box says so and cannot be ticked.
        email = page.get_by_label("E-mail (not set up here)")
        assert email.is_disabled() and not email.is_checked()
        assert page.get_by_label("Weekly").is_checked()

        page.get_by_label("Slack", exact=True).focus()
        page.keyboard.press("Space")
        page.get_by_role("button", name="Save").press("Enter")
        refusal = page.get_by_role("status").get_by_text("needs your incoming webhook")
        refusal.wait_for()
        assert "channels" in refusal.inner_text()

        page.get_by_label("Slack", exact=True).focus()
        page.keyboard.press("Space")
        page.get_by_label("Daily").focus()
        page.keyboard.press("Space")
        page.get_by_label("Quiet: send me nothing at all").focus()
        page.keyboard.press("Space")
        page.get_by_role("button", name="Save").press("Enter")
        page.get_by_role("status").get_by_text("Notification choices saved").wait_for()

        page.goto(site.url + "/#notifications")
        page.reload()
        page.get_by_label("Daily").wait_for()
        assert page.get_by_label("Daily").is_checked()
        assert page.get_by_label("Quiet: send me nothing at all").is_checked()
        assert not page.get_by_label("Slack", exact=True).is_checked()
        saved = site.api("GET", "/api/v1/me/notifications", token=EMPLOYEE)
        assert (saved["digest"], saved["quiet"], saved["channels"]) == ("daily", True, [])
        scan_here(page, "employee-notifications")
        assert page_errors(page) == []
    finally:  # the shared company as it was: no choice saved
        with transaction(site.state.sessions) as session:
            session.execute(
                delete(NotificationPreferenceRow).where(
                    NotificationPreferenceRow.employee_external_id == me
                )
            )


def test_an_admin_sees_a_failed_message_with_its_error_and_retries_it(
    browser: Browser, site: Site
) -> None:
    now = dt.datetime.now(dt.UTC)
    with transaction(site.state.sessions) as session:
        row = OutboxRow(
            event="invitation",
            recipient_external_id="E00001",
            channel="slack",
            subject="You are invited to “Web test gig”",
            body="The lead invites you.",
            link="https://talent.test/#opportunity=X",
            status="failed",
            attempts=8,
            next_attempt_at=now,
            last_error="the webhook answered 500: down for maintenance",
            created_at=now,
        )
        session.add(row)
        session.flush()
        message = row.id
    try:
        page = signed_in(browser, site, ADMIN_TOKEN)
        page.get_by_role("tab", name="Admin console").click()
        page.get_by_role("tab", name="Notifications").click()
        failed = page.get_by_role("row").filter(has_text="Web test gig")
        failed.wait_for()
        assert "down for maintenance" in failed.inner_text() and "8" in failed.inner_text()
        assert "Failed: 1" in page.locator("#outbox-counts").inner_text()
        scan_here(page, "admin-notifications")
        page.get_by_role("button", name=f"Retry message {message}").press("Enter")
        page.get_by_role("status").get_by_text(f"Message {message} will be sent again").wait_for()
        page.get_by_text("No messages with this status.").wait_for()
        page.get_by_label("Show").select_option("pending")
        page.get_by_role("row").filter(has_text="Web test gig").wait_for()
        assert page_errors(page) == []
    finally:
        with transaction(site.state.sessions) as session:
            session.execute(delete(OutboxRow).where(OutboxRow.id == message))
