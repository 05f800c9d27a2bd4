"""The channels a message goes out on: e-mail over SMTP (stdlib smtplib) and chat incoming
webhooks in Slack's and Microsoft Teams' formats.

Each send either returns (the channel accepted the message) or raises DeliveryFailed, saying
whether trying again can help: a 5xx or a timeout can, a webhook the chat service says is
gone (404, 410) or a refused address cannot.
"""

from __future__ import annotations

import json
import smtplib
import ssl
import urllib.error
import urllib.request
from email.message import EmailMessage
from email.utils import formatdate, parseaddr
from typing import Any

from serving.notifications.settings import NotificationSettings

# HTTP answers that say the webhook itself is wrong: trying again cannot help.
PERMANENT_HTTP = frozenset({400, 401, 403, 404, 410})


class DeliveryFailed(Exception):
    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


def message_id(settings: NotificationSettings, outbox_id: int) -> str:
    """One Message-ID per outbox row: a receiver (or a mail client) can drop a copy sent again
    after a crash between sending and marking sent."""
    _, sender = parseaddr(settings.smtp_from)
    domain = sender.rpartition("@")[2] or "talent.invalid"
    return f"<notification-{outbox_id}@{domain}>"


def send_email(
    settings: NotificationSettings,
    *,
    outbox_id: int,
    to: str,
    subject: str,
    body: str,
    link: str,
    action: str,
) -> None:
    mail = EmailMessage()
    mail["From"] = settings.smtp_from
    mail["To"] = to
    mail["Subject"] = subject
    mail["Date"] = formatdate(localtime=False)
    mail["Message-ID"] = message_id(settings, outbox_id)
    mail["Auto-Submitted"] = "auto-generated"  # no out-of-office replies to a notification
    mail.set_content(f"{body}\n\n{action}: {link}\n" if link else f"{body}\n")
    host, port, timeout = (
        settings.smtp_host,
        settings.resolved_smtp_port,
        settings.smtp_timeout_seconds,
    )
    try:
        if settings.smtp_security == "ssl":
            client: smtplib.SMTP = smtplib.SMTP_SSL(
                host, port, timeout=timeout, context=ssl.create_default_context()
            )
        else:
            client = smtplib.SMTP(host, port, timeout=timeout)
        with client:
            if settings.smtp_security == "starttls":
                client.starttls(context=ssl.create_default_context())
            if settings.smtp_user and settings.smtp_password is not None:
                client.login(settings.smtp_user, settings.smtp_password.get_secret_value())
            client.send_message(mail)
    except smtplib.SMTPRecipientsRefused as refused:
        code, words = next(iter(refused.recipients.values()))
        raise DeliveryFailed(
            f"the SMTP server refused {to}: {code} {_text(words)}", permanent=code >= 500
        ) from None
    except smtplib.SMTPResponseException as answer:
        raise DeliveryFailed(
            f"SMTP {answer.smtp_code} {_text(answer.smtp_error)}",
            permanent=answer.smtp_code >= 500 and answer.smtp_code not in (530, 535),
        ) from None
    except (smtplib.SMTPException, OSError) as exc:
        raise DeliveryFailed(f"SMTP {host}:{port}: {type(exc).__name__}: {exc}") from None


def _text(words: bytes | str) -> str:
    return words.decode("utf-8", "replace") if isinstance(words, bytes) else str(words)


def slack_payload(*, subject: str, body: str, link: str, action: str) -> dict[str, Any]:
    """Slack's incoming-webhook format: `text` for notifications and old clients, blocks for
    the message with a button to the page."""
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": subject[:150]}},
        {"type": "section", "text": {"type": "mrkdwn", "text": _slack_escape(body)[:3000]}},
    ]
    if link:
        blocks.append(
            {
                "type": "actions",
                "elements": [
                    {
                        "type": "button",
                        "text": {"type": "plain_text", "text": action},
                        "url": link,
                    }
                ],
            }
        )
    return {"text": f"{subject}: {link}" if link else subject, "blocks": blocks}


def _slack_escape(text: str) -> str:
    """Slack reads &, < and > as markup: a title like "<!channel>" must stay text."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def teams_payload(*, subject: str, body: str, link: str, action: str) -> dict[str, Any]:
    """Microsoft Teams' incoming-webhook (Workflows) format: a message with one Adaptive Card."""
    card: dict[str, Any] = {
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": "1.4",
        "body": [
            {
                "type": "TextBlock",
                "text": subject,
                "weight": "Bolder",
                "size": "Medium",
                "wrap": True,
            },
            *(
                {"type": "TextBlock", "text": paragraph, "wrap": True}
                for paragraph in body.split("\n\n")
                if paragraph
            ),
        ],
    }
    if link:
        card["actions"] = [{"type": "Action.OpenUrl", "title": action, "url": link}]
    return {
        "type": "message",
        "summary": subject,
        "attachments": [
            {
                "contentType": "application/vnd.microsoft.card.adaptive",
                "contentUrl": None,
                "content": card,
            }
        ],
    }


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A webhook that redirects is refused: a redirect could point the server's request
    anywhere, past the hosts people's webhooks are allowed to reach."""

    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


_OPENER = urllib.request.build_opener(_NoRedirects)


def post_webhook(url: str, payload: dict[str, Any], *, outbox_id: int, timeout: float) -> None:
    request = urllib.request.Request(
        url,
        data=json.dumps(payload).encode("utf-8"),
        method="POST",
        headers={
            "Content-Type": "application/json",
            "User-Agent": "talent-marketplace-notifications",
            # The same for every attempt at one message: a receiver may drop a repeat.
            "Idempotency-Key": f"notification-{outbox_id}",
        },
    )
    try:
        with _OPENER.open(request, timeout=timeout) as answer:
            answer.read(4096)
            status = answer.status
    except urllib.error.HTTPError as error:
        status = error.code
        detail = error.read(300).decode("utf-8", "replace").strip()
        raise DeliveryFailed(
            f"the webhook answered {status}" + (f": {detail}" if detail else ""),
            permanent=status in PERMANENT_HTTP or 300 <= status < 400,
        ) from None
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise DeliveryFailed(f"the webhook could not be reached: {reason}") from None
    if not 200 <= status < 300:
        raise DeliveryFailed(f"the webhook answered {status}", permanent=status in PERMANENT_HTTP)
