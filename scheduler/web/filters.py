"""Jinja filters for showing times with their zone."""

from __future__ import annotations

from flask import Flask

from scheduler.timetext import day_text, zone_name
from scheduler.timeutil import format_local, utcnow
from scheduler.web.times import reader_time


def register(app: Flask) -> None:
    # ``when`` gives a TimeText: printed, it is one line; templates/_time.html shows it
    # with the reader's time strong and the other party's muted.
    app.add_template_filter(reader_time, "when")
    app.add_template_filter(lambda zone: zone_name(zone, utcnow()), "zone_name")
    app.add_template_filter(format_local, "local")
    app.add_template_filter(day_text, "date_label")
