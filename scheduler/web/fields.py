"""Form fields and checks shared by several forms."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

from wtforms import SelectChoice, SelectField, StringField, URLField
from wtforms.validators import URL, Length, Optional, ValidationError

from scheduler.timeutil import common_zones, is_valid_zone, utcnow


class TimezoneField(SelectField):
    """A pick-list of IANA zones that also accepts any valid zone name."""

    def __init__(self, label: str = "Time zone", **kwargs: Any) -> None:
        kwargs.setdefault("default", "America/New_York")
        super().__init__(
            label,
            choices=[SelectChoice(z, z.replace("_", " ")) for z in common_zones()],
            validate_choice=False,
            **kwargs,
        )

    def pre_validate(self, form: Any) -> None:
        if not self.data or not is_valid_zone(self.data):
            raise ValidationError("Choose a time zone from the list.")


def strip(value: Any) -> Any:
    """Trim surrounding spaces from text input."""
    return value.strip() if isinstance(value, str) else value


#: C0 and C1 control characters and DEL. Nobody types them; pasted, they break mail
#: headers and calendar files, and PostgreSQL refuses NUL in text outright.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")
#: The same, less the tab and line breaks a text area legitimately sends.
_CONTROL_MULTILINE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


class PlainText:
    """Refuse hidden control characters (NUL included); line breaks only when multiline."""

    def __init__(self, *, multiline: bool = False) -> None:
        self.pattern = _CONTROL_MULTILINE if multiline else _CONTROL

    def __call__(self, form: Any, field: Any) -> None:
        if isinstance(field.data, str) and self.pattern.search(field.data):
            raise ValidationError(
                "This has hidden characters in it (often from copy and paste). "
                "Please type it again."
            )


class WithinYears:
    """Refuse local times more than ``years`` ahead or long past.

    Catches typos like 20266, and keeps times where UTC conversion and weekly
    arithmetic stay inside the calendar (year 1 to 9999); the service then judges
    "in the future" exactly.
    """

    def __init__(self, years: int) -> None:
        self.years = years

    def __call__(self, form: Any, field: Any) -> None:
        if not isinstance(field.data, datetime):
            return
        # A naive wall time anywhere is within a day of the naive UTC clock.
        today = utcnow().replace(tzinfo=None)
        if field.data < today - timedelta(days=1):
            raise ValidationError("Choose a start time in the future.")
        if field.data > today + timedelta(days=365 * self.years):
            raise ValidationError(f"Choose a date within the next {self.years} years.")


def place_field(description: str) -> StringField:
    """An address and room, optional."""
    return StringField(
        "Location",
        filters=[strip],
        validators=[Optional(), Length(max=300), PlainText()],
        description=description,
    )


def _http_link(form: Any, field: Any) -> None:
    if field.data and not field.data.lower().startswith(("https://", "http://")):
        raise ValidationError("Enter a full link starting with https://")


def meeting_link_field(description: str = "") -> URLField:
    """An online meeting link, optional; only web links (no javascript: or mailto:)."""
    return URLField(
        "Online meeting link",
        filters=[strip],
        validators=[
            Optional(),
            Length(max=500),
            PlainText(),
            URL(require_tld=False, message="Enter a full link starting with https://"),
            _http_link,
        ],
        description=description,
    )
