"""The notification settings (`TALENT_PUBLIC_URL`, `TALENT_SMTP_*`, `TALENT_NOTIFY_*`, the
company's webhooks), a part of `serving.settings.Settings`, validated at start-up with
messages that name the setting."""

from __future__ import annotations

import ipaddress
from email.utils import parseaddr
from typing import Annotated, Any, Literal, Self
from urllib.parse import urlsplit

from pydantic import BaseModel, Field, SecretStr, field_validator, model_validator
from pydantic_settings import NoDecode

# Where people's own incoming webhooks may point (Slack's, and Teams' Workflows and legacy
# connector hosts): a webhook URL typed by a person is a request this server makes, so it may
# reach only these hosts, never the company's internal network.
DEFAULT_WEBHOOK_HOSTS = (
    "hooks.slack.com",
    "*.webhook.office.com",
    "*.logic.azure.com",
    "*.environment.api.powerplatform.com",
)
DEFAULT_SMTP_PORT = {"starttls": 587, "ssl": 465, "none": 25}


class NotificationSettings(BaseModel):
    public_url: str = Field(
        default="",
        description="The address people open the web app at (https://talent.example.com): "
        "links in messages start with it; required once any channel is configured",
    )
    notify_seconds: float = Field(
        default=0,
        ge=0,
        description="How often the server's delivery worker sends what is due (0: never; "
        "`talent notify --once` sends from scripts)",
    )
    notify_batch: int = Field(
        default=100, ge=1, le=10_000, description="Messages one delivery round sends at most"
    )
    notify_max_attempts: int = Field(
        default=8,
        ge=1,
        le=50,
        description="Attempts at one message before it is marked failed (an admin may retry it)",
    )
    notify_backoff_seconds: float = Field(
        default=30, gt=0, description="Wait before the second attempt; doubled after each"
    )
    notify_backoff_max_seconds: float = Field(
        default=6 * 3600, gt=0, description="Longest wait between two attempts"
    )
    notify_digests_per_run: int = Field(
        default=50,
        ge=0,
        le=10_000,
        description="People whose digest of new matches one round prepares at most (each is a "
        "ranking): the rest wait for the next round",
    )
    smtp_host: str = Field(default="", description="SMTP server; empty: no e-mail")
    smtp_port: int | None = Field(
        default=None, ge=1, le=65535, description="Default 587 (starttls), 465 (ssl), 25 (none)"
    )
    smtp_security: Literal["starttls", "ssl", "none"] = Field(
        default="starttls",
        description="starttls: upgrade a plain connection; ssl: TLS from the start; none: "
        "plain text (a local relay only)",
    )
    smtp_user: str = Field(default="", description="SMTP user name; empty: no sign-in")
    smtp_password: SecretStr | None = Field(default=None, description="SMTP password")
    smtp_from: str = Field(
        default="", description="Sender address, e.g. 'Talent Marketplace <talent@corp.example>'"
    )
    smtp_timeout_seconds: float = Field(default=10, gt=0, le=300)
    slack_webhook_url: SecretStr | None = Field(
        default=None,
        description="The company's Slack incoming webhook: approvals nobody's manager can "
        "decide (HR's) are posted there",
    )
    teams_webhook_url: SecretStr | None = Field(
        default=None, description="The company's Microsoft Teams incoming webhook, likewise"
    )
    notify_webhook_hosts: Annotated[tuple[str, ...], NoDecode] = Field(
        default=DEFAULT_WEBHOOK_HOSTS,
        description="Hosts people's own webhooks may point at, comma-separated ('*.' for any "
        "subdomain); https only",
    )

    @property
    def email_enabled(self) -> bool:
        return bool(self.smtp_host)

    @property
    def resolved_smtp_port(self) -> int:
        return self.smtp_port or DEFAULT_SMTP_PORT[self.smtp_security]

    @field_validator("notify_webhook_hosts", mode="before")
    @classmethod
    def _host_list(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = [part for part in value.replace(",", " ").split() if part]
        hosts = tuple(str(v).strip().lower() for v in value or ())
        for host in hosts:
            bare = host.removeprefix("*.")
            if not bare or "/" in bare or ":" in bare or "*" in bare:
                raise ValueError(
                    f"TALENT_NOTIFY_WEBHOOK_HOSTS: {host!r} is not a host name (or '*.domain')"
                )
        return hosts

    @model_validator(mode="after")
    def _check_notifications(self) -> Self:
        production = getattr(self, "environment", "development") == "production"
        if self.public_url:
            _check_url("TALENT_PUBLIC_URL", self.public_url, https=production)
            parts = urlsplit(self.public_url)
            if parts.query or parts.fragment:
                raise ValueError("TALENT_PUBLIC_URL: the web app's address only, no ? or #")
        for name, secret in (
            ("TALENT_SLACK_WEBHOOK_URL", self.slack_webhook_url),
            ("TALENT_TEAMS_WEBHOOK_URL", self.teams_webhook_url),
        ):
            if secret is not None:
                _check_url(name, secret.get_secret_value(), https=production, show=False)
        if self.smtp_host:
            if any(c in self.smtp_host for c in "/: ") or not self.smtp_host.strip("."):
                raise ValueError(f"TALENT_SMTP_HOST: {self.smtp_host!r} is not a host name")
            _, address = parseaddr(self.smtp_from)
            if not self.smtp_from or "@" not in address:
                raise ValueError(
                    "TALENT_SMTP_FROM: e-mail needs a sender address "
                    "(e.g. 'Talent Marketplace <talent@corp.example>')"
                )
            if self.smtp_user and self.smtp_password is None:
                raise ValueError("TALENT_SMTP_PASSWORD: TALENT_SMTP_USER is set but no password")
            if self.smtp_password is not None and not self.smtp_user:
                raise ValueError("TALENT_SMTP_USER: TALENT_SMTP_PASSWORD is set but no user")
            if production and self.smtp_security == "none" and self.smtp_user:
                raise ValueError(
                    "TALENT_SMTP_SECURITY: 'none' would send the SMTP password in clear text; "
                    "use starttls or ssl in production"
                )
        channels = self.smtp_host or self.slack_webhook_url or self.teams_webhook_url
        if channels and not self.public_url:
            raise ValueError(
                "TALENT_PUBLIC_URL: messages link to the page to act on; set the address people "
                "open the web app at (e.g. https://talent.corp.example)"
            )
        if self.notify_backoff_max_seconds < self.notify_backoff_seconds:
            raise ValueError(
                "TALENT_NOTIFY_BACKOFF_MAX_SECONDS must be at least TALENT_NOTIFY_BACKOFF_SECONDS"
            )
        return self


def _check_url(name: str, url: str, *, https: bool, show: bool = True) -> None:
    shown = repr(url) if show else "the value"
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{name}: {shown} is not an http(s) URL")
    if https and parts.scheme != "https":
        raise ValueError(f"{name}: must be https in production")


def webhook_url_problem(url: str, allowed_hosts: tuple[str, ...], *, development: bool) -> str:
    """Why a person's own webhook URL is refused ('' when it is fine): https, to an allowed
    host; plain http only to this machine (loopback) in development, for trials and tests."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if parts.scheme not in ("http", "https") or not host:
        return "must be an https URL"
    if parts.username or parts.password:
        return "must not carry a user name or password"
    if not any(_host_matches(host, pattern) for pattern in allowed_hosts):
        allowed = ", ".join(allowed_hosts)
        return f"host {host!r} is not one of TALENT_NOTIFY_WEBHOOK_HOSTS ({allowed})"
    if parts.scheme == "http" and not (development and _loopback(host)):
        return "must be an https URL"
    return ""


def _host_matches(host: str, pattern: str) -> bool:
    if pattern.startswith("*."):
        return host.endswith(pattern[1:]) and host != pattern[2:]
    return host == pattern


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
