"""Knobs of the demo simulation: the injected historical bias and the logged history's shape."""

from __future__ import annotations

from dataclasses import dataclass

from data.schemas import Demographics

PROTECTED_ATTRIBUTES = tuple(Demographics.model_fields)


@dataclass(frozen=True, slots=True)
class BiasConfig:
    """Historical bias of the leads against one self-reported group.

    A lead's decision probability is proportional to the fit they perceive, and they perceive the
    true fit of an applicant in `group` multiplied by (1 - penalty). With the defaults an applicant
    in the group is shortlisted 0.7x and, once shortlisted, accepted 0.7x as often as an equally
    fit colleague: 0.49x overall. A penalty of 0 switches the bias off.
    """

    attribute: str = "gender"
    group: str = "female"
    shortlist_penalty: float = 0.3
    accept_penalty: float = 0.3

    def __post_init__(self) -> None:
        if self.attribute not in PROTECTED_ATTRIBUTES:
            raise ValueError(
                f"bias attribute must be one of {PROTECTED_ATTRIBUTES}, got {self.attribute!r}"
            )
        for name in ("shortlist_penalty", "accept_penalty"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"{name} must lie in [0, 1], got {value}")

    @property
    def expected_accept_ratio(self) -> float:
        """Accepted/applied of the group relative to others of equal true fit, by construction."""
        return (1.0 - self.shortlist_penalty) * (1.0 - self.accept_penalty)


@dataclass(frozen=True, slots=True)
class HistoryConfig:
    """How much history is logged and how the logging policy and the users behave."""

    sessions_per_employee: float = 6.0
    period_days: int = 182
    shown_per_session: int = 10
    # The policy samples the page from its top `candidate_pool`, so positions vary between
    # sessions; without that randomisation the logs could not reveal position effects.
    candidate_pool: int = 30
    temperature: float = 0.1
    # Examination probability at position p is (1/p) ** position_decay.
    position_decay: float = 0.8

    def __post_init__(self) -> None:
        if self.sessions_per_employee < 0:
            raise ValueError("sessions_per_employee must not be negative")
        if self.period_days < 1:
            raise ValueError("period_days must be at least 1")
        if not 1 <= self.shown_per_session <= self.candidate_pool:
            raise ValueError("need 1 <= shown_per_session <= candidate_pool")
        if self.temperature <= 0:
            raise ValueError("temperature must be positive")
        if self.position_decay < 0:
            raise ValueError("position_decay must not be negative")
