from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, StringField
from wtforms.validators import DataRequired, Length

from scheduler.web.fields import PlainText, TimezoneField, one_spaced, strip
from scheduler.web.forms import address_field, new_password_field, password_again_field


class RegisterForm(FlaskForm):
    # Fields in the order the page shows them: the error summary lists them so.
    name = StringField(
        _l("Your name or your family's name"),
        filters=[one_spaced],
        validators=[DataRequired(_l("Tell us what to call you.")), Length(max=120), PlainText()],
        description=_l("Only the facilitators of sessions you book will see it."),
    )
    email = address_field()
    password = new_password_field()
    password_confirm = password_again_field()
    timezone = TimezoneField(
        description=_l("We show every time in this zone too."), render_kw={"data-guess": ""}
    )


class LoginForm(FlaskForm):
    email = EmailField(
        _l("Email"),
        filters=[strip],
        validators=[DataRequired(_l("Enter your email address.")), PlainText()],
    )
    password = PasswordField(_l("Password"), validators=[DataRequired(_l("Enter your password."))])
    remember = BooleanField(_l("Keep me logged in on this device"))


class ForgotPasswordForm(FlaskForm):
    email = address_field(description=_l("The address you use to log in."))


class ResetPasswordForm(FlaskForm):
    """Choosing a new password, typed twice, as at sign-up."""

    password = new_password_field()
    password_confirm = password_again_field()


class AcceptInvitationForm(FlaskForm):
    """Joining by an invitation: a password typed twice, and the zone times are shown in."""

    password = new_password_field()
    password_confirm = password_again_field()
    timezone = TimezoneField(
        description=_l("We show every time in this zone too."), render_kw={"data-guess": ""}
    )

    def __init__(self, *args: object, email: str = "", name: str = "", **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.person = (email, name)  # a password built on them is easy to guess
