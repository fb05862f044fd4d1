from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, StringField
from wtforms.validators import DataRequired, Email, EqualTo, Length, StopValidation

from scheduler.services.passwords import weakness
from scheduler.web.fields import PlainText, TimezoneField, strip


def address_field(**kwargs: object) -> EmailField:
    """An email address someone types to be written to: checked for its shape only."""
    return EmailField(
        _l("Email"),
        filters=[strip],
        validators=[
            DataRequired(_l("Enter your email address.")),
            Length(max=254),
            Email(_l("Enter an email address like name@example.com."), check_deliverability=False),
        ],
        **kwargs,
    )


def _hard_to_guess(form: FlaskForm, field: PasswordField) -> None:
    """Refuse common and easily guessed passwords, in words a person can act on."""
    email = form.email.data if "email" in form else ""
    name = form.name.data if "name" in form else ""
    if field.errors:  # too short or too long already: say that first
        return
    if field.data and (why := weakness(field.data, email=email or "", name=name or "")):
        raise StopValidation(why)


def new_password_field() -> PasswordField:
    return PasswordField(
        _l("Password"),
        validators=[
            DataRequired(_l("Choose a password.")),
            Length(min=10, max=128, message=_l("Use 10 to 128 characters.")),
            _hard_to_guess,
        ],
        description=_l(
            "At least 10 characters, and not easy to guess. "
            "A few words that don't belong together are easy to remember."
        ),
    )


def password_again_field() -> PasswordField:
    return PasswordField(
        _l("Password again"),
        validators=[
            DataRequired(_l("Type the password again.")),
            EqualTo("password", _l("The two passwords don't match.")),
        ],
    )


class RegisterForm(FlaskForm):
    # Fields in the order the page shows them: the error summary lists them so.
    name = StringField(
        _l("Your name or your family's name"),
        filters=[strip],
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
