"""The form a facilitator writes to a group with: who to, the words, and three choices."""

from __future__ import annotations

from collections.abc import Sequence

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from scheduler.models import WorkshopSession
from scheduler.services.group_messages import (
    MAX_BODY,
    MAX_SUBJECT,
    Draft,
    plain_body,
    plain_subject,
)
from scheduler.timetext import moment_text
from scheduler.web.requests import MAX_ID

#: The ``session`` choice for every session still to come (a series message).
EVERY_SESSION = "all"
#: What the form's button asks for (``step``): a preview first, the form again, or sending.
PREVIEW, EDIT, SEND = "preview", "edit", "send"


def _one_of_the_choices(form: GroupMessageForm, field: SelectField) -> None:
    """ "all" or a record id; whether that session may be written about is the service's."""
    value = field.data
    if value == EVERY_SESSION:
        return
    if not (
        isinstance(value, str) and value.isascii() and value.isdigit() and 1 <= int(value) <= MAX_ID
    ):
        raise ValidationError(_("Choose who to write to from the list."))


def _text(filter_: object) -> list[object]:
    """The service's own tidying as a form filter, so lengths are counted as it counts them."""
    return [lambda value: filter_(value) if isinstance(value, str) else value]  # type: ignore[operator]


class GroupMessageForm(FlaskForm):
    """Write to the households of one session, or of every session still to come."""

    session = SelectField(
        _l("Who to write to"),
        default=EVERY_SESSION,
        validators=[_one_of_the_choices],
        validate_choice=False,  # a session gone since is the service's to refuse, in words
    )
    include_waitlist = BooleanField(_l("Also households on the waitlist"))
    body = TextAreaField(
        _l("Your message"),
        filters=_text(plain_body),
        validators=[
            DataRequired(_l("Write your message first: it can't be empty.")),
            Length(
                max=MAX_BODY,
                message=_l(
                    "Your message can have up to %(max)d characters. Please make it shorter."
                ),
            ),
        ],
        description=_l(
            "Plain text. Each family gets it in its own email, with a greeting and the "
            "date in its own language. Your words are sent as you write them."
        ),
        render_kw={"rows": 8},
    )
    subject = StringField(
        _l("Subject (optional)"),
        filters=_text(plain_subject),
        validators=[
            Optional(),
            Length(
                max=MAX_SUBJECT,
                message=_l(
                    "The subject can have up to %(max)d characters. Please make it shorter."
                ),
            ),
        ],
        description=_l(
            "Left empty, it says “A message about your upcoming session”. Many people read "
            "email on shared screens, so keep it plain."
        ),
    )
    show_title = BooleanField(
        _l("Name the workshop in the subject"),
        description=_l(
            "Only families who chose to see workshop names in their emails will see it."
        ),
    )
    reply_to_me = BooleanField(_l("Let families reply to me by email"))
    #: Set by the button pressed (``PREVIEW``, ``EDIT`` or ``SEND``), never shown as a field.
    step = HiddenField(default=PREVIEW)

    def offer(self, sessions: Sequence[WorkshopSession], zone: str) -> None:
        """List every session still to come, each at its time in the reader's zone."""
        everyone = ngettext(
            "Everyone booked in the session still to come",
            "Everyone booked in the %(num)d sessions still to come",
            len(sessions),
        )
        self.session.choices = [SelectChoice(EVERY_SESSION, everyone)] + [
            SelectChoice(
                str(s.id), _("Only the session on %(when)s", when=moment_text(s.starts_at, zone))
            )
            for s in sessions
        ]

    def reply_hint(self, address: str) -> None:
        """Say where replies would go: the writer's own address."""
        self.reply_to_me.description = _(
            "Replies go to %(address)s. If you leave this off, the email comes from an "
            "address nobody reads.",
            address=address,
        )

    def session_id(self) -> int | None:
        return None if self.session.data == EVERY_SESSION else int(self.session.data)

    def draft(self) -> Draft:
        """What was written, for the service."""
        return Draft(
            session_id=self.session_id(),
            subject=self.subject.data or "",
            body=self.body.data or "",
            include_waitlist=bool(self.include_waitlist.data),
            reply_to_author=bool(self.reply_to_me.data),
            show_title=bool(self.show_title.data),
        )
