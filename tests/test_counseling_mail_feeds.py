"""Counseling appointments in email and calendars: invites, feeds, links, discretion, reminders."""

from __future__ import annotations

from datetime import timedelta
from email.message import EmailMessage

import icalendar
import pytest
import time_machine
from sqlalchemy import select, update

from scheduler.database import write_transaction
from scheduler.jobs import sweep_once
from scheduler.models import (
    Appointment,
    AppointmentStatus,
    MeetingMode,
    MessageKind,
    OutboxMessage,
    SessionKind,
    User,
)
from scheduler.services import counseling
from scheduler.services.counseling import Rules
from scheduler.timeutil import format_local, utcnow
from tests.support.counseling import (
    MEETING,
    PLACE,
    ZONE,
    appointment,
    book,
    slot_after,
)
from tests.support.feeds import (
    counting_queries,
    later,
    private_feed,
    reads_only_counters,
    token_of,
    vevents,
)
from tests.support.ics_checks import cross_check
from tests.support.mail import SERVICE_WORDS, calendar_part, received


def emails_to(server, user: User) -> list[EmailMessage]:
    return [m for m in received(server) if m["To"] == user.email]


def readable(email: EmailMessage) -> str:
    """Every part of an email decoded (text, HTML, invite), as a reader or client sees it."""
    texts = []
    for part in email.walk():
        if part.is_multipart():
            continue
        payload = part.get_payload(decode=True)
        text = payload.decode("utf-8") if isinstance(payload, bytes) else str(payload)
        texts.append(text.replace("\r\n ", ""))  # undo calendar folding
    return "\n".join([str(email["Subject"]), *texts])


def unfolded(response) -> str:
    """A calendar body with its 75-octet folds undone, so a long link reads whole."""
    return response.get_data().decode().replace("\r\n ", "")


def has_calendar(email: EmailMessage) -> bool:
    return any(p.get_content_type() == "text/calendar" for p in email.walk())


def invite_event(email: EmailMessage) -> tuple[icalendar.Event, str]:
    body, method = calendar_part(email)
    cross_check(body)
    calendar = icalendar.Calendar.from_ical(body)
    assert str(calendar["method"]) == method
    (event,) = calendar.walk("VEVENT")
    return event, method


def uid_of(appointment_id: int) -> str:
    return f"appointment-{appointment_id}@localhost"


def summaries(body: bytes) -> list[str]:
    return [str(e["summary"]) for e in vevents(body).values()]


# --- invites and UIDs -----------------------------------------------------------------


def test_appointment_confirmation_invite_parses_and_matches_the_family_feed_uid(
    client, mail_to, make_counselor, make_user, db
):
    counselor, family = make_counselor(), make_user()
    appointment_id = book(counselor, family)

    assert sweep_once().sent == 1  # reminders are days away
    (email,) = emails_to(mail_to, family)
    assert email["Subject"].startswith("Hearth: your appointment on ")
    event, method = invite_event(email)
    assert method == "REQUEST"
    assert str(event["uid"]) == uid_of(appointment_id)
    assert str(event["status"]) == "CONFIRMED"
    assert str(event["attendee"]).lower() == f"mailto:{family.email}"
    assert str(event["organizer"]).lower() == "mailto:no-reply@hearth.test"

    body = private_feed(client, db, family).get_data()
    cross_check(body)
    (in_feed,) = vevents(body).values()
    assert in_feed["uid"] == event["uid"] and in_feed["sequence"] == event["sequence"]
    assert in_feed.decoded("dtstart") == event.decoded("dtstart")
    assert str(in_feed["dtstart"].params["TZID"]) == ZONE  # the counselor's zone


def test_moving_an_appointment_keeps_the_uid_and_raises_the_sequence(
    client, mail_to, make_counselor, make_user, db
):
    counselor, family = make_counselor(), make_user()
    appointment_id = book(counselor, family)
    sweep_once()
    (confirmation,) = emails_to(mail_to, family)
    confirmed, _ = invite_event(confirmation)
    feeds_before = [vevents(private_feed(client, db, u).get_data()) for u in (family, counselor)]

    new_slot = slot_after(counselor, 5)
    counseling.move(appointment_id, family.id, new_slot, now=utcnow())
    sweep_once()

    _, notice = emails_to(mail_to, family)
    assert notice["Subject"].startswith("Hearth: new time for your appointment, ")
    moved, method = invite_event(notice)
    assert method == "REQUEST"
    assert moved["uid"] == confirmed["uid"] and moved["sequence"] > confirmed["sequence"]
    starts_at = appointment(db, appointment_id).slot.starts_at
    assert moved.decoded("dtstart") == starts_at
    for user, before in zip((family, counselor), feeds_before, strict=True):
        body = private_feed(client, db, user).get_data()
        cross_check(body)
        after = vevents(body)
        assert list(after) == list(before) == [uid_of(appointment_id)]
        (event,) = after.values()
        assert event["sequence"] == moved["sequence"] > before[uid_of(appointment_id)]["sequence"]
        assert event.decoded("dtstart") == starts_at


def test_cancelled_appointment_sends_method_cancel_with_higher_sequence(
    client, mail_to, make_counselor, make_user, db
):
    counselor, family = make_counselor(), make_user()
    appointment_id = book(counselor, family)
    sweep_once()
    counseling.cancel_by_family(appointment_id, family.id, now=utcnow())
    sweep_once()

    confirmation, cancellation = emails_to(mail_to, family)
    assert cancellation["Subject"].startswith("Hearth: cancelled, your appointment on ")
    confirmed, _ = invite_event(confirmation)
    cancelled, method = invite_event(cancellation)
    assert method == "CANCEL"
    assert cancelled["uid"] == confirmed["uid"]
    assert cancelled["sequence"] > confirmed["sequence"]
    assert str(cancelled["status"]) == "CANCELLED"
    # The feed keeps it, cancelled, so subscribed calendars drop it too.
    (in_feed,) = vevents(private_feed(client, db, family).get_data()).values()
    assert str(in_feed["status"]) == "CANCELLED" and in_feed["sequence"] == cancelled["sequence"]


# --- which feeds show an appointment ---------------------------------------------------


def test_appointment_appears_in_family_and_counselor_private_feeds_but_not_the_public_one(
    client, make_counselor, make_user, make_workshop, db
):
    counselor = make_counselor()
    make_workshop(facilitator=counselor)  # the counselor's public workshop stays public
    other_counselor = make_counselor(name="Dr Chen")
    family = make_user(name="Okafor household")
    stranger = make_user()
    appointment_id = book(counselor, family, note="About our son")

    family_feed = private_feed(client, db, family).get_data()
    counselor_feed = private_feed(client, db, counselor).get_data()
    public = client.get("/calendar/workshops.ics").get_data()
    only_counselor = client.get(f"/calendar/workshops.ics?facilitator={counselor.id}").get_data()

    for body in (family_feed, counselor_feed, public):
        cross_check(body)
    assert uid_of(appointment_id) in vevents(family_feed)
    mine = vevents(counselor_feed)[uid_of(appointment_id)]
    assert str(mine["summary"]).startswith("Counseling appointment, ")
    assert str(mine["url"]).endswith(f"/manage/counseling/appointments/{appointment_id}")
    assert len(vevents(counselor_feed)) == 2  # the appointment and the workshop session
    for body in (public, only_counselor):
        assert not any(uid.startswith("appointment-") for uid in vevents(body))
        assert b"Okafor" not in body
    for user in (stranger, other_counselor):
        assert uid_of(appointment_id) not in vevents(private_feed(client, db, user).get_data())
    assert b"About our son" not in family_feed + counselor_feed  # the note stays in Hearth


def test_counselor_feed_names_no_family_unless_the_counselor_asks(
    client, auth, make_counselor, make_user, db
):
    counselor = make_counselor()
    family = make_user(name="Okafor household")
    appointment_id = book(counselor, family)
    starts = appointment(db, appointment_id).slot.starts_at
    clock = format_local(starts, ZONE, with_date=False)  # "2:00 PM EST"

    neutral = private_feed(client, db, counselor)
    (event,) = vevents(neutral.get_data()).values()
    assert str(event["summary"]) == f"Counseling appointment, {clock}"
    assert str(event["description"]).startswith("Family session. Open Hearth to see who")
    assert str(event["url"]).endswith(f"/manage/counseling/appointments/{appointment_id}")
    assert b"Okafor" not in neutral.get_data()

    auth.login(counselor)
    page = client.get("/account").get_data(as_text=True)
    assert "Show families&#39; names in my calendar" in page
    client.post(
        "/account", data={"name": counselor.name, "timezone": ZONE, "descriptive_titles": "y"}
    )

    named = private_feed(client, db, counselor)
    (event,) = vevents(named.get_data()).values()
    assert str(event["summary"]) == "Appointment: Okafor household"
    assert "Family session with Okafor household." in str(event["description"])
    # Calendar apps holding the neutral body must fetch the named one.
    assert named.headers["ETag"] != neutral.headers["ETag"]
    cross_check(named.get_data())


def test_pending_and_declined_requests_show_as_tentative_then_cancelled(
    client, make_counselor, make_user, db
):
    counselor = make_counselor(approve_first=True)
    family = make_user()
    appointment_id = book(counselor, family)

    (waiting,) = vevents(private_feed(client, db, family).get_data()).values()
    (asked,) = vevents(private_feed(client, db, counselor).get_data()).values()
    assert str(waiting["status"]) == str(asked["status"]) == "TENTATIVE"
    assert str(asked["summary"]).endswith(" (awaiting approval)")

    counseling.decline(appointment_id, counselor, now=utcnow())
    for user in (family, counselor):
        (declined,) = vevents(private_feed(client, db, user).get_data()).values()
        assert str(declined["status"]) == "CANCELLED"
        assert declined["sequence"] > waiting["sequence"]


def test_past_cancelled_appointments_leave_the_feed_after_their_day(
    client, make_counselor, make_user, db
):
    counselor, family = make_counselor(), make_user()
    kept = book(counselor, family)
    dropped = book(counselor, family, 6)
    counseling.cancel_by_family(dropped, family.id, now=utcnow())
    ends_at = appointment(db, dropped).slot.ends_at
    with time_machine.travel(ends_at + timedelta(days=2), tick=False):
        assert list(vevents(private_feed(client, db, family).get_data())) == [uid_of(kept)]


# --- the meeting link -----------------------------------------------------------------


def test_meeting_link_only_in_the_booked_familys_and_counselors_calendars(
    client, mail_to, make_counselor, make_user, db
):
    counselor = make_counselor(mode=MeetingMode.ONLINE, approve_first=True)
    booked, waiting = make_user(), make_user()
    with write_transaction():
        for user in (booked, waiting):
            db.session.get_one(User, user.id).descriptive_titles = True
    booked_id = book(counselor, booked)
    book(counselor, waiting, 4)
    sweep_once()  # two "request received", two requests to approve

    requests = received(mail_to)
    assert len(requests) == 4
    assert not any(MEETING in readable(m) for m in requests)
    assert MEETING not in unfolded(private_feed(client, db, booked))
    assert MEETING in unfolded(private_feed(client, db, counselor))

    counseling.approve(booked_id, counselor, now=utcnow())
    sweep_once()

    (confirmation,) = [m for m in emails_to(mail_to, booked) if has_calendar(m)]
    assert MEETING in readable(confirmation)
    event, _ = invite_event(confirmation)
    assert str(event["location"]) == MEETING
    booked_feed = unfolded(private_feed(client, db, booked))
    counselor_feed = unfolded(private_feed(client, db, counselor))
    assert MEETING in booked_feed and MEETING in counselor_feed
    assert MEETING not in unfolded(private_feed(client, db, waiting))
    assert MEETING not in unfolded(client.get("/calendar/workshops.ics"))
    assert not any(MEETING in readable(m) for m in emails_to(mail_to, waiting))


def test_meeting_link_never_in_a_cancelled_appointments_email_or_event(
    client, mail_to, make_counselor, make_user, db
):
    counselor = make_counselor(mode=MeetingMode.ONLINE)
    family = make_user()
    with write_transaction():
        db.session.get_one(User, family.id).descriptive_titles = True
    appointment_id = book(counselor, family)
    counseling.cancel_by_family(appointment_id, family.id, now=utcnow())
    sweep_once()

    confirmation, cancellation = emails_to(mail_to, family)
    # Cancelled before the confirmation went out: it carries no link and no REQUEST.
    assert not has_calendar(confirmation) and MEETING not in readable(confirmation)
    assert MEETING not in readable(cancellation)
    assert MEETING not in unfolded(private_feed(client, db, family))


# --- approval of first appointments ----------------------------------------------------


def test_first_appointment_request_waits_and_asks_the_counselor(
    client, mail_to, make_counselor, make_user, db
):
    counselor = make_counselor(approve_first=True)
    family = make_user(name="Okafor household", timezone="Europe/London")
    appointment_id = book(counselor, family, note="Our son relapsed last week")
    assert appointment(db, appointment_id).status == AppointmentStatus.PENDING

    assert sweep_once().sent == 2
    (waiting,) = emails_to(mail_to, family)
    assert waiting["Subject"].startswith("Hearth: request received for ")
    assert waiting["Subject"].endswith("British Time")  # the family's own zone
    assert "looks at first appointments before confirming them" in readable(waiting)
    assert not has_calendar(waiting)
    (request,) = emails_to(mail_to, counselor)
    assert request["Subject"] == "Hearth: an appointment request to approve"
    text = readable(request)
    assert "Okafor household" in text
    assert f"http://localhost/manage/counseling/appointments/{appointment_id}" in text
    assert " Eastern Time" in text  # the counselor's zone
    assert "relapsed" not in text  # the family's note stays in Hearth

    mail_to.clear()
    counseling.approve(appointment_id, counselor, now=utcnow())
    sweep_once()

    (confirmation,) = received(mail_to)
    assert confirmation["To"] == family.email
    assert confirmation["Subject"].startswith("Hearth: your appointment on ")
    event, method = invite_event(confirmation)
    assert method == "REQUEST" and str(event["status"]) == "CONFIRMED"
    assert str(event["uid"]) == uid_of(appointment_id)


def test_declined_request_says_so_and_withdraws_the_held_time(
    mail_to, make_counselor, make_user, db
):
    counselor = make_counselor(approve_first=True)
    family = make_user()
    appointment_id = book(counselor, family)
    sweep_once()
    counseling.decline(appointment_id, counselor, now=utcnow())
    sweep_once()

    _, declined = emails_to(mail_to, family)
    assert declined["Subject"].startswith("Hearth: ")
    assert declined["Subject"].endswith(" is not available")
    text = readable(declined)
    assert "Dr Rivera can't take this appointment" in text and "555-0100" in text
    event, method = invite_event(declined)
    assert method == "CANCEL" and str(event["uid"]) == uid_of(appointment_id)
    assert event["sequence"] == appointment(db, appointment_id).sequence


def test_a_request_decided_before_the_sweep_asks_nobody(mail_to, make_counselor, make_user, db):
    counselor = make_counselor(approve_first=True)
    family = make_user()
    appointment_id = book(counselor, family)
    counseling.approve(appointment_id, counselor, now=utcnow())

    sweep_once()

    assert emails_to(mail_to, counselor) == []
    (confirmation,) = emails_to(mail_to, family)  # no stale "request received" first
    assert has_calendar(confirmation)
    db.session.rollback()
    skipped = db.session.scalars(
        select(OutboxMessage.kind).where(OutboxMessage.status == "cancelled")
    ).all()
    assert sorted(skipped) == [MessageKind.APPROVAL_NEEDED, MessageKind.AWAITING_APPROVAL]


# --- discretion -----------------------------------------------------------------------


def test_appointment_emails_and_feed_titles_are_discreet_unless_the_family_opts_in(
    client, mail_to, make_counselor, make_user, db
):
    counselor = make_counselor(approve_first=True)
    individual = make_counselor(name="Dr Chen", kind=SessionKind.INDIVIDUAL)
    quiet, open_family = make_user(), make_user()
    with write_transaction():
        db.session.get_one(User, open_family.id).descriptive_titles = True
    pending = book(counselor, quiet)  # a request, then declined
    sweep_once()
    counseling.decline(pending, counselor, now=utcnow())
    moved = book(individual, quiet)
    counseling.move(moved, quiet.id, slot_after(individual, 5), now=utcnow())
    counseling.cancel_by_family(moved, quiet.id, now=utcnow())
    book(individual, quiet, 6)
    book(individual, open_family)
    sweep_once()

    discreet = [m for m in received(mail_to) if m["To"] != open_family.email]
    # Request, approval request, declined, 2 confirmed, moved, cancelled, and the
    # counselor told of the cancellation (the notice of the move, older, is not sent).
    assert len(discreet) == 8
    for email in discreet:
        assert not SERVICE_WORDS.search(email["Subject"]), email["Subject"]
        assert not SERVICE_WORDS.search(email["From"])
        for part in email.walk():
            if part.get_content_type() == "text/calendar":
                body = part.get_payload(decode=True)
                assert not any(SERVICE_WORDS.search(s) for s in summaries(body))
                assert PLACE.encode() not in body
    body = private_feed(client, db, quiet).get_data()
    assert summaries(body) and not any(SERVICE_WORDS.search(s) for s in summaries(body))
    # A counselor's own calendar may say what it is, but names no family by default.
    for user in (counselor, individual):
        body = private_feed(client, db, user).get_data()
        assert summaries(body) and all(
            s.removeprefix("Cancelled: ").startswith("Counseling appointment, ")
            for s in summaries(body)
        )
        assert quiet.name.encode() not in body and open_family.name.encode() not in body
    quiet_feed = private_feed(client, db, quiet).get_data()
    assert set(summaries(quiet_feed)) == {"Hearth appointment", "Cancelled: Hearth appointment"}
    assert PLACE.encode() not in quiet_feed  # the place is in Hearth, not in the calendar

    (opted_in,) = emails_to(mail_to, open_family)
    assert opted_in["Subject"].startswith("Hearth: counseling with Dr Chen on ")
    (titled,) = vevents(private_feed(client, db, open_family).get_data()).values()
    assert str(titled["summary"]) == "Counseling with Dr Chen"
    assert str(titled["location"]) == PLACE


def test_family_counseling_title_when_the_family_opts_in(client, make_counselor, make_user, db):
    counselor, family = make_counselor(), make_user()
    with write_transaction():
        db.session.get_one(User, family.id).descriptive_titles = True
    book(counselor, family)
    assert summaries(private_feed(client, db, family).get_data()) == [
        "Family counseling with Dr Rivera"
    ]


# --- versions: ETag and 304 ------------------------------------------------------------


def test_feed_etag_changes_when_an_appointment_moves(client, make_counselor, make_user, db):
    counselor, family = make_counselor(), make_user()
    appointment_id = book(counselor, family)
    paths = [f"/calendar/feeds/{token_of(db, user)}.ics" for user in (family, counselor)]
    etags = [client.get(path).headers["ETag"] for path in paths]
    for path, etag in zip(paths, etags, strict=True):
        assert client.get(path, headers={"If-None-Match": etag}).status_code == 304

    counseling.move(appointment_id, family.id, slot_after(counselor, 5), now=utcnow())

    for path, etag in zip(paths, etags, strict=True):
        response = client.get(path, headers={"If-None-Match": etag})
        assert response.status_code == 200 and response.headers["ETag"] != etag


@pytest.mark.parametrize("change", ["cancel", "new", "link", "place"])
def test_feed_etag_follows_appointment_and_place_changes(
    client, make_counselor, make_user, db, change
):
    counselor = make_counselor(mode=MeetingMode.ONLINE)
    family = make_user()
    appointment_id = book(counselor, family)
    paths = [f"/calendar/feeds/{token_of(db, user)}.ics" for user in (family, counselor)]
    etags = [client.get(path).headers["ETag"] for path in paths]

    now = utcnow()
    if change == "cancel":
        counseling.cancel_by_family(appointment_id, family.id, now=now)
    elif change == "new":
        book(counselor, family, 5)
    else:  # the counselor changes the meeting link, or meets in person from now on
        rules = Rules(open=True, timezone=ZONE, mode=MeetingMode.ONLINE, online_url=MEETING + "9")
        if change == "place":
            rules = Rules(open=True, timezone=ZONE, location="Room 9")
        counseling.save_rules(counselor.id, rules, now=now)

    for path, etag in zip(paths, etags, strict=True):
        response = client.get(path, headers={"If-None-Match": etag})
        assert response.status_code == 200 and response.headers["ETag"] != etag


def test_last_modified_moves_with_an_appointment_change(client, make_counselor, make_user, db):
    counselor, family = make_counselor(), make_user()
    appointment_id = book(counselor, family)
    with later():
        stamp = private_feed(client, db, family).headers["Last-Modified"]
    with later(4):
        counseling.cancel_by_family(appointment_id, family.id, now=utcnow())
    with later(6):
        path = f"/calendar/feeds/{token_of(db, family)}.ics"
        response = client.get(path, headers={"If-Modified-Since": stamp})
    assert response.status_code == 200


def test_304_with_appointments_still_loads_no_events(client, make_counselor, make_user, db):
    counselor, family = make_counselor(), make_user()
    book(counselor, family)
    for user in (family, counselor):
        path = f"/calendar/feeds/{token_of(db, user)}.ics"
        etag = client.get(path).headers["ETag"]
        with counting_queries(db) as statements:
            assert client.get(path, headers={"If-None-Match": etag}).status_code == 304
        # The token lookup, then one primary-key read of counters.
        assert len(statements) == 2 and reads_only_counters(statements[1])


def test_feed_queries_do_not_grow_with_the_number_of_appointments(
    client, make_counselor, make_user, db
):
    counselor, family = make_counselor(max_upcoming=10), make_user()
    book(counselor, family)

    def queries() -> list[int]:
        counts = []
        for user in (family, counselor):
            path = f"/calendar/feeds/{token_of(db, user)}.ics"
            with counting_queries(db) as statements:
                assert client.get(path).status_code == 200
            counts.append(len(statements))
        return counts

    few = queries()
    for skip in range(1, 6):
        book(counselor, family, skip=skip)
        book(counselor, make_user(), skip=skip + 10)
    assert queries() == few


# --- the download ----------------------------------------------------------------------


def test_appointment_download_is_the_familys_only(client, auth, make_counselor, make_user, db):
    counselor, family, stranger = make_counselor(), make_user(), make_user()
    appointment_id = book(counselor, family)
    path = f"/counseling/appointments/{appointment_id}.ics"

    assert client.get(path).status_code == 302
    auth.login(family)
    download = client.get(path)
    assert download.status_code == 200
    assert download.headers["Content-Type"] == "text/calendar; charset=utf-8"
    assert "attachment" in download.headers["Content-Disposition"]
    assert download.headers["Cache-Control"] == "private, no-store"
    body = download.get_data()
    cross_check(body)
    assert list(vevents(body)) == [uid_of(appointment_id)]
    auth.logout()
    auth.login(stranger)
    assert client.get(path).status_code == 404
    assert client.get("/counseling/appointments/999999.ics").status_code == 404
    auth.logout()
    auth.login(counselor)
    assert client.get(path).status_code == 403


# --- reminders -------------------------------------------------------------------------


def test_appointment_reminders_fire_and_stop_after_cancelling(
    mail_to, make_counselor, make_user, db
):
    counselor = make_counselor()
    kept, dropped = make_user(), make_user()
    kept_id = book(counselor, kept, 3)
    dropped_id = book(counselor, dropped, 6)
    counseling.cancel_by_family(dropped_id, dropped.id, now=utcnow())
    sweep_once()  # two confirmations, one cancellation
    mail_to.clear()
    starts_at = appointment(db, kept_id).slot.starts_at
    dropped_at = appointment(db, dropped_id).slot.starts_at

    with time_machine.travel(starts_at - timedelta(hours=48, minutes=1), tick=False):
        assert sweep_once().sent == 0  # one minute early
    with time_machine.travel(starts_at - timedelta(hours=47, minutes=59), tick=False):
        assert sweep_once().sent == 1
        (reminder,) = received(mail_to)
        assert reminder["To"] == kept.email
        assert reminder["Subject"].startswith("Hearth: reminder, your appointment on ")
        assert reminder["List-Unsubscribe"] and not has_calendar(reminder)
        counseling.cancel_by_facilitator(kept_id, counselor, now=utcnow())
        assert sweep_once().sent == 1  # the cancellation
    with time_machine.travel(starts_at - timedelta(hours=1), tick=False):
        assert sweep_once().sent == 0  # the 2-hour reminder was withdrawn
    with time_machine.travel(dropped_at - timedelta(hours=1), tick=False):
        assert sweep_once().sent == 0
    assert [m["Subject"].split(",")[0] for m in received(mail_to)] == [
        "Hearth: reminder",
        "Hearth: cancelled",
    ]


def test_a_reminder_still_queued_for_a_cancelled_appointment_is_not_sent(
    mail_to, make_counselor, make_user, db
):
    counselor, family = make_counselor(), make_user()
    appointment_id = book(counselor, family)
    sweep_once()
    with write_transaction():  # as if the reminders had not been withdrawn with it
        db.session.execute(
            update(Appointment)
            .where(Appointment.id == appointment_id)
            .values(status=AppointmentStatus.CANCELLED)
        )
    starts_at = appointment(db, appointment_id).slot.starts_at

    with time_machine.travel(starts_at - timedelta(hours=1), tick=False):
        assert sweep_once().sent == 0
    db.session.rollback()
    reminders = db.session.scalars(
        select(OutboxMessage.status).where(
            OutboxMessage.appointment_id == appointment_id,
            OutboxMessage.kind == MessageKind.REMINDER,
        )
    ).all()
    assert reminders and set(reminders) == {"cancelled"}


def test_changing_the_place_tells_booked_families_with_an_updated_invite(
    mail_to, make_counselor, make_user, db
):
    counselor, family, untouched = make_counselor(), make_user(), make_user()
    appointment_id = book(counselor, family)
    sweep_once()
    (confirmation,) = emails_to(mail_to, family)
    confirmed, _ = invite_event(confirmation)
    settings = counseling.settings_for(counselor.id)
    rules = Rules(open=True, timezone=ZONE, location="Room 9, 12 Oak Street", contact="555-0100")
    assert settings is not None and settings.location != rules.location

    counseling.save_rules(counselor.id, rules, now=utcnow())
    sweep_once()

    _, notice = emails_to(mail_to, family)
    assert notice["Subject"].startswith("Hearth: new details for your appointment on ")
    assert not SERVICE_WORDS.search(notice["Subject"])
    changed, method = invite_event(notice)
    assert method == "REQUEST"
    assert changed["uid"] == confirmed["uid"] and changed["sequence"] > confirmed["sequence"]
    assert appointment(db, appointment_id).sequence == changed["sequence"]
    assert emails_to(mail_to, untouched) == []

    counseling.save_rules(counselor.id, rules, now=utcnow())  # nothing changed this time
    sweep_once()
    assert len(emails_to(mail_to, family)) == 2


def test_the_counselor_hears_when_a_family_moves_or_cancels(mail_to, make_counselor, make_user, db):
    counselor, family = make_counselor(), make_user(name="Ortiz household")
    appointment_id = book(counselor, family)
    sweep_once()
    assert emails_to(mail_to, counselor) == []  # a plain booking: the calendar shows it

    counseling.move(appointment_id, family.id, slot_after(counselor, 5), now=utcnow())
    sweep_once()
    counseling.cancel_by_family(appointment_id, family.id, now=utcnow())
    sweep_once()

    moved, cancelled = emails_to(mail_to, counselor)
    assert moved["Subject"] == "Hearth: an appointment moved"
    assert "Ortiz household moved their appointment with you. It is now on" in readable(moved)
    assert cancelled["Subject"] == "Hearth: an appointment was cancelled"
    assert f"/manage/counseling/appointments/{appointment_id}" in readable(cancelled)
    assert not has_calendar(moved) and not has_calendar(cancelled)


def test_a_counselors_own_cancellation_does_not_email_the_counselor(
    mail_to, make_counselor, make_user, db
):
    counselor, family = make_counselor(), make_user()
    appointment_id = book(counselor, family)
    counseling.cancel_by_facilitator(appointment_id, counselor, now=utcnow())
    sweep_once()

    assert emails_to(mail_to, counselor) == []
    assert emails_to(mail_to, family)[-1]["Subject"].startswith("Hearth: cancelled, ")
