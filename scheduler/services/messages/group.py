"""A facilitator's message to the group of a session or a series, as one household gets it.

The facilitator's words go out exactly as written, untranslated; what frames them (the
greeting, who wrote, which booking it is about, where replies go) is in the household's
own language, as in every email (``compose`` sets it). The subject is discreet: it names
the workshop only when the facilitator chose to and the household chose descriptive
wording too, since mail is often read on shared screens. A subject the facilitator
writes is theirs to word.

The same function words the email the dispatcher sends and the preview the facilitator
reads before sending, so the preview is what the household gets.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from email.errors import HeaderParseError
from email.headerregistry import Address

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from scheduler import links
from scheduler.extensions import db
from scheduler.mail import Message
from scheduler.models import GroupMessage, OutboxMessage, User, Workshop, WorkshopSession
from scheduler.services.messages.common import family_links, render_message, when_text

#: Subjects: discreet, about one session or several; or the workshop's title, for a
#: household that chose descriptive wording when the facilitator chose to name it.
ABOUT_SESSION = _l("Hearth: a message about your upcoming session")
ABOUT_SESSIONS = _l("Hearth: a message about your upcoming sessions")
ABOUT_TITLE = _l("Hearth: a message about {title}")
#: A subject the facilitator wrote ({subject}), with the title before it when shown.
OWN_SUBJECT = _l("Hearth: {subject}")
OWN_SUBJECT_TITLED = _l("Hearth: {title}: {subject}")


@dataclass(frozen=True)
class Letter:
    """A message to a group before it is worded for one household."""

    workshop: Workshop
    #: The one session it is about, or None: every session of the workshop still to come.
    session: WorkshopSession | None
    author_name: str
    #: "Name <address>" replies go to, or None: the no-reply sender (nobody reads replies).
    reply_to: str | None
    #: The facilitator's own subject; empty for the discreet default.
    subject: str
    body: str
    show_title: bool

    @classmethod
    def of(cls, message: GroupMessage) -> Letter:
        """The letter of a message sent: replies go to its author while their account is on."""
        return cls(
            workshop=message.workshop,
            session=message.session,
            author_name=message.author_name,
            reply_to=reply_address(message.author) if message.reply_to_author else None,
            subject=message.subject,
            body=message.body,
            show_title=message.show_title,
        )


def reply_address(author: User | None) -> str | None:
    """The author's own "Name <address>" for Reply-To, or None when replies can't reach them.

    A switched-off account reads no mail from families any more; an address that is not
    ASCII can't go in a header as it is (``mail.mime``), so it gets no Reply-To either.
    """
    if author is None or not author.is_active or not author.email or not author.email.isascii():
        return None
    try:
        return str(Address(display_name=author.name, addr_spec=author.email))
    except (ValueError, IndexError, HeaderParseError):
        return None


def group_message(row: OutboxMessage, family: User) -> Message | None:
    """Word a queued message to a group for one household, or None when it is gone."""
    message = db.session.get(GroupMessage, row.group_message_id) if row.group_message_id else None
    if message is None:
        return None
    return letter_email(row, Letter.of(message), family)


def letter_email(
    row: OutboxMessage, letter: Letter, family: User, *, for_staff: bool = False
) -> Message:
    """The email one household gets, in the current language (the household's own).

    ``for_staff``: the copy its author previews, which greets the household by the name
    staff see (``User.staff_name``); the household's own email greets it by its name.
    """
    titled = letter.show_title and family.descriptive_titles
    title = letter.workshop.title
    if letter.subject:
        subject = (OWN_SUBJECT_TITLED if titled else OWN_SUBJECT).format(
            title=title, subject=letter.subject
        )
    elif titled:
        subject = ABOUT_TITLE.format(title=title)
    else:
        subject = str(ABOUT_SESSION if letter.session else ABOUT_SESSIONS)
    name = letter.author_name
    if letter.session is not None:
        when = when_text(letter.session.starts_at, family.timezone)
        if titled:
            headline = _("A message from {name} to the group of “{title}”, on {when}:")
        else:
            headline = _("A message from {name} to the group of your session on {when}:")
        headline = headline.format(name=name, title=title, when=when)
    elif titled:
        headline = _("A message from {name} to the group of “{title}”:").format(
            name=name, title=title
        )
    else:
        headline = _("A message from {name} to the group of your upcoming sessions:").format(
            name=name
        )
    if letter.reply_to:
        replies = _("You can reply to this email: your answer goes to {name} only.")
    else:
        replies = _(
            "Replies to this email are not read. To answer, please contact {name} the "
            "way you usually do."
        )
    # The bookings page keeps every message the household was sent, under its bookings.
    here = (_("See this message with your bookings"), f"{links.bookings()}#messages")
    shown, _unsubscribe = family_links(family, reminder=False, bookings_link=here)
    email = render_message(
        row,
        family,
        subject,
        headline=headline,
        quote=letter.body,
        details=[replies.format(name=name)],
        links=shown,
        **({"greeting": _("Hello {name},").format(name=family.staff_name)} if for_staff else {}),
    )
    return replace(email, reply_to=letter.reply_to)
