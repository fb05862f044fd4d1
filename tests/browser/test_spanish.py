"""Hearth in Spanish, in a real browser: every page a family, a facilitator and an admin
reach has no English left in it and passes the same checks as in English.

"No English" is read from the catalogue itself: any English string that has a Spanish
translation of its own must not show on a Spanish page.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import time

from playwright.sync_api import Page, expect

from scheduler.extensions import db
from scheduler.models import Appointment, Role, User
from tests.browser.actions import publish
from tests.browser.checks import check_page
from tests.browser.conftest import LiveServer, log_in
from tests.support.counseling import book, open_every_afternoon
from tests.support.languages import english_left, english_with_spanish

ENGLISH = english_with_spanish()


def spanish_page(page: Page, name: str, *, screenshot: bool = False) -> None:
    """The page is in Spanish, says so, shows no English string, and passes every check."""
    expect(page.locator("html")).to_have_attribute("lang", "es")
    left = english_left(page.evaluate("document.body.innerText"), ENGLISH)
    assert not left, f"English left on {name!r} ({page.url}): {left[:8]}"
    check_page(page, name, screenshot=screenshot)


def test_a_family_reads_and_books_in_spanish(
    new_page: Callable[..., Page], live: LiveServer
) -> None:
    """Visitor pages by the browser's Accept-Language, then the switcher, then booking."""
    maya = live.user(Role.FACILITATOR, name="Maya Okafor")
    workshop_id, _ = publish(
        live, maya, "Entender la adicción en familia", weeks=4, description="Una tarde tranquila."
    )
    other_id, _ = publish(live, maya, "Cuidarse a uno mismo", capacity=2, days=5, at=time(10, 0))
    open_every_afternoon_for(live, maya)
    page = new_page(locale="es-MX")  # the browser asks for Spanish

    for path, name in [
        ("/", "inicio"),
        ("/calendar", "calendario"),
        ("/calendar?view=week", "calendario-semana"),
        (f"/workshops/{workshop_id}", "taller-visitante"),
        ("/counseling", "citas-visitante"),
        ("/login", "entrar"),
        ("/register", "crear-cuenta"),
        ("/password/forgot", "contrasena-olvidada"),
        ("/no-such-page", "no-encontrada"),
    ]:
        page.goto(path)
        spanish_page(page, name, screenshot=name == "inicio")

    # A family whose browser asks for English switches to Spanish at the foot of a page.
    page = new_page()
    family = live.user(name="Familia Rivera")
    log_in(page, family.email)
    page.goto(f"/workshops/{workshop_id}")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.get_by_role("button", name="Español").click()
    spanish_page(page, "taller", screenshot=True)
    with live.data():
        assert db.session.get_one(User, family.id).language == "es", "kept on the account"

    form = page.locator("form[data-booking-form]")
    form.locator("input[name=seats]").fill("2")
    form.locator("button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/bookings\?booked=\d+$"))
    spanish_page(page, "mis-reservas", screenshot=True)
    for path, name in [("/account", "cuenta"), ("/counseling", "citas")]:
        page.goto(path)
        spanish_page(page, name, screenshot=name == "citas")
    page.locator("a.slot").first.click()
    spanish_page(page, "cita-hora")
    page.locator("main form button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/bookings"))
    spanish_page(page, "mis-reservas-cita")
    with live.data():
        (appointment_id,) = db.session.scalars(db.select(Appointment.id)).all()
    page.goto(f"/counseling/appointments/{appointment_id}/move")
    spanish_page(page, "cita-cambiar")

    # A form sent with mistakes says so in Spanish, its error summary first.
    page.goto(f"/workshops/{other_id}")
    page.locator("form[data-booking-form] input[name=seats]").fill("99")
    page.locator("form[data-booking-form] button[type=submit]").click()
    expect(page.locator(".error-summary")).to_be_focused()
    spanish_page(page, "taller-errores")


def test_staff_pages_in_spanish(page: Page, live: LiveServer) -> None:
    admin = live.user(Role.ADMIN, name="Ana Admin")
    maya = live.user(Role.FACILITATOR, name="Maya Okafor")
    workshop_id, sessions = publish(live, maya, "Círculo de apoyo", weeks=2)
    with live.data():
        for user_id in (admin.id, maya.id):
            db.session.get_one(User, user_id).language = "es"
        db.session.commit()

    family = live.user(name="Familia Chen")
    open_every_afternoon_for(live, maya)
    with live.data():
        appointment_id = book(maya, family)
    log_in(page, maya.email)
    for path, name in [
        (f"/manage/counseling/appointments/{appointment_id}", "cita-consejero"),
        ("/manage", "panel"),
        ("/manage/workshops/new", "taller-nuevo"),
        (f"/manage/workshops/{workshop_id}", "taller-gestion"),
        (f"/manage/sessions/{sessions[0]}", "sesion"),
        (f"/manage/sessions/{sessions[0]}/roster", "asistentes"),
        ("/manage/counseling", "consejeria-horario"),
    ]:
        page.goto(path)
        spanish_page(page, name)

    page.context.clear_cookies()
    log_in(page, admin.email)
    for path, name in [("/admin/audit", "registro"), ("/admin/outbox", "correo")]:
        page.goto(path)
        spanish_page(page, name)


def open_every_afternoon_for(live: LiveServer, counselor: User) -> None:
    with live.data():
        open_every_afternoon(counselor.id)
