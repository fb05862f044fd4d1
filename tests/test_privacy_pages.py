"""The privacy page says how long things are kept from the settings, in each language;
the admins' retention page shows what each run purged, in words."""

from __future__ import annotations

import re

import pytest
import time_machine
from flask import template_rendered

from scheduler.models import Role, User
from scheduler.services import retention
from tests.support.retention import NOW, build_world

SPANISH = {"Accept-Language": "es-MX,es;q=0.9"}


def text_of(response) -> str:
    """The page's words, tags dropped and spaces made single."""
    assert response.status_code == 200
    return " ".join(re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)).split())


def test_the_privacy_page_says_how_long_each_thing_is_kept(client):
    page = text_of(client.get("/privacy"))

    assert "Your needs and notes are cleared 90 days after the session ends." in page
    assert "The note is cleared 90 days after the appointment." in page
    assert "we keep the words for 90 days, then clear them" in page
    assert "We keep this record for 730 days, then delete it." in page
    assert "we delete the account after 30 days." in page


def test_the_privacy_page_in_spanish_says_the_same_numbers(client):
    page = text_of(client.get("/privacy", headers=SPANISH))

    assert "Su privacidad" in page
    assert "Sus necesidades y notas se borran 90 días después de que termina la sesión." in page
    assert "La nota se borra 90 días después de la cita." in page
    assert "guardamos las palabras 90 días y luego las borramos" in page
    assert "Guardamos este registro 730 días y luego lo borramos." in page
    assert "borramos la cuenta después de 30 días." in page


@pytest.mark.parametrize("headers", [{}, SPANISH], ids=["en", "es"])
def test_changed_settings_change_the_privacy_page_at_once(app, client, headers):
    before = text_of(client.get("/privacy", headers=headers))
    app.config.update(
        RETENTION_NEEDS_DAYS=45,
        RETENTION_MESSAGE_DAYS=60,
        RETENTION_AUDIT_DAYS=365,
        RETENTION_UNCONFIRMED_DAYS=1,
        ACCOUNT_CLOSE_GRACE_DAYS=14,
        DATA_EXPORT_HOURS=24,
    )

    after = text_of(client.get("/privacy", headers=headers))

    assert before != after
    for days in ("90", "730", "30"):
        assert f" {days} " not in after
    if headers:
        assert "se borran 45 días después" in after
        assert "guardamos las palabras 60 días" in after
        assert "Guardamos este registro 365 días" in after
        assert "borramos la cuenta después de 1 día." in after
        assert "Durante 14 días puede cambiar de opinión" in after
        assert "El enlace funciona durante 24 horas." in after
    else:
        assert "cleared 45 days after the session ends" in after
        assert "we keep the words for 60 days" in after
        assert "We keep this record for 365 days" in after
        assert "we delete the account after 1 day." in after
        assert "For 14 days you can change your mind" in after
        assert "The link to it works for 24 hours." in after


def test_the_privacy_page_is_kept_rendered_for_visitors(app, client):
    first = client.get("/privacy")
    rendered: list[str] = []

    def recorded(_app, template, **_extra):
        rendered.append(template.name)

    template_rendered.connect(recorded, app)
    try:
        again = client.get("/privacy")
        in_spanish = client.get("/privacy", headers=SPANISH)
    finally:
        template_rendered.disconnect(recorded, app)

    assert again.get_data() == first.get_data()
    assert rendered == ["public/privacy.html"]  # Spanish only: English was kept
    assert in_spanish.get_data() != first.get_data()


def test_every_page_links_to_the_privacy_page_and_it_leads_to_the_account(client):
    home = client.get("/").get_data(as_text=True)
    page = client.get("/privacy").get_data(as_text=True)

    assert 'href="/privacy"' in home
    assert 'href="/account"' in page
    assert "download a copy of everything Hearth keeps about you" in page


def test_the_retention_page_shows_each_runs_counts_in_words(
    client, auth, make_user, make_workshop, make_booking, make_counselor
):
    build_world(make_user, make_workshop, make_booking, make_counselor)
    admin = make_user(Role.ADMIN, verified=True)
    with time_machine.travel(NOW, tick=False):
        retention.run_daily(NOW)
    auth.login(admin)

    page = text_of(client.get("/admin/retention"))

    assert "Needs and notes cleared from 2 bookings of past sessions" in page
    assert "Notes cleared from 1 past counseling appointment" in page
    assert "Words cleared from 1 message to a group" in page
    assert "Error text cleared from 1 sent email" in page
    assert "1 old entry of the audit log deleted" in page
    assert "1 unconfirmed, unused account deleted" in page
    assert "2 used or expired email links deleted" in page
    assert "1 ended sign-in deleted" in page
    assert "1 old failed login deleted" in page
    assert "cleared 90 days after the session or appointment ended" in page
    assert "deleted after 730 days" in page


def test_the_retention_page_says_when_a_step_failed_and_when_nothing_ran(
    app, client, auth, make_user
):
    admin = make_user(Role.ADMIN, verified=True)
    auth.login(admin)
    empty = text_of(client.get("/admin/retention"))

    def broken(_now):
        raise RuntimeError("disk on fire")

    with time_machine.travel(NOW, tick=False):
        retention.run_daily(NOW, [retention.Step("exports", broken)])
    app.config["RETENTION_AUDIT_DAYS"] = 365
    page = text_of(client.get("/admin/retention", headers=SPANISH))

    assert "No purge has run yet." in empty
    assert "exports: se detuvo con un error" in page
    assert "se borran después de 365 días" in page


def test_a_family_sees_that_an_old_messages_words_are_no_longer_kept(
    db, client, auth, make_user, make_workshop, make_booking, make_counselor
):
    world = build_world(make_user, make_workshop, make_booking, make_counselor)
    household = db.session.get_one(User, world.household)

    with time_machine.travel(NOW, tick=False):
        auth.login(household.email)
        before = text_of(client.get("/bookings"))
        retention.run_daily(NOW)
        after = text_of(client.get("/bookings"))

    assert "See you Tuesday" in before
    assert "See you Tuesday" not in after
    assert "The words of this message are no longer kept." in after


def test_the_account_page_leads_to_the_privacy_page(client, auth, make_user):
    auth.login(make_user())

    page = client.get("/account").get_data(as_text=True)

    assert 'href="/privacy">Read how Hearth keeps your data</a>' in page
