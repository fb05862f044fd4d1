"""Jinja filters for showing times with their zone."""

from __future__ import annotations

from datetime import datetime

from flask import Flask
from flask_login import current_user

from scheduler.timeutil import format_date, format_day, format_local


def when(instant: datetime, zone: str) -> str:
    """Show an instant in the place's zone, and in the viewer's own zone when it differs."""
    text = format_local(instant, zone)
    viewer_zone = getattr(current_user, "timezone", None)
    if viewer_zone and viewer_zone != zone:
        mine = format_local(instant, viewer_zone)
        if mine != text:
            text += f" (your time: {mine})"
    return text


def register(app: Flask) -> None:
    app.add_template_filter(when, "when")
    app.add_template_filter(format_local, "local")
    app.add_template_filter(format_day, "day")
    app.add_template_filter(format_date, "date_label")
