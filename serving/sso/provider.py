"""The identity provider's metadata and keys: read from its discovery document
(`<issuer>/.well-known/openid-configuration`) and `jwks_uri`, kept for a while, re-read when an
ID token is signed by a key not seen yet (the provider rotated its keys)."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any, cast

import httpx
from joserfc.jwk import KeySetSerialization

from serving.settings import Settings
from serving.sso.refusals import SsoRefusal

# How long discovery and keys are trusted before they are read again.
METADATA_SECONDS = 3600.0
# The fewest seconds between two forced key reads (an unknown key id must not let anyone make
# this server hammer the provider).
KEY_REFRESH_SECONDS = 30.0


@dataclass(frozen=True, slots=True)
class ProviderMetadata:
    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    end_session_endpoint: str | None
    signing_algorithms: tuple[str, ...]


class Provider:
    """One configured provider; thread-safe (requests run on worker threads)."""

    def __init__(self, settings: Settings) -> None:
        self.issuer = settings.sso_issuer.rstrip("/")
        self.timeout = settings.sso_timeout_seconds
        self._lock = threading.Lock()
        self._metadata: tuple[float, ProviderMetadata] | None = None
        self._keys: tuple[float, KeySetSerialization] | None = None

    def metadata(self) -> ProviderMetadata:
        with self._lock:
            if self._metadata is not None and time.monotonic() - self._metadata[0] < (
                METADATA_SECONDS
            ):
                return self._metadata[1]
        document = self._get_json(f"{self.issuer}/.well-known/openid-configuration")
        metadata = _parse_metadata(document, expected_issuer=self.issuer)
        with self._lock:
            self._metadata = (time.monotonic(), metadata)
        return metadata

    def keys(self, *, refresh: bool = False) -> KeySetSerialization:
        """The provider's JSON Web Key Set; `refresh` re-reads it (at most every 30 s)."""
        with self._lock:
            cached = self._keys
        if cached is not None:
            age = time.monotonic() - cached[0]
            if age < METADATA_SECONDS and not (refresh and age >= KEY_REFRESH_SECONDS):
                return cached[1]
        key_set = self._get_json(self.metadata().jwks_uri)
        if not isinstance(key_set.get("keys"), list):
            raise SsoRefusal("provider_unreachable", "the provider's key set has no 'keys' list")
        # A JWKS document with its 'keys' list: each key is checked by joserfc on import.
        jwks = cast(KeySetSerialization, key_set)
        with self._lock:
            self._keys = (time.monotonic(), jwks)
        return jwks

    def _get_json(self, url: str) -> dict[str, Any]:
        try:
            response = httpx.get(url, timeout=self.timeout, follow_redirects=False)
            response.raise_for_status()
            document = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise SsoRefusal(
                "provider_unreachable", f"{url} could not be read ({type(exc).__name__})"
            ) from None
        if not isinstance(document, dict):
            raise SsoRefusal("provider_unreachable", f"{url} is not a JSON object")
        return document


def _parse_metadata(document: dict[str, Any], *, expected_issuer: str) -> ProviderMetadata:
    issuer = str(document.get("issuer", ""))
    if issuer.rstrip("/") != expected_issuer:
        # OpenID Connect Discovery 4.3: the document must name the issuer it was read from.
        raise SsoRefusal(
            "provider_unreachable",
            f"the discovery document names issuer {issuer!r}, not TALENT_SSO_ISSUER "
            f"{expected_issuer!r}",
        )
    missing = [
        name
        for name in ("authorization_endpoint", "token_endpoint", "jwks_uri")
        if not isinstance(document.get(name), str)
    ]
    if missing:
        raise SsoRefusal(
            "provider_unreachable", f"the discovery document lacks {', '.join(missing)}"
        )
    end_session = document.get("end_session_endpoint")
    algorithms = document.get("id_token_signing_alg_values_supported") or ["RS256"]
    return ProviderMetadata(
        issuer=issuer,  # as the provider writes it: ID tokens carry it exactly so
        authorization_endpoint=document["authorization_endpoint"],
        token_endpoint=document["token_endpoint"],
        jwks_uri=document["jwks_uri"],
        end_session_endpoint=end_session if isinstance(end_session, str) else None,
        # Never "none": an unsigned ID token proves nothing.
        signing_algorithms=tuple(str(a) for a in algorithms if str(a).lower() != "none"),
    )
