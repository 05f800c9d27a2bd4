"""Why a single sign-on was refused: each kind with the status it is answered with and what the
person is told (the detail goes to the log, never to the page: it may name the provider's
internals)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

RefusalKind = Literal[
    "provider_error",
    "provider_unreachable",
    "unknown_state",
    "replayed_state",
    "expired_state",
    "other_browser",
    "invalid_token",
    "wrong_audience",
    "expired_token",
    "wrong_issuer",
    "nonce_mismatch",
    "unknown_person",
    "unverified_email",
    "inactive_person",
    "missing_group",
    "not_configured",
]


@dataclass(frozen=True, slots=True)
class Explanation:
    """`{provider}` in the title or text stands for the provider's configured name."""

    status: int
    title: str
    text: str

    def for_provider(self, name: str) -> Explanation:
        return Explanation(
            self.status,
            self.title.replace("{provider}", name),
            self.text.replace("{provider}", name),
        )


EXPLANATIONS: dict[RefusalKind, Explanation] = {
    "provider_error": Explanation(
        400,
        "The sign-in provider did not sign you in",
        "Your company's sign-in service answered with an error instead of signing you in "
        "(you may have cancelled, or not be allowed to use this app there).",
    ),
    "provider_unreachable": Explanation(
        502,
        "The sign-in provider cannot be reached",
        "This app could not talk to your company's sign-in service just now. Try again in a "
        "few minutes; if it keeps happening, tell your administrator.",
    ),
    "unknown_state": Explanation(
        400,
        "This sign-in link is not one this app started",
        "The link you followed does not belong to a sign-in started here. Start again from "
        "the sign-in page.",
    ),
    "replayed_state": Explanation(
        400,
        "This sign-in link was already used",
        "Each sign-in link works once. Start again from the sign-in page.",
    ),
    "expired_state": Explanation(
        400,
        "This sign-in took too long",
        "The sign-in was started too long ago and has lapsed. Start again from the sign-in page.",
    ),
    "other_browser": Explanation(
        400,
        "This sign-in was started in another browser or tab",
        "Finish a sign-in in the browser that started it (or a newer sign-in replaced this "
        "one). Start again from the sign-in page.",
    ),
    "invalid_token": Explanation(
        401,
        "The sign-in could not be verified",
        "The proof of identity your sign-in service sent could not be verified. Start again; "
        "if it keeps happening, tell your administrator.",
    ),
    "wrong_audience": Explanation(
        401,
        "The sign-in was meant for another app",
        "Your sign-in service vouched for you to a different application, not this one. Tell "
        "your administrator: the app's client id may be set wrongly.",
    ),
    "expired_token": Explanation(
        401,
        "The sign-in has expired",
        "The proof of identity your sign-in service sent had already expired. Start again; if "
        "it keeps happening, the clocks of this app and the sign-in service may disagree.",
    ),
    "wrong_issuer": Explanation(
        401,
        "The sign-in came from another provider",
        "The proof of identity was issued by a sign-in service this app does not trust.",
    ),
    "nonce_mismatch": Explanation(
        401,
        "The sign-in does not match the one started",
        "The proof of identity belongs to another sign-in. Start again from the sign-in page.",
    ),
    "unknown_person": Explanation(
        403,
        "You are not known to this app",
        "You signed in, but no employee record here matches your account. Ask HR or your "
        "administrator to add you (or to check the e-mail address or employee id on file).",
    ),
    "unverified_email": Explanation(
        403,
        "Your e-mail address is not verified at {provider}",
        "{provider} says the e-mail address of the account you signed in with is not verified, "
        "so this app cannot tell whose it is. Verify the address at {provider} (or ask your "
        "administrator to), then sign in again.",
    ),
    "inactive_person": Explanation(
        403,
        "Your account here is deactivated",
        "Your employee record in this app is deactivated. Ask HR if that is a mistake.",
    ),
    "missing_group": Explanation(
        403,
        "You are not in a group allowed to use this app",
        "Your account is not in any of the groups that may use this app. Ask your "
        "administrator to add you to the right group.",
    ),
    "not_configured": Explanation(
        404,
        "Single sign-on is not set up",
        "This app has no sign-in provider configured. Sign in with an access token instead.",
    ),
}


class SsoRefusal(Exception):
    """A sign-in refused: `kind` picks the page, `detail` is for the log only."""

    def __init__(self, kind: RefusalKind, detail: str) -> None:
        super().__init__(f"{kind}: {detail}")
        self.kind = kind
        self.detail = detail

    @property
    def explanation(self) -> Explanation:
        return EXPLANATIONS[self.kind]
