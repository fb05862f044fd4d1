"""Mail, calendars, CSV and domain errors are written in their reader's language.

The Spanish catalogue is filled in separately, so these tests prove the mechanism with
what needs no catalogue (Babel's Spanish dates and zone names) and with a stand-in
catalogue (``pseudo``): it wraps every string marked for translation in « », only
while the language being written is Spanish. A Spanish reader's email then shows that
every word went through gettext, in their language, whoever's request or job wrote it.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime, time, timedelta

import flask_babel
import icalendar
import pytest
import time_machine
from babel.support import NullTranslations

from scheduler import i18n
from scheduler.csvexport import HEADER, roster_csv
from scheduler.jobs import sweep_once
from scheduler.models import Role, User
from scheduler.services import accounts, digest, feeds, rosters
from scheduler.services.booking import Needs
from scheduler.services.errors import DomainError
from scheduler.services.series import Scope, cancel_sessions, reschedule
from scheduler.timeutil import utcnow, wall_time
from tests.support.counseling import book
from tests.support.feeds import private_feed
from tests.support.languages import english_left, english_with_spanish
from tests.support.mail import SERVICE_WORDS, calendar_part, received
from tests.test_digest import at, day_ahead

#: A session well ahead, on a December evening in New York: "jue, 3 dic 2026".
EVENING = datetime(2026, 12, 3, 19, 0)
#: A marked string as the stand-in catalogue gives it in Spanish.
PSEUDO = re.compile(r"«[^«»]*(«[^«»]*»[^«»]*)*»")


@pytest.fixture(autouse=True)
def _a_fixed_today():
    """These tests read as of one fixed day, days before EVENING, whatever day they run."""
    with time_machine.travel(datetime(2026, 11, 30, 15, 0, tzinfo=UTC), tick=True):
        yield


class _Pseudo(NullTranslations):
    """A catalogue that wraps each string in « » while the language is Spanish."""

    @staticmethod
    def _wrap(text: str) -> str:
        locale = flask_babel.get_locale()
        return f"«{text}»" if locale is not None and locale.language == "es" else text

    def ugettext(self, message):  # type: ignore[override]
        return self._wrap(message)

    def ungettext(self, singular, plural, n):  # type: ignore[override]
        return self._wrap(singular if n == 1 else plural)

    def upgettext(self, context, message):  # type: ignore[override]
        return self._wrap(message)

    def unpgettext(self, context, singular, plural, n):  # type: ignore[override]
        return self._wrap(singular if n == 1 else plural)


@pytest.fixture
def pseudo(monkeypatch):
    monkeypatch.setattr(flask_babel.Domain, "get_translations", lambda self: _Pseudo())


def spanish(user: User) -> User:
    accounts.set_language(user.id, "es")
    return user


def plain_text(email) -> str:
    return email.get_body(preferencelist=("plain",)).get_content()


def html_text(email) -> str:
    return email.get_body(preferencelist=("html",)).get_content()


def test_a_spanish_familys_email_is_dated_in_spanish_and_an_english_one_in_english(
    mail_to, make_workshop, make_booking, make_user
):
    session = make_workshop(start=EVENING).sessions[0]
    maria, ann = spanish(make_user(name="María")), make_user(name="Ann")
    make_booking(session.id, family=maria)
    make_booking(session.id, family=ann)

    sweep_once()

    (to_maria,) = [m for m in received(mail_to) if m["To"] == maria.email]
    (to_ann,) = [m for m in received(mail_to) if m["To"] == ann.email]
    assert "jue, 3 dic 2026, 19:00 hora oriental" in to_maria["Subject"]
    assert "jue, 3 dic 2026, 19:00 hora oriental" in plain_text(to_maria)
    assert '<html lang="es">' in html_text(to_maria)
    assert "Thu, Dec 3, 2026, 7:00\xa0PM Eastern Time" in to_ann["Subject"]
    assert '<html lang="en">' in html_text(to_ann)


def test_every_word_of_a_spanish_email_goes_through_the_catalogue(
    pseudo, mail_to, make_workshop, make_booking, make_user
):
    session = make_workshop(start=EVENING).sessions[0]
    maria, ann = spanish(make_user(name="María")), make_user(name="Ann")
    make_booking(session.id, family=maria)
    make_booking(session.id, family=ann)

    sweep_once()

    (to_maria,) = [m for m in received(mail_to) if m["To"] == maria.email]
    (to_ann,) = [m for m in received(mail_to) if m["To"] == ann.email]
    assert PSEUDO.fullmatch(to_maria["Subject"]), to_maria["Subject"]
    lines = [line for line in plain_text(to_maria).splitlines() if line.strip()]
    # Greeting, headline, details and links' words; the signature is Hearth's name.
    assert lines[-1] == "— Hearth"
    for line in lines[:-1]:
        assert line.startswith("«"), line
    invite, _ = calendar_part(to_maria)
    (event,) = icalendar.Calendar.from_ical(invite).walk("VEVENT")
    assert PSEUDO.fullmatch(str(event["summary"]))
    assert str(event["description"]).startswith("«")
    assert "«" not in to_ann["Subject"] and "«" not in plain_text(to_ann)


def test_a_spanish_facilitators_digest_is_in_spanish(
    pseudo, mail_to, make_user, make_workshop, make_booking
):
    zone = "America/New_York"
    facilitator = spanish(make_user(Role.FACILITATOR, timezone=zone))
    day = day_ahead(zone)
    session = make_workshop(
        facilitator=facilitator, start=datetime.combine(day, time(18))
    ).sessions[0]
    make_booking(session.id, needs=Needs(childcare_needed=True))
    digest.queue_due(at(day, 7, zone))
    mail_to.clear()

    with time_machine.travel(at(day, 7, zone, 1), tick=False):
        sweep_once()

    (email,) = [m for m in received(mail_to) if m["To"] == facilitator.email]
    assert PSEUDO.fullmatch(email["Subject"]), email["Subject"]
    text = plain_text(email)
    assert "«Good morning. You have «1 session» today. Times are in hora oriental.»" in text
    assert "«18:00: Family education. «1 of 5 seats booked»; «childcare for 1».»" in text


def test_private_feeds_are_in_the_accounts_language_and_a_new_choice_is_a_new_body(
    pseudo, client, db, make_counselor, make_user
):
    counselor = make_counselor()
    book(counselor, make_user())
    before = private_feed(client, db, counselor)
    (event,) = icalendar.Calendar.from_ical(before.get_data()).walk("VEVENT")
    assert str(event["summary"]).startswith("Counseling appointment, ")

    spanish(counselor)
    after = private_feed(client, db, counselor)

    assert after.headers["ETag"] != before.headers["ETag"]
    calendar = icalendar.Calendar.from_ical(after.get_data())
    (event,) = calendar.walk("VEVENT")
    assert PSEUDO.fullmatch(str(event["summary"])), str(event["summary"])
    assert re.search(r" 1[4-6]:\d\d ", str(event["summary"]))  # Babel's Spanish clock
    assert PSEUDO.fullmatch(str(calendar["x-wr-calname"]))
    # Asked with the old ETag, the feed is sent again, in Spanish.
    again = client.get(
        f"/calendar/feeds/{feeds.feed_token(counselor)}.ics",
        headers={"If-None-Match": before.headers["ETag"]},
    )
    assert again.status_code == 200 and again.get_data() == after.get_data()


def test_a_language_change_bumps_only_that_persons_feed_counter(db, make_user):
    family, other = make_user(), make_user()
    now = datetime.now().astimezone()
    mine, theirs = feeds.private_version(family, now), feeds.private_version(other, now)

    spanish(family)
    db.session.rollback()
    family = db.session.get_one(User, family.id)

    assert feeds.private_version(family, now) != mine
    assert feeds.private_version(other, now) == theirs
    chosen = feeds.private_version(family, now)
    spanish(family)  # the same choice again changes nothing
    assert feeds.private_version(family, now) == chosen


def test_the_public_feed_is_in_the_default_language_whoever_asks(
    pseudo, app, client, make_workshop
):
    make_workshop(start=EVENING)
    body = client.get("/calendar/workshops.ics", headers={"Accept-Language": "es"}).get_data()
    assert b"\xc2\xab" not in body  # no «: English, the default
    english = client.get("/calendar/workshops.ics").headers["ETag"]

    app.config["DEFAULT_LANGUAGE"] = "es"
    response = client.get("/calendar/workshops.ics")

    assert response.headers["ETag"] != english
    name = str(icalendar.Calendar.from_ical(response.get_data())["x-wr-calname"])
    assert PSEUDO.fullmatch(name)


def test_a_family_and_its_event_in_two_languages_are_cached_side_by_side(
    pseudo, app, make_workshop, make_booking, make_user
):
    from scheduler import ics

    family = make_user()
    booking = make_booking(make_workshop(start=EVENING).sessions[0].id, family=family)
    ics.clear_caches()
    with i18n.for_user("en"):
        english = feeds.booking_event(booking, descriptive=False)
        ics.build_calendar([english], ics.CalendarInfo(name="Hearth"))
    with i18n.for_user("es"):
        spanish_event = feeds.booking_event(booking, descriptive=False)
        ics.build_calendar([spanish_event], ics.CalendarInfo(name="Hearth"))

    assert english.uid == spanish_event.uid and english.summary != spanish_event.summary
    assert type(spanish_event.summary) is str  # a lazy string would change as a key
    assert ics._fragment.cache_info().currsize == 2


def test_domain_errors_are_worded_when_shown_in_the_readers_language(pseudo, app):
    with app.app_context():
        with i18n.for_user("es"):
            raised = DomainError("full", seats=2)
        with i18n.for_user("en"):
            assert raised.message == "This session doesn't have 2 seats free right now."
            assert str(raised) == raised.message
        with i18n.for_user("es"):
            assert PSEUDO.fullmatch(raised.message)
            assert PSEUDO.fullmatch(DomainError("too_many_seats", maximum=1).message)


def test_the_roster_csv_has_its_readers_words(pseudo, app):
    with app.app_context():
        with i18n.for_user("en"):
            english = rosters.csv_words()
        with i18n.for_user("es"):
            spanish_words = rosters.csv_words()

    assert english.header == HEADER and (english.yes, english.no) == ("yes", "no")
    assert all(PSEUDO.fullmatch(title) for title in spanish_words.header)
    body = roster_csv([], spanish_words).decode("utf-8-sig")
    assert next(csv.reader(io.StringIO(body))) == list(spanish_words.header)


@pytest.mark.parametrize("language", [None, "es"])
def test_discreet_subjects_and_titles_in_every_language(
    language, mail_to, client, db, make_workshop, make_booking, make_user
):
    workshop = make_workshop(title="Educación sobre adicción y recuperación", start=EVENING)
    family = make_user(Role.FAMILY)
    if language:
        spanish(family)
    make_booking(workshop.sessions[0].id, family=family)
    sweep_once()

    (email,) = [m for m in received(mail_to) if m["To"] == family.email]
    assert not SERVICE_WORDS.search(email["Subject"]), email["Subject"]
    body = private_feed(client, db, family).get_data()
    for event in icalendar.Calendar.from_ical(body).walk("VEVENT"):
        assert not SERVICE_WORDS.search(str(event["summary"]))


# --- with the Spanish catalogue itself ------------------------------------------------


def test_a_spanish_family_gets_every_email_and_calendar_entry_in_spanish(
    mail_to, db, make_workshop, make_booking, make_user
):
    """Confirmation, change, reminder and cancellation, and the invites they carry."""
    english = english_with_spanish()
    workshop = make_workshop(start=EVENING, weeks=2)
    session = workshop.sessions[0]
    maria = spanish(make_user(name="María"))
    make_booking(session.id, family=maria)
    sweep_once()  # the confirmation
    reschedule(
        session.id,
        new_start=wall_time(session.starts_at, "America/New_York") + timedelta(hours=1),
        duration_minutes=90,
        scope=Scope.ONE,
        now=utcnow(),
    )
    sweep_once()  # the change
    db.session.expire_all()
    starts_at = db.session.get_one(type(session), session.id).starts_at
    with time_machine.travel(starts_at - timedelta(hours=47), tick=False):
        sweep_once()  # the first reminder
    cancel_sessions(session.id, scope=Scope.ONE, now=utcnow())
    sweep_once()  # the cancellation

    emails = [m for m in received(mail_to) if m["To"] == maria.email]
    assert len(emails) >= 4, [m["Subject"] for m in emails]
    for email in emails:
        text = plain_text(email)
        assert not english_left(email["Subject"] + " " + text, english), (
            email["Subject"],
            english_left(email["Subject"] + " " + text, english),
        )
        assert re.search(r"(lun|mar|mié|jue|vie|sáb|dom), \d+ (dic|ene) 2026", text), text
        assert "hora oriental" in text
        assert not SERVICE_WORDS.search(email["Subject"]), email["Subject"]
        for part in email.walk():
            if part.get_content_type() == "text/calendar":
                calendar = icalendar.Calendar.from_ical(part.get_payload(decode=True))
                for event in calendar.walk("VEVENT"):
                    words = f"{event['summary']} {event.get('description', '')}"
                    assert not english_left(words, english), words
                    assert not SERVICE_WORDS.search(str(event["summary"]))
