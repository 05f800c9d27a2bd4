"""The ID token's checks (OpenID Connect Core 3.1.3.7): signed by one of the provider's keys with
an algorithm it announces, issued by the configured issuer, for this client, not expired, and
carrying the nonce this sign-in was started with. Each failure is a refusal of its own kind."""

from __future__ import annotations

import hmac
import time
from collections.abc import Callable
from typing import Any

from joserfc import jwt
from joserfc.errors import (
    BadSignatureError,
    ClaimError,
    ExpiredTokenError,
    InvalidKeyIdError,
    JoseError,
    MissingClaimError,
)
from joserfc.jwk import KeySet, KeySetSerialization
from joserfc.jws import JWSRegistry

from serving.sso.refusals import RefusalKind, SsoRefusal

# Which refusal a failed claim check is.
_CLAIM_KINDS: dict[str, RefusalKind] = {
    "aud": "wrong_audience",
    "azp": "wrong_audience",
    "iss": "wrong_issuer",
    "exp": "expired_token",
    "nonce": "nonce_mismatch",
}


def validate_id_token(
    id_token: str,
    *,
    keys: Callable[[bool], KeySetSerialization],
    algorithms: tuple[str, ...],
    issuer: str,
    client_id: str,
    nonce: str,
    leeway_seconds: int,
    now: Callable[[], int] | None = None,
) -> dict[str, Any]:
    """The ID token's claims once every check passed. `keys(refresh)` gives the provider's key
    set; an unknown key id re-reads it once (the provider rotated its keys)."""
    registry = JWSRegistry(algorithms=list(algorithms), strict_check_header=False)
    try:
        try:
            token = jwt.decode(id_token, KeySet.import_key_set(keys(False)), registry=registry)
        except InvalidKeyIdError:
            token = jwt.decode(id_token, KeySet.import_key_set(keys(True)), registry=registry)
    except BadSignatureError:
        raise SsoRefusal("invalid_token", "the ID token's signature does not verify") from None
    except InvalidKeyIdError:
        raise SsoRefusal("invalid_token", "the ID token is signed by an unknown key") from None
    except (JoseError, ValueError) as exc:
        raise SsoRefusal(
            "invalid_token", f"the ID token cannot be read ({type(exc).__name__})"
        ) from None
    claims = token.claims
    checks = jwt.JWTClaimsRegistry(
        now=now or (lambda: int(time.time())),
        leeway=leeway_seconds,
        iss={"essential": True, "value": issuer},
        aud={"essential": True, "value": client_id},
        sub={"essential": True},
        exp={"essential": True},
        iat={"essential": True},
    )
    try:
        checks.validate(claims)
    except ExpiredTokenError:
        raise SsoRefusal("expired_token", "the ID token has expired") from None
    except MissingClaimError as exc:
        raise SsoRefusal("invalid_token", f"the ID token has no '{exc.claim}' claim") from None
    except ClaimError as exc:
        kind = _CLAIM_KINDS.get(exc.claim, "invalid_token")
        raise SsoRefusal(kind, f"the ID token's '{exc.claim}' claim is wrong") from None
    audiences = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
    # Core 3.1.3.7 (4, 5): a token for several audiences names this client as its party.
    if len(audiences) > 1 and claims.get("azp") != client_id:
        raise SsoRefusal("wrong_audience", "the ID token's 'azp' is not this client")
    if not isinstance(claims.get("nonce"), str) or not hmac.compare_digest(claims["nonce"], nonce):
        raise SsoRefusal("nonce_mismatch", "the ID token's nonce is not this sign-in's")
    return claims
