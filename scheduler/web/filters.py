"""Jinja filters for showing times with their zone, and people's names."""

from __future__ import annotations

from flask import Flask

from scheduler.services.household_names import shown_name
from scheduler.timetext import day_text, zone_name
from scheduler.timeutil import format_local, utcnow
from scheduler.web.times import reader_time

#: A name as pages show it: an erased household's placeholder in the reader's language.
person_name = shown_name


def register(app: Flask) -> None:
    # ``when`` gives a TimeText: printed, it is one line; templates/_time.html shows it
    # with the reader's time strong and the other party's muted.
    app.add_template_filter(reader_time, "when")
    app.add_template_filter(lambda zone: zone_name(zone, utcnow()), "zone_name")
    app.add_template_filter(format_local, "local")
    app.add_template_filter(day_text, "date_label")
    app.add_template_filter(person_name, "person_name")
