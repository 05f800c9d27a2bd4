"""Pair features: the registry (names, meanings, templates, monotone directions) and the
vectorised computation over candidate sets. Protected attributes never enter here."""

from features.inputs import OpportunityInputs, PersonInputs, opportunity_inputs, person_inputs
from features.registry import FEATURE_NAMES, FEATURES, Feature, monotone_constraints, registry_hash
from features.store import FeatureStore

__all__ = [
    "FEATURES",
    "FEATURE_NAMES",
    "Feature",
    "FeatureStore",
    "OpportunityInputs",
    "PersonInputs",
    "monotone_constraints",
    "opportunity_inputs",
    "person_inputs",
    "registry_hash",
]
