"""All configuration, from `TALENT_*` environment variables, validated at start-up."""

from __future__ import annotations

import ipaddress
import os
from pathlib import Path
from typing import Annotated, Any, Literal, Self
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from serving.notifications.settings import NotificationSettings

MIN_SECRET_LENGTH = 16


def default_key_dir() -> Path:
    """Where generated keys live: outside the data folder, so that whoever can rewrite `var/`
    (the database file, the audit head) does not also hold the key that seals the audit log."""
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "talent-marketplace"


# The notification settings (SMTP, webhooks, the delivery worker) live with their feature.
class Settings(BaseSettings, NotificationSettings):
    # A refusal names the setting and why; it never echoes the values (tokens, passwords and
    # webhook URLs are secrets, and a start-up error lands in logs).
    model_config = SettingsConfigDict(
        env_prefix="TALENT_", extra="ignore", hide_input_in_errors=True
    )

    environment: Literal["development", "production"] = "development"
    var_dir: Path = Path("var")
    database_url: str = Field(
        default="", description="SQLAlchemy URL; empty means the SQLite file var/talent.db"
    )
    admin_token: SecretStr | None = Field(
        default=None, description="Bootstrap admin bearer token accepted by a fresh instance"
    )
    pseudonym_secret: SecretStr | None = Field(
        default=None,
        description="Key for candidate handles shown to leads; generated in var/ when unset",
    )
    audit_key: SecretStr | None = Field(
        default=None, description="Key sealing the audit log (HMAC-SHA256); overrides the file"
    )
    audit_key_file: Path | None = Field(
        default=None,
        description="File holding the audit key, outside var_dir (default: generated under "
        "~/.config/talent-marketplace/ in development; required in production)",
    )
    token_secret: SecretStr | None = Field(
        default=None,
        description="Key for token digests (HMAC); generated in the key folder when unset",
    )
    encoder_device: Literal["cpu", "cuda"] = "cpu"
    model_poll_seconds: float = Field(
        default=5.0,
        ge=0,
        description="How often the server checks for a newly promoted model (0: never)",
    )
    retrain_hours: float = Field(
        default=168.0,
        ge=0,
        description="How often the server retrains, gates and promotes the rankers on the "
        "company's own log (hours since the last training; 0: never)",
    )
    auto_interleave: bool = Field(
        default=True,
        description="When the held-out lists cannot tell a retrained ranker from the live one, "
        "interleave the two on every kind HR has not paused and an admin has not switched off, "
        "and let the next retraining promote it if people preferred its items at least as "
        "often on enough lists (serving/usecases/training.py)",
    )
    # Retention (serving/usecases/retention.py, docs/retention.md): days each kind of record
    # is kept; HR may change them (PUT /api/v1/retention), never the logs below six months.
    retention_audit_records_days: int = Field(
        default=1095,
        ge=183,
        description="Days served-ranking audit records are kept (at least 183: the EU AI Act's "
        "six months for a deployer's logs)",
    )
    retention_oversight_days: int = Field(
        default=1095, ge=183, description="Days oversight events are kept (at least 183)"
    )
    retention_interactions_days: int = Field(
        default=730,
        ge=183,
        description="Days the interaction log (impressions, applications, decisions) is kept "
        "(at least 183: it is the record of the decisions)",
    )
    retention_departed_profiles_days: int = Field(
        default=365,
        ge=1,
        description="Days the profile of a person who left (deactivated) is kept before it is "
        "erased (their ids pseudonymised in the logs)",
    )
    retention_outbox_days: int = Field(
        default=90, ge=1, description="Days delivered, failed or cancelled notifications are kept"
    )
    retention_purge_hours: float = Field(
        default=0.0,
        ge=0,
        description="How often the server runs the retention purge (hours; 0: never, run "
        "`talent retention purge` or POST /api/v1/retention/purge instead)",
    )
    fairness_gate_tolerance: float = Field(
        default=0.05,
        ge=0,
        le=1,
        description="How far a new candidates' ranker's selection impact ratio on the held-out "
        "lists may fall below the live model's before it is refused promotion",
    )
    monitor_seconds: float = Field(
        default=60.0,
        ge=0,
        description="How often the fairness monitor recomputes its window (0: never)",
    )
    monitor_window_days: float = Field(
        default=7.0, gt=0, description="Sliding window of the fairness monitor, in days"
    )
    freshness_seconds: float = Field(
        default=2.0,
        ge=0,
        description="How often the server picks up writes made by other processes (0: never)",
    )
    max_concurrent_requests: int = Field(
        default=16,
        ge=1,
        le=512,
        description="API requests worked on at once (each holds one database connection); "
        "more wait their turn",
    )
    queue_timeout_seconds: float = Field(
        default=30.0, gt=0, description="How long a request may wait for its turn before a 503"
    )
    report_builds: int = Field(
        default=1,
        ge=1,
        le=16,
        description="Fairness reports built at once, each on a worker thread of its own (never "
        "in a request's slot); identical requests share one build",
    )
    aggregate_builds: int = Field(
        default=2, ge=1, le=16, description="Outcome figures built at once, likewise"
    )
    build_wait_seconds: float = Field(
        default=20.0,
        ge=0,
        description="How long a request for a report or aggregate that is not cached waits for "
        "its build before answering 202 with a job to poll (only as many requests wait at "
        "once as the kind has builds; the others are answered 202 at once)",
    )
    min_cell_size: int = Field(
        default=10,
        ge=1,
        le=1000,
        description="Fewest people a cell of a figure split by a protected attribute may show; "
        "smaller cells are suppressed (and others, so none can be derived), unless the reader "
        "has the auditor permission",
    )
    max_body_bytes: int = Field(
        default=16 * 1024 * 1024, ge=1024, description="Largest request body accepted (413 above)"
    )
    body_timeout_seconds: float = Field(
        default=10.0,
        gt=0,
        description="Longest time a request body may take to arrive (408 after): a body that "
        "trickles in holds a connection",
    )
    rate_limit_per_minute: float = Field(
        default=600.0,
        ge=0,
        description="Requests per minute per token; also failed sign-ins per presented token "
        "and per client (0: no limit)",
    )
    rate_limit_burst: int = Field(default=60, ge=1, description="Requests a token may burst")
    trusted_proxies: Annotated[tuple[str, ...], NoDecode] = Field(
        default=(),
        description="Addresses or networks (CIDR), comma-separated, of the reverse proxies "
        "whose X-Forwarded-For is believed; from anyone else it is ignored (default: none)",
    )
    session_hours: float = Field(
        default=12, gt=0, le=24 * 30, description="How long a web app sign-in lasts"
    )
    max_new_skill_names: int = Field(
        default=30,
        ge=0,
        description="Free-text skill names outside the taxonomy one request may introduce",
    )
    max_pending_skill_names: int = Field(
        default=30,
        ge=0,
        description="Skill names outside the taxonomy one person's profile may hold while they "
        "wait for HR's review",
    )
    max_new_skill_names_bulk: int = Field(
        default=5000, ge=0, description="The same for an admin's bulk import answered at once"
    )
    max_new_skill_names_job: int = Field(
        default=100_000, ge=0, description="The same for a bulk import run as a background job"
    )
    bulk_sync_records: int = Field(
        default=500,
        ge=1,
        description="Bulk imports of more records than this answer 202 and run as a job "
        "(GET /api/v1/imports/{id} shows its progress)",
    )
    token_days: int = Field(default=90, ge=1, description="Default lifetime of issued tokens")
    mask_k: int = Field(
        default=5,
        ge=1,
        le=100,
        description="Before a candidate is revealed, each card a lead sees looks exactly like at "
        "least this many cards of the same list (details are coarsened until it does)",
    )
    working_hours_per_week: float = Field(
        default=40, gt=0, le=80, description="A full week's working time at this company"
    )
    approval_share: float = Field(
        default=0.2,
        ge=0,
        le=1,
        description="Gigs taking more than this share of working time need the employee's "
        "manager to approve before assignment",
    )
    approval_escalation_days: float = Field(
        default=5, gt=0, description="A manager's decision pending longer than this goes to HR"
    )
    workers: int = Field(
        default=1, ge=1, le=64, description="Server processes `talent serve` starts"
    )
    host: str = "127.0.0.1"
    port: int = 8000
    # Single sign-on with OpenID Connect (serving/sso/, docs/sso.md): off while the issuer is empty.
    sso_issuer: str = Field(
        default="",
        description="The identity provider's issuer URL (its /.well-known/openid-configuration "
        "is read from it); empty: no single sign-on, the token sign-in only",
    )
    sso_client_id: str = Field(default="", description="This app's client id at the provider")
    sso_client_secret: SecretStr | None = Field(
        default=None,
        description="The client secret (confidential client); unset: a public client (PKCE)",
    )
    sso_scopes: str = Field(
        default="openid email profile", description="Scopes asked for, space-separated"
    )
    sso_redirect_base_url: str = Field(
        default="",
        description="This app's public address (https://talent.example.com); the provider sends "
        "people back to <it>/api/v1/sso/callback and, after sign-out, to <it>/",
    )
    sso_provider_name: str = Field(
        default="your company account", description="Shown as 'Sign in with <name>'"
    )
    sso_match_claim: str = Field(
        default="email", description="The ID token claim that names the employee"
    )
    sso_match_field: Literal["email", "external_id"] = Field(
        default="email", description="The employee field that claim is compared with"
    )
    sso_groups_claim: str = Field(default="groups", description="The claim listing groups")
    sso_required_groups: Annotated[tuple[str, ...], NoDecode] = Field(
        default=(),
        description="Groups one of which a person must be in to use the app (empty: anyone "
        "matched to an employee), comma-separated",
    )
    sso_lead_groups: Annotated[tuple[str, ...], NoDecode] = Field(
        default=(), description="Groups whose members sign in as leads"
    )
    sso_hr_groups: Annotated[tuple[str, ...], NoDecode] = Field(
        default=(), description="Groups whose members sign in as HR"
    )
    sso_admin_groups: Annotated[tuple[str, ...], NoDecode] = Field(
        default=(), description="Groups whose members sign in as admins"
    )
    sso_auditor_groups: Annotated[tuple[str, ...], NoDecode] = Field(
        default=(), description="Groups whose members get the auditor permission"
    )
    sso_hide_token_form: bool = Field(
        default=False, description="Hide the token sign-in form when single sign-on is on"
    )
    sso_timeout_seconds: float = Field(
        default=10.0, gt=0, le=120, description="How long a call to the provider may take"
    )
    sso_login_minutes: float = Field(
        default=10.0, gt=0, le=60, description="How long a started sign-in may take to return"
    )
    sso_clock_skew_seconds: int = Field(
        default=60, ge=0, le=600, description="Clock difference tolerated on ID token times"
    )

    @property
    def resolved_database_url(self) -> str:
        return self.database_url or f"sqlite:///{(self.var_dir / 'talent.db').as_posix()}"

    @property
    def key_dir(self) -> Path:
        return default_key_dir()

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _proxy_list(cls, value: Any) -> Any:
        """`10.0.0.5, 10.1.0.0/16` in the environment; each entry must parse as a network."""
        if isinstance(value, str):
            value = [part for part in value.replace(",", " ").split() if part]
        for entry in value or ():
            try:
                ipaddress.ip_network(str(entry), strict=False)
            except ValueError:
                raise ValueError(
                    f"TALENT_TRUSTED_PROXIES: {entry!r} is not an IP address or network"
                ) from None
        return value

    @field_validator(
        "sso_required_groups",
        "sso_lead_groups",
        "sso_hr_groups",
        "sso_admin_groups",
        "sso_auditor_groups",
        mode="before",
    )
    @classmethod
    def _group_list(cls, value: Any) -> Any:
        """Comma-separated in the environment (group names may hold spaces)."""
        if isinstance(value, str):
            value = [part.strip() for part in value.split(",") if part.strip()]
        return value

    @property
    def sso_enabled(self) -> bool:
        return bool(self.sso_issuer)

    @model_validator(mode="after")
    def _check_sso(self) -> Self:
        problem = sso_problem(self)
        if problem:
            raise ValueError(problem)
        return self

    @model_validator(mode="after")
    def _refuse_unsafe_production(self) -> Self:
        if self.environment == "production" and self.admin_token is not None:
            token = self.admin_token.get_secret_value()
            if len(token) < MIN_SECRET_LENGTH or token.startswith("demo-"):
                raise ValueError(
                    "TALENT_ADMIN_TOKEN must be a random secret of at least 16 characters in "
                    "production (demo tokens are refused)"
                )
        if (
            self.environment == "production"
            and self.audit_key is None
            and (self.audit_key_file is None or not self.audit_key_file.is_file())
        ):
            raise ValueError(
                "production needs the audit log's key: set TALENT_AUDIT_KEY or point "
                "TALENT_AUDIT_KEY_FILE at an existing key file outside TALENT_VAR_DIR"
            )
        if self.audit_key is not None and len(self.audit_key.get_secret_value()) < (
            MIN_SECRET_LENGTH
        ):
            raise ValueError("TALENT_AUDIT_KEY must be at least 16 characters")
        if self.audit_key_file is not None and _inside(self.audit_key_file, self.var_dir):
            raise ValueError(
                f"TALENT_AUDIT_KEY_FILE ({self.audit_key_file}) lies inside TALENT_VAR_DIR "
                f"({self.var_dir}): keep the key apart from the log it seals"
            )
        return self


def _inside(path: Path, folder: Path) -> bool:
    return path.resolve().is_relative_to(folder.resolve())


def sso_problem(settings: Settings) -> str | None:
    """What is wrong with the single sign-on settings, naming the setting (None: nothing)."""
    if not settings.sso_issuer:
        named = [
            name
            for name in ("sso_client_id", "sso_client_secret", "sso_redirect_base_url")
            if getattr(settings, name)
        ]
        if named:
            return f"TALENT_{named[0].upper()} is set but TALENT_SSO_ISSUER is not"
        return None
    production = settings.environment == "production"
    for name in ("sso_issuer", "sso_redirect_base_url"):
        value = getattr(settings, name)
        if not value:
            return f"TALENT_{name.upper()} is required when TALENT_SSO_ISSUER is set"
        problem = _url_problem(value, production=production)
        if problem:
            return f"TALENT_{name.upper()} ({value!r}) {problem}"
    if not settings.sso_client_id:
        return "TALENT_SSO_CLIENT_ID is required when TALENT_SSO_ISSUER is set"
    if "openid" not in settings.sso_scopes.split():
        return "TALENT_SSO_SCOPES must include 'openid'"
    if not settings.sso_match_claim.strip():
        return "TALENT_SSO_MATCH_CLAIM must name a claim (e.g. email)"
    return None


def _url_problem(url: str, *, production: bool) -> str | None:
    parsed = urlsplit(url)
    if parsed.scheme not in ("https", "http") or not parsed.hostname:
        return "must be an absolute https:// URL"
    if parsed.query or parsed.fragment:
        return "must carry no query or fragment"
    local = parsed.hostname in ("localhost", "127.0.0.1", "::1")
    if parsed.scheme == "http" and (production or not local):
        return "must use https:// (plain http only for localhost, in development)"
    return None
