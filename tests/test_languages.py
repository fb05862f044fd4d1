"""Which language a page is in: the account's, the visitor's choice, the browser's."""

from __future__ import annotations

import multiprocessing
import re
import shutil

from babel.messages.mofile import read_mo

from scheduler import i18n
from scheduler.models import User

SPANISH = {"Accept-Language": "es-MX,es;q=0.9,en;q=0.5"}


def lang_of(response) -> str:
    found = re.search(r'<html lang="([\w-]+)">', response.get_data(as_text=True))
    assert found, "every page says its language"
    return found.group(1)


def test_a_visitor_reads_the_language_their_browser_asks_for(client):
    assert lang_of(client.get("/", headers=SPANISH)) == "es"
    assert "Idioma" in client.get("/", headers=SPANISH).get_data(as_text=True)
    assert lang_of(client.get("/", headers={"Accept-Language": "fr, de"})) == "en"  # default
    assert lang_of(client.get("/")) == "en"


def test_the_switcher_keeps_a_visitors_choice_in_a_cookie_over_the_browsers(client):
    switched = client.post("/language", data={"language": "es", "next": "/calendar"})

    assert switched.status_code == 303 and switched.headers["Location"] == "/calendar"
    cookie = switched.headers["Set-Cookie"]
    assert "hearth_language=es" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert lang_of(client.get("/", headers={"Accept-Language": "en"})) == "es"


def test_the_switcher_is_on_every_page_and_needs_no_script(client):
    page = client.get("/").get_data(as_text=True)
    form = page[page.index('<form method="post" action="/language"') :]
    form = form[: form.index("</form>")]
    assert 'value="en" lang="en"' in form and ">English</button>" in form
    assert 'value="es" lang="es"' in form and ">Español</button>" in form
    assert 'name="next" value="/"' in form


def test_a_signed_in_persons_choice_is_saved_on_their_account(client, auth, make_user, db):
    family = make_user()
    auth.login(family)

    client.post("/language", data={"language": "es", "next": "/bookings"})

    db.session.expire_all()
    assert db.session.get(User, family.id).language == "es"
    client.delete_cookie("hearth_language")
    assert lang_of(client.get("/bookings", headers={"Accept-Language": "en"})) == "es"


def test_an_account_made_while_reading_spanish_is_spanish(client, db):
    client.post(
        "/register",
        data={
            "name": "Familia Rivera",
            "email": "rivera@example.org",
            "password": "una tarde tranquila en casa",
            "password_confirm": "una tarde tranquila en casa",
            "timezone": "America/New_York",
        },
        headers=SPANISH,
    )

    user = db.session.scalar(db.select(User).filter_by(email="rivera@example.org"))
    assert user is not None and user.language == "es"


def test_an_unknown_language_is_refused_plainly_and_nothing_is_kept(client):
    refused = client.post("/language", data={"language": "xx", "next": "/"})
    assert refused.status_code == 400
    assert "have that language" in refused.get_data(as_text=True)
    assert "Set-Cookie" not in refused.headers or "hearth_language" not in refused.headers.get(
        "Set-Cookie", ""
    )


def test_the_switcher_only_sends_back_to_a_page_of_this_site(client):
    for elsewhere in ("https://example.com/", "//example.com", "/\\example.com"):
        sent = client.post("/language", data={"language": "es", "next": elsewhere})
        assert sent.headers["Location"] == "/"


def test_pages_kept_for_visitors_are_kept_per_language(client, make_workshop):
    make_workshop()
    assert lang_of(client.get("/", headers=SPANISH)) == "es"
    assert lang_of(client.get("/", headers={"Accept-Language": "en"})) == "en"
    assert lang_of(client.get("/", headers=SPANISH)) == "es"


def test_the_zone_picker_names_cities_and_times_in_the_readers_language(client):
    english = client.get("/register").get_data(as_text=True)
    spanish = client.get("/register", headers=SPANISH).get_data(as_text=True)

    assert ">New York — Eastern Time</option>" in english
    assert ">Nueva York — hora oriental</option>" in spanish
    assert '<option value="Europe/London">Londres — hora británica</option>' in spanish


def test_catalogues_compiled_by_many_processes_at_once_come_out_whole(tmp_path, monkeypatch):
    copy = tmp_path / "translations"
    shutil.copytree(i18n.TRANSLATIONS, copy, ignore=shutil.ignore_patterns("*.mo"))
    monkeypatch.setattr(i18n, "TRANSLATIONS", copy)
    context = multiprocessing.get_context("fork")
    workers = [context.Process(target=i18n.compile_catalogues) for _ in range(6)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()

    assert all(worker.exitcode == 0 for worker in workers)
    with (copy / "es" / "LC_MESSAGES" / "messages.mo").open("rb") as mo:
        assert read_mo(mo).get("Language").string == "Idioma"
    assert not list(copy.glob("**/*.part"))
