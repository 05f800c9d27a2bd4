"""The data contract (v1): what the API accepts and `talent import` reads.

Every model rejects unknown fields, so a typo in a column name is an error naming that
field rather than a silently dropped value.
"""

from __future__ import annotations

import datetime as dt
import re
from enum import StrEnum
from typing import Annotated, Self
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

EXTERNAL_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$"
SKILL_ID_PATTERN = r"^(esco|custom|tool|toolcat):[A-Za-z0-9._-]{1,80}$"
# `custom:` leaves room for occupations outside ESCO; an id the taxonomy lacks is refused.
OCCUPATION_ID_PATTERN = r"^(esco|custom):[A-Za-z0-9._-]{1,80}$"
MAX_HOURS_PER_WEEK = 60
MAX_JOB_LEVEL = 7
MAX_SKILL_LEVEL = 5
MAX_COURSE_HOURS = 400.0
MAX_COURSE_TITLE_LENGTH = 200


def _iso_date(value: object) -> object:
    """A date is written YYYY-MM-DD: a number or any other text is not taken for one (lax
    parsing read `0.0` as 1970-01-01)."""
    if isinstance(value, str) and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value.strip()):
        raise ValueError("must be a date written YYYY-MM-DD")
    if isinstance(value, int | float):
        raise ValueError("must be a date written YYYY-MM-DD, not a number")
    return value


def _iso_datetime(value: object) -> object:
    if isinstance(value, int | float):
        raise ValueError("must be an ISO 8601 date-time, not a number")
    return value


IsoDate = Annotated[dt.date, BeforeValidator(_iso_date)]
IsoDateTime = Annotated[dt.datetime, BeforeValidator(_iso_datetime)]
ExternalId = Annotated[str, Field(pattern=EXTERNAL_ID_PATTERN, examples=["E00001"])]
ShortText = Annotated[str, Field(min_length=1, max_length=200)]
LongText = Annotated[str, Field(max_length=5000)]
JobLevel = Annotated[int, Field(ge=1, le=MAX_JOB_LEVEL)]
Hours = Annotated[float, Field(ge=0, le=MAX_HOURS_PER_WEEK)]


class OpportunityKind(StrEnum):
    GIG = "gig"
    MENTORSHIP = "mentorship"
    ROLE = "role"


class OpportunityStatus(StrEnum):
    DRAFT = "draft"
    OPEN = "open"
    FILLED = "filled"
    CLOSED = "closed"


class InteractionType(StrEnum):
    IMPRESSION = "impression"
    VIEW = "view"
    APPLY = "apply"
    DISMISS = "dismiss"
    SAVE = "save"
    # Taken back by the employee: the log is append-only, so an undo is an event of its own.
    UNDISMISS = "undismiss"
    UNSAVE = "unsave"
    SHORTLIST = "shortlist"
    ACCEPT = "accept"  # the lead took the person on (the demo history's word for assign)
    REJECT = "reject"
    COMPLETE = "complete"
    # The live workflow's steps (data/workflow.py), each logged as it happens.
    INVITE = "invite"
    WAITLIST = "waitlist"
    WITHDRAW = "withdraw"
    DECLINE = "decline"  # an invitation or an offer, declined by the employee
    OFFER = "offer"
    SLOT_OFFER = "slot_offer"  # the service offered a freed slot to the first on a waitlist
    ACCEPT_OFFER = "accept_offer"
    APPROVAL = "approval"  # the manager's decision on a large share of someone's time
    ASSIGN = "assign"
    RATE = "rate"  # the employee's rating of a completed piece of work
    # An invitation or offer that lapsed because its posting's last seat was taken.
    LAPSE = "lapse"


RATED_TYPES = frozenset({InteractionType.COMPLETE, InteractionType.RATE})


class Role(StrEnum):
    EMPLOYEE = "employee"
    LEAD = "lead"
    HR = "hr"
    ADMIN = "admin"
    # The HR system's or identity provider's provisioning token: opens /scim/v2 and nothing
    # else (serving/deps.py refuses it everywhere else).
    SCIM = "scim"


class ContractModel(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=False)

    @field_validator("*", mode="before")
    @classmethod
    def _no_booleans_for_numbers(cls, value: object, info: ValidationInfo) -> object:
        # Lax parsing would store `"hours_per_week": false` as 0: a boolean is never a number.
        if isinstance(value, bool) and info.field_name is not None:
            annotation = str(cls.model_fields[info.field_name].annotation)
            if "bool" not in annotation:
                raise ValueError("must not be true or false")
        return value

    @field_validator("*", mode="after")
    @classmethod
    def _no_nul(cls, value: object) -> object:
        # PostgreSQL text cannot hold NUL: refuse it here, naming the field, not at the database.
        if isinstance(value, str) and "\x00" in value:
            raise ValueError("must not contain a NUL character")
        if isinstance(value, list) and any(isinstance(v, str) and "\x00" in v for v in value):
            raise ValueError("must not contain a NUL character")
        return value


class SkillRef(ContractModel):
    """A skill with a proficiency (1 aware … 5 expert), by taxonomy id or by free-text name.

    When both are given the id wins and the name is only its display label, so a profile read
    from the API can be sent back unchanged.
    """

    name: Annotated[str, Field(min_length=1, max_length=200)] | None = None
    skill_id: Annotated[str, Field(pattern=SKILL_ID_PATTERN)] | None = None
    level: Annotated[int, Field(ge=1, le=5)]

    @model_validator(mode="after")
    def _name_or_id(self) -> Self:
        if self.name is None and self.skill_id is None:
            raise ValueError("give 'name' or 'skill_id'")
        return self

    def key(self) -> str:
        """Identity used for duplicate detection before normalisation."""
        if self.skill_id is not None:
            return self.skill_id
        return normalize_label(self.name or "")


def normalize_label(text: str) -> str:
    """Case-, space- and punctuation-insensitive form used for exact label matching."""
    text = text.casefold().replace("&", " and ")
    text = re.sub(r"[^\w+#.]+", " ", text)
    return re.sub(r"\s+", " ", text).strip(" .")


OccupationId = Annotated[
    str,
    Field(
        pattern=OCCUPATION_ID_PATTERN,
        description="an ESCO occupation (GET /api/v1/occupations/normalize finds one); set it "
        "to override the occupation inferred from the title",
    ),
]


OCCUPATION_ECHO = (
    "read-only, as the API returns it: accepted back unchanged and ignored (set occupation_id "
    "to choose the occupation)"
)


class OccupationEcho(ContractModel):
    """A record's occupation as read from the API. Sent back with the rest of a profile or a
    posting it changes nothing: without `occupation_id` a declared occupation stays and an
    inferred one follows the title."""

    occupation_id: OccupationId
    label: Annotated[str, Field(max_length=500)] = ""
    score: float | None = None
    source: Annotated[str, Field(max_length=20)] = "inferred"


class OpportunitySkillRef(SkillRef):
    """A skill of a posting. `inferred`: implied by the posting's occupation, not chosen by
    the lead (a lead confirms it by sending it back without the flag)."""

    inferred: bool = False


class Demographics(ContractModel):
    """Self-reported, optional, stored apart from the profile; read only by fairness code."""

    gender: Annotated[str, Field(max_length=40)] | None = None
    race_ethnicity: Annotated[str, Field(max_length=80)] | None = None
    age_band: Annotated[str, Field(pattern=r"^(under-25|\d{2}-\d{2}|\d{2}\+|unknown)$")] | None = (
        None
    )
    disability: Annotated[str, Field(max_length=40)] | None = None


class EmployeeIn(ContractModel):
    external_id: ExternalId
    name: ShortText
    email: Annotated[str, Field(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s.]+$", max_length=254)] | None = (
        None
    )
    title: ShortText
    department: ShortText
    level: JobLevel
    location: ShortText
    timezone: str = "UTC"
    manager_external_id: ExternalId | None = None
    hire_date: IsoDate | None = None
    skills: Annotated[list[SkillRef], Field(max_length=200)] = []
    interests: Annotated[
        list[Annotated[str, Field(min_length=1, max_length=200)]], Field(max_length=50)
    ] = []
    aspirations: LongText = ""
    bio: LongText = ""
    availability_hours_per_week: Hours = 0
    open_to: list[OpportunityKind] = []
    demographics: Demographics | None = None
    occupation_id: OccupationId | None = None
    occupation: OccupationEcho | None = Field(
        default=None, exclude=True, description=OCCUPATION_ECHO
    )

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown IANA time zone {value!r}") from exc
        return value

    @field_validator("open_to")
    @classmethod
    def _unique_kinds(cls, value: list[OpportunityKind]) -> list[OpportunityKind]:
        if len(set(value)) != len(value):
            raise ValueError("each kind may appear once")
        return value

    @field_validator("manager_external_id")
    @classmethod
    def _not_own_manager(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is not None and value == info.data.get("external_id"):
            raise ValueError("an employee cannot be their own manager")
        return value


class EmployeePatch(ContractModel):
    """Fields of a profile to change; what is not sent stays as stored (`null` clears an
    optional field)."""

    external_id: ExternalId | None = None
    name: ShortText | None = None
    email: Annotated[str, Field(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s.]+$", max_length=254)] | None = (
        None
    )
    title: ShortText | None = None
    department: ShortText | None = None
    level: JobLevel | None = None
    location: ShortText | None = None
    timezone: str | None = None
    manager_external_id: ExternalId | None = None
    hire_date: IsoDate | None = None
    skills: Annotated[list[SkillRef], Field(max_length=200)] | None = None
    interests: (
        Annotated[list[Annotated[str, Field(min_length=1, max_length=200)]], Field(max_length=50)]
        | None
    ) = None
    aspirations: LongText | None = None
    bio: LongText | None = None
    availability_hours_per_week: Hours | None = None
    open_to: list[OpportunityKind] | None = None
    demographics: Demographics | None = None
    occupation_id: OccupationId | None = None


class OpportunityIn(ContractModel):
    external_id: ExternalId
    kind: OpportunityKind
    title: ShortText
    description: LongText = ""
    owner_external_id: ExternalId
    department: Annotated[
        ShortText | None, Field(description="defaults to the owner's department")
    ] = None
    location: ShortText = "Remote"
    # None given: the skills the title's occupation implies are used, marked `inferred`.
    required_skills: Annotated[list[OpportunitySkillRef], Field(max_length=50)] = []
    preferred_skills: Annotated[list[OpportunitySkillRef], Field(max_length=50)] = []
    occupation_id: OccupationId | None = None
    occupation: OccupationEcho | None = Field(
        default=None, exclude=True, description=OCCUPATION_ECHO
    )
    # Read-only state of a posting placed in no occupation, echoed back by clients that send
    # a GET document with a PUT: accepted and ignored (the import works them out afresh).
    needs_skills: bool | None = Field(default=None, exclude=True, description="read-only")
    occupation_choices: Annotated[list[OccupationEcho], Field(max_length=20)] | None = Field(
        default=None, exclude=True, description="read-only"
    )
    hours_per_week: Hours
    duration_weeks: Annotated[int, Field(ge=1, le=260)] | None = None
    start_date: IsoDate | None = None
    level_min: JobLevel = 1
    level_max: JobLevel = MAX_JOB_LEVEL
    seats: Annotated[int, Field(ge=1, le=100)] = 1
    status: OpportunityStatus = OpportunityStatus.OPEN

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.level_min > self.level_max:
            raise ValueError("level_min must not exceed level_max")
        return self


class OpportunityPatch(ContractModel):
    """Fields a lead may change on a posted opportunity."""

    title: ShortText | None = None
    description: LongText | None = None
    department: ShortText | None = None
    location: ShortText | None = None
    required_skills: Annotated[list[OpportunitySkillRef], Field(max_length=50)] | None = None
    preferred_skills: Annotated[list[OpportunitySkillRef], Field(max_length=50)] | None = None
    occupation_id: OccupationId | None = None
    hours_per_week: Hours | None = None
    duration_weeks: Annotated[int, Field(ge=1, le=260)] | None = None
    start_date: IsoDate | None = None
    level_min: JobLevel | None = None
    level_max: JobLevel | None = None
    seats: Annotated[int, Field(ge=1, le=100)] | None = None
    status: OpportunityStatus | None = None


class InteractionIn(ContractModel):
    """One logged event between an employee and an opportunity."""

    request_id: Annotated[str, Field(max_length=64)] | None = None
    employee_external_id: ExternalId
    opportunity_external_id: ExternalId
    type: InteractionType
    position: Annotated[int, Field(ge=1, le=10_000)] | None = None
    rating: Annotated[int, Field(ge=1, le=5)] | None = None
    occurred_at: IsoDateTime

    @model_validator(mode="after")
    def _fields_for_type(self) -> Self:
        if self.type is InteractionType.IMPRESSION and self.position is None:
            raise ValueError("an impression needs its position")
        if self.rating is not None and self.type not in RATED_TYPES:
            raise ValueError("only a 'complete' or 'rate' event carries a rating")
        return self


class CourseFormat(StrEnum):
    SELF_PACED = "self-paced"
    WORKSHOP = "workshop"
    COHORT = "cohort"


class CourseSkill(ContractModel):
    """A skill a course teaches: it starts at `level_from` (0 = none) and reaches `level_to`."""

    skill_id: Annotated[str, Field(pattern=SKILL_ID_PATTERN)]
    level_from: Annotated[int, Field(ge=0, le=MAX_SKILL_LEVEL - 1)]
    level_to: Annotated[int, Field(ge=1, le=MAX_SKILL_LEVEL)]

    @model_validator(mode="after")
    def _moves_up(self) -> Self:
        if self.level_to <= self.level_from:
            raise ValueError(
                f"level_to ({self.level_to}) must be above level_from ({self.level_from})"
            )
        return self


class CourseIn(ContractModel):
    """A learning item in the catalog, in the shape `courses.jsonl` holds."""

    external_id: ExternalId
    title: Annotated[str, Field(min_length=1, max_length=MAX_COURSE_TITLE_LENGTH)]
    provider: ShortText
    format: CourseFormat
    hours: Annotated[float, Field(gt=0, le=MAX_COURSE_HOURS)]
    url: Annotated[str, Field(pattern=r"^https?://\S+$", max_length=500)] | None = None
    skills: Annotated[list[CourseSkill], Field(min_length=1, max_length=20)]

    @model_validator(mode="after")
    def _distinct_skills(self) -> Self:
        seen = [s.skill_id for s in self.skills]
        if len(set(seen)) != len(seen):
            raise ValueError("a course lists each skill at most once")
        return self
