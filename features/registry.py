"""The feature registry: one source of truth for training, serving and explanations.

Every pair feature has a name, what it means, a sentence template for explanations (filled
with the per-pair details computed alongside), and where the direction is known a monotone
constraint for LightGBM (+1: more is never worse, -1: more is never better, 0: free).
No feature reads a protected attribute; `tests/features` proves the scores ignore them.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Feature:
    name: str
    meaning: str
    template: str  # to the employee, about their match
    monotone: int = 0
    # To the lead, about a masked candidate: formatted with the facts the candidate's masked card
    # shows (matching/masking.text_facts) and said only when the card shows every fact named, so
    # a sentence never tells more than the card (None: never put into words for a lead).
    lead_template: str | None = None
    # (to the employee, to the lead) when the value is 0, where the template would read oddly
    # ("0 required skill(s) missing"): a zero can still be a reason, good or bad.
    zero_texts: tuple[str, str] | None = None
    # The opportunity kinds the feature means something for (None: all): a mentorship's
    # feature is never put into words about a gig, whatever its contribution there.
    kinds: tuple[str, ...] | None = None


FEATURES: tuple[Feature, ...] = (
    Feature(
        "required_coverage",
        "share of required skills held, each credited min(level held / level asked, 1)",
        "You have {matched} of {required} required skills{matched_names}",
        +1,
        lead_template="Holds {required_held} of the {required} required skills{inferred}",
    ),
    Feature(
        "required_missing",
        "number of required skills not held at any level",
        "{missing_count} required skill(s) missing{missing_names}",
        -1,
        lead_template="Required skills not held: {required_missing} of {required}{inferred}",
        zero_texts=("No required skill is missing", "No required skill is missing"),
    ),
    Feature(
        "preferred_coverage",
        "share of preferred skills held, level-aware like required_coverage",
        "You have {preferred_matched} of {preferred} preferred skills",
        +1,
        lead_template="Holds {preferred_held} of the {preferred} preferred skills",
    ),
    Feature(
        "implied_required_coverage",
        "share of required skills not declared but listed by the person's occupation (skills "
        "they may have; a separate signal from declared ones, never shown as declared)",
        "Your occupation usually involves {implied} more of the required skills{implied_names}"
        " (not on your profile: add them if you have them)",
        +1,
    ),
    Feature(
        "embedding_similarity",
        "cosine similarity of the composed profile and opportunity vectors",
        "Your skills and interests resemble what it asks for (similarity {value:.2f})",
        +1,
    ),
    Feature(
        "level_surplus",
        "mean levels above the asked level over the required skills held",
        "On the required skills you hold you are {value:+.1f} levels from what is asked",
        +1,
        lead_template="Holds {required_at_level} of the {required} required skills at the asked "
        "level or above{inferred}",
    ),
    Feature(
        "worst_level_deficit",
        "largest shortfall (levels) on any required skill, a missing skill counting its full level",
        "Largest gap on a required skill: {value:.0f} level(s)",
        -1,
        lead_template="Short of the asked level on {required_short} of the {required} required "
        "skills{inferred}",
        zero_texts=("You meet every required level", "Meets every required level"),
    ),
    Feature(
        "interest_alignment",
        "cosine of the person's stated interests with the opportunity",
        "It matches your stated interests (similarity {value:.2f})",
        +1,
    ),
    Feature(
        "aspiration_similarity",
        "cosine of the person's aspirations with the opportunity",
        "It fits your aspirations (similarity {value:.2f})",
        +1,
    ),
    Feature(
        "availability_slack",
        "free hours per week minus hours asked (0 for roles, which replace the current job)",
        "Needs {hours:g} h/week; you have {availability:g}",
        +1,
    ),
    Feature(
        "level_outside_band",
        "job levels outside [level_min, level_max] (0 inside the band)",
        "Your level is {value:.0f} outside the level range asked",
        -1,
        lead_template="Level is {level_range} the range asked",
        zero_texts=("Your level is within the range asked", "Level is within the range asked"),
    ),
    Feature(
        "level_position",
        "where the person's level sits in the band, 0 at level_min to 1 at level_max",
        "Your level sits at {value:.0%} of the asked range",
        0,
    ),
    Feature(
        "location_match",
        "1 when remote or in the same location, else 0",
        "Location: {location_text}",
        +1,
    ),
    Feature(
        "timezone_gap_hours",
        "hours between the person's and the opportunity owner's UTC offsets",
        "Time-zone difference with the lead: {value:.0f} h",
        -1,
    ),
    Feature(
        "tenure_years",
        "years since hire",
        "{value:.1f} years with the company",
        0,
    ),
    Feature(
        "cross_department",
        "1 when the opportunity belongs to another department",
        "A move outside your department",
        0,
        # A zero is a reason too (the model may like or dislike staying): say what it means.
        zero_texts=("Within your own department", ""),
    ),
    Feature(
        "past_completion_rate",
        "smoothed share of the person's accepted opportunities completed, before the request",
        "Track record: {value:.0%} of past engagements completed",
        +1,
    ),
    Feature(
        "opportunity_popularity",
        "log(1 + applications the opportunity had received before the request)",
        "{applications:.0f} people applied before you",
        0,
    ),
    Feature(
        "mentor_level_gap",
        "mentorships: mean of (mentor's level - mentee's level) over the skills on offer",
        "The mentor is {value:+.1f} levels ahead of you on the skills offered",
        +1,
        kinds=("mentorship",),
    ),
    Feature(
        "mentee_interest_in_offered",
        "mentorships: cosine of the mentee's interests with the skills on offer",
        "The skills on offer match your interests (similarity {value:.2f})",
        +1,
        kinds=("mentorship",),
    ),
)

FEATURE_NAMES: tuple[str, ...] = tuple(f.name for f in FEATURES)
BY_NAME: dict[str, Feature] = {f.name: f for f in FEATURES}


def monotone_constraints() -> list[int]:
    return [f.monotone for f in FEATURES]


def registry_hash() -> str:
    """Identifies the feature set a model was trained on (names, order, constraints)."""
    text = "|".join(f"{f.name}:{f.monotone}" for f in FEATURES)
    return hashlib.sha256(text.encode()).hexdigest()[:16]
