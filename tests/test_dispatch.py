"""The dispatcher over a real SMTP server: once each, on time, discreet, with invites."""

from __future__ import annotations

from datetime import timedelta

import icalendar
import time_machine

from scheduler.database import write_transaction
from scheduler.jobs import sweep_once
from scheduler.models import Role, User
from scheduler.services import accounts, feeds, series
from scheduler.services.booking import cancel_booking
from scheduler.services.dispatch import MAX_ATTEMPTS, retry_delay
from scheduler.services.series import Scope
from scheduler.timeutil import utcnow, wall_time
from tests.support.ics_checks import cross_check
from tests.support.mail import SERVICE_WORDS, calendar_part, outbox, received


def test_confirmation_goes_out_once_over_smtp(mail_to, make_workshop, make_booking, db):
    booking = make_booking(make_workshop().sessions[0].id)

    first = sweep_once()
    second = sweep_once()

    assert (first.sent, second.sent) == (1, 0)  # reminders are not due yet
    (email,) = received(mail_to)
    family = db.session.get_one(User, booking.family_id)
    assert email["To"] == family.email
    assert email["Subject"].startswith("Hearth: your appointment on ")
    assert outbox(db, booking_id=booking.id, kind="confirmed")[0].status == "sent"


def test_confirmation_invite_matches_the_feed_and_cancellation_cancels_it(
    mail_to, make_workshop, make_booking, make_user, db
):
    family = make_user()
    booking = make_booking(make_workshop().sessions[0].id, family=family)
    sweep_once()
    cancel_booking(booking.id, family.id, now=utcnow())
    sweep_once()

    confirmation, cancellation = received(mail_to)
    invite, method = calendar_part(confirmation)
    assert method == "REQUEST"
    cross_check(invite)
    event = icalendar.Calendar.from_ical(invite).walk("VEVENT")[0]
    assert str(icalendar.Calendar.from_ical(invite)["method"]) == "REQUEST"
    assert str(event["attendee"]).lower() == f"mailto:{family.email}"
    db.session.rollback()
    token = feeds.feed_token(db.session.get_one(User, family.id))
    assert token  # the same UID as in the family's private feed
    assert str(event["uid"]) == f"booking-{booking.id}@localhost"

    cancel_invite, cancel_method = calendar_part(cancellation)
    cancelled = icalendar.Calendar.from_ical(cancel_invite).walk("VEVENT")[0]
    assert cancel_method == "CANCEL"
    assert str(icalendar.Calendar.from_ical(cancel_invite)["method"]) == "CANCEL"
    assert cancelled["uid"] == event["uid"] and cancelled["sequence"] > event["sequence"]


def test_reminders_go_out_at_their_time_and_not_after_cancelling(
    mail_to, make_workshop, make_booking, make_user, db
):
    session = make_workshop().sessions[0]
    kept, dropped = make_user(), make_user()
    make_booking(session.id, family=kept)
    gone = make_booking(session.id, family=dropped)
    sweep_once()  # the confirmations
    cancel_booking(gone.id, dropped.id, now=utcnow())
    sweep_once()  # the cancellation
    mail_to.messages.clear()

    with time_machine.travel(session.starts_at - timedelta(hours=48, minutes=1), tick=False):
        assert sweep_once().sent == 0  # one minute early
    with time_machine.travel(session.starts_at - timedelta(hours=47, minutes=59), tick=False):
        assert sweep_once().sent == 1
    with time_machine.travel(session.starts_at - timedelta(hours=1), tick=False):
        assert sweep_once().sent == 1

    assert [m["To"] for m in received(mail_to)] == [kept.email, kept.email]
    assert all("reminder" in m["Subject"] for m in received(mail_to))
    assert all(m["List-Unsubscribe"] for m in received(mail_to))


def test_rescheduled_session_moves_its_reminders(mail_to, make_workshop, make_booking, db):
    session = make_workshop().sessions[0]
    original = session.starts_at  # the ORM object follows the change; keep the old time
    make_booking(session.id)
    later = wall_time(original, "America/New_York") + timedelta(days=3)
    series.reschedule(
        session.id, new_start=later, duration_minutes=90, scope=Scope.ONE, now=utcnow()
    )
    sweep_once()  # confirmation and the change notice
    mail_to.messages.clear()

    with time_machine.travel(original - timedelta(hours=1), tick=False):
        assert sweep_once().sent == 0  # the old time brings nothing
    moved = original + timedelta(days=3)
    with time_machine.travel(moved - timedelta(hours=1), tick=False):
        assert sweep_once().sent == 2  # both reminders, at the new time


def test_server_down_keeps_mail_pending_and_it_arrives_once_back(
    mail_to, make_workshop, make_booking, db
):
    for _ in range(3):
        make_booking(make_workshop().sessions[0].id)
    mail_to.stop()
    try:
        result = sweep_once()
    finally:
        mail_to.start()
    assert result.sent == 0
    rows = outbox(db, kind="confirmed")
    assert all(r.status == "pending" for r in rows)
    assert max(r.attempts for r in rows) == 1 and rows[0].last_error

    assert sweep_once().sent == 2  # the two never tried go now; the failed one waits
    with time_machine.travel(utcnow() + retry_delay(1) + timedelta(seconds=1), tick=False):
        assert sweep_once().sent == 1
    assert len(received(mail_to)) == 3
    assert len({m["Message-ID"] for m in received(mail_to)}) == 3


def test_retry_delays_grow_and_end_in_failed(app, make_workshop, make_booking, db):
    assert [retry_delay(n) for n in (1, 2, 3)] == [
        timedelta(minutes=1),
        timedelta(minutes=2),
        timedelta(minutes=4),
    ]
    assert retry_delay(20) == timedelta(hours=6)
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=1, SMTP_SECURITY="none")  # nobody there
    make_booking(make_workshop().sessions[0].id)
    moment = utcnow()
    for _ in range(MAX_ATTEMPTS):
        with time_machine.travel(moment, tick=False):
            sweep_once()
        moment += timedelta(hours=7)
    (row,) = outbox(db, kind="confirmed")
    assert (row.status, row.attempts) == ("failed", MAX_ATTEMPTS)


def test_subjects_and_sender_are_discreet_unless_the_family_opts_in(
    mail_to, make_workshop, make_booking, make_user, db
):
    owner = make_user(Role.FACILITATOR)
    workshop = make_workshop(
        facilitator=owner, title="Addiction recovery education", capacity=1, weeks=2
    )
    quiet, open_family, waiting = make_user(), make_user(), make_user()
    accounts.set_language(waiting.id, "es")  # discreet in Spanish too
    with write_transaction():
        db.session.get_one(User, open_family.id).descriptive_titles = True
    make_booking(workshop.sessions[0].id, family=quiet)
    make_booking(workshop.sessions[1].id, family=open_family)
    make_booking(workshop.sessions[0].id, family=waiting, join_waitlist=True)
    series.reschedule(
        workshop.sessions[0].id,
        new_start=wall_time(workshop.sessions[0].starts_at, "America/New_York")
        + timedelta(hours=1),
        duration_minutes=90,
        scope=Scope.ONE,
        now=utcnow(),
    )
    sweep_once()  # the new time goes out before the session is cancelled
    series.cancel_sessions(workshop.sessions[0].id, scope=Scope.ONE, now=utcnow())
    sweep_once()

    emails = received(mail_to)
    discreet = [m for m in emails if m["To"] != open_family.email]
    assert len(discreet) >= 5
    for email in discreet:
        assert not SERVICE_WORDS.search(email["Subject"]), email["Subject"]
        assert not SERVICE_WORDS.search(email["From"])
        invite = [p for p in email.walk() if p.get_content_type() == "text/calendar"]
        for part in invite:
            for event in icalendar.Calendar.from_ical(part.get_payload(decode=True)).walk("VEVENT"):
                assert not SERVICE_WORDS.search(str(event["summary"]))
    (opted_in,) = [m for m in emails if m["To"] == open_family.email]
    assert "Addiction recovery education" in opted_in["Subject"]


def test_without_smtp_host_mail_lands_in_the_file_mailbox(
    app, make_workshop, make_booking, tmp_path
):
    app.config["SMTP_HOST"] = ""
    app.instance_path = str(tmp_path)
    make_booking(make_workshop().sessions[0].id)
    assert sweep_once().sent == 1
    files = list((tmp_path / "mail").glob("*.eml"))
    assert len(files) == 1 and b"Subject: Hearth:" in files[0].read_bytes()


def test_send_due_command_prints_the_count(app, mail_to, make_workshop, make_booking):
    make_booking(make_workshop().sessions[0].id)
    result = app.test_cli_runner().invoke(args=["reminders", "send-due"])
    assert result.exit_code == 0 and result.output.startswith("1 sent")


def test_in_process_dispatcher_starts_only_for_flask_run(app, monkeypatch):
    import click

    from scheduler.jobs import runs_in_this_process

    app.config["SCHEDULER_IN_PROCESS"] = True
    assert not runs_in_this_process(app)  # no command: imported by gunicorn or a script
    run = click.Command("run", params=[click.Option(["--reload/--no-reload"], default=None)])
    with click.Context(run, info_name="run") as context:
        context.params["reload"] = False
        assert runs_in_this_process(app)
        context.params["reload"] = True  # the reloader's watching parent: not there
        monkeypatch.delenv("WERKZEUG_RUN_MAIN", raising=False)
        assert not runs_in_this_process(app)
        monkeypatch.setenv("WERKZEUG_RUN_MAIN", "true")  # its serving child: there
        assert runs_in_this_process(app)
    with click.Context(click.Command("upgrade"), info_name="upgrade"):
        assert not runs_in_this_process(app)
    app.config["SCHEDULER_IN_PROCESS"] = False
    with click.Context(run, info_name="run") as context:
        context.params["reload"] = False
        assert not runs_in_this_process(app)


def test_admins_see_failed_and_retrying_mail(
    app, client, auth, make_user, make_workshop, make_booking, db
):
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=1, SMTP_SECURITY="none")  # nobody there
    make_booking(make_workshop().sessions[0].id)
    sweep_once()
    auth.login(make_user(Role.ADMIN))
    page = client.get("/admin/outbox").get_data(as_text=True)
    assert "confirmed #" in page and "ConnectionRefusedError" in page
    assert "<strong>3</strong> pending" in page  # the retrying confirmation and 2 reminders
