"""The bytes an email goes over SMTP as, written straight from a :class:`Message`.

:func:`~scheduler.mail.mime.build_email` is the reference: an ``EmailMessage`` that
``smtplib``'s ``send_message`` flattens (and the file mailbox writes). Parsing every header
into objects and folding them back costs the email package over a millisecond a message,
which is most of the dispatcher's work once it no longer reloads rows. :func:`wire_email`
writes the very bytes ``send_message`` would send for ``build_email``'s message (tests
compare them byte for byte, with the same random boundaries) by copying the parts whose
form is fixed, and still lets the email package fold any header that needs more than
copying (a long or non-ASCII subject, a quoted address).
"""

from __future__ import annotations

import functools
import random
import re
import sys
from base64 import b64encode
from dataclasses import dataclass
from datetime import datetime
from email import quoprimime
from email.message import EmailMessage
from email.utils import format_datetime, getaddresses
from typing import Final

from scheduler.mail.mime import (
    INVITE_FILENAME,
    MAX_LINE,
    PLAIN_ADDRESS,
    POLICY,
    Message,
    body_cte,
    build_email,
    calendar_content_type,
    check,
    message_id,
)

#: How smtplib's generator writes: CRLF line ends, everything else as the message's policy.
_WIRE: Final = POLICY.clone(linesep="\r\n")
_CRLF: Final = "\r\n"
_LINE_ENDS: Final = re.compile(r"\r\n|\r|\n")  # email.generator.NLCRE
#: Unstructured header values written as they are: printable ASCII words, single spaces.
_PLAIN_TEXT: Final = re.compile(r"[!-~]+(?: [!-~]+)*")
#: Boundaries as email.generator makes them: 15 "=", a 19-digit random number, "==".
_BOUNDARY_DIGITS: Final = len(repr(sys.maxsize - 1))
_BOUNDARY_LENGTH: Final = 15 + _BOUNDARY_DIGITS + 2
#: Bytes of the calendar per base64 line (76 characters), as email.contentmanager cuts them.
_BASE64_CHUNK: Final = MAX_LINE // 4 * 3


@dataclass(frozen=True)
class WireEmail:
    """An email ready for the wire: the envelope and the message's bytes."""

    #: MAIL FROM and RCPT TO, as ``send_message`` reads them from the From and To headers.
    sender: str
    recipient: str
    #: The Message-ID header's value; the file mailbox names files after it.
    message_id: str
    #: The message with CRLF line ends, as ``send_message`` flattens it.
    data: bytes

    def as_bytes(self) -> bytes:
        """The message with LF line ends, as ``EmailMessage.as_bytes()`` writes it."""
        return self.data.replace(b"\r\n", b"\n")


def wire_email(
    message: Message, *, sender: str, domain: str, date: datetime | None = None
) -> WireEmail | EmailMessage:
    """Return what the transports send for ``message``: the bytes ``build_email`` flattens to.

    Refuses what ``build_email`` refuses, with the same ValueError. An address that is not
    ASCII needs SMTPUTF8, which ``smtplib`` negotiates itself: then the ``EmailMessage``.
    """
    checked = check(message, sender=sender, domain=domain, date=date)
    from_line, envelope_sender = _from(sender)
    to_line, envelope = _to(checked.recipient)
    if not (envelope_sender + "".join(envelope)).isascii() or len(envelope) != 1:
        return build_email(message, sender=sender, domain=domain, date=date)
    ident = message_id(message.key, domain)
    head = [from_line, to_line]
    if message.reply_to is not None:
        head.append(_header("Reply-To", message.reply_to))
    head += [
        _header("Subject", message.subject),
        _date(checked.date),
        _header("Message-ID", ident),
    ]
    if message.list_unsubscribe is not None:
        head.append(_verbatim("List-Unsubscribe", f"<{message.list_unsubscribe}>"))
        head.append("List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n")
    head.append("Auto-Submitted: auto-generated\r\nMIME-Version: 1.0\r\n")
    parts = [_text_part("plain", message.text), _text_part("html", message.html)]
    if checked.invite is None:
        head.append(_multipart("alternative", parts))
    else:
        assert message.ics is not None  # check() refuses a method without a calendar
        calendar = _base64(message.ics)
        parts.append(
            "Content-Transfer-Encoding: base64\r\n"
            + _verbatim("Content-Type", calendar_content_type(checked.invite))
            + _CRLF
            + calendar
        )
        attachment = (
            "Content-Type: application/ics\r\n"
            "Content-Transfer-Encoding: base64\r\n"
            f'Content-Disposition: attachment; filename="{INVITE_FILENAME}"\r\n'
            "\r\n" + calendar
        )
        # The generator writes the inner part first, so it draws the first boundary.
        head.append(_multipart("mixed", [_multipart("alternative", parts), attachment]))
    return WireEmail(envelope_sender, envelope[0], ident, "".join(head).encode("ascii"))


@functools.lru_cache(maxsize=16)  # one sender per app
def _from(sender: str) -> tuple[str, str]:
    """The folded From line, and the envelope address send_message takes from it."""
    header = POLICY.header_factory("From", sender)
    return header.fold(policy=_WIRE), getaddresses([str(header)])[0][1]


def _to(recipient: str) -> tuple[str, list[str]]:
    """The folded To line, and the envelope recipients send_message takes from it."""
    line = _header("To", recipient)
    if PLAIN_ADDRESS.fullmatch(recipient):
        return line, [recipient]  # what getaddresses gives back (tested)
    header = POLICY.header_factory("To", recipient)
    return line, [address for _, address in getaddresses([str(header)])]


def _header(name: str, value: str) -> str:
    """One header line, folded as the email package folds it."""
    fits = len(name) + 2 + len(value) <= MAX_LINE
    if fits and "=?" not in value:
        plain = PLAIN_ADDRESS if name in ("To", "Reply-To") else _PLAIN_TEXT
        if plain.fullmatch(value):
            return f"{name}: {value}\r\n"
    return str(POLICY.header_factory(name, value).fold(policy=_WIRE))


def _date(moment: datetime) -> str:
    text = format_datetime(moment)
    # The header parses the date and writes it again: years below 1000 come back otherwise.
    if moment.year >= 1000:
        return f"Date: {text}\r\n"
    return str(POLICY.header_factory("Date", text).fold(policy=_WIRE))


def _verbatim(name: str, value: str) -> str:
    """A header mime._VerbatimHeader writes: as given, after the colon when too long."""
    if len(name) + 2 + len(value) <= MAX_LINE:
        return f"{name}: {value}\r\n"
    return f"{name}:\r\n {value}\r\n"


def _text_part(subtype: str, body: str) -> str:
    """A text part as set_content encodes it (email.contentmanager) and the generator writes it."""
    cte = body_cte(body)
    lines = b"\n".join(body.encode("utf-8").splitlines()) + b"\n"
    payload = (
        lines.decode("ascii")
        if cte == "7bit"
        else quoprimime.body_encode(lines.decode("latin-1"), MAX_LINE)
    )
    return (
        f'Content-Type: text/{subtype}; charset="utf-8"\r\n'
        f"Content-Transfer-Encoding: {cte}\r\n\r\n" + _LINE_ENDS.sub(_CRLF, payload)
    )


def _base64(data: bytes) -> str:
    """Bytes as set_content encodes them in base64: 76 characters a line."""
    return "".join(
        b64encode(data[start : start + _BASE64_CHUNK]).decode("ascii") + _CRLF
        for start in range(0, len(data), _BASE64_CHUNK)
    )


def _multipart(subtype: str, parts: list[str]) -> str:
    """A multipart's Content-Type and body, as the generator writes them."""
    boundary = _boundary(_CRLF.join(parts))
    value = f'multipart/{subtype}; boundary="{boundary}"'
    if len(boundary) == _BOUNDARY_LENGTH:
        # As set_boundary's header folds it: on one line when it fits, else before "boundary".
        content_type = f"Content-Type: {value}\r\n"
        if len(content_type) - 2 > MAX_LINE:
            content_type = content_type.replace("; ", ";\r\n ", 1)
    else:  # a boundary the text happened to contain, made longer
        content_type = str(POLICY.header_factory("Content-Type", value).fold(policy=_WIRE))
    body = "".join(f"--{boundary}\r\n{part}\r\n" for part in parts)
    return f"{content_type}\r\n{body}--{boundary}--\r\n"


def _boundary(text: str) -> str:
    """A boundary as ``email.generator`` draws it: random, and absent from ``text``."""
    boundary = "=" * 15 + f"{random.randrange(sys.maxsize):0{_BOUNDARY_DIGITS}d}" + "=="  # noqa: S311
    candidate, counter = boundary, 0
    # The generator's own test, after a cheap look: a line that is "--<boundary>" or
    # "--<boundary>--" can only be there if the text contains "--<boundary>".
    while f"--{candidate}" in text and re.search(
        "^--" + re.escape(candidate) + "(--)?$", text, re.MULTILINE
    ):
        candidate = f"{boundary}.{counter}"
        counter += 1
    return candidate
