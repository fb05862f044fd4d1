"""Jinja filters for showing times with their zone, and people's names."""

from __future__ import annotations

from flask import Flask
from flask_babel import lazy_gettext as _l

from scheduler.models import ERASED_NAME
from scheduler.timetext import day_text, zone_name
from scheduler.timeutil import format_local, utcnow
from scheduler.web.times import reader_time

#: The placeholder an erased household is stored under, in the reader's language.
ERASED_NAME_WORDS = _l("Former household")


def person_name(name: str) -> str:
    """A name as pages show it: an erased household's placeholder translated."""
    return str(ERASED_NAME_WORDS) if name == ERASED_NAME else name


def register(app: Flask) -> None:
    # ``when`` gives a TimeText: printed, it is one line; templates/_time.html shows it
    # with the reader's time strong and the other party's muted.
    app.add_template_filter(reader_time, "when")
    app.add_template_filter(lambda zone: zone_name(zone, utcnow()), "zone_name")
    app.add_template_filter(format_local, "local")
    app.add_template_filter(day_text, "date_label")
    app.add_template_filter(person_name, "person_name")
