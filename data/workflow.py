"""The life of one (person, opportunity) pair, from invitation or application to completion.

Each step is an action by one side: the employee applies (or joins a full mentorship's
waitlist), withdraws, answers an invitation or an offer; the lead invites, shortlists, rejects,
offers, assigns and marks the work complete. A
step the pair's stage does not allow is refused with the stage and the steps it does allow, so
an API can answer 409 saying what may happen next. Stages that end the pair
(completed, rejected, withdrawn, declined, lapsed) allow nothing more.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from data.schemas import Role


class Stage(StrEnum):
    NONE = "none"  # recommended at most: nothing happened between the two yet
    INVITED = "invited"
    WAITLISTED = "waitlisted"  # asked for a full mentorship: offered the next free slot in turn
    APPLIED = "applied"
    SHORTLISTED = "shortlisted"
    OFFERED = "offered"
    ACCEPTED = "accepted"  # the employee took the offer; assignment (and approval) follow
    ASSIGNED = "assigned"
    COMPLETED = "completed"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"
    DECLINED = "declined"
    # An invitation or offer that can no longer be answered: the posting's last seat was
    # taken, or the person left (deactivated); why is kept in the pair's reason_code.
    LAPSED = "lapsed"


class LapseReason(StrEnum):
    """Why a pair lapsed, stored in its reason_code (a lapse from before reasons were kept
    has none: it just lapsed)."""

    SEATS_FILLED = "seats_filled"
    PERSON_LEFT = "person_left"  # deactivated by the HR system or identity provider


class Action(StrEnum):
    INVITE = "invite"
    APPLY = "apply"
    JOIN_WAITLIST = "join_waitlist"
    ACCEPT_INVITATION = "accept_invitation"
    DECLINE_INVITATION = "decline_invitation"
    WITHDRAW = "withdraw"
    SHORTLIST = "shortlist"
    REJECT = "reject"
    OFFER = "offer"
    ACCEPT_OFFER = "accept_offer"
    DECLINE_OFFER = "decline_offer"
    ASSIGN = "assign"
    COMPLETE = "complete"


@dataclass(frozen=True, slots=True)
class Step:
    action: Action
    by: Role  # the side that takes it (an admin may take any)
    to: Stage


_OPEN_TO_APPLICANTS = (Stage.APPLIED, Stage.SHORTLISTED)
STEPS: dict[Stage, tuple[Step, ...]] = {
    Stage.NONE: (
        Step(Action.APPLY, Role.EMPLOYEE, Stage.APPLIED),
        Step(Action.JOIN_WAITLIST, Role.EMPLOYEE, Stage.WAITLISTED),
        Step(Action.INVITE, Role.LEAD, Stage.INVITED),
    ),
    Stage.WAITLISTED: (
        Step(Action.WITHDRAW, Role.EMPLOYEE, Stage.WITHDRAWN),
        Step(Action.OFFER, Role.LEAD, Stage.OFFERED),  # a slot freed up (or the lead chose)
    ),
    Stage.INVITED: (
        Step(Action.ACCEPT_INVITATION, Role.EMPLOYEE, Stage.APPLIED),
        Step(Action.DECLINE_INVITATION, Role.EMPLOYEE, Stage.DECLINED),
    ),
    **{
        stage: (
            Step(Action.WITHDRAW, Role.EMPLOYEE, Stage.WITHDRAWN),
            *(
                (Step(Action.SHORTLIST, Role.LEAD, Stage.SHORTLISTED),)
                if stage is Stage.APPLIED
                else ()
            ),
            Step(Action.OFFER, Role.LEAD, Stage.OFFERED),
            Step(Action.REJECT, Role.LEAD, Stage.REJECTED),
        )
        for stage in _OPEN_TO_APPLICANTS
    },
    Stage.OFFERED: (
        Step(Action.ACCEPT_OFFER, Role.EMPLOYEE, Stage.ACCEPTED),
        Step(Action.DECLINE_OFFER, Role.EMPLOYEE, Stage.DECLINED),
        Step(Action.REJECT, Role.LEAD, Stage.REJECTED),  # the offer taken back
    ),
    Stage.ACCEPTED: (
        Step(Action.ASSIGN, Role.LEAD, Stage.ASSIGNED),
        Step(Action.WITHDRAW, Role.EMPLOYEE, Stage.WITHDRAWN),
        # The lead ends it before assigning (the manager declined, plans changed).
        Step(Action.REJECT, Role.LEAD, Stage.REJECTED),
    ),
    Stage.ASSIGNED: (Step(Action.COMPLETE, Role.LEAD, Stage.COMPLETED),),
}
FINAL = frozenset(stage for stage in Stage if stage not in STEPS)
# Stages the service moves pairs to itself, never a side's step: when an assignment takes a
# posting's last seat, its invitations and offers still waiting (LAPSES_FROM) lapse.
SYSTEM_STAGES = frozenset({Stage.LAPSED})
LAPSES_FROM = (Stage.INVITED, Stage.OFFERED)


class StepRefused(Exception):
    """The step is not one this stage allows to this side; says which are."""

    def __init__(self, stage: Stage, action: Action, by: Role) -> None:
        self.stage = stage
        self.action = action
        self.allowed = allowed_steps(stage, by)
        if stage in FINAL:
            nxt = "nothing more can happen"
        elif self.allowed:
            nxt = "allowed next: " + ", ".join(a.value for a in self.allowed)
        else:
            nxt = "the other side acts next: " + ", ".join(s.action.value for s in STEPS[stage])
        super().__init__(f"cannot {action.value} at stage {stage.value!r} as {by.value}; {nxt}")


def allowed_steps(stage: Stage, by: Role) -> tuple[Action, ...]:
    """What this side may do next (an admin: anything the stage allows)."""
    return tuple(s.action for s in STEPS.get(stage, ()) if by is Role.ADMIN or s.by is by)


def next_stage(stage: Stage, action: Action, by: Role) -> Stage:
    """The stage after `action` by `by`, or StepRefused."""
    for step in STEPS.get(stage, ()):
        if step.action is action and (by is Role.ADMIN or step.by is by):
            return step.to
    raise StepRefused(stage, action, by)
