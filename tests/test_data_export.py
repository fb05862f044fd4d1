"""Issue 18's export: a family downloads everything Hearth holds about it, and nothing of
anyone else, as one zip built once by the dispatcher and offered by a link that expires."""

from __future__ import annotations

import csv
import io
import json
import smtplib
import zipfile
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage

import pytest
import time_machine
from sqlalchemy import select, update

from scheduler.csvexport import CsvWords
from scheduler.database import write_transaction
from scheduler.jobs import sweep_once
from scheduler.models import (
    AuditEvent,
    DataExport,
    DataExportStatus,
    MessageKind,
    OutboxMessage,
    OutboxStatus,
    Role,
    User,
    WorkshopSession,
)
from scheduler.services import accounts, data_export, group_messages, letters, rosters
from scheduler.services.booking import Needs
from scheduler.services.dispatch import send_due
from scheduler.services.group_messages import Draft
from scheduler.timeutil import utcnow
from tests.support.app import AuthActions
from tests.support.attendance import mark_appointment, mark_booking
from tests.support.counseling import book
from tests.support.ics_checks import cross_check
from tests.support.mail import SERVICE_WORDS, link_in, outbox

START = datetime(2027, 3, 1, 15, 0, tzinfo=UTC)
#: The series' first evening, New York time (UTC-5 in early March).
FIRST = datetime(2027, 3, 8, 18, 0)
SUBJECT = "Hearth: the copy you asked for is ready"

ALVAREZ_NEEDS = Needs(
    accessibility_needs="Step-free access for Rosa Alvarez",
    childcare_needed=True,
    interpreter_language="Portuguese",
    notes="Our son comes straight from school",
)
ALVAREZ_NOTE = "We would like to talk about the holidays"
GROUP_WORDS = "The hall is closed on Monday; we meet in Room 12."
#: Everything of the Brennans' that must never be in the Alvarez family's zip.
BRENNAN_NAME = "Siobhan Brennan-Okafor"
BRENNAN_EMAIL = "siobhan.private@example.net"
BRENNAN_NEEDS = Needs(
    accessibility_needs="Hearing loop for Siobhan",
    interpreter_language="Irish",
    notes="Brennan private note about court",
)
BRENNAN_NOTE = "Brennan counseling note"
BRENNAN_SECRETS = (
    BRENNAN_NAME,
    BRENNAN_EMAIL,
    BRENNAN_NEEDS.accessibility_needs,
    BRENNAN_NEEDS.notes,
    BRENNAN_NOTE,
)


def email_text(email: object) -> str:
    """What a transport was given, as text (wire bytes, or a message object)."""
    data = getattr(email, "data", None)
    text = data.decode() if isinstance(data, bytes) else str(email)
    return text.replace("=\r\n", "")  # quoted-printable soft line breaks


@dataclass
class World:
    alvarez: User
    brennan: User
    maya: User
    sessions: list[WorkshopSession]
    #: The Alvarez bookings: the first session (marked attended), the second (needs, notes).
    attended: int
    with_needs: int
    appointment: int
    letter_code: str
    clock: time_machine.Coordinates


@pytest.fixture
def world(make_user, make_workshop, make_booking, make_counselor):
    """Two families in one series and with one counselor, after the first session."""
    with time_machine.travel(START, tick=False) as clock:
        maya = make_user(Role.FACILITATOR, name="Maya Ruiz")
        workshop = make_workshop(facilitator=maya, capacity=8, weeks=2, start=FIRST)
        alvarez = make_user(name="Alvarez household", email="alvarez@example.org", verified=True)
        brennan = make_user(name=BRENNAN_NAME, email=BRENNAN_EMAIL, verified=True)
        first, second = workshop.sessions
        attended = make_booking(first.id, family=alvarez, seats=2)
        with_needs = make_booking(second.id, family=alvarez, needs=ALVAREZ_NEEDS)
        theirs = make_booking(first.id, family=brennan, needs=BRENNAN_NEEDS)
        make_booking(second.id, family=brennan, needs=BRENNAN_NEEDS)
        counselor = make_counselor(name="Dr Rivera")
        appointment = book(counselor, alvarez, days=3, note=ALVAREZ_NOTE)
        book(counselor, brennan, days=3, skip=1, note=BRENNAN_NOTE)
        group_messages.send(
            workshop.id, Draft(session_id=None, subject="", body=GROUP_WORDS), maya.id, now=utcnow()
        )
        rosters.build_roster(first, maya, action="roster.view", now=utcnow())

        clock.move_to(first.starts_at + timedelta(minutes=5))
        mark_booking(attended.id, now=utcnow())
        mark_booking(theirs.id, now=utcnow())
        mark_appointment(appointment, now=utcnow())
        clock.move_to(first.ends_at + timedelta(hours=1))
        letter = letters.issue(alvarez.id, session_ids=[first.id], wording="discreet", now=utcnow())
        yield World(
            alvarez=alvarez,
            brennan=brennan,
            maya=maya,
            sessions=[first, second],
            attended=attended.id,
            with_needs=with_needs.id,
            appointment=appointment,
            letter_code=letter.code,
            clock=clock,
        )


def _signed_in(app, user: User):
    client = app.test_client()
    assert AuthActions(client).login(user).status_code == 303
    return client


def _ready_email(mail_to, user: User) -> EmailMessage:
    found = [
        m.message
        for m in mail_to.messages
        if m.rcpt_tos == [user.email] and SUBJECT in m.raw.decode()
    ]
    assert len(found) == 1, f"{len(found)} copies of the ready email"
    return found[0]


def _files(body: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(body)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def _export(db, user: User) -> DataExport:
    db.session.rollback()
    return db.session.scalars(
        select(DataExport).where(DataExport.household_id == user.id).order_by(DataExport.id)
    ).all()[-1]


def test_a_familys_zip_holds_everything_about_it_and_nothing_of_another_family(
    app, db, mail_to, world
):
    alvarez = _signed_in(app, world.alvarez)

    asked = alvarez.post("/account/export")
    waiting = alvarez.get("/account").get_data(as_text=True)
    sweep_once()

    assert asked.status_code == 303
    assert "We are making your copy." in waiting
    email = _ready_email(mail_to, world.alvarez)
    assert email["Subject"] == SUBJECT and not SERVICE_WORDS.search(email["Subject"])
    response = alvarez.get(link_in(email, "/account/export"))
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/zip"
    assert response.headers["Content-Disposition"].startswith('attachment; filename="hearth-')
    assert response.headers["Cache-Control"] == "no-store"
    files = _files(response.data)
    assert list(files) == ["README.txt", "data.json", "bookings.csv", "calendar.ics"]
    everything = b"".join(files.values())
    for secret in BRENNAN_SECRETS:
        assert secret.encode() not in everything, secret
        assert secret.lower().encode() not in everything.lower(), secret

    data = json.loads(files["data.json"])
    assert data["account"]["name"] == "Alvarez household"
    assert data["account"]["email"] == "alvarez@example.org"
    assert data["account"]["timezone"] == "America/New_York"
    assert "no copy of the emails' text" in data["about"]
    attended, with_needs = data["bookings"]
    assert attended["attendance"] == "attended" and attended["seats"] == 2
    assert attended["starts_at"] == "2027-03-08T18:00:00-05:00"
    assert attended["timezone"] == "America/New_York"
    assert with_needs["accessibility_needs"] == ALVAREZ_NEEDS.accessibility_needs
    assert with_needs["notes"] == ALVAREZ_NEEDS.notes
    assert with_needs["childcare_needed"] is True
    assert with_needs["interpreter_language"] == "Portuguese"
    assert with_needs["attendance"] is None
    (appointment,) = data["counseling_appointments"]
    assert appointment["counselor"] == "Dr Rivera" and appointment["note"] == ALVAREZ_NOTE
    assert appointment["attendance"] == "attended"
    (letter,) = data["proof_letters"]
    assert letter["code"] == world.letter_code and letter["revoked"] is False
    assert any("Alvarez household attended 1 of" in line for line in letter["states"])
    (message,) = data["messages_received"]
    assert message["body"] == GROUP_WORDS and message["author"] == "Maya Ruiz"
    kinds = [row["kind"] for row in data["email_log"]]
    assert MessageKind.CONFIRMED in kinds and MessageKind.DATA_EXPORT in kinds
    assert all(row["due_at"].endswith(("-05:00", "-04:00")) for row in data["email_log"])
    trail = [(e["by"], e["action"], e["about"]) for e in data["audit_entries"]]
    assert ("Maya Ruiz", "roster.view", f"session:{world.sessions[0].id}") in trail
    assert ("Alvarez household", "data.export_requested", f"user:{world.alvarez.id}") in trail
    assert all(e["at"][-6] in "+-" for e in data["audit_entries"])  # ISO 8601, with its offset

    header, *rows = list(csv.reader(io.StringIO(files["bookings.csv"].decode("utf-8-sig"))))
    assert header[0] == "Workshop" and len(rows) == 2
    assert ALVAREZ_NEEDS.notes in rows[1]

    instants = cross_check(files["calendar.ics"])
    uids = {instant.uid.split("@")[0] for instant in instants}
    assert uids == {
        f"booking-{world.attended}",
        f"booking-{world.with_needs}",
        f"appointment-{world.appointment}",
    }
    assert "data.json" in files["README.txt"].decode()


def test_the_copy_is_built_and_mailed_once_however_often_the_dispatcher_runs(
    app, db, mail_to, world
):
    alvarez = _signed_in(app, world.alvarez)
    alvarez.post("/account/export")

    sweep_once()
    built = _export(db, world.alvarez)
    sweep_once()
    world.clock.shift(timedelta(minutes=5))
    sweep_once()

    _ready_email(mail_to, world.alvarez)
    (row,) = outbox(db, kind=MessageKind.DATA_EXPORT)
    assert row.status == "sent" and row.data_export_id == built.id
    again = _export(db, world.alvarez)
    assert again.id == built.id and again.ready_at == built.ready_at
    assert again.status == DataExportStatus.READY and again.size == len(again.content or b"")


class _RefusesOnce:
    """A mail server that refuses the first message, then takes the rest."""

    def __init__(self) -> None:
        self.sent: list[object] = []
        self.refused = False

    def send(self, email: object) -> None:
        if not self.refused:
            self.refused = True
            raise smtplib.SMTPDataError(451, b"try again later")
        self.sent.append(email)


def test_a_failed_send_is_retried_with_the_same_copy_and_link(app, db, world):
    with write_transaction() as transaction:  # the other emails went out long ago
        transaction.execute(update(OutboxMessage).values(status=OutboxStatus.SENT))
    data_export.request_export(world.alvarez.id, utcnow())
    transport = _RefusesOnce()

    first = send_due(transport, now=utcnow())
    built = _export(db, world.alvarez)
    world.clock.shift(timedelta(hours=1))
    send_due(transport, now=utcnow())

    assert first.failed == 1 and built.status == DataExportStatus.READY
    again = _export(db, world.alvarez)
    assert (again.ready_at, again.content) == (built.ready_at, built.content)
    (row,) = outbox(db, kind=MessageKind.DATA_EXPORT)
    assert (row.status, row.attempts) == ("sent", 2)
    (email,) = transport.sent
    assert data_export.token(again) in email_text(email)


def test_the_link_works_until_data_export_hours_then_says_the_copy_expired(app, db, mail_to, world):
    alvarez = _signed_in(app, world.alvarez)
    alvarez.post("/account/export")
    sweep_once()
    link = link_in(_ready_email(mail_to, world.alvarez), "/account/export")

    world.clock.shift(timedelta(hours=47, minutes=59))
    still = alvarez.get(link)
    world.clock.shift(timedelta(minutes=1))
    gone = alvarez.get(link)
    dropped = data_export.expire_due(utcnow())

    assert still.status_code == 200
    assert gone.status_code == 410
    assert "expired" in gone.get_data(as_text=True)
    assert dropped == 1
    export = _export(db, world.alvarez)
    assert export.status == DataExportStatus.EXPIRED and export.content is None
    assert "Your last copy was deleted" in alvarez.get("/account").get_data(as_text=True)


def test_only_its_family_signed_in_with_the_link_opens_a_copy(app, db, mail_to, world):
    alvarez = _signed_in(app, world.alvarez)
    alvarez.post("/account/export")
    sweep_once()
    link = link_in(_ready_email(mail_to, world.alvarez), "/account/export")
    export = _export(db, world.alvarez)
    wrong_token = f"/account/export/{export.id}/{'0' * len(data_export.token(export))}.zip"

    # Nobody signed in: asked to log in, then sent to the copy's page (no token on the way).
    anonymous = app.test_client().get(link)
    assert anonymous.status_code == 302
    assert anonymous.headers["Location"] == "/login?next=/account/export"
    assert _signed_in(app, world.brennan).get(link).status_code == 404
    assert _signed_in(app, world.maya).get(link).status_code == 404
    assert alvarez.get(wrong_token).status_code == 404
    assert alvarez.get(f"/account/export/{export.id + 1}/x.zip").status_code == 404
    assert alvarez.get(link).status_code == 200


def test_requesting_and_downloading_are_audited(app, db, mail_to, world):
    alvarez = _signed_in(app, world.alvarez)
    alvarez.post("/account/export")
    sweep_once()
    alvarez.get(link_in(_ready_email(mail_to, world.alvarez), "/account/export"))

    db.session.rollback()
    trail = db.session.execute(
        select(AuditEvent.actor_id, AuditEvent.action, AuditEvent.subject).where(
            AuditEvent.action.like("data.%")
        )
    ).all()
    mine = (world.alvarez.id, f"user:{world.alvarez.id}")
    assert [(a, action, s) for a, action, s in trail] == [
        (mine[0], "data.export_requested", mine[1]),
        (mine[0], "data.export_downloaded", mine[1]),
    ]


def test_one_request_at_a_time_and_a_new_copy_replaces_the_ready_one(app, db, mail_to, world):
    alvarez = _signed_in(app, world.alvarez)

    first = alvarez.post("/account/export")
    twice = alvarez.post("/account/export")
    sweep_once()
    old_link = link_in(_ready_email(mail_to, world.alvarez), "/account/export")
    ready = alvarez.get("/account").get_data(as_text=True)
    renewed = alvarez.post("/account/export")

    assert (first.status_code, twice.status_code) == (303, 409)
    assert "We are still making the copy you asked for." in twice.get_data(as_text=True)
    assert "Download my copy (zip)" in ready and old_link in ready
    assert renewed.status_code == 303
    assert alvarez.get(old_link).status_code == 410
    assert len(outbox(db, kind=MessageKind.DATA_EXPORT)) == 2


def test_asking_for_copies_is_rate_limited_per_family(make_app, world):
    app = make_app(RATELIMIT_ENABLED=True, RATELIMIT_DATA_EXPORT="2 per day")
    client = _signed_in(app, world.alvarez)

    answers = [client.post("/account/export").status_code for _ in range(3)]

    assert answers == [303, 409, 429]


def test_the_copy_and_its_email_are_in_the_familys_language(app, db, mail_to, world):
    accounts.set_language(world.alvarez.id, "es")
    data_export.request_export(world.alvarez.id, utcnow())
    sweep_once()
    export = _export(db, world.alvarez)
    files = _files(export.content or b"")

    subjects = [
        m.message["Subject"] for m in mail_to.messages if m.rcpt_tos == [world.alvarez.email]
    ]
    assert "Hearth: la copia que pidió está lista" in subjects
    assert files["README.txt"].decode().startswith("Su información en Hearth")
    header = files["bookings.csv"].decode("utf-8-sig").splitlines()[0]
    assert header.startswith("Taller,Empieza,Termina,Zona horaria")
    assert json.loads(files["data.json"])["about"].startswith("Esto es todo lo que Hearth guarda")


def test_the_zip_builder_is_pure_and_keeps_spreadsheets_from_running_cells():
    contents = data_export.Contents(
        data={"account": {"name": "Zoë Alvarez"}},
        booking_rows=[['=HYPERLINK("http://evil")', True, "+1 note"]],
        csv_words=CsvWords(header=("Workshop", "Childcare", "Notes"), yes="sí", no="no"),
        events=[],
        readme="Your information\n\ndata.json: everything",
    )
    made = datetime(2027, 3, 9, 12, 0, tzinfo=UTC)

    body = data_export.zip_bytes(contents, made_at=made)

    assert body == data_export.zip_bytes(contents, made_at=made)  # the same bytes each time
    files = _files(body)
    assert json.loads(files["data.json"]) == {"account": {"name": "Zoë Alvarez"}}
    rows = list(csv.reader(io.StringIO(files["bookings.csv"].decode("utf-8-sig"))))
    assert rows == [
        ["Workshop", "Childcare", "Notes"],
        ['\'=HYPERLINK("http://evil")', "sí", "'+1 note"],
    ]
    assert files["README.txt"] == b"Your information\r\n\r\ndata.json: everything"
    assert files["calendar.ics"].startswith(b"BEGIN:VCALENDAR\r\n")
