"""Load what a batch of queued emails is worded from, in a few queries for the whole batch.

:func:`~scheduler.services.messages.compose` reads each row's recipient, booking (with its
session and workshop) or appointment (with its slot, family, counselor and the
counselor's settings). One by one that is four or five queries an email; :func:`preload`
reads them for a batch of rows at once into the session, where ``compose`` finds them
without asking the database again.
"""

from __future__ import annotations

import functools
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

from sqlalchemy import Select, bindparam, select
from sqlalchemy.orm import joinedload

from scheduler.extensions import Model, db
from scheduler.models import (
    Appointment,
    Booking,
    CounselingSettings,
    OutboxMessage,
    User,
    Workshop,
    WorkshopSession,
)
from scheduler.services import counseling


@dataclass
class Loaded:
    """What :func:`preload` read; ``compose`` takes it to look things up without queries."""

    #: Counselors' settings by counselor id; None for one who set nothing up yet.
    settings: dict[int, CounselingSettings | None] = field(default_factory=dict)
    #: Everything loaded: the session keeps only weak references to what it loaded.
    records: list[Model] = field(default_factory=list)

    def counseling_settings(self, facilitator_id: int) -> CounselingSettings | None:
        """A counselor's settings, from the batch when it has them."""
        if facilitator_id in self.settings:
            return self.settings[facilitator_id]
        return counseling.settings_for(facilitator_id)


def preload(rows: Sequence[OutboxMessage]) -> Loaded:
    """Read the recipients, bookings and appointments of ``rows`` in one query each."""
    loaded = Loaded()
    booking_ids = _ids(row.booking_id for row in rows)
    appointment_ids = _ids(row.appointment_id for row in rows)
    users = _ids(row.recipient_id for row in rows)
    if booking_ids:
        loaded.records += _load(
            select(Booking)
            .where(Booking.id.in_(booking_ids))
            .options(joinedload(Booking.session).joinedload(WorkshopSession.workshop))
        )
    if appointment_ids:
        appointments = _load(
            select(Appointment)
            .where(Appointment.id.in_(appointment_ids))
            .options(
                joinedload(Appointment.slot),
                joinedload(Appointment.family),
                joinedload(Appointment.facilitator),
            )
        )
        loaded.records += appointments
        counselors = _ids(appointment.facilitator_id for appointment in appointments)
        loaded.settings = dict.fromkeys(counselors)
        for found in _load(
            select(CounselingSettings).where(CounselingSettings.facilitator_id.in_(counselors))
        ):
            loaded.settings[found.facilitator_id] = found
            loaded.records.append(found)
    loaded.records += _load(select(User).where(User.id.in_(users)))
    return loaded


def worded_ahead(row: OutboxMessage) -> bool:
    """Whether a row's email may be worded ahead, with its batch.

    Emails about a booking or an appointment are: :func:`revisions` tells when one of them
    changed before it went out. The others (emailed links, digests, sign-up notices) depend
    on more than it shows, so they are worded just before they are sent.
    """
    return row.booking_id is not None or row.appointment_id is not None


def revisions(ids: Collection[int]) -> dict[int, Revision]:
    """Per outbox row: its state, and the versions of what its email is worded from.

    An email worded ahead goes out only if its row reads the same just before sending:
    withdrawn, taken over, rescheduled, cancelled, edited or readdressed since, it is
    worded again (or not sent). People's names, zones and wording choices have no
    version; an edit made while their email waits in its batch (well under a second,
    as between wording and sending one email) may miss that email.
    """
    # On the session's connection: plain rows, without the ORM's result machinery.
    found = db.session.connection().execute(revisions_query(), {"ids": list(ids)})
    return {state.id: Revision(state) for state in found}


class Revision(tuple[Any, ...]):
    """One row of :func:`revisions`; equal when nothing an email depends on changed."""

    __slots__ = ()

    @property
    def status(self) -> str:
        return str(self[1])

    @property
    def claimed_by(self) -> str | None:
        return cast(str | None, self[2])


@functools.cache
def revisions_query() -> Select[Any]:
    """The query of :func:`revisions`, for the rows whose ids are bound to ``ids``.

    Built once: it is the same for every batch and every row.
    """
    return (
        select(
            OutboxMessage.id,
            OutboxMessage.status,
            OutboxMessage.claimed_by,
            OutboxMessage.version,
            User.email,
            User.active,
            Booking.sequence,
            Booking.updated_at,
            WorkshopSession.sequence,
            WorkshopSession.updated_at,
            Workshop.updated_at,
            Appointment.sequence,
            Appointment.updated_at,
        )
        .join(User, User.id == OutboxMessage.recipient_id)
        .outerjoin(Booking, Booking.id == OutboxMessage.booking_id)
        .outerjoin(WorkshopSession, WorkshopSession.id == Booking.session_id)
        .outerjoin(Workshop, Workshop.id == WorkshopSession.workshop_id)
        .outerjoin(Appointment, Appointment.id == OutboxMessage.appointment_id)
        .where(OutboxMessage.id.in_(bindparam("ids", expanding=True)))
    )


def _ids(values: Iterable[int | None]) -> set[int]:
    return {value for value in values if value is not None}


def _load(statement: Any) -> list[Any]:
    # Re-read what the session may hold from before: the batch is worded as things are now.
    return list(db.session.scalars(statement.execution_options(populate_existing=True)).unique())
