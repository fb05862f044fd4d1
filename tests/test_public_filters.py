"""The home page's search and filters: words, day of the week, in person or online, language.

Families narrow the list from a plain GET form that works without JavaScript; every
page of the list keeps the filters, a kept page is never another filter's, a value
the lists don't have is set aside with a note, and the day of the week is the one
where the workshop is held, whatever its zone and the clocks do.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

import pytest
import time_machine
from sqlalchemy import func, update

from scheduler.database import write_transaction
from scheduler.models import Role, Workshop
from scheduler.services import series
from scheduler.services.series import WorkshopDetails
from scheduler.timeutil import utcnow
from scheduler.web import page_cache
from tests.support import bulk
from tests.support.feeds import counting_queries

#: A Monday.
TODAY = datetime(2026, 11, 30, 15, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _a_fixed_today():
    """These tests read as of one fixed day, whatever day they run."""
    with time_machine.travel(TODAY, tick=True):
        yield


@pytest.fixture
def publish(make_user):
    """Publish a workshop as a facilitator would, with the details a filter reads."""
    facilitator = make_user(Role.FACILITATOR, name="Ana Ruiz")

    def make(
        title: str,
        *,
        description: str = "",
        location: str = "Room 1",
        online_url: str = "",
        language: str = "en",
        start: datetime = datetime(2026, 12, 8, 18, 0),
        timezone: str = "America/New_York",
        weeks: int = 1,
    ) -> Workshop:
        return series.create_workshop(
            facilitator.id,
            WorkshopDetails(title, description, location, online_url, True, language),
            timezone=timezone,
            capacity=8,
            first_start=start,
            duration_minutes=90,
            weeks=weeks,
            now=utcnow(),
        )

    return make


def titles(html: str) -> list[str]:
    """The workshops a page of the list shows, in order."""
    return re.findall(r'<h2><a href="/workshops/\d+">([^<]+)</a></h2>', html)


def listed(client, query: str = "") -> list[str]:
    response = client.get(f"/{query}")
    assert response.status_code == 200
    return titles(response.get_data(as_text=True))


@pytest.fixture
def three(publish):
    """A Spanish group in person, an English one online, and one both in person and online."""
    return (
        publish(
            "Familias en recuperación",
            description="Un grupo para madres y padres.",
            language="es",
        ),
        publish(
            "Parents' evening",
            description="Talking about grief and hope.",
            location="",
            online_url="https://meet.example.org/evening",
            start=datetime(2026, 12, 9, 18, 0),
        ),
        publish(
            "Morning circle",
            description="Coffee, and questions answered.",
            online_url="https://meet.example.org/morning",
            start=datetime(2026, 12, 10, 9, 0),
        ),
    )


# --- each filter --------------------------------------------------------------------------


def test_search_finds_words_in_the_title_or_description_with_case_and_accents_aside(client, three):
    assert listed(client, "?q=RECUPERACION") == ["Familias en recuperación"]
    assert listed(client, "?q=grief") == ["Parents&#39; evening"]
    assert listed(client, "?q=padres+familias") == ["Familias en recuperación"]  # every word
    assert listed(client, "?q=coffee+grief") == []


def test_search_characters_are_taken_as_typed_not_as_wildcards(client, publish):
    publish("100% for families", description="Every_one welcome")
    publish("Other group")

    assert listed(client, "?q=%25") == ["100% for families"]
    assert listed(client, "?q=_") == ["100% for families"]
    assert listed(client, "?q=o%25") == []


def test_in_person_or_online(client, three):
    assert listed(client, "?mode=in_person") == ["Familias en recuperación", "Morning circle"]
    assert listed(client, "?mode=online") == ["Parents&#39; evening", "Morning circle"]


def test_the_language_of_the_sessions(client, three):
    page = client.get("/?language=es").get_data(as_text=True)

    assert titles(page) == ["Familias en recuperación"]
    assert "In Spanish" in page
    assert listed(client, "?language=en") == ["Parents&#39; evening", "Morning circle"]


def test_the_day_of_the_week(client, three):
    assert listed(client, "?day=tuesday") == ["Familias en recuperación"]
    assert listed(client, "?day=wednesday") == ["Parents&#39; evening"]
    assert listed(client, "?day=sunday") == []


def test_the_day_is_the_one_where_the_workshop_is_held_even_near_midnight(client, publish):
    # Tuesday 00:30 in Auckland is Monday 11:30 in UTC; Monday 23:30 in Los Angeles is
    # Tuesday 07:30 in UTC. Each is on its own zone's day.
    publish("Auckland night owls", start=datetime(2026, 12, 8, 0, 30), timezone="Pacific/Auckland")
    publish(
        "Los Angeles late group",
        start=datetime(2026, 12, 7, 23, 30),
        timezone="America/Los_Angeles",
    )

    assert listed(client, "?day=tuesday") == ["Auckland night owls"]
    assert listed(client, "?day=monday") == ["Los Angeles late group"]


def test_a_weekly_series_keeps_its_day_when_the_clocks_change(client, publish):
    # Tuesdays at 7:30 PM in New York: Wednesday in UTC until 14 March 2027, Tuesday after.
    publish("Spring series", start=datetime(2027, 3, 2, 19, 30), weeks=4)

    tuesday = client.get("/?day=tuesday").get_data(as_text=True)

    assert titles(tuesday) == ["Spring series"] and "4 sessions to come" in tuesday
    assert listed(client, "?day=wednesday") == []


def test_filters_combine(client, three):
    assert listed(client, "?mode=in_person&language=en") == ["Morning circle"]
    assert listed(client, "?mode=online&day=thursday&q=questions") == ["Morning circle"]
    assert listed(client, "?mode=online&language=es") == []


# --- the form and its answers ----------------------------------------------------------


def test_the_form_is_labelled_and_remembers_what_was_chosen(client, three):
    page = client.get("/?q=grief&day=wednesday&mode=online&language=en").get_data(as_text=True)

    form = page[page.index('role="search"') : page.index("</form>", page.index('role="search"'))]
    for name in ("q", "day", "mode", "language"):
        assert f'<label for="{name}">' in form
    assert 'method="get"' in page and 'value="grief"' in form
    assert '<option selected value="wednesday">Wednesday</option>' in form
    assert '<option selected value="online">Online</option>' in form
    assert "Clear the search and filters" in form


def test_no_match_says_so_and_offers_every_workshop(client, three):
    page = client.get("/?q=nothing+like+this").get_data(as_text=True)

    assert titles(page) == []
    assert 'No workshops match your search and filters. <a href="/">See every workshop</a>' in page


@pytest.mark.parametrize(
    ("query", "note"),
    [
        ("?day=someday", "We don&#39;t know that day, so we show every day."),
        ("?mode=by+car", "We don&#39;t know that way of meeting"),
        (
            "?language=xx",
            "We don&#39;t know that language, so we show workshops in every language.",
        ),
        ("?q=" + "a" * 150, "Only the first 100 characters of your search are used."),
    ],
)
def test_a_value_the_lists_dont_have_is_set_aside_with_a_note(client, three, query, note):
    response = client.get(f"/{query}")

    assert response.status_code == 200
    assert note in response.get_data(as_text=True)


@pytest.mark.parametrize("query", ["?q=%00", "?q=%ff%fe", "?day=%00", "?q=a&q=b", "?language="])
def test_odd_input_never_breaks_the_page(client, three, query):
    assert client.get(f"/{query}").status_code == 200


# --- pages of the list, and kept pages ------------------------------------------------------


def _links(html: str, rel: str) -> dict[str, list[str]]:
    (href,) = re.findall(rf'<a rel="{rel}" href="([^"]+)"', html)
    return parse_qs(urlsplit(href.replace("&amp;", "&")).query)


def test_every_page_of_the_list_keeps_the_filters(client, make_user):
    host = make_user(Role.FACILITATOR)
    bulk.add_sessions(host.id, 25 * bulk.TERM)  # 25 workshops, in person, in English
    with write_transaction() as session:
        session.execute(update(Workshop).values(search_text=func.lower(Workshop.title)))
    page_cache.clear()  # bulk rows bypass the counters kept pages are versioned by
    chosen = {"q": ["group"], "mode": ["in_person"], "language": ["en"]}

    first = client.get("/?q=group&mode=in_person&language=en").get_data(as_text=True)
    later = _links(first, "next")
    second = client.get("/?" + "&".join(f"{k}={v[0]}" for k, v in later.items()))
    sooner = _links(second.get_data(as_text=True), "prev")

    assert len(titles(first)) == 20 and "Page 1 of 2" in first
    assert later == chosen | {"page": ["2"]}
    assert len(titles(second.get_data(as_text=True))) == 5
    assert sooner == chosen  # page 1 is the bare address, with the filters


def test_a_kept_page_is_never_another_filters(client, db, three):
    grief, hope = "?q=grief", "?q=recuperacion"
    assert listed(client, grief) == ["Parents&#39; evening"]
    assert listed(client, hope) == ["Familias en recuperación"]
    assert len(listed(client, "")) == 3

    db.session.rollback()
    with counting_queries(db) as statements:
        again = client.get(f"/{grief}")
    assert len(statements) == 1  # served as kept, and kept for its own address only
    assert titles(again.get_data(as_text=True)) == ["Parents&#39; evening"]
    assert listed(client, hope) == ["Familias en recuperación"]


@pytest.mark.slow
@pytest.mark.parametrize("viewer", ["anonymous", "family"])
def test_a_filtered_list_runs_the_same_statements_at_10_and_10000_sessions(
    client, auth, db, make_user, three, viewer
):
    if viewer == "family":
        auth.login(make_user())
    host = make_user(Role.FACILITATOR)
    paths = ["/", "/?q=evening&day=wednesday&mode=online&language=en"]

    def statements(path: str) -> int:
        page_cache.clear()
        db.session.rollback()
        with counting_queries(db) as seen:
            assert titles(client.get(path).get_data(as_text=True))
        return len(seen)

    bulk.add_sessions(host.id, 10)
    small = [statements(path) for path in paths]
    bulk.add_sessions(host.id, 10_000 - 10)
    large = [statements(path) for path in paths]

    assert small == large and small[0] == small[1]


# --- the language on pages and forms -----------------------------------------------------


def test_the_workshop_page_says_its_language_in_the_readers_own(client, three):
    spanish = three[0]
    page = client.get(f"/workshops/{spanish.id}").get_data(as_text=True)
    assert "<dt>Language</dt><dd>Spanish</dd>" in page

    client.set_cookie("hearth_language", "es")
    page = client.get(f"/workshops/{spanish.id}").get_data(as_text=True)
    assert "<dd>Español</dd>" in page
    assert "En español" in client.get("/").get_data(as_text=True)


def test_a_facilitator_chooses_the_language_when_publishing_and_editing(
    client, auth, db, make_user
):
    facilitator = make_user(Role.FACILITATOR)
    auth.login(facilitator)
    form = {
        "title": "Grupo de los martes",
        "location": "Sala 2",
        "timezone": "America/New_York",
        "capacity": "8",
        "starts_at": "2026-12-15T18:00",
        "duration_minutes": "90",
        "weeks": "1",
        "publish": "y",
    }
    assert 'id="language"' in client.get("/manage/workshops/new").get_data(as_text=True)

    refused = client.post("/manage/workshops/new", data=form | {"language": "xx"})
    made = client.post("/manage/workshops/new", data=form | {"language": "es"})

    assert refused.status_code == 422
    assert "Choose the workshop&#39;s language from the list." in refused.get_data(as_text=True)
    assert made.status_code == 303
    db.session.rollback()
    workshop = db.session.scalars(db.select(Workshop)).one()
    assert workshop.language == "es"

    edit = {"title": workshop.title, "location": "Sala 2", "publish": "y"}
    assert client.post(f"/manage/workshops/{workshop.id}/edit", data=edit).status_code == 303
    db.session.rollback()
    assert db.session.get_one(Workshop, workshop.id).language == "es"  # not sent: kept
    client.post(f"/manage/workshops/{workshop.id}/edit", data=edit | {"language": "en"})
    db.session.rollback()
    assert db.session.get_one(Workshop, workshop.id).language == "en"


def test_a_new_workshop_is_in_the_default_language_unless_told(app, publish, make_user):
    app.config["DEFAULT_LANGUAGE"] = "es"
    facilitator = make_user(Role.FACILITATOR)
    workshop = series.create_workshop(
        facilitator.id,
        WorkshopDetails("Grupo", "", "Sala 1", "", True),
        timezone="America/New_York",
        capacity=8,
        first_start=datetime(2026, 12, 15, 18, 0),
        duration_minutes=90,
        weeks=1,
        now=utcnow(),
    )
    assert workshop.language == "es"
