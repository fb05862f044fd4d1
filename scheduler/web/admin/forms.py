"""The admin's forms: finding accounts, inviting staff, roles, switching accounts off."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField, SelectChoice, SelectField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError

from scheduler.models import Role, User
from scheduler.services.account_admin import AccountState, Upon
from scheduler.web.fields import PlainText, strip
from scheduler.web.forms import address_field

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
        filters=[strip],
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
