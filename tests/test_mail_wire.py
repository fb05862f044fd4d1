"""wire_email writes, byte for byte, what smtplib sends for build_email's message."""

from __future__ import annotations

import random
import smtplib
import sys
from dataclasses import replace
from datetime import UTC, datetime
from email.generator import BytesGenerator
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import getaddresses
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scheduler.mail import FileTransport, Message, WireEmail, build_email, wire_email
from scheduler.mail.mime import PLAIN_ADDRESS
from scheduler.mail.wire import _boundary
from tests.support.smtp import SMTPServer
from tests.test_mail import DOMAIN, FAMILY, SENDER, SENT_AT, invite, message, smtp

INVITES = [invite("REQUEST"), invite("CANCEL"), invite("REQUEST", attendee=FAMILY)]
SENDERS = [
    SENDER,
    "no-reply@hearth.example.org",
    '"Hearth, the scheduler" <no-reply@hearth.example.org>',
    "Hérth Scheduler <no-reply@hearth.example.org>",
]
DOMAINS = [DOMAIN, "localhost", "a" * 40 + ".example.org"]
#: Header text that is almost plain: the cases a fast path could get wrong.
TRICKY = st.sampled_from(
    ["", " ", "  ", "=?utf-8?q?x?=", "=?", "?=", "(", ")", '"', "\\", ",", ";", ":", "<", ">",
     "@", "\t", "é", "—", "\u00a0", "x" * 80, "Hearth:", "a  b", " lead", "trail "]
)  # fmt: skip
HEADER_TEXT = st.lists(st.one_of(TRICKY, st.text(max_size=12)), max_size=8).map("".join)


class CapturingSMTP(smtplib.SMTP):
    """smtplib's send_message with no server: keeps the envelope and the bytes it sends."""

    def __init__(self) -> None:
        super().__init__()
        self.sent: list[tuple[str, list[str], bytes]] = []

    def ehlo_or_helo_if_needed(self) -> None:
        pass

    def sendmail(self, from_addr: str, to_addrs: Any, msg: Any, *args: Any, **kw: Any) -> dict:  # type: ignore[override]
        self.sent.append((from_addr, list(to_addrs), msg))
        return {}


def sent_by_smtplib(email: EmailMessage) -> tuple[str, list[str], bytes]:
    connection = CapturingSMTP()
    connection.send_message(email)
    (sent,) = connection.sent
    return sent


def assert_same_as_build_email(msg: Message, sender: str, domain: str, date: datetime) -> None:
    options: dict[str, Any] = {"sender": sender, "domain": domain, "date": date}
    try:
        reference = build_email(msg, **options)
    except ValueError as error:
        with pytest.raises(ValueError) as refused:
            wire_email(msg, **options)
        assert str(refused.value) == str(error)
        return
    seed = random.randrange(2**32)
    random.seed(seed)  # the boundaries: drawn while flattening, in the same order
    try:
        expected = sent_by_smtplib(reference)
    except smtplib.SMTPNotSupportedError:  # needs SMTPUTF8: smtplib's own path
        assert isinstance(wire_email(msg, **options), EmailMessage)
        return
    except UnicodeEncodeError:  # build_email let a non-ASCII List-Unsubscribe URL through
        with pytest.raises(UnicodeEncodeError):
            wire_email(msg, **options)
        return
    random.seed(seed)
    wired = wire_email(msg, **options)
    assert isinstance(wired, WireEmail)
    assert (wired.sender, [wired.recipient], wired.data) == expected
    assert wired.message_id == reference["Message-ID"]
    random.seed(seed)
    assert wired.as_bytes() == build_email(msg, **options).as_bytes()  # the file mailbox's


@settings(max_examples=100, deadline=None)
@given(
    subject=st.one_of(HEADER_TEXT, st.text(max_size=120)),
    to=st.one_of(st.emails(), st.from_regex(PLAIN_ADDRESS, fullmatch=True), HEADER_TEXT),
    text=st.one_of(st.text(), st.text(alphabet=st.sampled_from("ab .=\r\n-é")), HEADER_TEXT),
    html=st.text(),
    unsubscribe=st.one_of(st.none(), st.text(max_size=90).map("https://example.org/".__add__)),
    reply_to=st.one_of(
        st.none(), st.emails(), HEADER_TEXT.map(lambda name: f"{name} <maya@example.org>")
    ),
    calendar=st.one_of(st.none(), st.sampled_from(INVITES)),
    sender=st.sampled_from(SENDERS),
    domain=st.sampled_from(DOMAINS),
    date=st.datetimes(timezones=st.sampled_from([UTC, datetime.now().astimezone().tzinfo])),
)
def test_wire_email_sends_the_bytes_smtplib_flattens_build_emails_message_to(
    subject: str,
    to: str,
    text: str,
    html: str,
    unsubscribe: str | None,
    reply_to: str | None,
    calendar: bytes | None,
    sender: str,
    domain: str,
    date: datetime,
) -> None:
    msg = message(
        subject=subject,
        to=to,
        text=text,
        html=html,
        list_unsubscribe=unsubscribe,
        reply_to=reply_to,
    )
    if calendar is not None:
        method = "CANCEL" if b"METHOD:CANCEL" in calendar else "REQUEST"
        msg = replace(msg, ics=calendar, ics_method=method)
    assert_same_as_build_email(msg, sender, domain, date)


@pytest.mark.parametrize(
    "changes",
    [
        {},
        {"list_unsubscribe": "https://hearth.example.org/unsubscribe/12/" + "t" * 43},
        {"ics": invite("REQUEST"), "ics_method": "REQUEST"},
        {"ics": invite("CANCEL"), "ics_method": "CANCEL", "list_unsubscribe": "http://x/y"},
        {"subject": "Hearth: reminder, your appointment on Tue 4 Mar at 6:00 PM EST, " * 2},
        {"subject": "Hearth : à mardi", "text": "Caf\u00e9 \u2014 " * 40, "html": "x" * 100},
        {"to": '"a b"@example.org'},
        {"reply_to": "maya@example.org"},
        {"reply_to": "Maya Ruiz <maya.ruiz@example.org>"},
        {"reply_to": '"Núñez-Ortega, María José (facilitadora)" <maria.jose@example.org>'},
        {"reply_to": "Daniel <" + "d" * 60 + "@community-centre.example.org>"},
    ],
)
def test_the_messages_hearth_sends_are_the_same_bytes(changes: dict[str, Any]) -> None:
    assert_same_as_build_email(message(**changes), SENDER, DOMAIN, SENT_AT)


@pytest.mark.parametrize("line", ["--{b}", "--{b}--", "x\n--{b}", "--{b}\r\n--{b}.0"])
def test_boundaries_are_drawn_as_the_generator_draws_them_and_kept_out_of_the_text(
    line: str,
) -> None:
    random.seed(7)
    drawn = "=" * 15 + f"{random.randrange(sys.maxsize):019d}" + "=="
    text = f"before\n{line.format(b=drawn)}\nafter"
    random.seed(7)
    expected = BytesGenerator._make_boundary(text.encode())  # type: ignore[attr-defined]
    random.seed(7)
    assert _boundary(text) == expected
    assert expected.startswith(drawn)


@settings(max_examples=100, deadline=None)
@given(address=st.from_regex(PLAIN_ADDRESS, fullmatch=True))
def test_a_plain_address_is_what_parsing_it_gives_back(address: str) -> None:
    parsed = Address(addr_spec=address)
    assert parsed.username and parsed.domain
    assert parsed.addr_spec == address
    assert getaddresses([address]) == [("", address)]


def test_an_address_that_needs_smtputf8_goes_as_an_email_message() -> None:
    msg = message(to="family@b\u00fccher.example")
    try:
        build_email(msg, sender=SENDER, domain=DOMAIN, date=SENT_AT)
    except ValueError:
        pytest.skip("this Python refuses the address outright")
    assert isinstance(wire_email(msg, sender=SENDER, domain=DOMAIN, date=SENT_AT), EmailMessage)


def test_the_file_mailbox_writes_a_wire_email_as_it_writes_the_email_message(
    tmp_path: Path,
) -> None:
    msg = message(ics=invite(), ics_method="REQUEST")
    random.seed(3)
    reference = build_email(msg, sender=SENDER, domain=DOMAIN, date=SENT_AT)
    with FileTransport(tmp_path / "reference") as transport:
        transport.send(reference)
    random.seed(3)
    wired = wire_email(msg, sender=SENDER, domain=DOMAIN, date=SENT_AT)
    with FileTransport(tmp_path / "wire") as transport:
        transport.send(wired)  # type: ignore[arg-type]

    (expected,) = (tmp_path / "reference").iterdir()
    (written,) = (tmp_path / "wire").iterdir()
    assert written.name == expected.name
    assert written.read_bytes() == expected.read_bytes()


def test_smtp_delivers_a_wire_email_with_its_envelope(smtp_server: SMTPServer) -> None:
    wired = wire_email(message(), sender=SENDER, domain=DOMAIN, date=SENT_AT)
    assert isinstance(wired, WireEmail)

    with smtp(smtp_server) as transport:
        transport.send(wired)

    (received,) = smtp_server.messages
    assert received.mail_from == "no-reply@hearth.example.org"
    assert received.rcpt_tos == [FAMILY]
    assert received.message["Message-ID"] == wired.message_id
