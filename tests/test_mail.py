"""The mail layer: building messages, the file mailbox, and SMTP against a real server."""

from __future__ import annotations

import re
import smtplib
import ssl
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import parsedate_to_datetime
from pathlib import Path

import pytest
from icalendar import Calendar

from scheduler.ics import CalendarEvent, CalendarInfo, EventStatus, build_calendar
from scheduler.mail import (
    FileTransport,
    Message,
    SMTPTransport,
    build_email,
    message_id,
    transport_from_config,
)
from tests.support.ics_checks import mechanical_checks, with_icalendar, with_vobject
from tests.support.smtp import LocalCA, SMTPServer

SENDER = "Hearth <no-reply@hearth.example.org>"
DOMAIN = "hearth.example.org"
FAMILY = "family@example.org"
SENT_AT = datetime(2025, 3, 1, 14, 30, tzinfo=UTC)


def event(method: str = "REQUEST", *, sequence: int = 0) -> CalendarEvent:
    starts = datetime(2025, 3, 4, 23, 0, tzinfo=UTC)
    return CalendarEvent(
        uid="booking-12@hearth.example.org",
        sequence=sequence,
        starts_at=starts,
        ends_at=starts + timedelta(minutes=90),
        timezone="America/New_York",
        summary="Hearth: your appointment",
        description="Manage reminders: https://hearth.example.org/account",
        location="Room 1",
        url="https://hearth.example.org/bookings",
        status=EventStatus.CANCELLED if method == "CANCEL" else EventStatus.CONFIRMED,
        last_modified=SENT_AT,
    )


def invite(method: str = "REQUEST", *, attendee: str | None = None, sequence: int = 0) -> bytes:
    """Return a one-event calendar as scheduler.ics builds it, optionally naming an attendee."""
    body = build_calendar([event(method, sequence=sequence)], CalendarInfo("Hearth", method=method))
    if attendee is None:
        return body
    calendar = Calendar.from_ical(body)
    for vevent in calendar.walk("VEVENT"):
        vevent.add("attendee", f"mailto:{attendee}")
    return calendar.to_ical()


def message(**changes: object) -> Message:
    base = Message(
        key="confirmed:booking:12:1",
        to=FAMILY,
        subject="Hearth: your appointment on Tue 4 Mar at 6:00 PM EST",
        text="Your place is booked.\n\nManage reminders: https://hearth.example.org/account\n",
        html="<p>Your place is booked.</p>",
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def build(msg: Message | None = None, **kwargs: object) -> EmailMessage:
    options: dict[str, object] = {"sender": SENDER, "domain": DOMAIN, "date": SENT_AT}
    options.update(kwargs)
    return build_email(msg or message(), **options)  # type: ignore[arg-type]


def reparse(email: EmailMessage) -> EmailMessage:
    """Serialise and parse again, as a receiving client would."""
    return BytesParser(policy=policy.default).parsebytes(email.as_bytes())  # type: ignore[return-value]


def structure(email: EmailMessage) -> list[str]:
    return [part.get_content_type() for part in email.walk()]


def calendar_alternative(email: EmailMessage) -> EmailMessage:
    (part,) = [p for p in email.walk() if p.get_content_type() == "text/calendar"]
    return part  # type: ignore[return-value]


def invite_attachment(email: EmailMessage) -> EmailMessage:
    (part,) = list(email.iter_attachments())
    return part  # type: ignore[return-value]


# --- build_email: body parts ---------------------------------------------------------


def test_a_plain_message_is_text_and_html_alternatives_with_html_preferred() -> None:
    email = reparse(build())

    assert structure(email) == ["multipart/alternative", "text/plain", "text/html"]
    assert email.get_body(("plain",)).get_content() == message().text  # type: ignore[union-attr]
    assert email.get_body(("html",)).get_content().strip() == message().html  # type: ignore[union-attr]
    assert list(email.iter_attachments()) == []


def test_text_parts_declare_utf8() -> None:
    email = reparse(build())

    for part in email.walk():
        if part.get_content_maintype() == "text":
            assert part.get_content_charset() == "utf-8"


def test_non_ascii_bodies_travel_as_quoted_printable_and_read_back_exactly() -> None:
    text = "Votre place est réservée — à mardi.\n"
    html = "<p>Votre place est réservée — à mardi.</p>"
    built = build(message(text=text, html=html))
    raw = built.as_bytes()
    email = reparse(built)

    assert raw.isascii(), "the message must pass servers without 8BITMIME"
    assert email.get_body(("plain",))["Content-Transfer-Encoding"] == "quoted-printable"  # type: ignore[index]
    assert email.get_body(("plain",)).get_content() == text  # type: ignore[union-attr]
    assert email.get_body(("html",)).get_content().strip() == html  # type: ignore[union-attr]


def test_mime_version_is_declared_once_on_the_message_only() -> None:
    raw = build(message(ics=invite(), ics_method="REQUEST")).as_bytes()

    assert raw.count(b"MIME-Version: 1.0") == 1


# --- build_email: headers ------------------------------------------------------------


def test_headers_name_the_sender_the_one_recipient_the_subject_and_the_date() -> None:
    email = reparse(build())

    assert email["From"] == SENDER
    assert email["To"] == FAMILY
    assert email["Subject"] == message().subject
    assert parsedate_to_datetime(email["Date"]) == SENT_AT
    assert "Cc" not in email and "Bcc" not in email


def test_date_is_written_in_utc_whatever_zone_it_was_given_in() -> None:
    eastern = SENT_AT.astimezone(timezone(timedelta(hours=-5)))

    email = reparse(build(date=eastern))

    assert email["Date"].endswith("+0000")
    assert parsedate_to_datetime(email["Date"]) == SENT_AT


def test_date_defaults_to_now() -> None:
    before = datetime.now(UTC).replace(microsecond=0)

    email = build_email(message(), sender=SENDER, domain=DOMAIN)

    assert before <= parsedate_to_datetime(email["Date"]) <= datetime.now(UTC)


def test_a_naive_date_is_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        build(date=datetime(2025, 3, 1, 14, 30))


def test_mail_is_marked_auto_submitted_so_no_auto_reply_comes_back() -> None:
    assert build()["Auto-Submitted"] == "auto-generated"


def test_message_id_is_derived_from_the_outbox_key_at_the_given_domain() -> None:
    email = build()

    assert re.fullmatch(r"<[0-9a-f]{32}@hearth\.example\.org>", email["Message-ID"])
    assert email["Message-ID"] == message_id("confirmed:booking:12:1", DOMAIN)


def test_a_resend_of_the_same_row_carries_the_same_message_id() -> None:
    first = build(date=SENT_AT)
    resend = build(date=SENT_AT + timedelta(hours=2))

    assert first["Message-ID"] == resend["Message-ID"]


def test_different_rows_get_different_message_ids() -> None:
    ids = {
        build(message(key=key))["Message-ID"]
        for key in ("confirmed:booking:12:1", "confirmed:booking:12:2", "reminder:booking:12:48h")
    }

    assert len(ids) == 3


@pytest.mark.parametrize("domain", ["", "exa mple.org", "example.org>", "<x@y>", "example.org\r\n"])
def test_a_domain_that_is_not_a_host_name_is_refused(domain: str) -> None:
    with pytest.raises(ValueError):
        build(domain=domain)


def test_an_empty_key_is_refused() -> None:
    with pytest.raises(ValueError, match="key"):
        build(message(key=""))


def test_non_ascii_subject_and_sender_name_are_encoded_and_read_back_exactly() -> None:
    subject = (
        "Hearth : votre rendez-vous du mardi 4 mars à 18 h 00 (heure de l\u2019Est) — à bientôt"
    )
    sender = "Hearth Ünïcode Équipe <no-reply@hearth.example.org>"
    built = build(message(subject=subject), sender=sender)
    raw = built.as_bytes()
    email = reparse(built)

    head = raw.split(b"\n\n", 1)[0]
    assert head.isascii()
    assert b"=?utf-8?" in head  # RFC 2047 encoded words
    assert max(len(line) for line in head.splitlines()) <= 78
    assert email["Subject"] == subject
    assert email["From"].addresses[0].display_name == "Hearth Ünïcode Équipe"
    assert email["From"].addresses[0].addr_spec == "no-reply@hearth.example.org"


def test_a_sender_name_with_a_comma_stays_one_sender() -> None:
    email = reparse(build(sender='"Hearth, Springfield" <no-reply@hearth.example.org>'))

    (address,) = email["From"].addresses
    assert address.display_name == "Hearth, Springfield"


# --- build_email: header injection and addresses -------------------------------------


@pytest.mark.parametrize(
    "field",
    [
        {"subject": "Hello\r\nBcc: everyone@example.org"},
        {"subject": "Hello\nBcc: everyone@example.org"},
        {"subject": "Hello\rBcc: everyone@example.org"},
        {"subject": "Hello\x00"},
        {"subject": "Hello\u2028Bcc: everyone@example.org"},
        {"to": "family@example.org\r\nBcc: everyone@example.org"},
        {"to": "family@example.org\nCc: everyone@example.org"},
        {"list_unsubscribe": "https://hearth.example.org/u\r\nBcc: everyone@example.org"},
    ],
    ids=lambda field: repr(next(iter(field.values()))),
)
def test_line_breaks_in_any_header_value_are_refused(field: dict[str, str]) -> None:
    with pytest.raises(ValueError, match="line breaks"):
        build(message(**field))


@pytest.mark.parametrize(
    "sender",
    ["Hearth <no-reply@hearth.example.org>\r\nBcc: everyone@example.org", "Hearth\n<a@b.org>"],
)
def test_line_breaks_in_the_sender_are_refused(sender: str) -> None:
    with pytest.raises(ValueError, match="line breaks"):
        build(sender=sender)


@pytest.mark.parametrize(
    "to",
    [
        "",
        "family@example.org, other@example.org",
        "family@example.org; other@example.org",
        "Family <family@example.org>",
        "not-an-address",
        "@example.org",
        "family@",
    ],
)
def test_the_recipient_must_be_exactly_one_bare_address(to: str) -> None:
    with pytest.raises(ValueError, match="one email address"):
        build(message(to=to))


@pytest.mark.parametrize(
    "sender", ["", "Hearth", "a@b.org, c@d.org", "Hearth <a@b.org>, Other <c@d.org>"]
)
def test_the_sender_must_be_exactly_one_address(sender: str) -> None:
    with pytest.raises(ValueError, match="sender"):
        build(sender=sender)


# --- build_email: Reply-To ----------------------------------------------------------


def test_mail_without_a_reply_to_answers_the_sender() -> None:
    assert "Reply-To" not in build()


def test_a_reply_to_names_one_address_and_adds_no_recipient() -> None:
    email = reparse(build(message(reply_to="Maya Ruiz <maya.ruiz@example.org>")))

    assert email["Reply-To"].addresses[0].addr_spec == "maya.ruiz@example.org"
    assert email["Reply-To"].addresses[0].display_name == "Maya Ruiz"
    assert email["To"] == FAMILY
    assert "Cc" not in email and "Bcc" not in email


@pytest.mark.parametrize(
    "reply_to",
    [
        "",
        "Maya",
        "maya@example.org, other@example.org",
        "Maya <maya@example.org>, Other <other@example.org>",
        "mayá@example.org",
    ],
)
def test_a_reply_to_must_be_exactly_one_ascii_address(reply_to: str) -> None:
    with pytest.raises(ValueError, match="Reply-To"):
        build(message(reply_to=reply_to))


@pytest.mark.parametrize(
    "reply_to", ["maya@example.org\r\nBcc: everyone@example.org", "Maya\n<maya@example.org>"]
)
def test_line_breaks_in_a_reply_to_are_refused(reply_to: str) -> None:
    with pytest.raises(ValueError, match="line breaks"):
        build(message(reply_to=reply_to))


# --- build_email: List-Unsubscribe ---------------------------------------------------


def test_a_reminder_offers_one_click_unsubscribe() -> None:
    url = "https://hearth.example.org/reminders/unsubscribe/abc123"

    email = reparse(build(message(list_unsubscribe=url)))

    assert email["List-Unsubscribe"] == f"<{url}>"
    assert email["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_mail_without_an_unsubscribe_url_has_no_list_headers() -> None:
    email = build()

    assert "List-Unsubscribe" not in email
    assert "List-Unsubscribe-Post" not in email


def test_a_long_unsubscribe_url_is_written_verbatim_not_as_encoded_words() -> None:
    url = "https://hearth.example.org/account/reminders/unsubscribe/" + "Zx9_-" * 20

    raw = build(message(list_unsubscribe=url)).as_bytes()
    email = BytesParser(policy=policy.default).parsebytes(raw)

    assert b"=?" not in raw.split(b"\n\n", 1)[0]
    assert url.encode() in raw
    assert str(email["List-Unsubscribe"]).strip() == f"<{url}>"


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "hearth.example.org/unsubscribe",
        "https://hearth.example.org/a b",
        "https://hearth.example.org/a>, <mailto:x@y.org",
        "",
    ],
)
def test_list_unsubscribe_must_be_one_http_url(url: str) -> None:
    with pytest.raises(ValueError, match="List-Unsubscribe"):
        build(message(list_unsubscribe=url))


# --- build_email: calendar invites ---------------------------------------------------


def test_an_invite_is_the_last_alternative_and_an_invite_ics_attachment() -> None:
    email = reparse(build(message(ics=invite(), ics_method="REQUEST")))

    assert structure(email) == [
        "multipart/mixed",
        "multipart/alternative",
        "text/plain",
        "text/html",
        "text/calendar",
        "application/ics",
    ]
    attachment = invite_attachment(email)
    assert attachment.get_filename() == "invite.ics"
    assert attachment.get_content_disposition() == "attachment"
    assert calendar_alternative(email).get_content_disposition() is None


@pytest.mark.parametrize("method", ["REQUEST", "CANCEL", "PUBLISH"])
def test_the_calendar_part_names_charset_and_method_as_outlook_and_google_write_them(
    method: str,
) -> None:
    raw = build(message(ics=invite(method), ics_method=method)).as_bytes()
    email = BytesParser(policy=policy.default).parsebytes(raw)

    assert f"Content-Type: text/calendar; charset=utf-8; method={method}".encode() in raw
    part = calendar_alternative(email)
    assert part.get_param("method") == method
    assert part.get_content_charset() == "utf-8"
    assert part["Content-Transfer-Encoding"] == "base64"


@pytest.mark.parametrize("method", ["REQUEST", "CANCEL", "PUBLISH"])
def test_the_calendar_bytes_arrive_unchanged_and_parse_with_independent_parsers(
    method: str,
) -> None:
    ics = invite(method, sequence=3)
    email = reparse(build(message(ics=ics, ics_method=method)))

    for part in (calendar_alternative(email), invite_attachment(email)):
        body = part.get_payload(decode=True)
        assert body == ics  # CRLF and 75-octet folding survive (base64)
        mechanical_checks(body)
        assert with_icalendar(body) == with_vobject(body)
        calendar = Calendar.from_ical(body)
        assert str(calendar["METHOD"]) == method
        (event,) = calendar.walk("VEVENT")
        assert str(event["UID"]) == "booking-12@hearth.example.org"
        assert int(event["SEQUENCE"]) == 3


@pytest.mark.parametrize(
    ("inside", "declared"), [("REQUEST", "CANCEL"), ("CANCEL", "REQUEST"), ("PUBLISH", "REQUEST")]
)
def test_a_calendar_whose_method_differs_from_the_declared_one_is_refused(
    inside: str, declared: str
) -> None:
    with pytest.raises(ValueError, match="differs"):
        build(message(ics=invite(inside), ics_method=declared))


@pytest.mark.parametrize("method", ["request", "REPLY", "COUNTER", ""])
def test_only_the_methods_hearth_sends_are_accepted(method: str) -> None:
    with pytest.raises(ValueError, match="method"):
        build(message(ics=invite(), ics_method=method))


def test_a_calendar_without_a_declared_method_is_refused() -> None:
    with pytest.raises(ValueError, match="both"):
        build(message(ics=invite()))


def test_a_declared_method_without_a_calendar_is_refused() -> None:
    with pytest.raises(ValueError, match="both"):
        build(message(ics_method="REQUEST"))


@pytest.mark.parametrize(
    "ics",
    [b"not a calendar", b"BEGIN:VEVENT\r\nUID:x\r\nEND:VEVENT\r\n", b"\xff\xfeBEGIN:VCALENDAR"],
)
def test_a_calendar_part_that_does_not_parse_is_refused(ics: bytes) -> None:
    with pytest.raises(ValueError):
        build(message(ics=ics, ics_method="REQUEST"))


def test_an_invite_may_name_its_recipient_as_the_attendee() -> None:
    email = reparse(build(message(ics=invite(attendee=FAMILY.upper()), ics_method="REQUEST")))

    calendar = Calendar.from_ical(calendar_alternative(email).get_payload(decode=True))
    (event,) = calendar.walk("VEVENT")
    assert str(event["ATTENDEE"]) == f"mailto:{FAMILY.upper()}"


@pytest.mark.parametrize("method", ["REQUEST", "CANCEL"])
def test_an_invite_from_the_ics_builder_with_organizer_and_attendee_is_accepted(
    method: str,
) -> None:
    item = replace(event(method), organizer="no-reply@hearth.example.org", attendee=FAMILY)
    ics = build_calendar([item], CalendarInfo("Hearth", method=method))

    email = reparse(build(message(ics=ics, ics_method=method)))

    assert calendar_alternative(email).get_payload(decode=True) == ics


def test_an_invite_naming_anyone_but_the_recipient_is_refused() -> None:
    with pytest.raises(ValueError, match="attendee other than the recipient"):
        build(message(ics=invite(attendee="another.family@example.org"), ics_method="REQUEST"))


# --- FileTransport ------------------------------------------------------------------


def test_the_file_mailbox_writes_one_eml_per_message_named_after_its_message_id(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "instance" / "mail"  # does not exist yet
    emails = [build(message(key=f"reminder:booking:{n}:2h")) for n in range(3)]

    with FileTransport(folder) as transport:
        for email in emails:
            transport.send(email)

    names = sorted(path.name for path in folder.iterdir())
    expected = sorted(email["Message-ID"].strip("<>") + ".eml" for email in emails)
    assert names == expected


def test_an_eml_file_reads_back_with_the_email_parser(tmp_path: Path) -> None:
    ics = invite()
    email = build(
        message(ics=ics, ics_method="REQUEST", subject="Hearth : à mardi", list_unsubscribe=None)
    )

    with FileTransport(tmp_path) as transport:
        transport.send(email)

    (path,) = tmp_path.iterdir()
    raw = path.read_bytes()
    stored = BytesParser(policy=policy.default).parsebytes(raw)
    assert stored["Message-ID"] == email["Message-ID"]
    assert stored["Subject"] == "Hearth : à mardi"
    assert stored["To"] == FAMILY
    assert stored.get_body(("plain",)).get_content() == message().text  # type: ignore[union-attr]
    assert calendar_alternative(stored).get_payload(decode=True) == ics  # type: ignore[arg-type]


def test_resending_the_same_row_overwrites_its_file_instead_of_adding_one(
    tmp_path: Path,
) -> None:
    with FileTransport(tmp_path) as transport:
        transport.send(build(date=SENT_AT))
        transport.send(build(date=SENT_AT + timedelta(minutes=5)))

    (path,) = tmp_path.iterdir()
    stored = BytesParser(policy=policy.default).parsebytes(path.read_bytes())
    assert parsedate_to_datetime(stored["Date"]) == SENT_AT + timedelta(minutes=5)


def test_the_file_mailbox_leaves_no_partial_files(tmp_path: Path) -> None:
    with FileTransport(tmp_path) as transport:
        transport.send(build())

    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_the_file_mailbox_refuses_an_email_without_message_id(tmp_path: Path) -> None:
    email = build()
    del email["Message-ID"]

    with FileTransport(tmp_path) as transport, pytest.raises(ValueError, match="Message-ID"):
        transport.send(email)


def test_a_hostile_message_id_cannot_write_outside_the_folder(tmp_path: Path) -> None:
    folder = tmp_path / "mail"
    email = build()
    email.replace_header("Message-ID", "<../../escape@example.org>")

    with FileTransport(folder) as transport:
        transport.send(email)

    assert [p.parent for p in tmp_path.rglob("*.eml")] == [folder]


# --- SMTPTransport against a real server --------------------------------------------


def smtp(server: SMTPServer, **options: object) -> SMTPTransport:
    settings: dict[str, object] = {"security": "none", "timeout": 5.0}
    settings.update(options)
    return SMTPTransport(server.host, server.port, **settings)  # type: ignore[arg-type]


def reminders(count: int) -> list[EmailMessage]:
    return [
        build(message(key=f"reminder:booking:{n}:2h", to=f"family{n}@example.org"))
        for n in range(count)
    ]


def test_several_messages_travel_over_one_connection(smtp_server: SMTPServer) -> None:
    emails = reminders(5)

    with smtp(smtp_server) as transport:
        for email in emails:
            transport.send(email)

    assert smtp_server.connections == 1
    assert len({received.connection for received in smtp_server.messages}) == 1
    assert [r.message["Message-ID"] for r in smtp_server.messages] == [
        e["Message-ID"] for e in emails
    ]


def test_the_envelope_names_the_sender_address_and_the_one_recipient(
    smtp_server: SMTPServer,
) -> None:
    with smtp(smtp_server) as transport:
        transport.send(build())

    (received,) = smtp_server.messages
    assert received.mail_from == "no-reply@hearth.example.org"
    assert received.rcpt_tos == [FAMILY]


def test_an_invite_arrives_with_its_calendar_part_intact(smtp_server: SMTPServer) -> None:
    ics = invite("CANCEL", sequence=2)
    email = build(message(ics=ics, ics_method="CANCEL"))

    with smtp(smtp_server) as transport:
        transport.send(email)

    (received,) = smtp_server.messages
    assert received.message["Subject"] == message().subject
    assert received.message["Message-ID"] == email["Message-ID"]
    part = calendar_alternative(received.message)
    assert part.get_param("method") == "CANCEL"
    assert part.get_payload(decode=True) == ics
    assert invite_attachment(received.message).get_payload(decode=True) == ics


def test_each_with_block_opens_one_connection_and_closes_it(smtp_server: SMTPServer) -> None:
    for _ in range(3):
        with smtp(smtp_server) as transport:
            transport.send(build())

    assert smtp_server.connections == 3
    assert smtp_server.wait_all_closed()


def test_an_empty_sweep_still_connects_and_hangs_up_cleanly(smtp_server: SMTPServer) -> None:
    with smtp(smtp_server):
        pass

    assert smtp_server.connections == 1
    assert smtp_server.wait_all_closed()
    assert smtp_server.messages == []


@pytest.mark.parametrize(
    "goodbye", [None, "421 4.4.2 hearth-test Error: timeout exceeded"], ids=["silent", "421"]
)
def test_a_connection_the_server_dropped_between_messages_is_reopened_once(
    smtp_server: SMTPServer, goodbye: str | None
) -> None:
    first, second, third = reminders(3)

    with smtp(smtp_server) as transport:
        transport.send(first)
        smtp_server.drop_connections(reply=goodbye)  # idle timeout, server restart ...
        transport.send(second)
        transport.send(third)

    assert [r.message["Message-ID"] for r in smtp_server.messages] == [
        first["Message-ID"],
        second["Message-ID"],
        third["Message-ID"],
    ]
    assert smtp_server.connections == 2
    before, after, again = (received.connection for received in smtp_server.messages)
    assert before != after == again


def test_a_stopped_server_raises_a_connection_error_the_caller_can_catch(
    smtp_server: SMTPServer,
) -> None:
    smtp_server.stop()

    with pytest.raises(OSError), smtp(smtp_server):
        pytest.fail("the with block must not be entered")


def test_a_server_going_down_mid_sweep_fails_that_send_and_a_later_send_reconnects(
    smtp_server: SMTPServer,
) -> None:
    first, second, third = reminders(3)

    with smtp(smtp_server) as transport:
        transport.send(first)
        smtp_server.stop()
        with pytest.raises((smtplib.SMTPException, OSError)):
            transport.send(second)  # the dispatcher keeps this row pending and retries it
        smtp_server.start()
        transport.send(third)

    assert [r.message["Message-ID"] for r in smtp_server.messages] == [
        first["Message-ID"],
        third["Message-ID"],
    ]


def test_the_connection_is_closed_when_the_with_block_raises(smtp_server: SMTPServer) -> None:
    with pytest.raises(RuntimeError, match="dispatcher bug"), smtp(smtp_server) as transport:
        transport.send(build())
        raise RuntimeError("dispatcher bug")

    assert smtp_server.wait_all_closed()
    assert len(smtp_server.messages) == 1


def test_a_refused_recipient_raises_and_the_connection_carries_on(
    smtp_server: SMTPServer,
) -> None:
    refused = build(message(key="confirmed:booking:13:1", to="gone@refused.example"))

    with smtp(smtp_server) as transport:
        with pytest.raises(smtplib.SMTPRecipientsRefused):
            transport.send(refused)
        transport.send(build())

    assert [r.rcpt_tos for r in smtp_server.messages] == [[FAMILY]]
    assert smtp_server.connections == 1


def test_credentials_are_used_to_log_in_when_a_username_is_set(smtp_server: SMTPServer) -> None:
    with smtp(smtp_server, username=SMTPServer.USERNAME, password=SMTPServer.PASSWORD) as transport:
        transport.send(build())

    (received,) = smtp_server.messages
    assert received.login == SMTPServer.USERNAME


def test_no_login_is_attempted_without_a_username(smtp_server: SMTPServer) -> None:
    with smtp(smtp_server) as transport:
        transport.send(build())

    assert smtp_server.messages[0].login is None


def test_a_wrong_password_raises_and_leaves_no_connection_open(smtp_server: SMTPServer) -> None:
    with (
        pytest.raises(smtplib.SMTPAuthenticationError),
        smtp(smtp_server, username=SMTPServer.USERNAME, password="wrong"),
    ):
        pytest.fail("the with block must not be entered")

    assert smtp_server.wait_all_closed()


def test_starttls_refuses_to_go_on_in_clear_text_when_the_server_offers_no_tls(
    smtp_server: SMTPServer,
) -> None:
    with pytest.raises(smtplib.SMTPNotSupportedError), smtp(smtp_server, security="starttls"):
        pytest.fail("the with block must not be entered")

    assert smtp_server.wait_all_closed()
    assert smtp_server.messages == []


def test_implicit_tls_against_a_clear_text_server_fails_and_leaves_nothing_open(
    smtp_server: SMTPServer,
) -> None:
    with pytest.raises(ssl.SSLError), smtp(smtp_server, security="ssl"):
        pytest.fail("the with block must not be entered")

    assert smtp_server.wait_all_closed()


@pytest.mark.parametrize("security", ["starttls", "ssl"])
def test_tls_modes_deliver_encrypted_after_checking_the_certificate(
    make_tls_smtp_server: Callable[[str], SMTPServer], trust_test_ca: LocalCA, security: str
) -> None:
    server = make_tls_smtp_server(security)

    with smtp(
        server, security=security, username=SMTPServer.USERNAME, password=SMTPServer.PASSWORD
    ) as transport:
        transport.send(build())
        transport.send(build(message(key="reminder:booking:12:2h")))

    assert [(r.encrypted, r.login) for r in server.messages] == [(True, SMTPServer.USERNAME)] * 2
    assert server.connections == 1


@pytest.mark.parametrize("security", ["starttls", "ssl"])
def test_a_certificate_no_trusted_authority_signed_is_refused(
    make_tls_smtp_server: Callable[[str], SMTPServer], security: str
) -> None:
    server = make_tls_smtp_server(security)

    with pytest.raises(ssl.SSLCertVerificationError), smtp(server, security=security):
        pytest.fail("the with block must not be entered")

    assert server.wait_all_closed()
    assert server.messages == []


def test_a_server_that_requires_starttls_refuses_clear_text(
    make_tls_smtp_server: Callable[[str], SMTPServer],
) -> None:
    server = make_tls_smtp_server("starttls")

    with pytest.raises(smtplib.SMTPException), smtp(server, security="none") as transport:
        transport.send(build())

    assert server.messages == []


def test_sending_outside_a_with_block_is_refused(smtp_server: SMTPServer) -> None:
    transport = smtp(smtp_server)

    with pytest.raises(RuntimeError, match="with"):
        transport.send(build())

    assert smtp_server.connections == 0


def test_an_unknown_security_mode_is_refused() -> None:
    with pytest.raises(ValueError, match="SMTP_SECURITY"):
        SMTPTransport("localhost", 25, security="tls")


# --- transport_from_config ----------------------------------------------------------


def test_without_smtp_host_mail_goes_to_the_instance_mail_folder(tmp_path: Path) -> None:
    transport = transport_from_config({"SMTP_HOST": ""}, str(tmp_path))

    assert isinstance(transport, FileTransport)
    assert transport.folder == tmp_path / "mail"


def test_with_smtp_host_the_smtp_settings_are_used(tmp_path: Path) -> None:
    config = {
        "SMTP_HOST": "smtp.example.org",
        "SMTP_PORT": 2525,
        "SMTP_USERNAME": "hearth",
        "SMTP_PASSWORD": "secret",
        "SMTP_SECURITY": "ssl",
    }

    transport = transport_from_config(config, str(tmp_path))

    assert isinstance(transport, SMTPTransport)
    assert (transport.host, transport.port) == ("smtp.example.org", 2525)
    assert (transport.username, transport.password) == ("hearth", "secret")
    assert transport.security == "ssl"


@pytest.mark.parametrize(("security", "port"), [("starttls", 587), ("ssl", 465), ("none", 25)])
def test_without_smtp_port_the_port_follows_the_security_mode(
    tmp_path: Path, security: str, port: int
) -> None:
    config = {"SMTP_HOST": "smtp.example.org", "SMTP_SECURITY": security}

    transport = transport_from_config(config, str(tmp_path))

    assert isinstance(transport, SMTPTransport)
    assert transport.port == port


def test_an_unknown_smtp_security_setting_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="SMTP_SECURITY"):
        transport_from_config({"SMTP_HOST": "smtp.example.org", "SMTP_SECURITY": "tls"}, "")


def test_the_configured_transport_delivers_to_the_real_server(
    smtp_server: SMTPServer, tmp_path: Path
) -> None:
    config = {"SMTP_HOST": smtp_server.host, "SMTP_PORT": smtp_server.port, "SMTP_SECURITY": "none"}

    with transport_from_config(config, str(tmp_path)) as transport:
        transport.send(build())

    assert len(smtp_server.messages) == 1
    assert not (tmp_path / "mail").exists()
