"""Admins manage accounts: search, invitations, roles, switching accounts off and on.

Service tests, on SQLite and PostgreSQL; the pages are in tests/test_account_pages.py.
"""

from __future__ import annotations

from datetime import timedelta
from functools import partial

import pytest
import time_machine
from sqlalchemy import select

from scheduler.models import (
    Appointment,
    AppointmentStatus,
    AuditEvent,
    Booking,
    BookingStatus,
    CounselingSettings,
    EmailLink,
    LinkPurpose,
    LoginSession,
    MessageKind,
    Role,
    SessionStatus,
    User,
    Workshop,
    WorkshopSession,
)
from scheduler.services import account_admin, accounts, email_links, feeds, invitations
from scheduler.services.account_admin import AccountState, Upon
from scheduler.services.errors import DomainError
from scheduler.timeutil import utcnow
from tests.support.app import PASSWORD
from tests.support.counseling import book
from tests.support.mail import outbox
from tests.support.races import race

NEW_PASSWORD = "kettle river orange stone"


def fresh(db, model, record_id):
    db.session.rollback()
    return db.session.get_one(model, record_id)


def audit_trail(db) -> list[tuple[int | None, str, str]]:
    db.session.rollback()
    events = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id))
    return [(e.actor_id, e.action, e.subject) for e in events]


def invite_token(db, user_id: int) -> str:
    """The token in the newest invitation email (as the invitee would click it)."""
    db.session.rollback()
    link = db.session.scalars(
        select(EmailLink)
        .where(EmailLink.user_id == user_id, EmailLink.purpose == LinkPurpose.INVITE)
        .order_by(EmailLink.id.desc())
    ).first()
    assert link is not None
    return email_links.link_token(link)


@pytest.fixture
def admin(make_user):
    return make_user(Role.ADMIN, name="Ada Admin")


# --- finding accounts ----------------------------------------------------------------


def test_accounts_are_found_by_name_or_email_and_filtered_by_role_and_state(admin, make_user, db):
    rivera = make_user(name="Rivera household", email="rivera@example.org")
    make_user(name="Okafor household", email="okafor@example.org")
    maya = make_user(Role.FACILITATOR, name="Maya Lee", email="maya@hearth.example")
    account_admin.deactivate_by_command(rivera.id, now=utcnow())
    invited = invitations.invite(
        admin.id, email="sam@example.org", name="Sam Rivera", role=Role.FACILITATOR, now=utcnow()
    )

    def names(**asked):
        return [u.name for u in account_admin.search(**asked).accounts]

    assert names(text="RIVERA") == ["Rivera household", "Sam Rivera"]
    assert names(text="hearth.example") == ["Maya Lee"]
    assert names(role=Role.FACILITATOR) == ["Maya Lee", "Sam Rivera"]
    assert names(state=AccountState.DEACTIVATED) == ["Rivera household"]
    assert names(state=AccountState.INVITED) == ["Sam Rivera"]
    assert names(text="rivera", state=AccountState.ACTIVE) == []
    assert names(role="superuser") == []
    assert names(text="100%_") == []  # LIKE's own characters are taken literally
    assert account_admin.state_of(invited) is AccountState.INVITED
    assert account_admin.state_of(fresh(db, User, maya.id)) is AccountState.ACTIVE


def test_accounts_come_a_page_at_a_time_and_a_page_past_the_end_is_the_last(admin, make_user):
    for n in range(5):
        make_user(name=f"Household {n}")

    first = account_admin.search(text="household", per_page=2)
    last = account_admin.search(text="household", page=99, per_page=2)

    assert (first.total, first.pages, first.page, first.next) == (5, 3, 1, 2)
    assert [u.name for u in first.accounts] == ["Household 0", "Household 1"]
    assert (last.page, last.previous, last.next) == (3, 2, None)
    assert [u.name for u in last.accounts] == ["Household 4"]


# --- inviting -------------------------------------------------------------------------


def test_an_invited_facilitator_joins_with_the_link_and_both_steps_are_audited(
    admin, db, client, auth
):
    now = utcnow()
    invited = invitations.invite(
        admin.id, email=" Sam@Example.org ", name="Sam Ortiz", role=Role.FACILITATOR, now=now
    )

    assert (invited.email, invited.role, invited.is_active) == (
        "sam@example.org",
        Role.FACILITATOR,
        False,
    )
    (row,) = outbox(db, kind=MessageKind.INVITE)
    assert row.recipient_id == invited.id
    assert auth.login("sam@example.org", PASSWORD).status_code == 401  # nothing opens yet

    user = invitations.accept(
        invite_token(db, invited.id), password=NEW_PASSWORD, timezone="Europe/Madrid", now=now
    )

    assert (user.is_active, user.is_invited, user.timezone) == (True, False, "Europe/Madrid")
    assert user.email_verified and feeds.feed_token(fresh(db, User, user.id)) is not None
    assert auth.login("sam@example.org", NEW_PASSWORD).status_code == 303
    subject = f"user:{invited.id}"
    assert audit_trail(db) == [
        (admin.id, "account.invite", subject),
        (invited.id, "account.invite_accepted", subject),
    ]


def test_an_invitation_link_works_once(admin, db):
    invited = invitations.invite(
        admin.id, email="sam@example.org", name="Sam", role=Role.ADMIN, now=utcnow()
    )
    token = invite_token(db, invited.id)
    invitations.accept(token, password=NEW_PASSWORD, timezone="UTC", now=utcnow())

    with pytest.raises(DomainError) as refused:
        invitations.accept(token, password="another long password", timezone="UTC", now=utcnow())
    assert refused.value.code == "link_unusable"
    assert invitations.invitee(token, utcnow()) is None


def test_an_invitation_link_expires_after_invite_link_hours(app, admin, db):
    app.config["INVITE_LINK_HOURS"] = 24
    start = utcnow()
    invited = invitations.invite(
        admin.id, email="sam@example.org", name="Sam", role=Role.FACILITATOR, now=start
    )
    token = invite_token(db, invited.id)

    assert invitations.invitee(token, start + timedelta(hours=23)) is not None
    with time_machine.travel(start + timedelta(hours=25), tick=False):
        assert invitations.invitee(token, utcnow()) is None
        with pytest.raises(DomainError, match="expired"):
            invitations.accept(token, password=NEW_PASSWORD, timezone="UTC", now=utcnow())


def test_sending_an_invitation_again_voids_the_older_link(admin, db):
    now = utcnow()
    invited = invitations.invite(
        admin.id, email="sam@example.org", name="Sam", role=Role.FACILITATOR, now=now
    )
    older = invite_token(db, invited.id)

    assert invitations.send_again(admin.id, invited.id, now=now + timedelta(minutes=5))

    newer = invite_token(db, invited.id)
    assert invitations.invitee(older, now) is None
    assert invitations.invitee(newer, now).id == invited.id
    assert [a for _, a, _ in audit_trail(db)] == ["account.invite", "account.invite"]
    assert len(outbox(db, kind=MessageKind.INVITE)) == 2


def test_invitations_to_one_person_are_limited_to_three_an_hour(admin, db):
    now = utcnow()
    invited = invitations.invite(
        admin.id, email="sam@example.org", name="Sam", role=Role.FACILITATOR, now=now
    )
    sent = [invitations.send_again(admin.id, invited.id, now=now) for _ in range(3)]
    assert sent == [True, True, False]


def test_inviting_an_address_that_has_an_account_names_it_and_makes_nothing(admin, make_user, db):
    family = make_user(name="Rivera household", email="rivera@example.org")

    with pytest.raises(DomainError) as refused:
        invitations.invite(
            admin.id, email="RIVERA@example.org", name="R", role=Role.FACILITATOR, now=utcnow()
        )

    assert refused.value.code == "account_exists"
    assert refused.value.params["account_id"] == family.id
    assert "Rivera household" in refused.value.message
    assert fresh(db, User, family.id).role == Role.FAMILY
    assert outbox(db) == [] and audit_trail(db) == []


@pytest.mark.parametrize("role", [Role.FAMILY, "superuser", ""])
def test_only_staff_roles_are_given_by_invitation(admin, db, role):
    with pytest.raises(DomainError) as refused:
        invitations.invite(admin.id, email="x@example.org", name="X", role=role, now=utcnow())
    assert refused.value.code == "bad_role"
    assert accounts.find_by_email("x@example.org") is None


def test_only_an_active_admin_invites(make_user, db):
    facilitator = make_user(Role.FACILITATOR)
    with pytest.raises(DomainError) as refused:
        invitations.invite(
            facilitator.id, email="x@example.org", name="X", role=Role.ADMIN, now=utcnow()
        )
    assert refused.value.code == "not_allowed"


def test_an_invited_account_gets_no_password_reset_and_no_other_mail(admin, db):
    invited = invitations.invite(
        admin.id, email="sam@example.org", name="Sam", role=Role.FACILITATOR, now=utcnow()
    )
    accounts.request_password_reset("sam@example.org", utcnow())
    assert [row.kind for row in outbox(db, recipient_id=invited.id)] == [MessageKind.INVITE]


# --- roles ----------------------------------------------------------------------------


def test_an_admin_changes_a_staff_role_and_it_is_audited(admin, make_user, db):
    maya = make_user(Role.FACILITATOR)

    assert account_admin.change_role(admin.id, maya.id, Role.ADMIN, now=utcnow())
    assert not account_admin.change_role(admin.id, maya.id, Role.ADMIN, now=utcnow())

    assert fresh(db, User, maya.id).role == Role.ADMIN
    assert audit_trail(db) == [(admin.id, "account.role", f"user:{maya.id}")]


def test_an_admin_cannot_demote_themselves(admin, make_user, db):
    make_user(Role.ADMIN)  # another admin: this is about oneself, not about the last one
    with pytest.raises(DomainError) as refused:
        account_admin.change_role(admin.id, admin.id, Role.FACILITATOR, now=utcnow())
    assert refused.value.code == "own_account"
    assert fresh(db, User, admin.id).role == Role.ADMIN


def test_the_last_active_admin_cannot_be_taken_away(admin, make_user, db):
    other = make_user(Role.ADMIN)
    account_admin.change_role(admin.id, other.id, Role.FACILITATOR, now=utcnow())

    with pytest.raises(DomainError) as demoted_acts:
        account_admin.change_role(other.id, admin.id, Role.FACILITATOR, now=utcnow())
    with pytest.raises(DomainError) as self_demoted:
        account_admin.change_role(admin.id, admin.id, Role.FACILITATOR, now=utcnow())
    with pytest.raises(DomainError) as self_off:
        account_admin.deactivate(admin.id, admin.id, now=utcnow())

    assert (demoted_acts.value.code, self_demoted.value.code, self_off.value.code) == (
        "not_allowed",
        "own_account",
        "own_account",
    )
    db.session.rollback()
    admins = db.session.scalars(select(User).where(User.role == Role.ADMIN, User.active)).all()
    assert [a.id for a in admins] == [admin.id]


@pytest.mark.slow
def test_two_admins_taking_each_other_away_at_once_leave_one(app, admin, make_user, db):
    one = admin.id
    for _ in range(5):
        other = make_user(Role.ADMIN).id
        outcomes = race(
            app,
            [
                partial(_demote, one, other),
                partial(_demote, other, one),
                partial(_switch_off, one, other),
                partial(_switch_off, other, one),
            ],
            failed=str,
        )
        assert set(outcomes) <= {"done", "not_allowed", "already_deactivated"}, outcomes
        db.session.rollback()
        admins = db.session.scalars(select(User).where(User.role == Role.ADMIN, User.active))
        survivors = [a.id for a in admins]
        assert len(survivors) == 1, outcomes
        one = survivors[0]


def _demote(admin_id: int, user_id: int) -> str:
    try:
        account_admin.change_role(admin_id, user_id, Role.FACILITATOR, now=utcnow())
    except DomainError as error:
        return error.code
    return "done"


def _switch_off(admin_id: int, user_id: int) -> str:
    try:
        account_admin.deactivate(admin_id, user_id, now=utcnow())
    except DomainError as error:
        return error.code
    return "done"


def test_a_familys_role_does_not_change_and_bad_roles_are_refused(admin, make_user, db):
    family = make_user()
    with pytest.raises(DomainError) as refused:
        account_admin.change_role(admin.id, family.id, Role.FACILITATOR, now=utcnow())
    assert refused.value.code == "family_role"
    with pytest.raises(DomainError) as bad:
        account_admin.change_role(admin.id, family.id, "owner", now=utcnow())
    assert bad.value.code == "bad_role"
    with pytest.raises(DomainError) as missing:
        account_admin.change_role(admin.id, 999_999, Role.ADMIN, now=utcnow())
    assert missing.value.code == "account_not_found"
    assert audit_trail(db) == []


# --- switching off and on -------------------------------------------------------------


def test_a_switched_off_family_cannot_log_in_its_sign_ins_end_and_its_feed_stops(
    admin, make_user, make_workshop, make_booking, db, client, auth
):
    family = make_user()
    booking = make_booking(make_workshop().sessions[0].id, family=family)
    token = feeds.feed_token(family)
    assert auth.login(family).status_code == 303

    account_admin.deactivate(admin.id, family.id, now=utcnow())

    assert client.get("/account").status_code == 302  # this browser is logged out
    assert db.session.scalars(select(LoginSession)).all() == []
    assert auth.login(family).status_code == 401
    assert client.get(f"/calendar/feeds/{token}.ics").status_code == 404
    assert fresh(db, User, family.id).feed_token_hash is None
    assert fresh(db, Booking, booking.id).status == BookingStatus.CONFIRMED  # on the roster
    assert audit_trail(db) == [(admin.id, "account.deactivate", f"user:{family.id}")]


def test_a_switched_on_account_logs_in_again_and_makes_a_new_calendar_link(
    admin, make_user, db, client, auth
):
    family = make_user()
    old_token = feeds.feed_token(family)
    account_admin.deactivate(admin.id, family.id, now=utcnow())

    account_admin.reactivate(admin.id, family.id, now=utcnow())

    assert auth.login(family).status_code == 303
    assert feeds.feed_token(fresh(db, User, family.id)) is None  # until they make one
    assert client.get(f"/calendar/feeds/{old_token}.ics").status_code == 404
    assert "Make my calendar link" in client.get("/account").get_data(as_text=True)
    assert [a for _, a, _ in audit_trail(db)] == ["account.deactivate", "account.reactivate"]


def test_switching_off_twice_or_on_an_active_account_is_refused(admin, make_user):
    family = make_user()
    with pytest.raises(DomainError, match="isn't switched off"):
        account_admin.reactivate(admin.id, family.id, now=utcnow())
    account_admin.deactivate(admin.id, family.id, now=utcnow())
    with pytest.raises(DomainError, match="already switched off"):
        account_admin.deactivate(admin.id, family.id, now=utcnow())


def test_an_admin_cannot_switch_themselves_off(admin, make_user, db):
    make_user(Role.ADMIN)
    with pytest.raises(DomainError) as refused:
        account_admin.deactivate(admin.id, admin.id, now=utcnow())
    assert refused.value.code == "own_account"
    assert fresh(db, User, admin.id).is_active


def test_withdrawing_an_invitation_voids_its_link(admin, db):
    invited = invitations.invite(
        admin.id, email="sam@example.org", name="Sam", role=Role.FACILITATOR, now=utcnow()
    )
    token = invite_token(db, invited.id)

    account_admin.deactivate(admin.id, invited.id, now=utcnow())

    assert invitations.invitee(token, utcnow()) is None
    assert account_admin.state_of(fresh(db, User, invited.id)) is AccountState.DEACTIVATED


@pytest.fixture
def leaving(make_user, make_workshop, make_booking):
    """A facilitator with a 3-week series (two households booked) and a past workshop."""
    facilitator = make_user(Role.FACILITATOR, name="Leaving facilitator")
    series = make_workshop(facilitator=facilitator, weeks=3)
    families = [make_user(name="Alvarez household"), make_user(name="Brennan household")]
    for family in families:
        make_booking(series.sessions[0].id, family=family)
    make_booking(series.sessions[1].id, family=families[0])
    return facilitator, series, families


def test_switching_off_a_facilitator_with_sessions_to_come_asks_what_happens_first(
    admin, leaving, db
):
    facilitator, _, _ = leaving
    upcoming = account_admin.upcoming_of(facilitator.id, utcnow())
    assert (upcoming.sessions, upcoming.workshops, upcoming.households) == (3, 1, 2)

    with pytest.raises(DomainError) as refused:
        account_admin.deactivate(admin.id, facilitator.id, now=utcnow())

    assert refused.value.code == "upcoming_needs_choice"
    assert "3 upcoming sessions" in refused.value.message
    assert fresh(db, User, facilitator.id).is_active
    assert audit_trail(db) == [] and outbox(db, kind=MessageKind.SESSION_CANCELLED) == []


def test_a_leaving_facilitators_workshops_are_handed_over_whole(admin, leaving, make_user, db):
    facilitator, series, _ = leaving
    successor = make_user(Role.FACILITATOR, name="Successor")

    done = account_admin.deactivate(
        admin.id, facilitator.id, upon=Upon.HAND_OVER, successor_id=successor.id, now=utcnow()
    )

    assert (done.handed_over, done.sessions_cancelled) == (1, 0)
    assert fresh(db, Workshop, series.id).facilitator_id == successor.id
    assert all(s.status == SessionStatus.SCHEDULED for s in fresh(db, Workshop, series.id).sessions)
    assert outbox(db, kind=MessageKind.SESSION_CANCELLED) == []  # nothing changed for families
    assert not fresh(db, User, facilitator.id).is_active


@pytest.mark.parametrize("successor", ["nobody", "themselves", "a family", "switched off"])
def test_workshops_go_only_to_another_active_staff_member(admin, leaving, make_user, db, successor):
    facilitator, series, families = leaving
    off = make_user(Role.FACILITATOR)
    account_admin.deactivate_by_command(off.id, now=utcnow())
    successor_id = {
        "nobody": None,
        "themselves": facilitator.id,
        "a family": families[0].id,
        "switched off": off.id,
    }[successor]

    with pytest.raises(DomainError) as refused:
        account_admin.deactivate(
            admin.id, facilitator.id, upon=Upon.HAND_OVER, successor_id=successor_id, now=utcnow()
        )

    assert refused.value.code == "bad_successor"
    assert fresh(db, Workshop, series.id).facilitator_id == facilitator.id
    assert fresh(db, User, facilitator.id).is_active


def test_a_leaving_facilitators_sessions_are_cancelled_and_the_families_told(admin, leaving, db):
    facilitator, series, families = leaving
    done = account_admin.deactivate(admin.id, facilitator.id, upon=Upon.CANCEL, now=utcnow())

    assert done.sessions_cancelled == 3
    sessions = fresh(db, Workshop, series.id).sessions
    assert {s.status for s in sessions} == {SessionStatus.CANCELLED}
    told = sorted(row.recipient_id for row in outbox(db, kind=MessageKind.SESSION_CANCELLED))
    assert told == sorted([families[0].id, families[0].id, families[1].id])


def test_past_sessions_are_left_as_they_were(admin, make_user, make_workshop, db):
    facilitator = make_user(Role.FACILITATOR)
    workshop = make_workshop(facilitator=facilitator, weeks=2)
    first, second = workshop.sessions
    later = second.starts_at + timedelta(hours=3)  # both are over

    assert account_admin.upcoming_of(facilitator.id, later).sessions == 0
    account_admin.deactivate(admin.id, facilitator.id, now=later)

    assert fresh(db, WorkshopSession, first.id).status == SessionStatus.SCHEDULED
    assert fresh(db, Workshop, workshop.id).facilitator_id == facilitator.id


def test_a_leaving_counselors_appointments_are_cancelled_and_their_hours_close(
    admin, make_counselor, make_user, db
):
    counselor = make_counselor()
    families = [make_user(), make_user()]
    held = [book(counselor, family, skip=n) for n, family in enumerate(families)]
    assert account_admin.upcoming_of(counselor.id, utcnow()).appointments == 2

    done = account_admin.deactivate(admin.id, counselor.id, now=utcnow())

    assert done.appointments_cancelled == 2
    for appointment_id in held:
        assert fresh(db, Appointment, appointment_id).status == AppointmentStatus.CANCELLED
    told = {row.recipient_id for row in outbox(db, kind=MessageKind.CANCELLED)}
    assert told == {f.id for f in families}
    settings = db.session.scalar(
        select(CounselingSettings).where(CounselingSettings.facilitator_id == counselor.id)
    )
    assert not settings.open


def test_the_command_line_leaves_a_facilitator_with_sessions_to_the_admin_page(
    app, leaving, make_user, db
):
    facilitator, _, _ = leaving
    family = make_user()
    runner = app.test_cli_runner()

    refused = runner.invoke(args=["users", "deactivate", "--email", facilitator.email])
    done = runner.invoke(args=["users", "deactivate", "--email", family.email])

    assert refused.exit_code != 0 and "3 upcoming sessions" in refused.output
    assert "/admin/accounts" in refused.output
    assert fresh(db, User, facilitator.id).is_active
    assert done.exit_code == 0 and not fresh(db, User, family.id).is_active
