"""Reading what the test SMTP server received and what the outbox holds."""

from __future__ import annotations

import re
from email.message import EmailMessage

from sqlalchemy import select

from scheduler.models import OutboxMessage

#: Words that must never show in a discreet subject, sender name or calendar title, in
#: English or in Spanish (docs/glossary-es.md).
SERVICE_WORDS = re.compile(
    r"(?i)addiction|counsel|therap|recovery|workshop|education|naloxone"
    r"|adicci[oó]n|terapi|consejer|recuperaci[oó]n|rehabilitaci[oó]n|droga|taller|educaci[oó]n"
    r"|naloxona"
)


def received(server) -> list[EmailMessage]:
    return [m.message if hasattr(m, "message") else m for m in server.messages]


def outbox(db, **filters) -> list[OutboxMessage]:
    db.session.rollback()
    return list(
        db.session.scalars(select(OutboxMessage).filter_by(**filters).order_by(OutboxMessage.id))
    )


def calendar_part(email: EmailMessage) -> tuple[bytes, str]:
    for part in email.walk():
        if part.get_content_type() == "text/calendar":
            return part.get_payload(decode=True), part.get_param("method")
    raise AssertionError("no calendar part")


def text_of(email: EmailMessage) -> str:
    """An email's plain-text part."""
    part = email.get_body(preferencelist=("plain",))
    assert part is not None
    return part.get_content()


def link_in(email: EmailMessage, path: str) -> str:
    """Return the local path of the link to ``path`` in an email's plain text."""
    match = re.search(rf"https?://\S+({re.escape(path)}/\S+)", text_of(email))
    assert match, f"no {path} link in:\n{text_of(email)}"
    return match.group(1)
