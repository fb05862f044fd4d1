"""Build one email per recipient: text and HTML, and a calendar invite when it carries one.

Calendar invites follow the layout Google Calendar sends and nodemailer copies (its
``icalEvent`` option): the ``text/calendar; method=...`` part is the last alternative
of the body, which is what Gmail, Outlook and Apple Mail read to show an invitation,
and the same bytes ride along as an ``invite.ics`` attachment (``application/ics``,
so no client sees two calendar parts) for clients that only offer "open attachment".
"""

from __future__ import annotations

import functools
import hashlib
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from email import policy as email_policy
from email.errors import HeaderParseError
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import Policy
from email.utils import format_datetime
from typing import Final

from icalendar import Calendar

#: iTIP methods Hearth sends (RFC 5546): invitations, cancellations, plain publication.
ICS_METHODS: Final = frozenset({"REQUEST", "CANCEL", "PUBLISH"})
#: File name of the calendar attachment, as Google Calendar and nodemailer name it.
INVITE_FILENAME: Final = "invite.ics"

#: The email package's standard policy: 78-character lines, RFC 2047 for non-ASCII headers.
POLICY: Final = email_policy.default
#: RFC 5322 asks for lines of at most 78 characters; longer text goes quoted-printable.
MAX_LINE: Final = 78
_HOSTNAME = re.compile(
    r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*"
)
_URL = re.compile(r"https?://[^\s<>,\"]+")
#: An address that parses back to itself: a dot-atom local part of common characters at a
#: dot-atom domain. Most addresses are like this and skip the parser (tests prove it).
PLAIN_ADDRESS: Final = re.compile(
    r"[A-Za-z0-9_+-]+(?:\.[A-Za-z0-9_+-]+)*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*"
)


@dataclass(frozen=True)
class Message:
    """One email to one person, as the outbox describes it."""

    #: Idempotency key of the outbox row, e.g. ``"confirmed:booking:12:1"``.
    key: str
    #: One recipient address; never a list.
    to: str
    subject: str
    #: Plain-text body.
    text: str
    #: HTML body.
    html: str
    #: Calendar part built by :mod:`scheduler.ics`.
    ics: bytes | None = None
    #: ``"REQUEST"``, ``"CANCEL"`` or ``"PUBLISH"``; must equal the METHOD inside ``ics``.
    ics_method: str | None = None
    #: URL for ``List-Unsubscribe`` (reminders).
    list_unsubscribe: str | None = None
    #: One address replies go to (``Reply-To``), when not the no-reply sender: a
    #: facilitator who chose to hear back from the families they wrote to.
    reply_to: str | None = None


class _VerbatimHeader(str):
    """A header value written exactly as given.

    The email package folds a long unbroken value (an unsubscribe URL) into RFC 2047
    encoded words, which no client decodes in ``List-Unsubscribe``; and it quotes every
    MIME parameter, where Outlook and Google write ``method=REQUEST`` bare. Header
    objects with a ``name`` and a ``fold()`` are stored and written unchanged (see
    ``EmailPolicy.header_store_parse``).
    """

    name: str

    def __new__(cls, name: str, value: str) -> _VerbatimHeader:
        header = super().__new__(cls, value)
        header.name = name
        return header

    def fold(self, *, policy: Policy) -> str:
        linesep = policy.linesep
        if len(self.name) + 2 + len(self) <= MAX_LINE:
            return f"{self.name}: {self}{linesep}"
        # Folding whitespace is allowed before the value (RFC 2369 section 2).
        return f"{self.name}:{linesep} {self}{linesep}"


def message_id(key: str, domain: str) -> str:
    """Return the Message-ID of an outbox row: the same key always gives the same ID."""
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]
    return f"<{digest}@{domain}>"


@dataclass(frozen=True)
class Checked:
    """What :func:`check` found sendable: the recipient's address, the Date, the invite."""

    recipient: str
    #: The Date header's moment, in UTC.
    date: datetime
    #: The iTIP method of the calendar part, or None without one.
    invite: str | None


def check(message: Message, *, sender: str, domain: str, date: datetime | None = None) -> Checked:
    """Refuse a message that can't be sent as it is (ValueError), before building it."""
    for name, value in (
        ("key", message.key),
        ("recipient", message.to),
        ("subject", message.subject),
        ("sender", sender),
        ("domain", domain),
    ):
        _refuse_line_breaks(name, value)
    if not message.key:
        raise ValueError("a message needs the idempotency key of its outbox row")
    if not _HOSTNAME.fullmatch(domain):
        raise ValueError(f"not a host name for Message-ID: {domain!r}")
    recipient = _recipient(message.to)
    moment = date or datetime.now(UTC)
    if moment.tzinfo is None:
        raise ValueError("the Date of an email must be an aware datetime")
    _sender(sender)
    if message.reply_to is not None:
        _reply_to(message.reply_to)
    if message.list_unsubscribe is not None:
        _refuse_line_breaks("List-Unsubscribe URL", message.list_unsubscribe)
        if not _URL.fullmatch(message.list_unsubscribe):
            raise ValueError("List-Unsubscribe needs one http(s) URL")
    invite = None
    if message.ics is not None or message.ics_method is not None:
        invite = _check_invite(message, recipient)
    return Checked(recipient, moment.astimezone(UTC), invite)


def build_email(
    message: Message, *, sender: str, domain: str, date: datetime | None = None
) -> EmailMessage:
    """Return the MIME message for ``message``: text and HTML, plus an invite when given."""
    checked = check(message, sender=sender, domain=domain, date=date)
    email = EmailMessage(policy=POLICY)
    email["From"] = sender
    email["To"] = checked.recipient
    if message.reply_to is not None:
        email["Reply-To"] = message.reply_to
    email["Subject"] = message.subject
    email["Date"] = format_datetime(checked.date)
    email["Message-ID"] = message_id(message.key, domain)
    if message.list_unsubscribe is not None:
        email["List-Unsubscribe"] = _VerbatimHeader(
            "List-Unsubscribe", f"<{message.list_unsubscribe}>"
        )
        # RFC 8058 one-click: mail clients unsubscribe with a POST, no page to visit.
        email["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    # RFC 3834: no vacation notices or auto-replies back to a no-reply address.
    email["Auto-Submitted"] = "auto-generated"

    email.set_content(message.text, subtype="plain", charset="utf-8", cte=body_cte(message.text))
    email.add_alternative(message.html, subtype="html", charset="utf-8", cte=body_cte(message.html))
    if checked.invite is not None:
        assert message.ics is not None  # check() refuses a method without a calendar
        _add_invite(email, message.ics, checked.invite)
    for part in email.walk():
        if part is not email:
            del part["MIME-Version"]  # belongs on the message only
    return email


def _refuse_line_breaks(name: str, value: str) -> None:
    # A CR or LF in a header value would start a new header (Bcc:, say): header injection.
    if any(char in value for char in "\r\n\0") or len(value.splitlines()) > 1:
        raise ValueError(f"line breaks are not allowed in the {name}: {value!r}")


def _recipient(to: str) -> str:
    if PLAIN_ADDRESS.fullmatch(to):
        return to  # what parsing would give back (tested): skip the parser
    try:
        address = Address(addr_spec=to.strip())
    except (ValueError, IndexError, HeaderParseError) as error:
        raise ValueError(f"not one email address: {to!r}") from error
    if not address.username or not address.domain:
        raise ValueError(f"not one email address: {to!r}")
    return address.addr_spec


@functools.lru_cache(maxsize=16)  # one sender per app: parse it once
def _sender(sender: str) -> str:
    header = POLICY.header_factory("From", sender)
    addresses: tuple[Address, ...] = getattr(header, "addresses", ())
    if header.defects or len(addresses) != 1 or not addresses[0].domain:
        raise ValueError(f"the sender must be one address, like 'Hearth <no-reply@…>': {sender!r}")
    return sender


def _reply_to(value: str) -> None:
    """Refuse a Reply-To that is not exactly one ASCII address with a domain.

    Only the envelope's addresses can ask the server for SMTPUTF8 (smtplib does it for
    From and To); a Reply-To is written as it is, so its address must be ASCII.
    """
    _refuse_line_breaks("Reply-To", value)
    header = POLICY.header_factory("Reply-To", value)
    addresses: tuple[Address, ...] = getattr(header, "addresses", ())
    if header.defects or len(addresses) != 1 or not addresses[0].domain:
        raise ValueError(f"the Reply-To must be one address: {value!r}")
    if not addresses[0].addr_spec.isascii():
        raise ValueError(f"the Reply-To address must be ASCII: {value!r}")


def body_cte(body: str) -> str:
    """Send plain ASCII as is; anything else as quoted-printable, which every server relays."""
    lines = body.splitlines()
    if body.isascii() and all(len(line) <= MAX_LINE for line in lines):
        return "7bit"
    return "quoted-printable"


def _check_invite(message: Message, recipient: str) -> str:
    """Return the invite's method once its calendar is sound; refuse it otherwise."""
    if message.ics is None or message.ics_method is None:
        raise ValueError("a calendar part needs both the ics bytes and its method")
    method = message.ics_method
    if method not in ICS_METHODS:
        raise ValueError(f"calendar method must be one of {sorted(ICS_METHODS)}: {method!r}")
    calendar = _parse_calendar(message.ics)
    inside = str(calendar.get("METHOD", "")).upper()
    if inside != method:
        # RFC 6047 section 2.4; Outlook rejects the mismatch ("Inbound Mime method and
        # ICAL method mismatch").
        raise ValueError(f"the MIME method {method} differs from the calendar's METHOD:{inside}")
    _refuse_other_attendees(calendar, recipient)
    return method


def calendar_content_type(method: str) -> str:
    """The calendar part's Content-Type, with ``method`` bare as Outlook and Google write it."""
    return f"text/calendar; charset=utf-8; method={method}"


def _add_invite(email: EmailMessage, ics: bytes, method: str) -> None:
    email.add_alternative(ics, maintype="text", subtype="calendar", cte="base64")
    *_, calendar_part = email.iter_parts()
    del calendar_part["Content-Type"]
    calendar_part["Content-Type"] = _VerbatimHeader("Content-Type", calendar_content_type(method))
    email.add_attachment(ics, maintype="application", subtype="ics", filename=INVITE_FILENAME)


def _parse_calendar(ics: bytes) -> Calendar:
    try:
        ics.decode("utf-8")
        calendar = Calendar.from_ical(ics)
    except ValueError as error:
        raise ValueError(f"the calendar part does not parse: {error}") from error
    if not isinstance(calendar, Calendar) or calendar.name != "VCALENDAR":
        raise ValueError("the calendar part must be one VCALENDAR")
    return calendar


def _refuse_other_attendees(calendar: Calendar, recipient: str) -> None:
    """One email per person: an invite may name its recipient, never anyone else."""
    for event in calendar.walk("VEVENT"):
        attendees = event.get("ATTENDEE", [])
        for attendee in attendees if isinstance(attendees, list) else [attendees]:
            address = re.sub(r"(?i)^mailto:", "", str(attendee))
            if address.lower() != recipient.lower():
                raise ValueError("the calendar part names an attendee other than the recipient")
