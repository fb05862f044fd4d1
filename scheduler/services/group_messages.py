"""Messages to a group: a facilitator writes to the households of one session, or of
every session of a workshop still to come ("bring the workbook", "parking is closed").

Each household is written to once, however many of the sessions it holds: one outbox
row each (``notify.insert_rows``, which skips households recorded without an address),
and one recipient row each, with an address or not, which My bookings reads and which
outlives the outbox. Every email has its household alone as recipient. The words are
the facilitator's, plain text; the email around them is worded per household, in its
language (``messages/group.py``), and :func:`preview` shows a household's copy before
anything is sent.

Who may write: whoever runs the workshop (its lead and co-facilitators) and admins
(``permissions``). Each person may send RATELIMIT_GROUP_MESSAGE messages ("10 per
hour"), counted here in the database under their account's row lock, so every web
instance shares the count and two sends at once count each other. Sending is audited.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import insert, select
from sqlalchemy.orm import joinedload

from scheduler import i18n, settings
from scheduler.database import write_transaction
from scheduler.extensions import db
from scheduler.mail import Message
from scheduler.models import (
    Booking,
    BookingStatus,
    GroupMessage,
    GroupMessageRecipient,
    MessageKind,
    OutboxMessage,
    SessionStatus,
    User,
    Workshop,
    WorkshopSession,
)
from scheduler.services import audit, notify, permissions
from scheduler.services.errors import DomainError
from scheduler.services.locks import lock
from scheduler.services.messages.group import Letter, letter_email, reply_address

#: The longest message, in characters: a few paragraphs, not a newsletter.
MAX_BODY = 5000
#: The longest subject a facilitator may write (the column's size).
MAX_SUBJECT = 100
#: Messages a workshop's page lists, newest first.
HISTORY = 50
#: Messages a household's My bookings lists, newest first.
RECEIVED = 30
#: The same words sent again this soon are a double click, not a second message.
SENT_AGAIN_WITHIN = timedelta(minutes=10)

#: Control characters nobody types; pasted, they break mail and pages. A message keeps
#: its line breaks and tabs; a subject is one line.
_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_SUBJECT_CONTROLS = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]+")


@dataclass(frozen=True)
class Draft:
    """What a facilitator wrote, before it is sent."""

    #: The one session it is about, or None: every session of the workshop still to come.
    session_id: int | None
    #: Their own subject line; empty for the discreet default.
    subject: str
    body: str
    #: Write to households on the waitlist too.
    include_waitlist: bool = False
    #: Replies go to the author's address rather than the no-reply sender.
    reply_to_author: bool = False
    #: Name the workshop in the subject, for households that chose descriptive wording.
    show_title: bool = False


@dataclass(frozen=True)
class Preview:
    """What a message would do: how many households it reaches, and one household's copy."""

    households: int
    #: Those with an email address (the others see it on My bookings only).
    by_email: int
    #: The household whose copy is shown (the first with an address), or None if none has one.
    shown_to: User | None
    #: Exactly what that household gets: subject, words, Reply-To.
    email: Message | None


def plain_body(text: str) -> str:
    """A message as it is kept and sent: line breaks as ``\\n``, no control characters,
    no blank lines or spaces around it."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = text.replace("\u2028", "\n").replace("\u2029", "\n\n")
    return _CONTROLS.sub("", text).strip()


def plain_subject(text: str) -> str:
    """A subject on one line: control characters and line breaks become a space."""
    return " ".join(_SUBJECT_CONTROLS.sub(" ", text).split())


def tidy(draft: Draft) -> Draft:
    """The draft with its text made plain; refuse one that is empty or too long."""
    body, subject = plain_body(draft.body), plain_subject(draft.subject)
    if not body:
        raise DomainError("group_message_empty")
    if len(body) > MAX_BODY:
        raise DomainError("group_message_too_long", length=len(body), limit=MAX_BODY)
    if len(subject) > MAX_SUBJECT:
        raise DomainError("group_message_subject_too_long", limit=MAX_SUBJECT)
    return Draft(
        draft.session_id,
        subject,
        body,
        draft.include_waitlist,
        draft.reply_to_author,
        draft.show_title,
    )


def sessions_to_write_about(workshop_id: int, now: datetime) -> list[WorkshopSession]:
    """A workshop's sessions a message can be about: not cancelled and not over, soonest first."""
    return list(
        db.session.scalars(
            select(WorkshopSession)
            .where(
                WorkshopSession.workshop_id == workshop_id,
                WorkshopSession.status == SessionStatus.SCHEDULED,
                WorkshopSession.ends_at > now,
            )
            .order_by(WorkshopSession.starts_at, WorkshopSession.id)
        )
    )


def _scope(workshop_id: int, session_id: int | None, now: datetime) -> list[WorkshopSession]:
    """The sessions a draft is about; refuse a session that isn't one of them."""
    sessions = sessions_to_write_about(workshop_id, now)
    if session_id is None:
        return sessions
    chosen = [s for s in sessions if s.id == session_id]
    if not chosen:
        raise DomainError("group_message_session")
    return chosen


def _households(sessions: list[WorkshopSession], include_waitlist: bool) -> list[User]:
    """Each household with a seat (or, when asked, a place on the waitlist) in any of
    ``sessions``, once, by the name staff see. A switched-off account reads nothing any more."""
    statuses = [BookingStatus.CONFIRMED]
    if include_waitlist:
        statuses.append(BookingStatus.WAITLISTED)
    booked = select(Booking.family_id).where(
        Booking.session_id.in_([s.id for s in sessions]), Booking.status.in_(statuses)
    )
    return list(
        db.session.scalars(
            select(User).where(User.id.in_(booked), User.active).order_by(User.staff_name, User.id)
        )
    )


def _runs(workshop_id: int, actor: User) -> Workshop:
    workshop = db.session.get(Workshop, workshop_id)
    if workshop is None or not permissions.can_manage_workshop(actor, workshop):
        raise DomainError("workshop_not_found")
    return workshop


def preview(workshop_id: int, draft: Draft, actor_id: int, *, now: datetime) -> Preview:
    """Who a draft would reach, and exactly what the first of them with an address gets.

    Nothing is kept until :func:`send` but the access trail: the copy shown names its
    household, so the look at it is audited, with that household, before it is shown.
    """
    actor = db.session.get_one(User, actor_id)
    workshop = _runs(workshop_id, actor)
    draft = tidy(draft)
    sessions = _scope(workshop.id, draft.session_id, now)
    households = _households(sessions, draft.include_waitlist)
    if not households:
        raise DomainError("group_message_nobody")
    addressed = [h for h in households if h.email]
    if not addressed:
        return Preview(len(households), 0, None, None)
    family = addressed[0]
    audit.record(
        actor, "group_message.preview", f"workshop:{workshop.id}", now=now, households=[family.id]
    )
    letter = Letter(
        workshop=workshop,
        session=sessions[0] if draft.session_id is not None else None,
        author_name=actor.name,
        reply_to=reply_address(actor) if draft.reply_to_author else None,
        subject=draft.subject,
        body=draft.body,
        show_title=draft.show_title,
    )
    # A row the email is worded for, as the dispatcher's would be; never saved.
    row = OutboxMessage(key=f"preview:{workshop.id}:f{family.id}")
    with i18n.for_user(family.language):
        email = letter_email(row, letter, family, for_staff=True)
    return Preview(len(households), len(addressed), family, email)


def send(workshop_id: int, draft: Draft, actor_id: int, *, now: datetime) -> GroupMessage:
    """Keep the message, its recipients and one email per household with an address.

    Locks the author's account row first (the hourly count, sends at once counting each
    other), then the workshop's row shared (it stays while the message names it).
    """
    draft = tidy(draft)
    with write_transaction() as session:
        (actor,) = lock(User, [actor_id])
        if not lock(Workshop, [workshop_id], shared=True):
            raise DomainError("workshop_not_found")
        workshop = _runs(workshop_id, actor)
        _within_limit(actor.id, now)
        _not_sent_already(actor.id, workshop.id, draft, now)
        households = _households(_scope(workshop.id, draft.session_id, now), draft.include_waitlist)
        if not households:
            raise DomainError("group_message_nobody")
        message = GroupMessage(
            workshop_id=workshop.id,
            session_id=draft.session_id,
            author_id=actor.id,
            author_name=actor.name,
            subject=draft.subject,
            body=draft.body,
            include_waitlist=draft.include_waitlist,
            reply_to_author=draft.reply_to_author,
            show_title=draft.show_title,
            recipient_count=len(households),
            created_at=now,
        )
        session.add(message)
        session.flush()
        session.execute(
            insert(GroupMessageRecipient),
            [{"message_id": message.id, "household_id": h.id} for h in households],
        )
        notify.insert_rows(
            notify.message_row(
                MessageKind.GROUP_MESSAGE,
                f"group-message:{message.id}:f{household.id}",
                household.id,
                now,
                now,
                workshop_id=workshop.id,
            )
            | {"group_message_id": message.id}
            for household in households
        )
        audit.add(
            actor,
            "group_message.send",
            f"group_message:{message.id}",
            now=now,
            households=[h.id for h in households],
        )
    return message


def _within_limit(author_id: int, now: datetime) -> None:
    """Refuse a message over RATELIMIT_GROUP_MESSAGE, saying when the next one may go.

    Runs under the author's row lock, so messages sent at once count each other.
    """
    for most, period in settings.current().group_message_limits:
        sent = db.session.scalars(
            select(GroupMessage.created_at)
            .where(GroupMessage.author_id == author_id, GroupMessage.created_at > now - period)
            .order_by(GroupMessage.created_at.desc())
            .limit(most)
        ).all()
        if len(sent) >= most:
            # The next one may go when the oldest of the last ``most`` leaves the period.
            wait = sent[-1] + period - now
            raise DomainError(
                "group_message_limit",
                count=most,
                period=period.total_seconds(),
                seconds=max(wait.total_seconds(), 1),
            )


def _not_sent_already(author_id: int, workshop_id: int, draft: Draft, now: datetime) -> None:
    """Refuse the very message this author just sent to the same group (a double click,
    a form sent again): families would get it twice."""
    same = db.session.scalar(
        select(GroupMessage.id)
        .where(
            GroupMessage.author_id == author_id,
            GroupMessage.workshop_id == workshop_id,
            GroupMessage.session_id.is_(None)
            if draft.session_id is None
            else GroupMessage.session_id == draft.session_id,
            GroupMessage.created_at > now - SENT_AGAIN_WITHIN,
            GroupMessage.subject == draft.subject,
            GroupMessage.body == draft.body,
        )
        .limit(1)
    )
    if same is not None:
        raise DomainError("group_message_sent_already")


def history(workshop_id: int, limit: int = HISTORY) -> list[GroupMessage]:
    """A workshop's messages, newest first, with the session each was about."""
    return list(
        db.session.scalars(
            select(GroupMessage)
            .where(GroupMessage.workshop_id == workshop_id)
            .options(joinedload(GroupMessage.session))
            .order_by(GroupMessage.created_at.desc(), GroupMessage.id.desc())
            .limit(limit)
        )
    )


def received(household_id: int, limit: int = RECEIVED) -> list[GroupMessage]:
    """The messages a household was sent, newest first, with their workshop and session."""
    return list(
        db.session.scalars(
            select(GroupMessage)
            .join(GroupMessageRecipient, GroupMessageRecipient.message_id == GroupMessage.id)
            .where(GroupMessageRecipient.household_id == household_id)
            .options(joinedload(GroupMessage.workshop), joinedload(GroupMessage.session))
            .order_by(GroupMessage.created_at.desc(), GroupMessage.id.desc())
            .limit(limit)
        )
    )
