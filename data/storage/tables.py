"""ORM tables. Demographics live in their own table so that nothing reading a profile sees them."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    false,
    func,
    true,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


class Base(DeclarativeBase):
    pass


class SkillRow(Base):
    """A taxonomy skill (ESCO or company-specific) referenced by profiles and opportunities."""

    __tablename__ = "skills"

    skill_id: Mapped[str] = mapped_column(String(96), primary_key=True)
    label: Mapped[str] = mapped_column(String(300))
    alt_labels: Mapped[list[str]] = mapped_column(JSON, default=list)
    skill_type: Mapped[str] = mapped_column(String(20), default="skill")
    description: Mapped[str] = mapped_column(Text, default="")
    source: Mapped[str] = mapped_column(String(20), default="esco")
    # Free text typed by someone becomes a custom skill that HR reviews before anyone else is
    # shown its name: unreviewed | reviewed | rejected (taxonomy and imported skills: reviewed).
    status: Mapped[str] = mapped_column(String(12), default="reviewed", index=True)
    created_by: Mapped[str | None] = mapped_column(String(64))  # whose request introduced it
    updated_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )


class SkillAliasRow(Base):
    """A company's own name for a skill ("k8s" -> Kubernetes): resolved like an alt label."""

    __tablename__ = "skill_aliases"

    alias_key: Mapped[str] = mapped_column(String(200), primary_key=True)  # normalize_label(alias)
    alias: Mapped[str] = mapped_column(String(200))
    skill_id: Mapped[str] = mapped_column(ForeignKey("skills.skill_id"), index=True)
    created_by: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )


class ImportJobRow(Base):
    """A bulk import running in the background: its progress, then its report or errors."""

    __tablename__ = "import_jobs"

    job_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))  # employees | opportunities
    status: Mapped[str] = mapped_column(String(12))  # queued | running | succeeded | failed
    phase: Mapped[str] = mapped_column(String(40), default="")
    done: Mapped[int] = mapped_column(Integer, default=0)
    total: Mapped[int] = mapped_column(Integer, default=0)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # host:pid:start of the process running it (data/storage/imports.py): a restart fails the
    # jobs of processes that are gone.
    owner: Mapped[str | None] = mapped_column(String(200))


class ImportMappingRow(Base):
    """How the columns of an uploaded file map to the data contract's fields, remembered per
    kind and header row (data/storage/import_mappings.py): the company's next export with the
    same columns is mapped the same way."""

    __tablename__ = "import_mappings"
    __table_args__ = (UniqueConstraint("kind", "header_key", name="uq_import_mappings_headers"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))  # employees | opportunities
    header_key: Mapped[str] = mapped_column(String(64))  # digest of the header row, normalised
    headers: Mapped[list[str]] = mapped_column(JSON)
    mapping: Mapped[dict[str, Any]] = mapped_column(JSON)  # header -> field (or null: not imported)
    updated_by: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class ServiceMetaRow(Base):
    """Small facts about the installation (which packaged taxonomy the skills table holds)."""

    __tablename__ = "service_meta"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class EmployeeRow(Base):
    __tablename__ = "employees"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    external_id: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(254))
    # The address casefolded: one person per e-mail address, whatever its case.
    email_key: Mapped[str | None] = mapped_column(String(254), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    department: Mapped[str] = mapped_column(String(200), index=True)
    level: Mapped[int] = mapped_column(Integer)
    location: Mapped[str] = mapped_column(String(200))
    timezone: Mapped[str] = mapped_column(String(64))
    manager_external_id: Mapped[str | None] = mapped_column(String(64))
    hire_date: Mapped[dt.date | None] = mapped_column(Date)
    interests: Mapped[list[str]] = mapped_column(JSON, default=list)
    aspirations: Mapped[str] = mapped_column(Text, default="")
    bio: Mapped[str] = mapped_column(Text, default="")
    availability_hours_per_week: Mapped[float] = mapped_column(Float, default=0)
    open_to: Mapped[list[str]] = mapped_column(JSON, default=list)
    # The ESCO occupation of the title: inferred (with the normaliser's score) or declared.
    occupation_id: Mapped[str | None] = mapped_column(String(96))
    occupation_label: Mapped[str | None] = mapped_column(String(300))
    occupation_score: Mapped[float | None] = mapped_column(Float)
    occupation_source: Mapped[str | None] = mapped_column(String(10))  # inferred | declared
    # Quiet mode (on by default): the manager sees none of this person's applications until
    # an approval is needed. Managers holding on to their people is what sinks marketplaces.
    quiet_mode: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    # Where the person wants to be: a role posted here, or an ESCO occupation (career path).
    target_opportunity_external_id: Mapped[str | None] = mapped_column(String(64))
    target_occupation_id: Mapped[str | None] = mapped_column(String(96))
    target_set_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )
    # One more at every write of the profile or its skills: a writer that read the row before
    # it took the row's lock reads it again if this moved (data/storage/locks.py).
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    # False once the HR system or identity provider deactivates the person (SCIM): out of
    # matching and every pipeline, the history kept (data/storage/offboarding.py).
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true(), index=True)
    deactivated_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))

    skills: Mapped[list[EmployeeSkillRow]] = relationship(
        cascade="all, delete-orphan", order_by="EmployeeSkillRow.position", lazy="selectin"
    )


class ScimUserRow(Base):
    """How the HR system or identity provider names a person (SCIM, data/storage/scim_users.py):
    its userName and own id, and the SCIM attributes it sent that the profile has no column for
    (name parts, e-mail types). The person's SCIM id is their external id."""

    __tablename__ = "scim_users"

    employee_id: Mapped[int] = mapped_column(
        ForeignKey("employees.id", ondelete="CASCADE"), primary_key=True
    )
    user_name: Mapped[str] = mapped_column(String(254))
    user_name_key: Mapped[str] = mapped_column(String(254), unique=True)  # casefolded
    scim_external_id: Mapped[str | None] = mapped_column(String(254), index=True)
    attributes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class ScimGroupRow(Base):
    """A group provisioned by SCIM (e.g. the product's role groups: leads, hr, auditors,
    admins) and its members; single sign-on reads a person's groups as role claims."""

    __tablename__ = "scim_groups"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    display_name: Mapped[str] = mapped_column(String(200))
    display_name_key: Mapped[str] = mapped_column(String(200), unique=True)  # casefolded
    scim_external_id: Mapped[str | None] = mapped_column(String(254))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    version: Mapped[int] = mapped_column(Integer, default=1)


class ScimGroupMemberRow(Base):
    __tablename__ = "scim_group_members"

    group_id: Mapped[str] = mapped_column(
        ForeignKey("scim_groups.id", ondelete="CASCADE"), primary_key=True
    )
    employee_id: Mapped[int] = mapped_column(
        ForeignKey("employees.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class EmployeeSkillRow(Base):
    __tablename__ = "employee_skills"

    employee_id: Mapped[int] = mapped_column(
        ForeignKey("employees.id", ondelete="CASCADE"), primary_key=True
    )
    skill_id: Mapped[str] = mapped_column(ForeignKey("skills.skill_id"), primary_key=True)
    level: Mapped[int] = mapped_column(Integer)
    position: Mapped[int] = mapped_column(Integer, default=0)

    skill: Mapped[SkillRow] = relationship(lazy="joined")


class DemographicsRow(Base):
    """Self-reported protected attributes: read only by fairness code and HR aggregates."""

    __tablename__ = "demographics"

    employee_id: Mapped[int] = mapped_column(
        ForeignKey("employees.id", ondelete="CASCADE"), primary_key=True
    )
    gender: Mapped[str | None] = mapped_column(String(40))
    race_ethnicity: Mapped[str | None] = mapped_column(String(80))
    age_band: Mapped[str | None] = mapped_column(String(20))
    disability: Mapped[str | None] = mapped_column(String(40))


class OpportunityRow(Base):
    __tablename__ = "opportunities"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    external_id: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(20), index=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    owner_external_id: Mapped[str] = mapped_column(String(64), index=True)
    department: Mapped[str] = mapped_column(String(200))
    location: Mapped[str] = mapped_column(String(200))
    hours_per_week: Mapped[float] = mapped_column(Float)
    duration_weeks: Mapped[int | None] = mapped_column(Integer)
    start_date: Mapped[dt.date | None] = mapped_column(Date)
    level_min: Mapped[int] = mapped_column(Integer)
    level_max: Mapped[int] = mapped_column(Integer)
    seats: Mapped[int] = mapped_column(Integer, default=1)
    # Seats taken by assignments: a gig's stay taken; a mentorship's free again at completion
    # (its seats are the mentor's capacity, mentees at once). Changed only by a conditional
    # UPDATE (data/storage/pipeline.py), so two leads cannot both take the last seat.
    seats_filled: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    status: Mapped[str] = mapped_column(String(20), index=True)
    # When it was first stored (time to first application and to fill count from here).
    posted_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    # The ESCO occupation of the title: inferred (with the normaliser's score) or declared.
    occupation_id: Mapped[str | None] = mapped_column(String(96))
    occupation_label: Mapped[str | None] = mapped_column(String(300))
    occupation_score: Mapped[float | None] = mapped_column(Float)
    occupation_source: Mapped[str | None] = mapped_column(String(10))  # inferred | declared
    # A title placed nowhere: the closest occupations for its lead to choose from
    # ([{occupation_id, label, score}]); the posting "needs skills" while it has no required ones.
    occupation_choices: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)
    updated_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")  # as employees'

    skills: Mapped[list[OpportunitySkillRow]] = relationship(
        cascade="all, delete-orphan", order_by="OpportunitySkillRow.position", lazy="selectin"
    )


class OpportunitySkillRow(Base):
    __tablename__ = "opportunity_skills"

    opportunity_id: Mapped[int] = mapped_column(
        ForeignKey("opportunities.id", ondelete="CASCADE"), primary_key=True
    )
    skill_id: Mapped[str] = mapped_column(ForeignKey("skills.skill_id"), primary_key=True)
    level: Mapped[int] = mapped_column(Integer)
    required: Mapped[bool] = mapped_column(Boolean)
    position: Mapped[int] = mapped_column(Integer, default=0)
    # Implied by the occupation of a posting that named too few skills, not yet confirmed.
    inferred: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    skill: Mapped[SkillRow] = relationship(lazy="joined")


class InteractionRow(Base):
    __tablename__ = "interactions"
    __table_args__ = (
        Index("ix_interactions_employee_time", "employee_external_id", "occurred_at"),
        Index("ix_interactions_opportunity_time", "opportunity_external_id", "occurred_at"),
        # Every match request counts a few event types for ~200 opportunities and their people;
        # by type, the lookups skip the impressions that make up most of the log (on the demo,
        # 70 ms -> 6 ms per request).
        Index("ix_interactions_employee_type", "employee_external_id", "type"),
        Index("ix_interactions_opportunity_type", "opportunity_external_id", "type"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_id: Mapped[str | None] = mapped_column(String(64))
    employee_external_id: Mapped[str] = mapped_column(String(64))
    opportunity_external_id: Mapped[str] = mapped_column(String(64))
    type: Mapped[str] = mapped_column(String(20))
    position: Mapped[int | None] = mapped_column(Integer)
    rating: Mapped[int | None] = mapped_column(Integer)
    occurred_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    # Who took a workflow step (role and person), and what they said: a reason code, a note,
    # the skills a completed gig used. Empty for impressions and the demo history.
    actor_role: Mapped[str | None] = mapped_column(String(20))
    actor: Mapped[str | None] = mapped_column(String(64))
    details: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # The audit seal that covers this row (fairness/audit_log.py); NULL until it is sealed,
    # just after the transaction that wrote it commits.
    sealed_by: Mapped[int | None] = mapped_column(Integer, index=True)


class PipelineRow(Base):
    """Where one (person, opportunity) pair stands in the workflow (data/workflow.py).

    Every change is a compare-and-set on `version`, so two people acting on one pair at once
    cannot both win; the interaction log keeps each step, this row only the present.
    """

    __tablename__ = "pipeline"
    __table_args__ = (
        UniqueConstraint(
            "employee_external_id", "opportunity_external_id", name="uq_pipeline_pair"
        ),
        Index("ix_pipeline_opportunity_stage", "opportunity_external_id", "stage"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    employee_external_id: Mapped[str] = mapped_column(String(64), index=True)
    opportunity_external_id: Mapped[str] = mapped_column(String(64))
    stage: Mapped[str] = mapped_column(String(20))
    version: Mapped[int] = mapped_column(Integer, default=1)
    request_id: Mapped[str | None] = mapped_column(String(64))  # the list the pair came from
    origin: Mapped[str] = mapped_column(String(12))  # application | invitation | waitlist
    note: Mapped[str] = mapped_column(Text, default="")  # the applicant's or lead's message
    # Why rejected (the lead's code), or why it lapsed (data.workflow.LapseReason).
    reason_code: Mapped[str | None] = mapped_column(String(20))
    # Manager approval of a large share of working time: none | pending | approved | declined.
    approval: Mapped[str] = mapped_column(String(10), default="none")
    approver_external_id: Mapped[str | None] = mapped_column(String(64), index=True)
    approval_requested_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    approval_decided_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    approval_decided_by: Mapped[str | None] = mapped_column(String(64))
    approval_reason: Mapped[str] = mapped_column(Text, default="")
    # The commitment, once assigned: hours a week from `starts_on` until `ends_on`.
    hours_per_week: Mapped[float | None] = mapped_column(Float)
    starts_on: Mapped[dt.date | None] = mapped_column(Date)
    ends_on: Mapped[dt.date | None] = mapped_column(Date)
    lead_rating: Mapped[int | None] = mapped_column(Integer)
    employee_rating: Mapped[int | None] = mapped_column(Integer)
    # [{skill_id, label, level}]
    skills_used: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)
    # When the lead first saw who this is (after an application or an accepted invitation).
    revealed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class SkillProposalRow(Base):
    """A skill and level that completed work showed, proposed to the person's profile: it
    changes nothing until the person accepts it."""

    __tablename__ = "skill_proposals"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    employee_external_id: Mapped[str] = mapped_column(String(64), index=True)
    skill_id: Mapped[str] = mapped_column(ForeignKey("skills.skill_id"))
    level: Mapped[int] = mapped_column(Integer)
    opportunity_external_id: Mapped[str] = mapped_column(String(64))
    proposed_by: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(10), default="pending")  # pending|accepted|declined
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    decided_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))

    skill: Mapped[SkillRow] = relationship(lazy="joined")


class ApiTokenRow(Base):
    """Bearer tokens, stored as keyed digests (data/storage/tokens.py) so a database dump does
    not leak credentials; `token_id` names a token in lists and revocations."""

    __tablename__ = "api_tokens"

    digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    token_id: Mapped[str] = mapped_column(String(16), unique=True)
    scheme: Mapped[str] = mapped_column(String(10), default="hmac")  # hmac | sha256 (legacy)
    role: Mapped[str] = mapped_column(String(20))
    subject_external_id: Mapped[str | None] = mapped_column(String(64))
    label: Mapped[str] = mapped_column(String(200), default="")
    scopes: Mapped[list[str]] = mapped_column(JSON, default=list)
    # Issued by `talent demo` (documented, guessable texts): refused by a production instance.
    demo: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    created_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
    expires_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class WebSessionRow(Base):
    """The web app's sign-ins (data/storage/web_sessions.py): the cookie holds a random id, this
    table its keyed digest, and when it ends. A token sign-in keeps the digest of the token
    (whose state decides the session's on every request); a single sign-on keeps the employee,
    the role and permissions its groups gave, and the ID token (the provider's sign-out takes it
    as a hint). Signing out deletes the row."""

    __tablename__ = "web_sessions"

    digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    token_digest: Mapped[str | None] = mapped_column(String(64), index=True)
    subject_external_id: Mapped[str | None] = mapped_column(String(64), index=True)
    role: Mapped[str | None] = mapped_column(String(20))
    scopes: Mapped[list[str] | None] = mapped_column(JSON)
    id_token: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), index=True)


class SsoLoginRow(Base):
    """A single sign-on under way (serving/sso/): the keyed digest of its state, the nonce and
    PKCE verifier it was started with, until when it may come back, and when it did (a state
    comes back once)."""

    __tablename__ = "sso_logins"

    digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    nonce: Mapped[str] = mapped_column(String(128))
    code_verifier: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), index=True)
    used_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class ModelVersionRow(Base):
    """A trained ranker: its artefacts live on disk under `path`; at most one promoted per
    direction serves requests."""

    __tablename__ = "model_versions"

    version: Mapped[str] = mapped_column(String(64), primary_key=True)
    direction: Mapped[str] = mapped_column(String(20), index=True)
    path: Mapped[str] = mapped_column(String(500))
    feature_hash: Mapped[str] = mapped_column(String(32))
    data_hash: Mapped[str] = mapped_column(String(64))
    metrics: Mapped[dict[str, float]] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(20), default="trained")  # trained|promoted|retired
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    promoted_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class AuditRecordRow(Base):
    """One served ranking, append-only and hash-chained (see fairness/audit_log.py).

    The hash covers the record's canonical JSON: kept as text in `body` by rows filed before
    revision 0023, zstd-compressed in `body_zstd` (with `body` empty) since; the other columns
    repeat a few of its fields so reports and searches can filter without reading every record
    (`item_ids`, `interleaved`: NULL before 0023). No demographics are ever stored here.
    """

    __tablename__ = "audit_records"

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    request_id: Mapped[str] = mapped_column(String(64), index=True)
    served_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), index=True)
    direction: Mapped[str] = mapped_column(String(20))
    kind: Mapped[str] = mapped_column(String(20), index=True)
    query_external_id: Mapped[str] = mapped_column(String(64), index=True)
    body: Mapped[str] = mapped_column(Text)
    body_zstd: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    item_ids: Mapped[str | None] = mapped_column(Text, nullable=True)  # JSON array, pool order
    interleaved: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)


class AuditSealRow(Base):
    """One seal over a batch of interaction or oversight rows, chained like the served-ranking
    records (see fairness/audit_log.py): `body` is the canonical JSON the seal covers (each
    row's id and digest), `hash` its keyed seal."""

    __tablename__ = "audit_seals"

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    stream: Mapped[str] = mapped_column(String(20))  # interactions | oversight
    rows: Mapped[int] = mapped_column(Integer)
    body: Mapped[str] = mapped_column(Text)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)


class AuditPurgeRow(Base):
    """One retention purge of the oldest records and seals (serving/usecases/retention.py):
    `base` is a checkpoint (fairness/audit_log.Checkpoint JSON, signed with the audit key) of
    the last record and seal it deleted, from which verify walks the chains that remain."""

    __tablename__ = "audit_purges"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    actor: Mapped[str] = mapped_column(String(64))
    base: Mapped[str] = mapped_column(Text)
    counts: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class AuditRedactionRow(Base):
    """A sealed record or row rewritten by an erasure (a person's ids pseudonymised), vouched
    for by a signature with the audit key over its original seal or digest and the digest of
    what it holds now (fairness/audit_redaction.py). One per row: a later erasure replaces it."""

    __tablename__ = "audit_redactions"
    __table_args__ = (UniqueConstraint("stream", "row_key", name="uq_audit_redactions_row"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    stream: Mapped[str] = mapped_column(String(20))  # records | interactions | oversight
    row_key: Mapped[int] = mapped_column(Integer)  # the record's seq, or the row's id
    original: Mapped[str] = mapped_column(String(64))  # the seal, or the row's sealed digest
    redacted: Mapped[str] = mapped_column(String(64))  # SHA-256 of the text as it stands
    at: Mapped[str] = mapped_column(String(40))
    signature: Mapped[str] = mapped_column(String(64))


class RetentionPolicyRow(Base):
    """HR's retention period for one kind of record (serving/usecases/retention.py); a kind
    without a row keeps the period from the settings."""

    __tablename__ = "retention_policies"

    kind: Mapped[str] = mapped_column(String(40), primary_key=True)
    days: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    updated_by: Mapped[str] = mapped_column(String(64))


class RankingPolicyRow(Base):
    """The fair re-ranking policy for one opportunity kind, and whether HR paused ranking."""

    __tablename__ = "ranking_policies"

    kind: Mapped[str] = mapped_column(String(20), primary_key=True)
    policy: Mapped[str] = mapped_column(String(20))  # off | fa*ir | detgreedy
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    paused: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_by: Mapped[str] = mapped_column(String(64), default="")
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class InterleavingRow(Base):
    """An interleaving test for one opportunity kind and direction: the live model's list and
    a registered challenger's, team-drafted (serving/usecases/interleaving.py). `started_at`:
    lists served from then on with this challenger are counted."""

    __tablename__ = "interleaving_settings"

    kind: Mapped[str] = mapped_column(String(20), primary_key=True)
    direction: Mapped[str] = mapped_column(String(20), primary_key=True)
    challenger_version: Mapped[str] = mapped_column(String(64))
    enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    started_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    updated_by: Mapped[str] = mapped_column(String(64), default="")
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class RankingOverrideRow(Base):
    """A person's decision on one candidate list: pin a candidate on top, or hide one."""

    __tablename__ = "ranking_overrides"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    opportunity_external_id: Mapped[str] = mapped_column(String(64), index=True)
    employee_external_id: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(10))  # pin | hide
    reason: Mapped[str] = mapped_column(Text)
    created_by_role: Mapped[str] = mapped_column(String(20))
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class OversightEventRow(Base):
    """Human oversight, logged: policy changes, pauses and resumes, pins, hides, revocations."""

    __tablename__ = "oversight_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), index=True)
    actor_role: Mapped[str] = mapped_column(String(20))
    actor: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(20))
    kind: Mapped[str | None] = mapped_column(String(20))
    opportunity_external_id: Mapped[str | None] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(Text, default="")
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    sealed_by: Mapped[int | None] = mapped_column(Integer, index=True)  # as interactions'


class CourseRow(Base):
    """A learning item (self-paced course, workshop, cohort programme) and the skills it teaches."""

    __tablename__ = "courses"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    external_id: Mapped[str] = mapped_column(String(64), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    provider: Mapped[str] = mapped_column(String(200))
    format: Mapped[str] = mapped_column(String(20))  # self-paced | workshop | cohort
    hours: Mapped[float] = mapped_column(Float)
    url: Mapped[str | None] = mapped_column(String(500))

    skills: Mapped[list[CourseSkillRow]] = relationship(
        cascade="all, delete-orphan", order_by="CourseSkillRow.position", lazy="selectin"
    )


class CourseSkillRow(Base):
    """A skill a course teaches, from `level_from` (0 = none) up to `level_to`."""

    __tablename__ = "course_skills"

    course_id: Mapped[int] = mapped_column(
        ForeignKey("courses.id", ondelete="CASCADE"), primary_key=True
    )
    # Indexed: learning recommendations look courses up by the skills a person lacks.
    skill_id: Mapped[str] = mapped_column(
        ForeignKey("skills.skill_id"), primary_key=True, index=True
    )
    level_from: Mapped[int] = mapped_column(Integer)
    level_to: Mapped[int] = mapped_column(Integer)
    position: Mapped[int] = mapped_column(Integer, default=0)


class NotificationPreferenceRow(Base):
    """Where one person hears about their invitations, offers and approvals, and how often
    their digest of new matches comes (serving/notifications/). No row: the defaults."""

    __tablename__ = "notification_preferences"

    employee_external_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    channels: Mapped[list[str]] = mapped_column(JSON, default=list)  # email | slack | teams
    digest: Mapped[str] = mapped_column(String(10), default="weekly")  # off | daily | weekly
    # Sends nothing at all (unlike the profile's quiet_mode, which hides applications from a
    # manager).
    quiet: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # The person's own incoming webhooks (secrets: never shown back whole).
    slack_webhook_url: Mapped[str | None] = mapped_column(Text)
    teams_webhook_url: Mapped[str | None] = mapped_column(Text)
    last_digest_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class OutboxRow(Base):
    """One message to one recipient on one channel, written in the transaction of the event
    that causes it; the delivery worker claims, sends and marks it (serving/notifications/)."""

    __tablename__ = "notification_outbox"
    __table_args__ = (Index("ix_notification_outbox_due", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    event: Mapped[str] = mapped_column(String(20))  # invitation | offer | approval_asked | ...
    # None: the company's own channel (an approval with no manager on record goes to HR).
    recipient_external_id: Mapped[str | None] = mapped_column(String(64), index=True)
    channel: Mapped[str] = mapped_column(String(10))  # email | slack | teams
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    link: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(10))  # pending|sending|sent|failed|cancelled
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    # A claim's lease: a worker that died mid-send leaves the row to be claimed again after it.
    claimed_until: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    last_error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    sent_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


# Learning recommendations also look up open gigs and mentorships by skill; the primary key
# (opportunity_id, skill_id) cannot serve a lookup by skill alone.
Index("ix_opportunity_skills_skill_id", OpportunitySkillRow.skill_id)


class ReviewRequestRow(Base):
    """A person's request that a human review one decision about them (serving/usecases/
    reviews.py): the decision is the interaction row that recorded the step. HR decides once:
    the decision is a compare-and-set on `status` and `version`, so two HR decisions on one
    request cannot both win."""

    __tablename__ = "review_requests"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    employee_external_id: Mapped[str] = mapped_column(String(64), index=True)
    opportunity_external_id: Mapped[str] = mapped_column(String(64))
    decision_id: Mapped[int] = mapped_column(Integer, index=True)  # interactions.id
    decision: Mapped[str] = mapped_column(String(40))  # what the step was, in the decisions' words
    reason: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(12), index=True)  # open | upheld | overturned
    remedy: Mapped[str] = mapped_column(Text, default="")
    answer: Mapped[str] = mapped_column(Text, default="")  # HR's reasons, told to the person
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    due_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    decided_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    decided_by_role: Mapped[str | None] = mapped_column(String(20))
    decided_by: Mapped[str | None] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")


class DataCorrectionRow(Base):
    """A person's proposed correction of one HR-owned field of their record (title, level,
    department, manager, hire date), with their reason; HR accepts (applied to the record) or
    refuses with a reason. Decided once, by compare-and-set like review requests."""

    __tablename__ = "data_corrections"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    employee_external_id: Mapped[str] = mapped_column(String(64), index=True)
    field: Mapped[str] = mapped_column(String(40))
    current_value: Mapped[str | None] = mapped_column(Text)  # as stored when proposed (JSON)
    proposed_value: Mapped[str | None] = mapped_column(Text)  # JSON
    reason: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(12), index=True)  # pending | accepted | refused
    answer: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    decided_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    decided_by_role: Mapped[str | None] = mapped_column(String(20))
    decided_by: Mapped[str | None] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
