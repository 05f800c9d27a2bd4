"""Notification settings are checked at start, each refusal naming the setting; people's own
webhooks reach only the allowed hosts."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from serving.notifications.delivery import backoff
from serving.notifications.settings import DEFAULT_WEBHOOK_HOSTS, webhook_url_problem
from serving.settings import Settings

MAIL: dict[str, Any] = {
    "public_url": "https://talent.corp.example",
    "smtp_host": "smtp.corp.example",
    "smtp_from": "Talent <talent@corp.example>",
}


def refusal(**values: Any) -> str:
    with pytest.raises(ValidationError) as caught:
        Settings(_env_file=None, **values)  # type: ignore[call-arg]  # BaseSettings' own keyword
    return str(caught.value)


def test_a_complete_mail_setup_is_accepted_with_the_ports_each_security_implies() -> None:
    assert Settings(**MAIL).resolved_smtp_port == 587
    assert Settings(**MAIL, smtp_security="ssl").resolved_smtp_port == 465
    assert Settings(**MAIL, smtp_port=2525).resolved_smtp_port == 2525
    assert not Settings().email_enabled  # nothing configured: no e-mail, and no error


@pytest.mark.parametrize(
    ("values", "named"),
    [
        ({"smtp_from": ""}, "TALENT_SMTP_FROM"),
        ({"smtp_from": "not an address"}, "TALENT_SMTP_FROM"),
        ({"public_url": ""}, "TALENT_PUBLIC_URL"),
        ({"public_url": "talent.corp.example"}, "TALENT_PUBLIC_URL"),
        ({"public_url": "https://talent.corp.example/#x"}, "TALENT_PUBLIC_URL"),
        ({"smtp_user": "talent"}, "TALENT_SMTP_PASSWORD"),
        ({"smtp_password": "secret"}, "TALENT_SMTP_USER"),
        ({"smtp_host": "smtp.corp.example:25"}, "TALENT_SMTP_HOST"),
        ({"smtp_security": "tls"}, "smtp_security"),
        ({"smtp_port": 70000}, "smtp_port"),
        ({"notify_backoff_seconds": 600, "notify_backoff_max_seconds": 60}, "BACKOFF_MAX"),
        ({"notify_webhook_hosts": "hooks.slack.com, https://x/y"}, "TALENT_NOTIFY_WEBHOOK_HOSTS"),
        ({"slack_webhook_url": "hooks.slack.com/services/x"}, "TALENT_SLACK_WEBHOOK_URL"),
        ({"teams_webhook_url": "ftp://x.example/hook"}, "TALENT_TEAMS_WEBHOOK_URL"),
    ],
)
def test_each_bad_setting_is_refused_naming_it(values: dict[str, Any], named: str) -> None:
    assert named in refusal(**(MAIL | values))


def test_production_refuses_clear_text_passwords_and_plain_http_links() -> None:
    production = {"environment": "production", "audit_key": "k" * 32}
    clear = MAIL | {"smtp_security": "none", "smtp_user": "u", "smtp_password": "p"}
    assert "TALENT_SMTP_SECURITY" in refusal(**production, **clear)
    assert "TALENT_PUBLIC_URL" in refusal(**production, **(MAIL | {"public_url": "http://t.x"}))


def test_a_webhook_secret_is_not_echoed_in_its_refusal() -> None:
    assert "s3cr3t" not in refusal(slack_webhook_url="hooks.example/s3cr3t")


@pytest.mark.parametrize(
    ("url", "development", "problem"),
    [
        ("https://hooks.slack.com/services/T/B/X", False, ""),
        ("https://prod-12.westeurope.logic.azure.com/workflows/x", False, ""),
        ("https://corp.webhook.office.com/webhookb2/x", False, ""),
        ("http://hooks.slack.com/services/T/B/X", False, "https"),
        ("https://169.254.169.254/latest/meta-data", False, "not one of"),
        ("https://hooks.slack.com.evil.example/x", False, "not one of"),
        ("https://user:pw@hooks.slack.com/x", False, "user name"),
        ("file:///etc/passwd", False, "https"),
    ],
)
def test_a_persons_webhook_reaches_only_allowed_hosts(
    url: str, development: bool, problem: str
) -> None:
    found = webhook_url_problem(url, DEFAULT_WEBHOOK_HOSTS, development=development)
    assert (problem in found) if problem else found == ""


def test_loopback_http_only_in_development_and_only_when_listed() -> None:
    local = ("127.0.0.1",)
    assert webhook_url_problem("http://127.0.0.1:9/x", local, development=True) == ""
    assert "https" in webhook_url_problem("http://127.0.0.1:9/x", local, development=False)
    assert "not one of" in webhook_url_problem(
        "http://127.0.0.1:9/x", DEFAULT_WEBHOOK_HOSTS, development=True
    )


def test_back_off_doubles_up_to_its_cap() -> None:
    settings = Settings(notify_backoff_seconds=30, notify_backoff_max_seconds=200)
    waits = [backoff(settings, n).total_seconds() for n in range(1, 6)]
    assert waits == [30, 60, 120, 200, 200]


def test_no_notification_code_reads_demographics() -> None:
    """Privacy by construction: no name the notification code uses (imports, attributes,
    variables) touches the protected attributes; the fairness code is their one reader."""
    import serving.notifications

    folder = Path(serving.notifications.__file__).parent
    words = ("demographic", "gender", "ethnicity", "age_band", "disability")
    checked = 0
    for path in folder.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = [
                getattr(node, "id", None),
                getattr(node, "attr", None),
                getattr(node, "module", None),
                getattr(node, "arg", None),
            ]
            if isinstance(node, ast.alias):
                names += [node.name, node.asname]
            for name in filter(None, names):
                checked += 1
                assert not any(w in name.lower() for w in words), f"{path.name}: {name}"
    assert checked > 500
