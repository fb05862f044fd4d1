"""Form fields and checks shared by several forms."""

from __future__ import annotations

from typing import Any

from wtforms import SelectField
from wtforms.validators import ValidationError

from scheduler.timeutil import common_zones, is_valid_zone


class TimezoneField(SelectField):
    """A pick-list of IANA zones that also accepts any valid zone name."""

    def __init__(self, label: str = "Time zone", **kwargs: Any) -> None:
        kwargs.setdefault("default", "America/New_York")
        super().__init__(
            label,
            choices=[(z, z.replace("_", " ")) for z in common_zones()],
            validate_choice=False,
            **kwargs,
        )

    def pre_validate(self, form: Any) -> None:
        if not self.data or not is_valid_zone(self.data):
            raise ValidationError("Choose a time zone from the list.")


def strip(value: Any) -> Any:
    """Trim surrounding spaces from text input."""
    return value.strip() if isinstance(value, str) else value
