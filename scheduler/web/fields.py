"""Form fields and checks shared by several forms."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from functools import cache
from types import SimpleNamespace
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from markupsafe import Markup
from wtforms import SelectChoice, SelectField, StringField, URLField
from wtforms.validators import URL, Length, Optional, StopValidation, ValidationError
from wtforms.widgets import Select, html_params

from scheduler.i18n import current_language
from scheduler.models import MeetingMode
from scheduler.services.calendar_view import EARLIEST, LATEST
from scheduler.timetext import zone_city, zone_name
from scheduler.timeutil import common_zones, is_valid_zone, utcnow


def _zone_choices() -> tuple[SelectChoice, ...]:
    return _zone_choices_in(current_language())


@cache
def _zone_choices_in(language: str) -> tuple[SelectChoice, ...]:
    """Every zone as people find theirs, in ``language``: "New York — Eastern Time",
    "Nueva York — hora oriental", in the order of those words (type-ahead finds a city)."""
    now = utcnow()
    labelled = [
        (f"{zone_city(zone, language)} — {zone_name(zone, now, language)}", zone)
        for zone in common_zones()
    ]
    labelled.sort(key=lambda pair: _sort_key(pair[0]))
    return tuple(SelectChoice(zone, label) for label, zone in labelled)


def _sort_key(label: str) -> str:
    """Accents and case aside, so "Ámsterdam" sorts among the A's."""
    plain = unicodedata.normalize("NFKD", label.casefold())
    return "".join(c for c in plain if not unicodedata.combining(c))


def _option(choice: SelectChoice, *, selected: bool) -> str:
    """One ``<option>`` exactly as WTForms' own select renders it."""
    rendered = SimpleNamespace(
        value=choice.value, label=choice.label, render_kw=choice.render_kw, selected=selected
    )
    return str(Select.render_option(rendered))


def _zone_options() -> tuple[dict[str, int], tuple[str, ...]]:
    return _zone_options_in(current_language())


@cache
def _zone_options_in(language: str) -> tuple[dict[str, int], tuple[str, ...]]:
    """Every zone's ``<option>``, rendered once a language: where each is, and the markup."""
    choices = _zone_choices_in(language)
    markup = tuple(_option(choice, selected=False) for choice in choices)
    return {choice.value: n for n, choice in enumerate(choices)}, markup


class _ZoneSelect(Select):
    """WTForms' ``<select>``, byte for byte, with the ~400 zone options rendered once.

    Rendering them anew cost ~30 ms on every page with a zone field (account, workshop,
    availability forms) and on every form sent back with an error.
    """

    def __call__(self, field: Any, **kwargs: Any) -> Markup:
        kwargs.setdefault("id", field.id)
        flags = getattr(field, "flags", {})
        for name in dir(flags):
            if name in self.validation_attrs and name not in kwargs:
                kwargs[name] = getattr(flags, name)
        where, options = _zone_options()
        chosen = where.get(field.data) if isinstance(field.data, str) else None
        if chosen is None:
            body = "".join(options)
        else:
            selected = _option(_zone_choices()[chosen], selected=True)
            body = "".join(options[:chosen]) + selected + "".join(options[chosen + 1 :])
        # html_params escapes the attributes, and WTForms escaped every option.
        return Markup(f"<select {html_params(name=field.name, **kwargs)}>{body}</select>")  # noqa: S704


class TimezoneField(SelectField):
    """A pick-list of IANA zones that also accepts any valid zone name."""

    widget = _ZoneSelect()

    def __init__(self, label: str | None = None, **kwargs: Any) -> None:
        kwargs.setdefault("default", "America/New_York")
        super().__init__(
            label if label is not None else _l("Time zone"),
            choices=list(_zone_choices()),
            validate_choice=False,
            **kwargs,
        )

    def pre_validate(self, form: Any) -> None:
        if not self.data or not is_valid_zone(self.data):
            raise ValidationError(_("Choose a time zone from the list."))


def strip(value: Any) -> Any:
    """Trim surrounding spaces from text input."""
    return value.strip() if isinstance(value, str) else value


def one_spaced(value: Any) -> Any:
    """A name with every run of spaces (a non-breaking or an ideographic one too) made one
    plain space: "first name only" (``User.staff_name``) splits at a plain space, in
    Python and in SQL, so what staff see never falls back to the whole name."""
    return " ".join(value.split()) if isinstance(value, str) else value


#: C0 and C1 control characters and DEL. Nobody types them; pasted, they break mail
#: headers and calendar files, and PostgreSQL refuses NUL in text outright.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")
#: The same, less the tab and line breaks a text area legitimately sends.
_CONTROL_MULTILINE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def without_controls(text: str) -> str:
    """Text with any control character made a space: for a search, which refuses nothing."""
    return _CONTROL.sub(" ", text)


class PlainText:
    """Refuse hidden control characters (NUL included); line breaks only when multiline."""

    def __init__(self, *, multiline: bool = False) -> None:
        self.pattern = _CONTROL_MULTILINE if multiline else _CONTROL

    def __call__(self, form: Any, field: Any) -> None:
        if isinstance(field.data, str) and self.pattern.search(field.data):
            raise ValidationError(
                _(
                    "This has hidden characters in it (often from copy and paste). "
                    "Please type it again."
                )
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
            raise ValidationError(_("Choose a start time in the future."))
        if field.data > today + timedelta(days=365 * self.years):
            raise ValidationError(
                ngettext(
                    "Choose a date within the next year.",
                    "Choose a date within the next %(num)d years.",
                    self.years,
                )
            )


def place_field(description: str) -> StringField:
    """An address and room, optional."""
    return StringField(
        _l("Location"),
        filters=[strip],
        validators=[Optional(), Length(max=300), PlainText()],
        description=description,
    )


def _http_link(form: Any, field: Any) -> None:
    if field.data and not field.data.lower().startswith(("https://", "http://")):
        raise ValidationError(_("Enter a full link starting with https://"))


def meeting_link_field(description: str = "") -> URLField:
    """An online meeting link, optional; only web links (no javascript: or mailto:)."""
    return URLField(
        _l("Online meeting link"),
        filters=[strip],
        validators=[
            Optional(),
            Length(max=500),
            PlainText(),
            URL(require_tld=False, message=_l("Enter a full link starting with https://")),
            _http_link,
        ],
        description=description,
    )


def meeting_mode_field() -> SelectField:
    """In person, online, or either: a filter of a list (counseling times, workshops)."""
    return SelectField(
        _l("In person or online"),
        choices=[
            SelectChoice("", _l("Either one")),
            SelectChoice(MeetingMode.IN_PERSON, _l("In person")),
            SelectChoice(MeetingMode.ONLINE, _l("Online")),
        ],
        default="",
        validate_choice=False,
    )


def set_aside_unknown(fields: Iterable[SelectField], notes: Mapping[str, Any]) -> list[str]:
    """Put each filter whose value none of its choices has back to "any" (""), and return
    what the page says about each (``notes`` by field name): an old or edited address
    shows the whole list with a word why, never an error."""
    said = []
    for field in fields:
        values = {choice.value for choice in field.iter_choices()}
        if not isinstance(field.data, str) or field.data not in values:
            if field.data:
                said.append(str(notes[field.name]))
            field.data = ""
    return said


def readable_day(form: Any, field: Any) -> None:
    """A date a person wrote: say how to write one, rather than "Not a valid date value"."""
    if field.process_errors:
        field.errors[:] = []
        raise StopValidation(_("Write the date as year-month-day, like 2026-03-04."))


def within_calendar(form: Any, field: Any) -> None:
    """A day the calendar pages reach (a far-off year is a typing slip)."""
    if field.data is not None and not EARLIEST <= field.data <= LATEST:
        raise ValidationError(
            _(
                "Choose a date between %(earliest)s and %(latest)s, written like 2026-03-04.",
                earliest=EARLIEST.isoformat(),
                latest=LATEST.isoformat(),
            )
        )
