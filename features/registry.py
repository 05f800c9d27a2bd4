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
    # The feature that says the same fact from the other side ("holds 2 of 6" / "4 of 6 not
    # held"): an amount against this feature's monotone direction is said in that feature's
    # words, so a reason never reads "Holds 2 of 6 required skills (lowers)".
    opposite: str | None = None
    # A share of skills held with no opposite to say it: an amount against its direction is
    # left unsaid ("Your occupation usually involves 3 more of the required skills" never
    # lowers). Other features ("Needs 10 h/week; you have 6") read right either way.
    unsaid_against: bool = False
    # A +1 feature is said as raising a score only above this value: "fits this line of work
    # (fit 0.09)" or "close to the one it is for (relatedness 0.00)" is no reason, whatever a
    # tree credited it against a reference that had less. A feature with no direction (the
    # history ones) is said, either way, only above it: at or under it there is no such history.
    said_above: float = 0.0


FEATURES: tuple[Feature, ...] = (
    Feature(
        "required_coverage",
        "share of required skills held, each credited min(level held / level asked, 1)",
        "You have {matched} of {required} {asked}{matched_names}",
        +1,
        lead_template="Holds {required_held} of the {required} required skills{inferred}",
        opposite="required_missing",
    ),
    Feature(
        "required_missing",
        "number of required skills not held at any level",
        "{asked_missing}: {missing_count} of {required}{missing_names}",
        -1,
        lead_template="Required skills not held: {required_missing} of {required}{inferred}",
        zero_texts=("No required skill is missing", "No required skill is missing"),
        opposite="required_coverage",
    ),
    Feature(
        "preferred_coverage",
        "share of preferred skills held, level-aware like required_coverage",
        "You have {preferred_matched} of {preferred} preferred skills",
        +1,
        lead_template="Holds {preferred_held} of the {preferred} preferred skills",
        unsaid_against=True,
    ),
    Feature(
        "implied_required_coverage",
        "share of required skills declared or listed by the person's occupation (declared or "
        "may have): a superset of declared coverage, so declaring an implied skill never "
        "lowers it, while declared ones alone count in required_coverage",
        "Your occupation usually involves {implied} more of the {asked}{implied_names}"
        " (not on your profile: add them if you have them)",
        +1,
        unsaid_against=True,
    ),
    Feature(
        "required_related_coverage",
        "share of required skills held, or not held but with a tool of the same category held "
        "(Tableau for Power BI): a superset of holding them, a partial match in between",
        "You use tools like {related} of the {asked}{related_names}",
        +1,
        unsaid_against=True,
    ),
    Feature(
        "skill_similarity",
        "for each skill asked, the cosine of its label to the nearest skill the person holds "
        "(1 when held), averaged (required 0.8, preferred 0.2): adding a skill never lowers it",
        "Your skills come close to the ones it asks for (similarity {value:.2f})",
        +1,
        unsaid_against=True,
    ),
    Feature(
        "occupation_relatedness",
        "how related the person's occupation is to the posting's (data/taxonomy/relatedness: "
        "1 the same, 0 unrelated or either unknown)",
        "Your occupation is close to the one it is for (relatedness {value:.2f})",
        +1,
        said_above=0.3,
    ),
    Feature(
        "profile_fit",
        "how well the person's whole profile fits the posting's whole work: the F1 of the "
        "share of their skills (specificity-weighted) that the posting's occupation lists or "
        "the posting asks, and the share of that work's weight they hold "
        "(data/taxonomy/occupation_profiles.py); holding one more asked skill never lowers it",
        "Your skills fit this line of work as a whole, not only the ones listed (fit {value:.2f})",
        +1,
        unsaid_against=True,
        said_above=0.3,
    ),
    Feature(
        "tool_category_fit",
        "the person's tools counted per O*NET category against the categories the work's "
        "tools fall in (Vectorworks for a drafter whose list names AutoCAD); 0 without tools",
        "You use the kinds of software this work uses (fit {value:.2f})",
        +1,
        unsaid_against=True,
    ),
    Feature(
        "level_surplus",
        "levels above the asked level, summed over the required skills and divided by their "
        "number (a skill held below the asked level or not held adds 0, so adding or raising "
        "one never lowers it; shortfalls are worst_level_deficit's)",
        "You exceed the asked level by {value:.1f} level(s) per required skill",
        +1,
        lead_template="Holds {required_at_level} of the {required} required skills at the asked "
        "level or above{inferred}",
        opposite="worst_level_deficit",
    ),
    Feature(
        "worst_level_deficit",
        "largest shortfall (levels) on any required skill, a missing skill counting its full level",
        "Largest gap on a required skill: {value:.0f} level(s)",
        -1,
        lead_template="Short of the asked level on {required_short} of the {required} required "
        "skills{inferred}",
        zero_texts=("You meet every required level", "Meets every required level"),
        opposite="level_surplus",
    ),
    Feature(
        "interest_alignment",
        "cosine of the person's stated interests with the opportunity",
        "It matches your stated interests (similarity {value:.2f})",
        +1,
        unsaid_against=True,
    ),
    Feature(
        "aspiration_similarity",
        "cosine of the person's aspirations with the opportunity",
        "It fits your aspirations (similarity {value:.2f})",
        +1,
        # "It fits your aspirations (similarity 0.13)" cannot be a reason against.
        unsaid_against=True,
    ),
    Feature(
        "availability_slack",
        "free hours per week minus hours asked (0 for roles, which replace the current job)",
        "Needs {hours:g} h a week; {free_hours}",
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
        "On the skills offered, the mentor is {mentor_ahead}",
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
    # What a person's and a posting's own history say (features/history.py); 0 with none.
    # A masked candidate's other applications are theirs: never said to a lead.
    Feature(
        "history_liked_similarity",
        "similarity of the posting to what the person applied to, saved, accepted or rated "
        "well before (shrunk towards 0 while that history is short; 0 with none)",
        "Like the work you applied to or saved before",
        0,
        said_above=0.05,
    ),
    Feature(
        "history_passed_similarity",
        "similarity of the posting to what the person dismissed or declined before "
        "(shrunk towards 0 while that history is short; 0 with none)",
        "Like work you dismissed or declined before",
        0,
        said_above=0.05,
    ),
    Feature(
        "history_department_affinity",
        "(the person's earlier applications, saves and acceptances in the posting's department "
        "- their dismissals and declines there) / (all of them + 1)",
        "You applied to or saved {department} work before",
        0,
        said_above=0.05,
    ),
    Feature(
        "posting_chosen_similarity",
        "similarity of the person to those the posting's lead shortlisted, invited, offered "
        "or took on before (shrunk towards 0 while there are few; 0 with none)",
        "People with profiles like yours were chosen for it",
        0,
        lead_template="Resembles candidates already chosen for this posting",
        said_above=0.05,
    ),
    Feature(
        "posting_passed_similarity",
        "similarity of the person to those the posting's lead turned down before (shrunk "
        "towards 0 while there are few; 0 with none)",
        "People with profiles like yours were turned down for it",
        0,
        lead_template="Resembles candidates already turned down for this posting",
        said_above=0.05,
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
