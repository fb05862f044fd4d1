"""Sharing a workshop: co-facilitators run it with its lead, with the same rights.

The lead (``Workshop.facilitator_id``) made the workshop and stays on it; anyone who
runs it may add a facilitator or admin by their email address, or take a co-facilitator
off (themselves too). A workshop is never left without someone to run it: the lead
can't be taken off. Each change is in the audit trail, and a new co-facilitator is told
by email. Rosters, the dashboard, the digest and the private feed follow through
``permissions``: nothing else needs to know. Someone whose account is switched off
steps down (:func:`step_down`): a workshop someone runs is never led by such an account.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import exists, select
from sqlalchemy.orm import joinedload

from scheduler.database import write_transaction
from scheduler.extensions import db
from scheduler.models import User, Workshop, WorkshopFacilitator
from scheduler.services import audit, notify, permissions
from scheduler.services.accounts import find_by_email
from scheduler.services.errors import DomainError
from scheduler.services.locks import lock


@dataclass(frozen=True)
class Runner:
    """Someone who runs a workshop, as its page lists them."""

    user_id: int
    name: str
    email: str
    #: The lead made the workshop and can't be taken off it.
    lead: bool
    #: When they were added (None for the lead).
    added_at: datetime | None


def runners_of(workshop: Workshop) -> list[Runner]:
    """The lead first, then the co-facilitators in the order they were added."""
    shared = db.session.scalars(
        select(WorkshopFacilitator)
        .options(joinedload(WorkshopFacilitator.user))
        .where(WorkshopFacilitator.workshop_id == workshop.id)
        .order_by(WorkshopFacilitator.added_at, WorkshopFacilitator.user_id)
    ).all()
    lead = workshop.facilitator
    return [Runner(lead.id, lead.name, lead.email or "", True, None)] + [
        Runner(row.user_id, row.user.name, row.user.email or "", False, row.added_at)
        for row in shared
    ]


def _managed(workshop_id: int, actor: User) -> Workshop:
    """Lock the workshop and check, under the lock, that the actor runs it."""
    found = lock(Workshop, [workshop_id])
    if not found or not permissions.can_manage_workshop(actor, found[0]):
        raise DomainError("workshop_not_found")
    return found[0]


def add_cofacilitator(workshop_id: int, email: str, *, actor_id: int, now: datetime) -> User:
    """Share the workshop with the facilitator or admin whose address this is.

    Any other address (unknown, a family's, a closed account's) gets the same answer,
    so the form tells nobody whether a family has an account.
    """
    with write_transaction() as session:
        actor = session.get_one(User, actor_id)
        person = find_by_email(email)
        if person is not None:
            # Their row first (an admin switching them off locks it, then workshops), so
            # nobody is added to a workshop as their account is being switched off.
            lock(User, [person.id], shared=True)
        workshop = _managed(workshop_id, actor)
        if person is None or person.is_family or not person.is_active:
            raise DomainError("not_a_facilitator")
        if person.id in workshop.runner_ids:
            raise DomainError("runs_already", name=person.name)
        row = WorkshopFacilitator(
            workshop_id=workshop.id, user_id=person.id, added_at=now, added_by_id=actor.id
        )
        workshop.cofacilitators.append(row)
        session.flush()
        audit.add(actor, "workshop.cofacilitator_add", f"workshop:{workshop.id}", now=now)
        notify.cofacilitator_added(workshop.id, person.id, now)
        return person


def remove_cofacilitator(workshop_id: int, user_id: int, *, actor_id: int, now: datetime) -> User:
    """Take a co-facilitator off the workshop (anyone who runs it may, themselves too)."""
    with write_transaction() as session:
        actor = session.get_one(User, actor_id)
        workshop = _managed(workshop_id, actor)
        if user_id == workshop.facilitator_id:
            raise DomainError("lead_stays", name=workshop.facilitator.name)
        row = next((r for r in workshop.cofacilitators if r.user_id == user_id), None)
        if row is None:
            raise DomainError("cofacilitator_not_found")
        person = row.user
        session.delete(row)  # noted as a deleted row, so their feed's counter moves too
        session.flush()
        audit.add(actor, "workshop.cofacilitator_remove", f"workshop:{workshop.id}", now=now)
        return person


def shared_by(user_id: int) -> list[int]:
    """The workshops a person runs with their lead (as a co-facilitator), by id."""
    return list(
        db.session.scalars(
            select(WorkshopFacilitator.workshop_id)
            .where(WorkshopFacilitator.user_id == user_id)
            .order_by(WorkshopFacilitator.workshop_id)
        )
    )


def led_with_others(user_id: int) -> list[int]:
    """The workshops a person leads that an active co-facilitator runs with them, by id."""
    return list(
        db.session.scalars(
            select(Workshop.id)
            .where(
                Workshop.facilitator_id == user_id,
                exists().where(
                    WorkshopFacilitator.workshop_id == Workshop.id,
                    WorkshopFacilitator.user_id == User.id,
                    User.active.is_(True),
                ),
            )
            .order_by(Workshop.id)
        )
    )


@dataclass(frozen=True)
class SteppedDown:
    """What someone leaving (their account switched off) left behind, by workshop id."""

    #: Workshops they ran with the lead: taken off, they go on with the others.
    left: list[int]
    #: Workshops they led with others: the co-facilitator who joined first leads them now.
    passed_on: list[int]


def step_down(user_id: int) -> SteppedDown:
    """In the caller's write transaction, the person's row locked (nobody adds them to a
    workshop meanwhile): take them off every workshop they co-run, and hand each they
    lead with an active co-facilitator to the one who joined it first, so a workshop
    someone runs is never led by an account that is switched off.
    """
    left, passed_on = [], []
    for workshop in lock(Workshop, [*shared_by(user_id), *led_with_others(user_id)]):
        if workshop.facilitator_id == user_id:
            heir = next((r for r in workshop.cofacilitators if r.user.is_active), None)
            if heir is not None:
                workshop.facilitator_id = heir.user_id
                workshop.cofacilitators.remove(heir)  # one row per runner: the lead's is none
                passed_on.append(workshop.id)
        else:
            mine = [r for r in workshop.cofacilitators if r.user_id == user_id]
            for row in mine:
                workshop.cofacilitators.remove(row)  # deleted as such: the feeds' counters move
            left += [workshop.id] if mine else []
    return SteppedDown(left, passed_on)


def still_runs(workshop_id: int, user_id: int) -> bool:
    """Whether the person runs the workshop now (an email queued earlier asks it)."""
    workshop = db.session.get(Workshop, workshop_id)
    return workshop is not None and user_id in workshop.runner_ids
