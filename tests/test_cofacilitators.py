"""Co-facilitators: several facilitators share a workshop, each with the lead's rights.

A co-facilitator sees the rosters, edits, and finds the workshop on their dashboard,
in their morning digest and in their private calendar; taken off, all of it goes.
Adding and removing are audited; a family's address can't be added, and the page
doesn't say whether one exists.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
import time_machine
from sqlalchemy import select

from scheduler.jobs import sweep_once
from scheduler.models import (
    AuditEvent,
    FeedState,
    MessageKind,
    Role,
    User,
    Workshop,
    WorkshopFacilitator,
    WorkshopStatus,
)
from scheduler.services import (
    account_admin,
    attention,
    cofacilitators,
    counseling,
    digest,
    permissions,
)
from scheduler.services.booking import Needs
from scheduler.services.errors import DomainError
from scheduler.services.feeds.changes import own
from scheduler.timeutil import to_utc, utcnow
from tests.support.counseling import ZONE as COUNSELING_ZONE
from tests.support.feeds import token_of, vevents
from tests.support.mail import SERVICE_WORDS, outbox, received

TODAY = datetime(2026, 11, 30, 15, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _a_fixed_today():
    """These tests read as of one fixed day, whatever day they run."""
    with time_machine.travel(TODAY, tick=True):
        yield


@pytest.fixture
def shared(make_user, make_workshop):
    """Ana leads a weekly group on Tuesdays at 6 PM; Ben, another facilitator, is added."""
    ana = make_user(Role.FACILITATOR, name="Ana Ruiz")
    ben = make_user(Role.FACILITATOR, name="Ben Cole")
    workshop = make_workshop(
        facilitator=ana, weeks=3, title="Parents' evening", start=datetime(2026, 12, 8, 18)
    )
    cofacilitators.add_cofacilitator(workshop.id, ben.email, actor_id=ana.id, now=utcnow())
    return ana, ben, workshop


def add(workshop: Workshop, person: User, by: User) -> User:
    return cofacilitators.add_cofacilitator(workshop.id, person.email, actor_id=by.id, now=utcnow())


def remove(workshop: Workshop, person: User, by: User) -> User:
    return cofacilitators.remove_cofacilitator(workshop.id, person.id, actor_id=by.id, now=utcnow())


# --- who may ----------------------------------------------------------------------------


def test_a_cofacilitator_manages_the_workshop_as_its_lead_does():
    lead, co, other = (User(id=n, role=Role.FACILITATOR) for n in (1, 2, 3))
    workshop = Workshop(facilitator_id=lead.id, status=WorkshopStatus.DRAFT)
    workshop.cofacilitators.append(WorkshopFacilitator(user_id=co.id))

    assert permissions.can_manage_workshop(lead, workshop)
    assert permissions.can_manage_workshop(co, workshop)
    assert permissions.can_see_workshop(co, workshop)  # a draft: a preview for both
    assert not permissions.can_manage_workshop(other, workshop)
    assert not permissions.can_manage_workshop(User(id=co.id, role=Role.FAMILY), workshop)


def test_the_sql_clause_finds_the_workshops_a_person_leads_or_shares(db, shared, make_workshop):
    ana, ben, workshop = shared
    own = make_workshop(facilitator=ben)
    make_workshop()  # someone else's

    def managed(user: User) -> set[int]:
        return set(
            db.session.scalars(
                select(Workshop.id).where(permissions.managed_workshops_clause(user))
            )
        )

    assert managed(ben) == {workshop.id, own.id}
    assert managed(ana) == {workshop.id}


# --- pages ------------------------------------------------------------------------------


def test_a_cofacilitator_sees_the_roster_and_edits_the_workshop(
    client, auth, db, shared, make_booking, make_user
):
    _ana, ben, workshop = shared
    first = workshop.sessions[0]
    make_booking(first.id, family=make_user(name="Alvarez household"))
    auth.login(ben)

    roster = client.get(f"/manage/sessions/{first.id}/roster")
    edited = client.post(
        f"/manage/workshops/{workshop.id}/edit",
        data={"title": "Parents' evening, week by week", "location": "Room 4", "publish": "y"},
    )

    assert roster.status_code == 200 and "Alvarez household" in roster.get_data(as_text=True)
    assert edited.status_code == 303
    db.session.rollback()
    assert db.session.get_one(Workshop, workshop.id).location == "Room 4"
    reschedule = client.get(f"/manage/sessions/{first.id}")
    assert reschedule.status_code == 200


def test_the_shared_workshop_is_on_the_cofacilitators_dashboard(client, auth, shared):
    _ana, ben, workshop = shared
    auth.login(ben)

    page = client.get("/manage").get_data(as_text=True)

    assert "Parents&#39; evening" in page and "Run by Ana Ruiz" in page
    assert f"/manage/workshops/{workshop.id}" in page


def test_the_cofacilitator_is_told_of_waitlists_and_needs_on_the_dashboard(
    db, shared, make_booking, make_user
):
    _ana, ben, workshop = shared
    first = workshop.sessions[0]
    for n in range(5):
        make_booking(first.id, needs=Needs(childcare_needed=n == 0))
    make_booking(first.id, join_waitlist=True)

    db.session.rollback()
    with time_machine.travel(first.starts_at - timedelta(hours=20), tick=False):
        found = attention.needs_attention(db.session.get_one(User, ben.id), now=utcnow())

    assert [w.session.id for w in found.waiting] == [first.id]
    assert [p.session.id for p in found.prepare] == [first.id]


def test_the_manage_page_lists_who_runs_the_workshop(client, auth, shared):
    ana, ben, workshop = shared
    auth.login(ana)

    page = client.get(f"/manage/workshops/{workshop.id}").get_data(as_text=True)

    section = page[page.index('id="facilitators"') :]
    assert section.index("Ana Ruiz") < section.index("Ben Cole")
    assert "Lead" in section and "Email of the facilitator to add" in section
    assert f"/manage/workshops/{workshop.id}/facilitators/{ben.id}/remove" in section
    assert f"/facilitators/{ana.id}/remove" not in section  # the lead stays


def test_adding_by_email_on_the_page_shares_the_workshop(client, auth, db, make_user, shared):
    _ana, ben, workshop = shared
    cara = make_user(Role.FACILITATOR, name="Cara Diaz", email="cara@example.org")
    auth.login(ben)  # a co-facilitator may add too

    response = client.post(
        f"/manage/workshops/{workshop.id}/facilitators", data={"email": "  CARA@example.org "}
    )

    assert response.status_code == 303
    page = client.get(response.location).get_data(as_text=True)
    assert "Cara Diaz now runs this workshop too" in page
    db.session.rollback()
    assert cara.id in db.session.get_one(Workshop, workshop.id).runner_ids


@pytest.mark.parametrize("who", ["family", "unknown", "closed facilitator"])
def test_a_family_or_unknown_address_gets_one_answer_that_reveals_nothing(
    client, auth, db, make_user, shared, who
):
    ana, _, workshop = shared
    family = make_user(Role.FAMILY, email="lee.family@example.org")
    closed = make_user(Role.FACILITATOR, email="gone@example.org")
    account_admin.deactivate_by_command(closed.id, now=utcnow())
    email = {
        "family": family.email,
        "unknown": "nobody@example.org",
        "closed facilitator": closed.email,
    }[who]
    auth.login(ana)

    response = client.post(f"/manage/workshops/{workshop.id}/facilitators", data={"email": email})

    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "doesn&#39;t belong to a facilitator&#39;s Hearth account, so nothing changed" in page
    assert 'aria-invalid="true"' in page
    db.session.rollback()
    assert db.session.get_one(Workshop, workshop.id).runner_ids == {ana.id, shared[1].id}
    assert outbox(db, kind=MessageKind.COFACILITATOR_ADDED, recipient_id=family.id) == []


def test_an_address_that_is_not_one_is_asked_again(client, auth, shared):
    ana, _, workshop = shared
    auth.login(ana)

    response = client.post(
        f"/manage/workshops/{workshop.id}/facilitators", data={"email": "not an address"}
    )

    assert response.status_code == 422
    assert "Enter an email address like name@example.com." in response.get_data(as_text=True)


def test_an_admin_can_be_added_and_someone_who_runs_it_already_cannot(make_user, shared):
    ana, ben, workshop = shared
    admin = make_user(Role.ADMIN, name="Site admin")

    assert add(workshop, admin, by=ana).id == admin.id
    for again in (ana, ben, admin):
        with pytest.raises(DomainError) as refused:
            add(workshop, again, by=ben)
        assert refused.value.code == "runs_already"


def test_only_someone_who_runs_the_workshop_may_share_it(make_user, shared):
    _ana, _ben, workshop = shared
    outsider = make_user(Role.FACILITATOR)
    with pytest.raises(DomainError) as refused:
        add(workshop, outsider, by=outsider)
    assert refused.value.code == "workshop_not_found"


def test_the_lead_stays_so_a_workshop_always_has_someone_to_run_it(client, auth, db, shared):
    ana, ben, workshop = shared
    with pytest.raises(DomainError) as refused:
        remove(workshop, ana, by=ben)
    assert refused.value.code == "lead_stays"

    auth.login(ana)
    response = client.post(
        f"/manage/workshops/{workshop.id}/facilitators/{ana.id}/remove", follow_redirects=True
    )
    assert "Ana Ruiz made this workshop and leads it, so they stay on it." in response.get_data(
        as_text=True
    )
    db.session.rollback()
    assert db.session.get_one(Workshop, workshop.id).facilitator_id == ana.id


def test_a_cofacilitator_can_step_down_and_lands_on_the_dashboard(client, auth, db, shared):
    _ana, ben, workshop = shared
    auth.login(ben)

    response = client.post(f"/manage/workshops/{workshop.id}/facilitators/{ben.id}/remove")

    assert response.status_code == 303 and response.location.endswith("/manage")
    assert client.get(f"/manage/workshops/{workshop.id}").status_code == 404


def test_removal_takes_the_roster_dashboard_digest_and_feed_away(
    client, auth, db, shared, make_booking
):
    ana, ben, workshop = shared
    first = workshop.sessions[0]
    make_booking(first.id)
    path = f"/calendar/feeds/{token_of(db, ben)}.ics"
    before = client.get(path)
    assert f"hosting-{first.id}@" in "".join(vevents(before.get_data()))

    remove(workshop, ben, by=ana)

    after = client.get(path, headers={"If-None-Match": before.headers["ETag"]})
    assert after.status_code == 200 and vevents(after.get_data()) == {}
    auth.login(ben)
    assert client.get(f"/manage/sessions/{first.id}/roster").status_code == 404
    assert client.get(f"/manage/workshops/{workshop.id}/edit").status_code == 404
    assert "Parents&#39; evening" not in client.get("/manage").get_data(as_text=True)
    assert digest.sessions_on(ben.id, date(2026, 12, 8), "America/New_York") == []


def test_adding_and_removing_are_in_the_audit_trail_with_who_did_it(db, make_user, shared):
    ana, ben, workshop = shared
    remove(workshop, ben, by=ana)

    db.session.rollback()
    events = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action.like("workshop.%")).order_by(AuditEvent.id)
    ).all()
    assert [(e.action, e.subject, e.actor_id, e.actor_name) for e in events] == [
        ("workshop.cofacilitator_add", f"workshop:{workshop.id}", ana.id, "Ana Ruiz"),
        ("workshop.cofacilitator_remove", f"workshop:{workshop.id}", ana.id, "Ana Ruiz"),
    ]


def test_a_refused_change_writes_no_audit_event(db, make_user, shared):
    ana, _, workshop = shared
    with pytest.raises(DomainError):
        add(workshop, make_user(Role.FAMILY), by=ana)
    db.session.rollback()
    actions = db.session.scalars(select(AuditEvent.action)).all()
    assert actions == ["workshop.cofacilitator_add"]  # the fixture's own


# --- mail, digest, feed -----------------------------------------------------------------


def test_the_new_cofacilitator_is_told_by_a_discreet_email(mail_to, db, shared):
    _ana, ben, workshop = shared

    sweep_once()

    (email,) = [m for m in received(mail_to) if m["To"] == ben.email]
    text = email.get_body(preferencelist=("plain",)).get_content()
    assert email["Subject"] == "Hearth: you were added as a facilitator"
    assert not SERVICE_WORDS.search(email["Subject"])
    assert "Ana Ruiz added you as a facilitator of “Parents' evening”." in text
    assert f"http://localhost/manage/workshops/{workshop.id}" in text


def test_no_email_goes_out_to_someone_taken_off_before_it_was_sent(mail_to, db, shared):
    ana, ben, workshop = shared
    remove(workshop, ben, by=ana)

    sweep_once()

    assert [m for m in received(mail_to) if m["To"] == ben.email] == []


def test_each_cofacilitator_gets_the_shared_sessions_in_their_morning_digest(
    mail_to, db, make_user, shared, make_booking
):
    ana, ben, workshop = shared
    cara = make_user(Role.FACILITATOR, name="Cara", timezone="America/Chicago")
    add(workshop, cara, by=ben)
    first = workshop.sessions[0]
    make_booking(first.id, seats=2, needs=Needs(interpreter_language="Spanish"))
    day = date(2026, 12, 8)
    mail_to.clear()

    with time_machine.travel(to_utc(datetime.combine(day, time(7, 5)), "America/New_York")):
        digest.queue_due(utcnow())
    with time_machine.travel(to_utc(datetime.combine(day, time(7, 5)), "America/Chicago")):
        digest.queue_due(utcnow())
        sweep_once()

    digests = {row.recipient_id for row in outbox(db, kind=MessageKind.DIGEST)}
    assert digests == {ana.id, ben.id, cara.id}
    texts = {
        m["To"]: m.get_body(preferencelist=("plain",)).get_content()
        for m in received(mail_to)
        if m["Subject"].startswith("Hearth: your day")
    }
    assert "6:00\xa0PM: Parents' evening. 2 of 5 seats booked" in texts[ben.email]
    assert "5:00\xa0PM: Parents' evening. 2 of 5 seats booked" in texts[cara.email]


def test_the_cofacilitators_feed_shows_the_shared_sessions_and_follows_bookings(
    client, db, shared, make_booking, make_user
):
    _ana, ben, workshop = shared
    path = f"/calendar/feeds/{token_of(db, ben)}.ics"
    first = client.get(path)
    events = vevents(first.get_data())
    assert {f"hosting-{s.id}@localhost" for s in workshop.sessions} <= set(events)
    assert (
        "Seats taken: 0 of 5"
        in events[f"hosting-{workshop.sessions[0].id}@localhost"]["description"]
    )

    make_booking(workshop.sessions[0].id, seats=2)

    again = client.get(path, headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 200
    event = vevents(again.get_data())[f"hosting-{workshop.sessions[0].id}@localhost"]
    assert "Seats taken: 2 of 5" in str(event["description"])


def test_being_added_changes_the_feed_at_once(client, db, make_user, make_workshop):
    ana = make_user(Role.FACILITATOR)
    ben = make_user(Role.FACILITATOR)
    workshop = make_workshop(facilitator=ana)
    path = f"/calendar/feeds/{token_of(db, ben)}.ics"
    before = client.get(path)
    assert vevents(before.get_data()) == {}

    add(workshop, ben, by=ana)

    after = client.get(path, headers={"If-None-Match": before.headers["ETag"]})
    assert after.status_code == 200
    assert f"hosting-{workshop.sessions[0].id}@localhost" in vevents(after.get_data())


def test_a_shared_session_keeps_its_cofacilitator_from_counseling_at_that_time(
    db, make_counselor, make_user, make_workshop
):
    counselor = make_counselor()  # open every afternoon, 14:00 to 17:00 New York time
    now = utcnow()
    day = (now + timedelta(days=4)).astimezone(UTC).date()
    afternoon = [
        s.slot
        for s in counseling.open_slots(now, facilitator_id=counselor.id)
        if s.slot.starts_at.date() == day
    ]
    assert afternoon
    lead = make_user(Role.FACILITATOR)
    workshop = make_workshop(
        facilitator=lead, start=datetime.combine(day, time(14)), timezone=COUNSELING_ZONE
    )
    before = {s.slot.id for s in counseling.open_slots(now, facilitator_id=counselor.id)}

    add(workshop, counselor, by=lead)

    after = {s.slot.id for s in counseling.open_slots(now, facilitator_id=counselor.id)}
    held = workshop.sessions[0]
    clashing = {
        s.id for s in afternoon if s.starts_at < held.ends_at and held.starts_at < s.ends_at
    }
    assert clashing and clashing <= before and not clashing & after


def test_sharing_and_bookings_move_the_cofacilitators_own_feed_counter(
    db, shared, make_booking, make_user
):
    ana, ben, workshop = shared

    def counter(user: User) -> int:
        db.session.rollback()
        state = db.session.get(FeedState, own(user.id))
        return state.counter if state else 0

    added = counter(ben)
    make_booking(workshop.sessions[0].id)
    booked = counter(ben)
    remove(workshop, ben, by=ana)
    removed = counter(ben)
    make_booking(workshop.sessions[1].id)

    assert added >= 1 and booked == added + 1 and removed == booked + 1
    assert counter(ben) == removed  # no longer theirs: a booking there leaves them alone
