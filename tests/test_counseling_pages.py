"""Counseling pages: families find, book, move and cancel; counselors set their hours."""

from __future__ import annotations

from datetime import time, timedelta

import pytest
import time_machine
from sqlalchemy import func, select

from scheduler.models import (
    Appointment,
    AuditEvent,
    AvailabilityWindow,
    BlackoutDate,
    CounselingSlot,
    Role,
)
from scheduler.services import counseling
from scheduler.timeutil import utcnow


def text_of(response) -> str:
    return response.get_data(as_text=True)


@pytest.fixture
def counselor(make_user):
    """A counselor in Los Angeles, open on weekday afternoons, changes up to 24 hours before."""
    person = make_user(Role.FACILITATOR, timezone="America/Los_Angeles", name="Maya Okafor")
    now = utcnow()
    counseling.save_rules(
        person.id,
        counseling.Rules(
            open=True,
            timezone="America/Los_Angeles",
            location="Counseling Room 2",
            contact="Call the front desk: 555-0142",
        ),
        now=now,
    )
    for weekday in range(5):
        counseling.add_window(person.id, weekday=weekday, starts=time(14), ends=time(17), now=now)
    return person


def open_ids(counselor) -> list[int]:
    return [s.slot.id for s in counseling.open_slots(utcnow(), facilitator_id=counselor.id)]


def test_open_times_are_listed_by_day_in_the_familys_zone_with_the_counselors_too(
    client, auth, make_user, counselor
):
    auth.login(make_user(timezone="America/New_York"))

    page = text_of(client.get("/counseling"))

    assert "5:00 PM EST" in page  # 14:00 in Los Angeles
    assert "2:00 PM PST for the counselor" in page
    assert "Maya Okafor · Family session · In person" in page


def test_family_books_a_time_with_a_note_and_sees_it_in_my_bookings(
    client, auth, make_user, counselor, db
):
    family = make_user(timezone="America/Los_Angeles")
    auth.login(family)
    slot_id = open_ids(counselor)[0]
    assert "Book this time" in text_of(client.get(f"/counseling/slots/{slot_id}"))

    response = client.post(f"/counseling/slots/{slot_id}/book", data={"note": "About our son"})

    assert response.status_code == 303
    bookings = text_of(client.get("/bookings"))
    assert "Family session with Maya Okafor" in bookings
    assert "Booked" in bookings and "Counseling Room 2" in bookings
    appointment = db.session.scalars(select(Appointment)).one()
    assert appointment.note == "About our son" and appointment.family_id == family.id
    assert slot_id not in open_ids(counselor)


def test_a_time_someone_else_just_took_gets_a_clear_answer(client, auth, make_user, counselor):
    slot_id = open_ids(counselor)[0]
    counseling.book_slot(slot_id, make_user().id, now=utcnow())
    auth.login(make_user())

    response = client.post(f"/counseling/slots/{slot_id}/book", data={})

    assert response.status_code == 409
    assert "no longer free" in text_of(response)
    assert client.get(f"/counseling/slots/{slot_id}").status_code == 404


def test_a_note_with_hidden_characters_is_refused_with_a_field_error(
    client, auth, make_user, counselor, db
):
    auth.login(make_user())
    slot_id = open_ids(counselor)[0]

    response = client.post(f"/counseling/slots/{slot_id}/book", data={"note": "hi\x00"})

    assert response.status_code == 422
    assert "hidden characters" in text_of(response)
    assert db.session.scalars(select(Appointment)).all() == []


def test_family_moves_its_appointment_to_another_time(client, auth, make_user, counselor, db):
    family = make_user()
    first, *_, later = open_ids(counselor)[:4]
    appointment = counseling.book_slot(first, family.id, now=utcnow())
    auth.login(family)
    assert "Change the time" in text_of(client.get("/bookings"))

    response = client.post(
        f"/counseling/appointments/{appointment.id}/move", data={"slot_id": str(later)}
    )

    assert response.status_code == 303
    db.session.rollback()
    moved = db.session.get_one(Appointment, appointment.id)
    assert moved.slot_id == later and moved.sequence == 1
    assert first in open_ids(counselor)


def test_moving_without_choosing_a_time_asks_for_one(client, auth, make_user, counselor):
    family = make_user()
    appointment = counseling.book_slot(open_ids(counselor)[0], family.id, now=utcnow())
    auth.login(family)

    response = client.post(f"/counseling/appointments/{appointment.id}/move", data={})

    assert response.status_code == 422
    assert "Choose one of the times." in text_of(response)


def test_after_the_cutoff_the_family_is_told_how_to_reach_the_counselor(
    client, auth, make_user, counselor
):
    family = make_user()
    slot_id = open_ids(counselor)[0]
    appointment = counseling.book_slot(slot_id, family.id, now=utcnow())
    starts = appointment.slot.starts_at
    auth.login(family)

    with time_machine.travel(starts - timedelta(hours=2), tick=False):
        page = text_of(client.get("/bookings"))
        refused = client.post(f"/counseling/appointments/{appointment.id}/cancel")
        after = text_of(client.get("/bookings"))

    assert "Call the front desk: 555-0142" in page
    assert "Cancel my appointment" not in page
    assert refused.status_code == 303
    assert "too close to the appointment" in after


def test_counselor_sets_hours_and_days_off_and_sees_what_families_see(client, auth, make_user, db):
    counselor = make_user(Role.FACILITATOR, timezone="America/Chicago")
    auth.login(counselor)
    settings = {
        "open": "y",
        "timezone": "America/Chicago",
        "kind": "individual",
        "mode": "online",
        "online_url": "https://meet.example.org/room",
        "slot_minutes": "45",
        "buffer_minutes": "15",
        "min_notice_hours": "12",
        "horizon_days": "14",
        "change_cutoff_hours": "24",
    }
    assert client.post("/manage/counseling", data=settings).status_code == 303
    assert (
        client.post(
            "/manage/counseling/windows", data={"weekday": "2", "starts": "17:00", "ends": "20:00"}
        ).status_code
        == 303
    )
    day_off = (utcnow() + timedelta(days=8)).date()
    client.post("/manage/counseling/blackouts", data={"day": day_off.isoformat()})

    page = text_of(client.get("/manage/counseling"))
    assert "Every Wednesday, 17:00\N{EN DASH}20:00" in page
    assert day_off.strftime("%A") in page
    assert "Families can book you now" in page
    assert counseling.open_slots(utcnow(), facilitator_id=counselor.id)
    assert db.session.scalars(select(AvailabilityWindow)).one().weekday == 2
    assert db.session.scalars(select(BlackoutDate)).one().day == day_off


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"weekday": "", "starts": "17:00", "ends": "20:00"}, "Choose a weekday, or a date"),
        ({"weekday": "9", "starts": "17:00", "ends": "20:00"}, "weekday from the list"),
        ({"weekday": "1", "starts": "20:00", "ends": "17:00"}, "end must be after the start"),
        ({"weekday": "1", "starts": "17:00", "ends": "17:20"}, "fit one 50-minute slot"),
        ({"weekday": "1", "starts": "nonsense", "ends": "17:20"}, "Not a valid time value"),
    ],
)
def test_bad_hours_get_a_plain_message_and_change_nothing(
    client, auth, make_user, db, form, message
):
    auth.login(make_user(Role.FACILITATOR))

    response = client.post("/manage/counseling/windows", data=form, follow_redirects=True)

    assert response.status_code == 200
    assert message in text_of(response)
    assert db.session.scalars(select(AvailabilityWindow)).all() == []


def test_online_counseling_without_a_link_is_refused(client, auth, make_user, db):
    auth.login(make_user(Role.FACILITATOR))
    data = {"open": "y", "timezone": "UTC", "kind": "family", "mode": "online"}
    data |= {"slot_minutes": "50", "buffer_minutes": "10", "min_notice_hours": "24"}
    data |= {"horizon_days": "28", "change_cutoff_hours": "24"}

    response = client.post("/manage/counseling", data=data)

    assert response.status_code == 422
    assert "Online slots need a meeting link" in text_of(response)
    assert counseling.settings_for(make_user(Role.FACILITATOR).id) is None


def test_dashboard_lists_appointments_next_to_workshops(
    client, auth, make_user, make_workshop, counselor
):
    make_workshop(facilitator=counselor, title="Evening circle")
    counseling.book_slot(open_ids(counselor)[0], make_user(name="Lee family").id, now=utcnow())
    auth.login(counselor)

    page = text_of(client.get("/manage"))

    assert "Evening circle" in page and "Lee family" in page


def test_opening_an_appointment_is_audited(client, auth, make_user, counselor, db):
    appointment = counseling.book_slot(
        open_ids(counselor)[0], make_user().id, note="Private words", now=utcnow()
    )
    auth.login(counselor)

    page = text_of(client.get(f"/manage/counseling/appointments/{appointment.id}"))

    assert "Private words" in page
    event = db.session.scalars(select(AuditEvent)).one()
    assert (event.action, event.subject) == ("view_appointment", f"appointment:{appointment.id}")


def test_counselor_approves_a_first_visit_from_its_page(client, auth, make_user, db):
    counselor = make_user(Role.FACILITATOR)
    now = utcnow()
    counseling.save_rules(
        counselor.id, counseling.Rules(open=True, timezone="UTC", approve_first=True), now=now
    )
    day = (now + timedelta(days=3)).date()
    counseling.add_window(counselor.id, day=day, starts=time(9), ends=time(12), now=now)
    appointment = counseling.book_slot(open_ids(counselor)[0], make_user().id, now=now)
    assert appointment.is_pending
    auth.login(counselor)
    assert "Waiting for your approval" in text_of(client.get("/manage/counseling"))

    client.post(f"/manage/counseling/appointments/{appointment.id}/approve")

    db.session.rollback()
    assert db.session.get_one(Appointment, appointment.id).is_confirmed


# --- one week a page -----------------------------------------------------------------

TUESDAY = "2026-12-01 15:00Z"  # a fixed "today" (Tuesday 1 December 2026, 7 AM in LA)


def _busy_counselor(make_user):
    """Ten-minute slots 8 AM to 8 PM every day for 120 days: 8,640 slots."""
    person = make_user(Role.FACILITATOR, timezone="America/Los_Angeles", name="Dr Busy")
    now = utcnow()

    def rules(horizon: int) -> counseling.Rules:
        return counseling.Rules(
            open=True,
            timezone="America/Los_Angeles",
            slot_minutes=10,
            buffer_minutes=0,
            min_notice_hours=0,
            horizon_days=horizon,
        )

    counseling.save_rules(person.id, rules(1), now=now)  # hours first, on a short horizon
    for weekday in range(7):
        counseling.add_window(person.id, weekday=weekday, starts=time(8), ends=time(20), now=now)
    counseling.save_rules(person.id, rules(120), now=now)
    return person


def test_a_counselor_with_thousands_of_slots_still_gives_one_week_a_page(client, make_user, db):
    with time_machine.travel(TUESDAY, tick=False):
        _busy_counselor(make_user)
        stored = db.session.scalar(select(func.count()).select_from(CounselingSlot))
        first = client.get("/counseling")
        second = text_of(client.get("/counseling?start=2026-12-08"))

    assert stored > 8000
    page = text_of(first)
    assert first.status_code == 200
    assert page.count('class="slot"') == 7 * 72  # one week, from 8 AM today
    assert len(first.get_data()) < 400_000
    assert "Open times from Tuesday 1 December 2026 to Monday 7 December 2026" in page
    assert 'href="/counseling?start=2026-12-08">Later times' in page
    assert "Earlier times" not in page
    assert "Open times from Tuesday 8 December 2026 to Monday 14 December 2026" in second
    assert second.count('class="slot"') == 7 * 72
    assert 'href="/counseling?start=2026-12-01">Earlier times' in second


def test_opening_the_page_makes_no_slots_even_when_they_are_stale(client, counselor, db):
    later = utcnow() + timedelta(days=2)  # past the hourly re-make
    before = db.session.scalar(select(func.count()).select_from(CounselingSlot))
    with time_machine.travel(later, tick=False):
        assert client.get("/counseling").status_code == 200
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(CounselingSlot)) == before


def test_an_empty_week_points_to_the_next_open_time(client, make_user):
    with time_machine.travel(TUESDAY, tick=False):
        person = make_user(Role.FACILITATOR, timezone="America/Los_Angeles")
        now = utcnow()
        counseling.save_rules(
            person.id, counseling.Rules(open=True, timezone="America/Los_Angeles"), now=now
        )
        day = utcnow().date() + timedelta(days=20)  # Monday 21 December
        counseling.add_window(person.id, starts=time(14), ends=time(17), day=day, now=now)
        page = text_of(client.get("/counseling"))
    assert "No times are open this week. The next open time is on" in page
    assert "Monday 21 December 2026" in page


@pytest.mark.parametrize("start", ["tomorrow", "2026-13-01", "99999-01-01"])
def test_an_unreadable_week_gets_a_400_with_a_way_back(client, start):
    response = client.get(f"/counseling?start={start}")
    assert response.status_code == 400
    assert "See the open times" in text_of(response)
