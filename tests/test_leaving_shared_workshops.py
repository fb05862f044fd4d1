"""Where switching staff off meets shared workshops, and invited accounts meet everything.

A facilitator switched off no longer runs the workshops they shared (nobody lists them,
nothing copies them along); a workshop handed over to its own co-facilitator has one
lead, not the same person twice; what switching off touches counts the shared workshops;
a copy of a workshop whose lead has left is led by someone who can run it; an invited
account does nothing and is offered nowhere until it joins; an admin who co-runs a
workshop gets the morning digest of it, as the page and the email promise.

Service tests, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import html
from datetime import date, datetime, time, timedelta

import pytest
from sqlalchemy import select

from scheduler.models import (
    Appointment,
    AuditEvent,
    MessageKind,
    Role,
    User,
    Workshop,
    WorkshopFacilitator,
)
from scheduler.services import (
    account_admin,
    cofacilitators,
    digest,
    households,
    invitations,
    program,
    series,
)
from scheduler.services.account_admin import Upon
from scheduler.services.booking import Needs, book_seats
from scheduler.services.errors import DomainError
from scheduler.services.series import Scope
from scheduler.timeutil import to_utc, utcnow, wall_time
from tests.support.counseling import book
from tests.support.mail import outbox

ZONE = "America/New_York"


@pytest.fixture
def admin(make_user):
    return make_user(Role.ADMIN, name="Ada Admin")


@pytest.fixture
def shared(make_user, make_workshop):
    """Ana leads a three-week group; Ben runs it with her."""
    ana = make_user(Role.FACILITATOR, name="Ana Ruiz")
    ben = make_user(Role.FACILITATOR, name="Ben Cole")
    workshop = make_workshop(facilitator=ana, weeks=3, title="Parents' evening")
    cofacilitators.add_cofacilitator(workshop.id, ben.email, actor_id=ana.id, now=utcnow())
    return ana, ben, workshop


def fresh_workshop(db, workshop_id: int) -> Workshop:
    db.session.rollback()
    return db.session.get_one(Workshop, workshop_id)


def runners(db, workshop_id: int) -> list[tuple[str, bool]]:
    return [(r.name, r.lead) for r in cofacilitators.runners_of(fresh_workshop(db, workshop_id))]


def audit_trail(db) -> list[tuple[int | None, str, str]]:
    db.session.rollback()
    events = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id))
    return [(e.actor_id, e.action, e.subject) for e in events]


# --- a co-facilitator switched off ------------------------------------------------------


def test_a_switched_off_cofacilitator_no_longer_runs_the_shared_workshop(admin, shared, db):
    _ana, ben, workshop = shared

    account_admin.deactivate(admin.id, ben.id, now=utcnow())

    assert runners(db, workshop.id) == [("Ana Ruiz", True)]
    assert not cofacilitators.still_runs(workshop.id, ben.id)
    assert db.session.scalars(select(WorkshopFacilitator)).all() == []
    trail = audit_trail(db)
    assert (admin.id, "workshop.cofacilitator_remove", f"workshop:{workshop.id}") in trail
    assert trail[-1] == (admin.id, "account.deactivate", f"user:{ben.id}")


def test_the_command_line_takes_a_switched_off_cofacilitator_off_too(app, shared, db):
    _ana, ben, workshop = shared

    done = app.test_cli_runner().invoke(args=["users", "deactivate", "--email", ben.email])

    assert done.exit_code == 0, done.output
    assert runners(db, workshop.id) == [("Ana Ruiz", True)]


def test_what_switching_off_would_touch_counts_the_workshops_they_share(
    admin, shared, make_user, make_workshop, db
):
    ana, ben, _ = shared
    cara = make_user(Role.FACILITATOR, name="Cara Diaz")
    other = make_workshop(facilitator=cara)
    cofacilitators.add_cofacilitator(other.id, ben.email, actor_id=cara.id, now=utcnow())

    assert account_admin.upcoming_of(ben.id, utcnow()).shared == 2
    assert account_admin.upcoming_of(ana.id, utcnow()).shared == 0


def test_a_leaving_leads_cofacilitators_are_named_as_who_could_take_over(admin, shared, db):
    ana, _ben, _ = shared

    upcoming = account_admin.upcoming_of(ana.id, utcnow())

    assert upcoming.sessions == 3
    assert upcoming.cofacilitators == ["Ben Cole"]


def test_handing_over_to_a_cofacilitator_makes_them_the_one_lead(admin, shared, db):
    ana, ben, workshop = shared

    done = account_admin.deactivate(
        admin.id, ana.id, upon=Upon.HAND_OVER, successor_id=ben.id, now=utcnow()
    )

    assert done.handed_over == 1
    assert runners(db, workshop.id) == [("Ben Cole", True)]
    assert cofacilitators.still_runs(workshop.id, ben.id)


def test_handing_over_to_someone_else_keeps_the_cofacilitator(admin, shared, make_user, db):
    ana, _ben, workshop = shared
    cara = make_user(Role.FACILITATOR, name="Cara Diaz")

    account_admin.deactivate(
        admin.id, ana.id, upon=Upon.HAND_OVER, successor_id=cara.id, now=utcnow()
    )

    assert runners(db, workshop.id) == [("Cara Diaz", True), ("Ben Cole", False)]


def test_a_leaving_leads_shared_workshop_passes_to_who_joined_it_first(
    admin, shared, make_user, db
):
    ana, ben, workshop = shared
    cara = make_user(Role.FACILITATOR, name="Cara Diaz")
    cofacilitators.add_cofacilitator(workshop.id, cara.email, actor_id=ben.id, now=utcnow())
    assert account_admin.upcoming_of(ana.id, utcnow()).led_with_others == 1

    done = account_admin.deactivate(admin.id, ana.id, upon=Upon.CANCEL, now=utcnow())

    assert done.sessions_cancelled == 3
    assert runners(db, workshop.id) == [("Ben Cole", True), ("Cara Diaz", False)]
    assert (admin.id, "workshop.lead", f"workshop:{workshop.id}") in audit_trail(db)


def test_a_shared_workshop_with_nothing_to_come_passes_on_without_a_question(
    admin, shared, app, db
):
    ana, _ben, workshop = shared
    later = workshop.sessions[-1].ends_at + timedelta(hours=1)  # the term is over

    account_admin.deactivate(admin.id, ana.id, now=later)

    assert runners(db, workshop.id) == [("Ben Cole", True)]


def test_the_command_line_passes_a_shared_workshop_on_too(shared, app, db):
    ana, _ben, workshop = shared
    series.cancel_sessions(workshop.sessions[0].id, scope=Scope.FOLLOWING, now=utcnow())

    done = app.test_cli_runner().invoke(args=["users", "deactivate", "--email", ana.email])

    assert done.exit_code == 0, done.output
    assert "1 workshop(s) it led with others are led by a co-facilitator now" in done.output
    assert runners(db, workshop.id) == [("Ben Cole", True)]


def test_a_copy_of_a_departed_leads_workshop_is_led_by_the_admin_who_copies_it(
    admin, make_user, make_workshop, db
):
    ana = make_user(Role.FACILITATOR, name="Ana Ruiz")
    workshop = make_workshop(facilitator=ana, weeks=2)
    later = workshop.sessions[-1].ends_at + timedelta(hours=1)
    account_admin.deactivate(admin.id, ana.id, now=later)  # nothing to come: no choice asked
    first = wall_time(workshop.sessions[0].starts_at, ZONE).date()

    copy = program.duplicate_workshop(
        workshop.id, by=admin.id, first_day=first + timedelta(weeks=4), now=later
    )

    assert fresh_workshop(db, copy.id).facilitator_id == admin.id
    assert fresh_workshop(db, workshop.id).facilitator_id == ana.id  # its history stays hers


def test_a_copy_made_while_the_lead_is_active_keeps_its_lead(shared, db):
    _ana, ben, workshop = shared
    first = wall_time(workshop.sessions[0].starts_at, ZONE).date()

    copy = program.duplicate_workshop(
        workshop.id, by=ben.id, first_day=first + timedelta(weeks=4), now=utcnow()
    )

    assert runners(db, copy.id) == [("Ana Ruiz", True), ("Ben Cole", False)]


# --- invited, not joined yet --------------------------------------------------------------


@pytest.fixture
def invited(admin):
    return invitations.invite(
        admin.id, email="sam@example.org", name="Sam Ortiz", role=Role.FACILITATOR, now=utcnow()
    )


def test_an_invited_account_is_not_offered_to_take_workshops_over(admin, shared, invited):
    ana, ben, _ = shared

    offered = {u.id for u in account_admin.successors(ana.id)}

    assert ben.id in offered and invited.id not in offered
    with pytest.raises(DomainError) as refused:
        account_admin.deactivate(
            admin.id, ana.id, upon=Upon.HAND_OVER, successor_id=invited.id, now=utcnow()
        )
    assert refused.value.code == "bad_successor"


def test_an_invited_account_cannot_be_added_as_a_cofacilitator(shared, invited, db):
    ana, _ben, workshop = shared

    with pytest.raises(DomainError) as refused:
        cofacilitators.add_cofacilitator(
            workshop.id, "sam@example.org", actor_id=ana.id, now=utcnow()
        )

    assert refused.value.code == "not_a_facilitator"
    assert runners(db, workshop.id) == [("Ana Ruiz", True), ("Ben Cole", False)]


def test_an_invited_account_is_neither_found_nor_booked_for_as_a_household(shared, invited, db):
    ana, _ben, workshop = shared
    session = workshop.sessions[0]

    found = households.search("Sam", ana, session_id=session.id, now=utcnow())
    with pytest.raises(DomainError) as refused:
        book_seats(session.id, invited.id, 1, Needs(), now=utcnow(), acting=ana)

    assert found == []
    assert refused.value.code == "household_not_found"
    assert households.chosen(invited.id, ana, now=utcnow()) is None


# --- the morning digest of an admin who co-runs a workshop --------------------------------


def _morning(day: date) -> datetime:
    return to_utc(datetime.combine(day, time(7, 30)), ZONE)


def test_an_admin_who_runs_a_workshop_gets_its_morning_digest(admin, shared, db):
    ana, _ben, workshop = shared
    cofacilitators.add_cofacilitator(workshop.id, admin.email, actor_id=ana.id, now=utcnow())
    day = wall_time(workshop.sessions[0].starts_at, ZONE).date()

    digest.queue_due(_morning(day))

    told = {row.recipient_id for row in outbox(db, kind=MessageKind.DIGEST)}
    assert admin.id in told


def test_an_admin_who_runs_nothing_that_day_gets_no_digest_of_others_appointments(
    admin, make_counselor, make_user, db
):
    counselor = make_counselor()
    appointment_id = book(counselor, make_user())
    db.session.rollback()
    slot_start = db.session.get_one(Appointment, appointment_id).slot.starts_at
    day = wall_time(slot_start, admin.timezone).date()

    digest.queue_due(to_utc(datetime.combine(day, time(7, 30)), admin.timezone))

    told = {row.recipient_id for row in outbox(db, kind=MessageKind.DIGEST)}
    assert admin.id not in told
    assert digest.appointments_on(db.session.get_one(User, admin.id), day) == []


def test_the_account_page_says_what_switching_off_does_to_shared_workshops(
    admin, shared, client, auth
):
    ana, ben, _ = shared
    assert auth.login(admin).status_code == 303

    leader = html.unescape(client.get(f"/admin/accounts/{ana.id}").get_data(as_text=True))
    helper = html.unescape(client.get(f"/admin/accounts/{ben.id}").get_data(as_text=True))

    assert "They run these workshops with Ben Cole, who could take them over." in leader
    assert "They also run 1 workshop with its lead. They are taken off it" in helper
