"""The admin's forms: finding accounts, inviting staff, roles, switching accounts off."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, IntegerField, RadioField, SelectChoice, SelectField, StringField
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    StopValidation,
    ValidationError,
)

from scheduler.models import Role, User
from scheduler.services.account_admin import AccountState, Upon
from scheduler.services.audit import TrailFilter
from scheduler.web.fields import PlainText, one_spaced, readable_day, strip, within_calendar
from scheduler.web.forms import address_field
from scheduler.web.requests import MAX_ID

#: The roles an admin gives, as the forms offer them.
STAFF_CHOICES = [
    SelectChoice(Role.FACILITATOR.value, _l("Facilitator: runs workshops and counseling")),
    SelectChoice(Role.ADMIN.value, _l("Admin: can also add people and see the log")),
]


class AccountSearchForm(FlaskForm):
    """The list's search box and filters, read from the address (a GET: no token)."""

    class Meta:
        csrf = False

    q = StringField(
        _l("Name or email"), filters=[strip], validators=[Optional(), Length(max=100), PlainText()]
    )
    role = SelectField(
        _l("Role"),
        choices=[
            SelectChoice("", _l("Any role")),
            SelectChoice(Role.FAMILY.value, _l("Family")),
            SelectChoice(Role.FACILITATOR.value, _l("Facilitator")),
            SelectChoice(Role.ADMIN.value, _l("Admin")),
        ],
        default="",
    )
    state = SelectField(
        _l("State"),
        choices=[
            SelectChoice("", _l("Any state")),
            SelectChoice(AccountState.ACTIVE.value, _l("Active")),
            SelectChoice(AccountState.DEACTIVATED.value, _l("Switched off")),
            SelectChoice(AccountState.INVITED.value, _l("Invited, not joined yet")),
        ],
        default="",
    )

    def filters(self) -> dict[str, str]:
        """What was asked, to carry into the links to other pages of the list."""
        asked = {"q": self.q.data, "role": self.role.data, "state": self.state.data}
        return {name: value for name, value in asked.items() if value}


class InviteForm(FlaskForm):
    name = StringField(
        _l("Their name"),
        filters=[one_spaced],
        validators=[DataRequired(_l("Tell us their name.")), Length(max=120), PlainText()],
        description=_l("As others will see it. They can change it later."),
    )
    email = address_field(_l("Their email address"))
    role = RadioField(
        _l("Role"),
        choices=STAFF_CHOICES,
        default=Role.FACILITATOR.value,
        validators=[InputRequired(_l("Choose facilitator or admin."))],
    )


class RoleForm(FlaskForm):
    role = RadioField(
        _l("Role"),
        choices=STAFF_CHOICES,
        validators=[InputRequired(_l("Choose facilitator or admin."))],
    )


class DeactivateForm(FlaskForm):
    """Switching an account off; with sessions to come, what happens to them."""

    upon = RadioField(
        _l("Their upcoming sessions"),
        choices=[
            SelectChoice(Upon.HAND_OVER.value, _l("Hand the workshops over to another person")),
            SelectChoice(Upon.CANCEL.value, _l("Cancel the sessions (the families are told)")),
        ],
        validators=[Optional()],
    )
    successor = SelectField(_l("Who takes the workshops over"), coerce=int, default=0, choices=[])

    def __init__(self, *args: Any, successors: list[User] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.successor.choices = [
            SelectChoice(0, _l("Choose a person")),
            *(SelectChoice(u.id, f"{u.name} ({u.email})") for u in successors or []),
        ]

    def validate_successor(self, field: SelectField) -> None:
        if self.upon.data == Upon.HAND_OVER.value and not field.data:
            raise ValidationError(_l("Choose who takes the workshops over."))

    def chosen(self) -> Upon | None:
        return Upon(self.upon.data) if self.upon.data else None


def _account_number(form: FlaskForm, field: IntegerField) -> None:
    """Say what goes in, rather than "Not a valid integer value"."""
    if field.process_errors:
        field.errors[:] = []
        raise StopValidation(_("Enter an account number."))


class AuditFilterForm(FlaskForm):
    """What part of the audit trail to show or download, read from the address."""

    class Meta:
        csrf = False  # a GET form that changes nothing

    actor = SelectField(_l("Who"), default="", validate_choice=False)
    household = IntegerField(
        _l("Family (account number)"),
        validators=[
            Optional(),
            _account_number,
            NumberRange(min=1, max=MAX_ID, message=_l("Enter an account number.")),
        ],
        description=_l("Or choose a family's name in the list below."),
    )
    action = SelectField(_l("What"), default="", validate_choice=False)
    since = DateField(_l("From (UTC)"), validators=[Optional(), readable_day, within_calendar])
    until = DateField(_l("To (UTC)"), validators=[Optional(), readable_day, within_calendar])

    def offer(self, staff: list[tuple[int, str]], actions: dict[str, str]) -> None:
        """The staff to pick from (by name), and the kinds of entry (by their words)."""
        self.actor.choices = [SelectChoice("", _l("Anyone"))] + [
            SelectChoice(str(user_id), name) for user_id, name in staff
        ]
        kinds = sorted(actions.items(), key=lambda item: item[1].casefold())
        self.action.choices = [SelectChoice("", _l("Any kind"))] + [
            SelectChoice(code, words) for code, words in kinds
        ]
        self._actions = set(actions)

    def validate_actor(self, field: SelectField) -> None:
        text = field.data or ""
        if text and not (text.isascii() and text.isdigit() and 1 <= int(text) <= MAX_ID):
            raise ValidationError(_("Choose someone from the list."))

    def validate_action(self, field: SelectField) -> None:
        if field.data and field.data not in self._actions:
            raise ValidationError(_("Choose a kind of entry from the list."))

    def validate_until(self, field: DateField) -> None:
        if field.data and self.since.data and field.data < self.since.data:
            raise ValidationError(_("This date is before the “From” date."))

    def wanted(self) -> TrailFilter:
        """The filter as the trail's queries take it."""
        return TrailFilter(
            actor_id=int(self.actor.data) if self.actor.data else None,
            household_id=self.household.data,
            action=self.action.data or None,
            since=self.since.data,
            until=self.until.data,
        )

    def args(self) -> dict[str, str]:
        """What was asked, to carry into the pager's links and the CSV link."""
        asked = {
            "actor": self.actor.data or "",
            "household": str(self.household.data or ""),
            "action": self.action.data or "",
            "since": self.since.data.isoformat() if self.since.data else "",
            "until": self.until.data.isoformat() if self.until.data else "",
        }
        return {name: value for name, value in asked.items() if value}
