"""Training: interaction logs to labelled query groups, LambdaRank, evaluation, registry."""

from training.groups import (
    Direction,
    QueryGroups,
    build_groups,
    employee_groups,
    opportunity_groups,
    opportunity_kinds,
)
from training.labels import (
    ApplicationLabels,
    Grade,
    ImpressionLabels,
    InteractionLabels,
    label_interactions,
)
from training.propensity import (
    PositionBiasEstimate,
    estimate_position_bias,
    examination_propensity,
    inverse_propensity_weights,
)
from training.split import Split, cutoff_split, time_split

__all__ = [
    "ApplicationLabels",
    "Direction",
    "Grade",
    "ImpressionLabels",
    "InteractionLabels",
    "PositionBiasEstimate",
    "QueryGroups",
    "Split",
    "build_groups",
    "cutoff_split",
    "employee_groups",
    "estimate_position_bias",
    "examination_propensity",
    "inverse_propensity_weights",
    "label_interactions",
    "opportunity_groups",
    "opportunity_kinds",
    "time_split",
]
