"""The facilitator's morning digest: once a day, in their own morning, numbers not names."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import time_machine
from apscheduler.triggers.cron import CronTrigger

from scheduler.jobs import build_scheduler, sweep_once
from scheduler.models import MessageKind, Role
from scheduler.services import counseling, digest, series
from scheduler.services.booking import Needs
from scheduler.services.series import Scope
from scheduler.timeutil import to_utc, utcnow, wall_time
from tests.support.mail import SERVICE_WORDS, outbox, received


def day_ahead(zone: str, days: int = 3) -> date:
    return wall_time(utcnow(), zone).date() + timedelta(days=days)


def at(day: date, hour: int, zone: str, minute: int = 0) -> datetime:
    return to_utc(datetime.combine(day, time(hour, minute)), zone)


def test_digest_is_queued_once_in_the_facilitators_morning(make_user, make_workshop, db):
    zone = "America/Los_Angeles"
    facilitator = make_user(Role.FACILITATOR, timezone=zone)
    day = day_ahead(zone)
    make_workshop(facilitator=facilitator, timezone=zone, start=datetime.combine(day, time(18)))

    assert digest.queue_due(at(day, 6, zone, 59)) == 0
    assert digest.queue_due(at(day, 7, zone)) == 1
    digest.queue_due(at(day, 8, zone))
    digest.queue_due(at(day, 11, zone, 59))
    assert digest.queue_due(at(day, 12, zone)) == 0  # too late to be a morning digest

    (row,) = outbox(db, kind=MessageKind.DIGEST)
    assert row.key == f"digest:{facilitator.id}:{day.isoformat()}"
    assert row.recipient_id == facilitator.id


def test_each_facilitator_gets_the_digest_in_their_own_zone(make_user, make_workshop, db):
    tokyo = make_user(Role.FACILITATOR, timezone="Asia/Tokyo")
    new_york = make_user(Role.FACILITATOR, timezone="America/New_York")
    day = day_ahead("Asia/Tokyo")
    for person, zone in ((tokyo, "Asia/Tokyo"), (new_york, "America/New_York")):
        make_workshop(facilitator=person, timezone=zone, start=datetime.combine(day, time(19)))

    digest.queue_due(at(day, 7, "Asia/Tokyo"))  # the evening before in New York
    assert [row.recipient_id for row in outbox(db, kind=MessageKind.DIGEST)] == [tokyo.id]

    digest.queue_due(at(day, 7, "America/New_York"))
    recipients = [row.recipient_id for row in outbox(db, kind=MessageKind.DIGEST)]
    assert recipients == [tokyo.id, new_york.id]


def test_no_digest_on_a_day_without_sessions_of_ones_own(make_user, make_workshop, db):
    zone = "America/New_York"
    idle = make_user(Role.FACILITATOR, timezone=zone)
    day = day_ahead(zone)
    make_workshop(start=datetime.combine(day, time(18)))  # someone else's
    make_workshop(facilitator=idle, start=datetime.combine(day + timedelta(days=1), time(18)))
    make_workshop(facilitator=idle, publish=False, start=datetime.combine(day, time(18)))

    digest.queue_due(at(day, 7, zone))

    assert idle.id not in [row.recipient_id for row in outbox(db, kind=MessageKind.DIGEST)]


def test_digest_sums_up_seats_waitlist_and_needs_without_naming_families(
    mail_to, make_user, make_workshop, make_booking, db
):
    zone = "America/New_York"
    facilitator = make_user(Role.FACILITATOR, timezone=zone, name="Dana")
    day = day_ahead(zone)
    evening = make_workshop(
        facilitator=facilitator,
        capacity=3,
        title="Evening circle",
        start=datetime.combine(day, time(18)),
    ).sessions[0]
    make_workshop(
        facilitator=facilitator, title="Morning group", start=datetime.combine(day, time(9, 30))
    )
    alvarez = make_user(name="Alvarez household")
    make_booking(evening.id, family=alvarez, seats=2, needs=Needs(childcare_needed=True))
    make_booking(evening.id, seats=1, needs=Needs(interpreter_language="spanish"))
    make_booking(evening.id, join_waitlist=True, seats=2)
    mail_to.clear()

    digest.queue_due(at(day, 7, zone))
    with time_machine.travel(at(day, 7, zone, 1), tick=False):
        sweep_once()  # the families' confirmations and reminders go too

    (email,) = [m for m in received(mail_to) if m["To"] == facilitator.email]
    text = email.get_body(preferencelist=("plain",)).get_content()
    assert email["Subject"] == f"Hearth: your day, {day:%a} {day.day} {day:%b}"
    assert not SERVICE_WORDS.search(email["Subject"])
    assert "You have 2 sessions today. Times are in Eastern Time." in text
    assert text.index("9:30\xa0AM: Morning group") < text.index("6:00\xa0PM: Evening circle")
    assert (
        "Evening circle. 3 of 3 seats booked; 1 waiting; childcare for 1; "
        "Spanish interpreter for 1." in text
    )
    assert f"/manage/sessions/{evening.id}/roster" in text
    assert "Alvarez" not in text and alvarez.email not in text


def test_digest_of_a_day_whose_sessions_were_all_cancelled_is_not_sent(
    mail_to, make_user, make_workshop, make_booking, db
):
    zone = "America/New_York"
    facilitator = make_user(Role.FACILITATOR, timezone=zone)
    day = day_ahead(zone)
    session = make_workshop(
        facilitator=facilitator, start=datetime.combine(day, time(18))
    ).sessions[0]
    digest.queue_due(at(day, 7, zone))
    series.cancel_sessions(session.id, scope=Scope.ONE, now=utcnow())
    mail_to.clear()

    with time_machine.travel(at(day, 7, zone, 1), tick=False):
        sweep_once()

    assert [m for m in received(mail_to) if m["To"] == facilitator.email] == []
    assert [row.status for row in outbox(db, kind=MessageKind.DIGEST)] == ["cancelled"]


def test_the_dispatcher_runs_digests_as_an_hourly_cron_job_from_start_up(app):
    scheduler = build_scheduler(app, blocking=False)
    job = scheduler.get_job("digests")

    assert isinstance(job.trigger, CronTrigger)
    assert str(job.trigger) == "cron[minute='0']"
    assert job.next_run_time is not None  # runs at start-up too, to catch up after a restart
    assert scheduler.get_job("outbox") is not None
    assert isinstance(scheduler.get_job("counseling-slots").trigger, CronTrigger)


def test_digest_lists_the_days_counseling_appointments_without_names(mail_to, make_user, db):
    zone = "America/New_York"
    counselor = make_user(Role.FACILITATOR, timezone=zone)
    day = day_ahead(zone)
    now = utcnow()
    counseling.save_rules(
        counselor.id, counseling.Rules(open=True, timezone=zone, approve_first=True), now=now
    )
    counseling.add_window(counselor.id, day=day, starts=time(14), ends=time(16), now=now)
    first, second = [s.slot.id for s in counseling.open_slots(now)]
    lee = make_user(name="Lee household")
    approved = counseling.book_slot(first, lee.id, now=now)
    counseling.approve(approved.id, counselor, now=now)
    counseling.book_slot(second, make_user(name="Park household").id, now=now)

    assert digest.queue_due(at(day, 7, zone)) == 1
    mail_to.clear()
    with time_machine.travel(at(day, 7, zone, 1), tick=False):
        sweep_once()

    (email,) = [m for m in received(mail_to) if m["Subject"].startswith("Hearth: your day")]
    assert email["To"] == counselor.email
    text = email.get_body(preferencelist=("plain",)).get_content()
    assert "You have 2 appointments today." in text
    assert "2:00\xa0PM: counseling appointment, family session, confirmed." in text
    assert "3:00\xa0PM: counseling appointment, family session, waiting for your approval." in text
    assert f"/manage/counseling/appointments/{approved.id}" in text
    assert "Lee" not in text and "Park" not in text
