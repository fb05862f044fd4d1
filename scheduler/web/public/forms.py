"""The home page's search and filters: a GET form read from the address."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_wtf import FlaskForm
from wtforms import SearchField, SelectChoice, SelectField

from scheduler.i18n import current_language, language_name, languages
from scheduler.models import MeetingMode
from scheduler.services.catalog import MAX_SEARCH, ListingFilter
from scheduler.timetext import heading, weekday_name
from scheduler.web.fields import meeting_mode_field, set_aside_unknown, without_controls

#: The days as the address spells them, Monday first (``date.weekday()``).
DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


class ListingFilterForm(FlaskForm):
    """Which workshops to list: read from the address, so it works without JavaScript, and
    every page of the list keeps it."""

    class Meta:
        csrf = False  # a GET form that changes nothing (and pages kept for visitors)

    q = SearchField(
        _l("Search"),
        description=_l("Words from the title or the description, like “parents” or “grief”."),
        render_kw={"maxlength": MAX_SEARCH, "autocomplete": "off"},
    )
    day = SelectField(_l("Day of the week"), default="", validate_choice=False)
    mode = meeting_mode_field()
    language = SelectField(_l("Language"), default="", validate_choice=False)

    #: What the page says when its address asks for a choice the lists don't have.
    UNKNOWN = {
        "day": _l("We don't know that day, so we show every day."),
        "mode": _l("We don't know that way of meeting, so we show workshops in person and online."),
        "language": _l("We don't know that language, so we show workshops in every language."),
    }

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        reader = current_language()
        self.day.choices = [SelectChoice("", _("Any day"))] + [
            SelectChoice(code, heading(weekday_name(n, locale=reader)))
            for n, code in enumerate(DAYS)
        ]
        self.language.choices = [SelectChoice("", _("Any language"))] + [
            SelectChoice(code, language_name(code, reader)) for code in languages()
        ]

    def chosen(self) -> tuple[ListingFilter, list[str]]:
        """The filter asked for, and a note for each value no list has (then: any)."""
        notes = set_aside_unknown((self.day, self.mode, self.language), self.UNKNOWN)
        text = without_controls(self.q.data or "").strip()
        if len(text) > MAX_SEARCH:
            notes.append(
                ngettext(
                    "Only the first %(num)d character of your search is used.",
                    "Only the first %(num)d characters of your search are used.",
                    MAX_SEARCH,
                )
            )
            text = text[:MAX_SEARCH].strip()
        self.q.data = text
        only = ListingFilter(
            text=text,
            weekday=DAYS.index(self.day.data) if self.day.data else None,
            mode=MeetingMode(self.mode.data) if self.mode.data else None,
            language=self.language.data or None,
        )
        return only, notes

    def args(self) -> dict[str, str]:
        """The chosen values, for links that keep them (the pager)."""
        fields = (self.q, self.day, self.mode, self.language)
        return {f.name: f.data for f in fields if f.data}
