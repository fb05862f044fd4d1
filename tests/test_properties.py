"""Bad input never gives a 500: random and hostile values posted to the forms.

Hypothesis posts plausible and hostile values (empty, huge, RTL and emoji text, NUL
and control characters, odd numbers, malformed and impossible local times, unknown
zones, script URLs) to the sign-up, workshop, booking and enrolment forms, with fields
missing, duplicated and invented. Whatever comes in, the answer is a redirect after a
write that obeys every rule, or a 4xx page showing the error, with no row written.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from itertools import count
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from flask import Flask, current_app
from flask.testing import FlaskClient
from hypothesis import HealthCheck, currently_in_test_context, event, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, func, select
from werkzeug.datastructures import MultiDict

from scheduler.extensions import db
from scheduler.models import Booking, BookingStatus, Role, User, Workshop, WorkshopStatus
from scheduler.services import accounts
from scheduler.services.passwords import verify_password
from scheduler.services.seats import seat_count
from scheduler.timeutil import is_valid_zone, to_utc, utcnow, wall_time
from tests.support.app import PASSWORD, AuthActions, local_start

pytestmark = pytest.mark.slow

Pairs = list[tuple[str, str]]

#: Examples per form; together they keep this file to a few seconds per backend.
SIGNUP_EXAMPLES = 120
WORKSHOP_EXAMPLES = 120
BOOKING_EXAMPLES = 80
ENROLL_EXAMPLES = 60
WORKSHOP_BOOKING_EXAMPLES = 60

LOCAL = "%Y-%m-%dT%H:%M"
HUGE = 10_000
#: Markup that must come back escaped if it is echoed at all.
XSS = "<script>hearth_xss()</script>"
XSS_ATTR = '"><img src=x onerror=hearth_xss()>'


def fuzz(examples: int) -> settings:
    # The app/client fixtures live for the whole test; each example makes its own rows.
    return settings(
        max_examples=examples,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture],
    )


# --- values ---------------------------------------------------------------------------

VALID_ZONES = [
    "America/New_York",
    "Europe/London",
    "Europe/Berlin",
    "Australia/Lord_Howe",  # 30-minute DST
    "America/Santiago",  # DST starts at midnight
    "Pacific/Chatham",  # +12:45 / +13:45
    "Asia/Kathmandu",  # +05:45, no DST
    "Pacific/Kiritimati",  # +14
    "America/St_Johns",  # -03:30 / -02:30
    "UTC",
    "US/Eastern",  # a legacy alias, still a zone
    "Etc/GMT+12",
]
INVALID_ZONES = [
    "",
    " ",
    "utc",
    "america/new_york",
    "America/New York",
    "America/New_York ",
    "America/New_York\x00",
    "Mars/Olympus_Mons",
    "../../../etc/passwd",
    "/usr/share/zoneinfo/UTC",
    "+05:00",
    "Z",
    "localtime",
    "posixrules",
]
URLS = [
    "https://meet.example.org/room/42?pwd=abc",
    "http://localhost:8080/join",
    "HTTPS://EXAMPLE.ORG/",
    "https://例え.jp/会議",
    "https://[::1]/room",
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    "javascript://example.org/%0Aalert(1)",
    "data:text/html,<script>alert(1)</script>",
    "vbscript:msgbox(1)",
    "ftp://files.example.org/agenda.pdf",
    "https://",
    "https:///path-only",
    "//example.org/room",
    "example.org/room",
    "http://exa mple.org",
    "https://user:secret@evil.example/",
    "https://example.org:99999/",
    "https://example.org/\x00room",
    "https://example.org/\x1b[31m",
    "https://exa\nmple.org/",
    "https://example.org/" + "a" * 600,
    "http://-bad-.org",
]
NUMBERS = [
    "0",
    "-0",
    "-1",
    "1",
    "2",
    "6",
    "7",
    "12",
    "14",
    "15",
    "52",
    "53",
    "500",
    "501",
    "600",
    "601",
    "+3",
    " 4 ",
    "1.5",
    "2.0",
    "1e3",
    "0x10",
    "1_000",
    "\uff13",  # fullwidth 3: Python's int() reads it
    "٣",  # Arabic-Indic digit
    "NaN",
    "inf",
    "-inf",
    "three",
    "9" * 30,
    "9" * 5000,  # beyond Python's int-from-string digit limit
    "-" + "9" * 25,
]
DATES = [
    "2026-13-45T25:61",
    "",
    "tomorrow",
    "now",
    "2027-02-30T10:00",
    "2027-01-01",
    "2027-01-01 18:00",
    "2027-01-01T18:00:00",
    "2027-01-01T18:00Z",
    "2027-01-01T18:00+05:00",
    "2027-1-2T3:4",
    "27-01-01T18:00",
    "+2027-01-01T18:00",
    "\uff12\uff10\uff12\uff17-01-01T18:00",  # fullwidth digits in the year
    "0001-01-01T00:00",
    "1969-12-31T23:59",
    "2038-01-19T03:14",
    "9999-12-31T23:59",
]
NASTY = [
    "",
    " ",
    "  \t\n  ",
    "\x00",
    "nul\x00byte",
    "\x07\x08\x1b[31mred",
    "\x7f",
    "\x85",
    "\u2028",
    "\u202eevil.exe",
    "שלום עולם",
    "مرحبا بكم",
    "👨‍👩‍👧‍👦",
    "🏳️‍🌈",
    "e\u0301",
    "\u200b",
    "\ufeff",
    "\uffff",
    "\U0010ffff",
    XSS,
    XSS_ATTR,
    "'; DROP TABLE users; --",
    "%00",
    "%s%n",
    "{{ 7*7 }}",
    "\r\nBcc: victim@example.org",
    "None",
    "null",
    "true",
    "[]",
]
#: Field names a form does not have: mass assignment must not happen.
EXTRA_KEYS = [
    "role",
    "is_admin",
    "active",
    "id",
    "user_id",
    "family_id",
    "facilitator_id",
    "session_id",
    "workshop_id",
    "status",
    "password_hash",
    "csrf_token",
    "next",
    "submit",
]

#: Text people type: letters, marks, digits, punctuation, symbols and spaces of any script.
PRINTABLE = st.characters(categories=["L", "M", "N", "P", "S", "Zs"])
huge_text = st.builds(
    lambda unit: (unit * HUGE)[:HUGE], st.sampled_from(["x", "é", "ש", "😀", " ", "\x00", "<"])
)
hostile_text = st.one_of(
    st.sampled_from(NASTY),
    st.text(max_size=60),  # any code point but surrogates, control characters included
    st.text(st.characters(categories=["Cc", "Cf", "Zs", "Zl", "Zp"]), min_size=1, max_size=8),
    huge_text,
)
anything = st.one_of(
    hostile_text,
    st.sampled_from(NUMBERS),
    st.integers(-(2**70), 2**70).map(str),
    st.floats().map(str),
    st.sampled_from(DATES),
    st.sampled_from(URLS),
    st.sampled_from(VALID_ZONES + INVALID_ZONES),
)


class FilePart(str):
    """A value sent as a file part (curl -F name=@file): its text is the file's content."""

    filename = "upload.txt"


file_parts = st.text(PRINTABLE, max_size=40).map(FilePart)


def form_body(pairs: Pairs) -> MultiDict[str, Any]:
    """The pairs as a form body: multipart with file parts when any value is a FilePart."""
    return MultiDict(
        [
            (key, (io.BytesIO(value.encode()), value.filename))
            if isinstance(value, FilePart)
            else (key, value)
            for key, value in pairs
        ]
    )


def has_file(pairs: Pairs) -> bool:
    return any(isinstance(value, FilePart) for _, value in pairs)


def weighted(*odds: tuple[int, st.SearchStrategy[Any]]) -> st.SearchStrategy[Any]:
    """Pick a strategy with the given odds (st.one_of merges repeated branches into one)."""
    table = [strategy for weight, strategy in odds for _ in range(weight)]
    return st.sampled_from(table).flatmap(lambda strategy: strategy)


def numbers(low: int, high: int) -> st.SearchStrategy[str]:
    """Whole numbers mostly in range, and the edges just outside it."""
    edges = st.sampled_from([low, high, low - 1, high + 1])
    return weighted((6, st.integers(low, high)), (1, edges)).map(str)


def text(max_size: int, samples: Iterable[str] = (), min_size: int = 0) -> st.SearchStrategy[str]:
    """Text a person might type into a field, up to and just past its limit."""
    return weighted(
        (2, st.sampled_from([*samples, " padded  ", "   "])),
        (3, st.text(PRINTABLE, min_size=min_size, max_size=max_size)),
        (1, st.builds(lambda c: c * (max_size + 1), st.sampled_from(["a", "ß", "🙂"]))),
    )


@st.composite
def form_data(draw: st.DrawFn, fields: dict[str, st.SearchStrategy[str]]) -> Pairs:
    """Fill a form plausibly, then break some fields: hostile, missing or duplicated."""
    names = st.sampled_from(sorted(fields))
    broken = draw(
        weighted(
            (2, st.just(set())),
            (2, names.map(lambda name: {name})),  # one bad field among good ones
            (1, st.sets(names)),
        )
    )
    pairs: Pairs = []
    for name, plausible in fields.items():
        if name not in broken:
            pairs.append((name, draw(plausible)))
            continue
        shape = draw(st.sampled_from(["hostile", "missing", "duplicated", "file"]))
        if shape == "hostile":
            pairs.append((name, draw(anything)))
        elif shape == "file":  # a multipart body with a file where text belongs
            pairs.append((name, draw(file_parts)))
        elif shape == "duplicated":
            either = st.one_of(plausible, anything)
            pairs.extend((name, draw(either)) for _ in range(draw(st.integers(2, 3))))
    pairs.extend(
        draw(
            st.lists(
                st.tuples(st.one_of(st.sampled_from(EXTRA_KEYS), st.text(max_size=12)), anything),
                max_size=3,
            )
        )
    )
    return draw(st.permutations(pairs))


def first(pairs: Pairs, name: str) -> str | None:
    """Return the value a form field reads: the first one sent, if any."""
    return next((value for key, value in pairs if key == name), None)


def all_of(pairs: Pairs, name: str) -> list[str]:
    return [value for key, value in pairs if key == name]


def checked(pairs: Pairs, name: str) -> bool:
    """Read a checkbox the way WTForms' BooleanField does."""
    return first(pairs, name) not in (None, "", "false")


def dst_gaps(zone: str, days: int = 800) -> list[datetime]:
    """Return local wall times (15-minute steps) that clocks skip in ``zone`` soon."""
    tz = ZoneInfo(zone)
    day = wall_time(utcnow(), zone).date()
    skipped = []
    for _ in range(days):
        today = datetime.combine(day, time(12), tz).utcoffset()
        tomorrow = datetime.combine(day + timedelta(days=1), time(12), tz).utcoffset()
        if today is not None and tomorrow is not None and tomorrow > today:
            noon = datetime.combine(day, time(12))
            for minutes in range(0, 24 * 60, 15):
                local = noon + timedelta(minutes=minutes)
                try:
                    to_utc(local, zone)
                except ValueError:
                    skipped.append(local)
        day += timedelta(days=1)
    return skipped


DST_GAPS = {zone: gaps for zone in VALID_ZONES if (gaps := dst_gaps(zone))}


# --- checks shared by every form --------------------------------------------------------


def row_counts() -> dict[str, int]:
    """Count the rows of every table, from a fresh snapshot."""
    db.session.rollback()
    counts = {
        table.name: db.session.scalar(select(func.count()).select_from(table)) or 0
        for table in db.metadata.sorted_tables
    }
    db.session.rollback()
    return counts


def delta(before: dict[str, int], after: dict[str, int]) -> dict[str, int]:
    return {name: after[name] - before[name] for name in after if after[name] != before[name]}


def check_answer(response: Any, allowed: set[int], pairs: Pairs | None = None) -> None:
    """A known status; a failure shows what went wrong; echoed input is escaped.

    No form takes a file: a body with a file part is refused with 400, whatever else.
    """
    status = response.status_code
    html = response.get_data(as_text=True)
    if currently_in_test_context():  # the known-input tests call this too
        event(f"status {status}")
    assert status < 500, f"server error {status}"
    if pairs and has_file(pairs):
        allowed = {400}
        assert status != 400 or "This form takes no files" in html
    assert status in allowed | {413}, f"unexpected status {status}"
    assert "<script>hearth_xss" not in html
    assert "<img src=x onerror" not in html
    if status == 422:
        # A field error by the field; or, for a form the page no longer shows, at the top.
        assert 'class="error-text"' in html or 'class="error-summary"' in html, "a silent 422"
    elif status == 409:
        assert 'class="error-summary"' in html, "a 409 without an error message"
    elif status == 413:  # many huge values together exceed the request size limit
        assert "That was too much to send" in html


def has_control_characters(value: str, *, multiline: bool) -> bool:
    allowed = "\t\n\r" if multiline else ""
    return any((ord(c) < 32 or 0x7F <= ord(c) < 0xA0) and c not in allowed for c in value)


# --- sign-up ----------------------------------------------------------------------------

_unique = count(1)
TAKEN = "taken.family@example.org"
#: What a TimezoneField holds when the form leaves it out.
DEFAULT_ZONE = "America/New_York"

SIGNUP_FIELDS = {
    "name": text(120, ["Rivera family", "José & María Ortiz", "שרה כהן", "عائلة حداد", "山田家"]),
    "email": st.one_of(
        st.sampled_from(
            [
                "{unique}@example.org",
                "  {UNIQUE}@Example.ORG  ",
                "{unique}+tag@mail.example.co.uk",
                "{UNIQUE}.ü@exämple.org",
                "{taken}",
                "{TAKEN}",
            ]
        ),
        st.emails(),
    ),
    "password": st.one_of(st.just(PASSWORD), st.text(PRINTABLE, min_size=10, max_size=128)),
    "password_confirm": weighted((4, st.just("{same}")), (1, st.text(max_size=20))),
    "timezone": st.sampled_from([*VALID_ZONES, "America/New York", "localtime"]),
}


def fill_in(pairs: Pairs) -> Pairs:
    """Put a fresh address, a taken one, or the same password where the markers are."""
    unique = f"family.{next(_unique)}"
    password = first(pairs, "password") or ""

    def fill(value: str) -> str:
        if isinstance(value, FilePart):
            return value
        for marker, real in (
            ("{unique}", unique),
            ("{UNIQUE}", unique.upper()),
            ("{taken}", TAKEN),
            ("{TAKEN}", TAKEN.upper()),
            ("{same}", password),
        ):
            value = value.replace(marker, real)
        return value

    return [(key, fill(value)) for key, value in pairs]


def ensure_taken_account() -> None:
    if db.session.scalar(select(User.id).where(User.email == TAKEN)) is None:
        accounts.create_user(email=TAKEN, name="Taken", password=PASSWORD, timezone="UTC")
    db.session.rollback()


def zone_read(pairs: Pairs) -> str | None:
    """Return the zone a TimezoneField reads: the first sent, or its default when absent."""
    return first(pairs, "timezone") if "timezone" in dict(pairs) else DEFAULT_ZONE


def try_signup(client: FlaskClient, pairs: Pairs) -> int:
    """Post the sign-up form; check the answer and what it wrote; remove the account made."""
    ensure_taken_account()
    last_user_id = db.session.scalar(select(func.max(User.id))) or 0
    try:
        return _signup(client, fill_in(pairs))
    finally:
        # Hypothesis replays examples (shrinking, the example database): leave no account
        # behind, or the replay would find its address taken.
        db.session.rollback()
        db.session.execute(delete(User).where(User.id > last_user_id))
        db.session.commit()


def _signup(client: FlaskClient, pairs: Pairs) -> int:
    before = row_counts()
    response = client.post("/register", data=form_body(pairs))
    check_answer(response, {303, 422}, pairs)
    after = row_counts()
    if response.status_code != 303:
        assert after == before, f"a refused sign-up wrote rows: {delta(before, after)}"
        return response.status_code
    if (first(pairs, "email") or "").strip().lower() == TAKEN:
        # A taken address is answered as a new one; only its owner hears of it (once a day).
        assert delta(before, after) in ({}, {"outbox_messages": 1})
        return response.status_code

    # The account, its sign-in, and the email asking to confirm its address.
    assert delta(before, after) == {
        "users": 1,
        "login_sessions": 1,
        "email_links": 1,
        "outbox_messages": 1,
    }
    assert response.headers["Location"] == "/"
    user = db.session.scalars(select(User).order_by(User.id.desc())).first()
    assert user is not None
    email, name = first(pairs, "email") or "", first(pairs, "name") or ""
    assert user.email == email.strip().lower()
    assert 0 < len(user.email) <= 254
    assert user.name == name.strip()
    assert 0 < len(user.name) <= 120
    assert not has_control_characters(user.name, multiline=False)
    assert user.role == Role.FAMILY  # an extra "role" field is ignored
    assert user.is_active
    assert user.timezone == zone_read(pairs)
    assert is_valid_zone(user.timezone)
    assert user.timezone not in INVALID_ZONES
    assert verify_password(user.password_hash, first(pairs, "password") or "")
    db.session.rollback()
    return response.status_code


@fuzz(SIGNUP_EXAMPLES)
@given(pairs=form_data(SIGNUP_FIELDS))
def test_signup_form_never_fails_or_half_writes(app: Flask, pairs: Pairs) -> None:
    # A fresh client per example: a successful sign-up logs that browser in.
    try_signup(app.test_client(), pairs)


# --- publishing a workshop ----------------------------------------------------------------


@st.composite
def workshop_forms(draw: st.DrawFn) -> Pairs:
    """A workshop form whose zone, first start and number of weeks fit together, then broken."""
    zone = draw(st.sampled_from(VALID_ZONES))
    weeks = draw(numbers(1, 52))
    local_now = wall_time(utcnow(), zone).replace(second=0, microsecond=0)
    plan = draw(st.sampled_from(["future"] * 6 + ["dst_gap", "past", "any_year"]))
    if plan == "future":
        start = local_now + timedelta(minutes=draw(st.integers(1, 2 * 366 * 24 * 60)))
    elif plan == "dst_gap":
        zone = draw(st.sampled_from(sorted(DST_GAPS)))
        # A first session in the gap, or a series that walks into it a few weeks later.
        weeks_before = draw(st.integers(0, 3))
        start = draw(st.sampled_from(DST_GAPS[zone])) - timedelta(weeks=weeks_before)
        weeks = str(draw(st.integers(1, weeks_before + 2)))
    elif plan == "past":
        start = local_now - timedelta(minutes=draw(st.integers(0, 10**7)))
    else:
        start = draw(
            st.one_of(
                st.datetimes(datetime(1, 1, 1), datetime(9999, 12, 31, 23, 59)),
                # The ends of the calendar, where UTC conversion and adding weeks overflow.
                st.sampled_from([datetime(1, 1, 1), datetime(9999, 12, 31, 23, 59)]),
                st.sampled_from([datetime(9999, 12, 20, 18), datetime(2200, 1, 1, 9)]),
            )
        )
    fields = {
        "title": text(200, ["Family education: understanding addiction", XSS], min_size=1),
        "description": text(5000, ["Week by week.\nBring a notebook.", XSS_ATTR]),
        "location": text(300, ["Room 1, 12 High St", "Centre communautaire, salle 2"]),
        "online_url": weighted(
            (2, st.just("")), (2, st.sampled_from(URLS[:5])), (1, st.sampled_from(URLS))
        ),
        "timezone": st.just(zone),
        "capacity": numbers(1, 500),
        "starts_at": st.just(start.isoformat(timespec="minutes")),
        "duration_minutes": numbers(15, 600),
        "weeks": st.just(weeks),
        "publish": st.sampled_from(["y", "1", "on", "", "false", "0"]),
    }
    return draw(form_data(fields))


def try_new_workshop(client: FlaskClient, facilitator: User, pairs: Pairs) -> int:
    """Post the new-workshop form; check the answer and what it wrote."""
    posted_at = utcnow()
    before = row_counts()
    response = client.post("/manage/workshops/new", data=form_body(pairs))
    check_answer(response, {303, 422}, pairs)
    after = row_counts()
    if response.status_code != 303:
        assert after == before, f"a refused workshop wrote rows: {delta(before, after)}"
        return response.status_code

    weeks = int(first(pairs, "weeks") or "")
    assert 1 <= weeks <= 52
    assert delta(before, after) == {"workshops": 1, "workshop_sessions": weeks}
    workshop = db.session.scalars(select(Workshop).order_by(Workshop.id.desc())).first()
    assert workshop is not None
    assert response.headers["Location"] == f"/manage/workshops/{workshop.id}"
    assert workshop.facilitator_id == facilitator.id
    for name, limit in (("title", 200), ("location", 300), ("online_url", 500)):
        stored = getattr(workshop, name)
        assert stored == (first(pairs, name) or "").strip()
        assert len(stored) <= limit
        assert not has_control_characters(stored, multiline=False)
    assert workshop.title, "a workshop needs a visible title"
    assert workshop.description == (first(pairs, "description") or "").strip()
    assert len(workshop.description) <= 5000
    assert not has_control_characters(workshop.description, multiline=True)
    assert workshop.location or workshop.online_url
    if workshop.online_url:
        assert workshop.online_url.lower().startswith(("https://", "http://"))
    assert workshop.timezone == zone_read(pairs)
    assert is_valid_zone(workshop.timezone)
    assert workshop.timezone not in INVALID_ZONES
    publish = WorkshopStatus.PUBLISHED if checked(pairs, "publish") else WorkshopStatus.DRAFT
    assert workshop.status == publish

    # A wall time, naive on purpose: the workshop's zone gives it meaning.
    first_start = datetime.strptime(" ".join(all_of(pairs, "starts_at")), LOCAL)  # noqa: DTZ007
    capacity = int(first(pairs, "capacity") or "")
    length = timedelta(minutes=int(first(pairs, "duration_minutes") or ""))
    assert 1 <= capacity <= 500
    assert timedelta(minutes=15) <= length <= timedelta(minutes=600)
    sessions = sorted(workshop.sessions, key=lambda s: s.starts_at)
    assert len(sessions) == weeks
    for week, session in enumerate(sessions):
        # The same local wall time every week, across DST changes.
        assert wall_time(session.starts_at, workshop.timezone) == first_start + timedelta(
            weeks=week
        )
        assert session.starts_at > posted_at - timedelta(minutes=1)
        assert session.ends_at - session.starts_at == length
        assert session.capacity == capacity
    db.session.rollback()
    return response.status_code


@fuzz(WORKSHOP_EXAMPLES)
@given(pairs=workshop_forms())
def test_workshop_form_never_fails_or_half_writes(
    client: FlaskClient, auth: AuthActions, make_user: Callable[..., User], pairs: Pairs
) -> None:
    facilitator = make_user(Role.FACILITATOR)
    assert auth.login(facilitator).status_code == 303
    try_new_workshop(client, facilitator, pairs)


# --- booking one session, enrolling in a series -------------------------------------------


NEEDS_FIELDS = {
    "seats": numbers(1, 7),
    "accessibility_needs": text(1000, ["Step-free access, please", "Hearing loop\nLarge print"]),
    "childcare_needed": st.sampled_from(["y", "on", "", "false", "0"]),
    "interpreter_language": text(80, ["Spanish", "العربية", "ASL", "Tiếng Việt"]),
    "notes": text(2000, ["First time; a little nervous.", XSS]),
}
BOOKING_FIELDS = {**NEEDS_FIELDS, "join_waitlist": st.sampled_from(["", "1", "0", "yes"])}
#: The workshop page's one form. "S<n>" stands for the stage's n-th session (S9: none).
SESSION_CHOICES = st.sampled_from(["all", "S0", "S1", "S2", "S9", "junk", "-1", "", "S0 "])
WORKSHOP_BOOKING_FIELDS = {**NEEDS_FIELDS, "sessions": SESSION_CHOICES, "waitlist": SESSION_CHOICES}


@dataclass(frozen=True)
class Scenario:
    """The state a household finds: a session (or series) partly taken, maybe by itself."""

    capacity: int
    weeks: int
    #: Seats other households hold in the first session.
    taken: int
    #: Whether this household already holds a booking in the first session.
    already_booked: bool


def scenarios(weeks: st.SearchStrategy[int]) -> st.SearchStrategy[Scenario]:
    return st.builds(
        lambda capacity, weeks, share, mine: Scenario(capacity, weeks, capacity * share // 4, mine),
        st.integers(1, 8),
        weeks,
        st.integers(0, 4),
        st.sampled_from([False, False, False, True]),
    )


@dataclass(frozen=True)
class Stage:
    family: User
    workshop_id: int
    session_ids: list[int]


def set_the_stage(scenario: Scenario, auth: AuthActions, make_user, make_workshop, make_booking):
    """Create the workshop, the other households' seats, and log a fresh household in."""
    family = make_user(Role.FAMILY)
    workshop = make_workshop(
        capacity=scenario.capacity, weeks=scenario.weeks, start=local_start(days=3)
    )
    session_ids = [s.id for s in sorted(workshop.sessions, key=lambda s: s.starts_at)]
    maximum = current_app.config["MAX_SEATS_PER_BOOKING"]
    left = scenario.taken
    while left:
        seats = min(left, maximum)
        make_booking(session_ids[0], seats=seats)
        left -= seats
    if scenario.already_booked:
        make_booking(session_ids[0], family=family, seats=1, join_waitlist=True)
    assert auth.login(family).status_code == 303
    db.session.rollback()
    return Stage(family, workshop.id, session_ids)


def active_bookings(family_id: int) -> dict[int, Booking]:
    db.session.rollback()
    rows = db.session.scalars(
        select(Booking).where(
            Booking.family_id == family_id,
            Booking.status.in_([BookingStatus.CONFIRMED, BookingStatus.WAITLISTED]),
        )
    )
    return {booking.session_id: booking for booking in rows}


def check_booking(booking: Booking, pairs: Pairs, maximum: int) -> None:
    """A booking holds 1..maximum seats as asked, never oversells, and keeps the needs."""
    assert booking.seats == int(first(pairs, "seats") or "")
    assert 1 <= booking.seats <= maximum
    session = booking.session
    assert booking.seats <= session.capacity
    assert seat_count(session).confirmed <= session.capacity
    for name, limit, multiline in (
        ("accessibility_needs", 1000, True),
        ("interpreter_language", 80, False),
        ("notes", 2000, True),
    ):
        stored = getattr(booking, name)
        assert stored == (first(pairs, name) or "").strip()
        assert len(stored) <= limit
        assert not has_control_characters(stored, multiline=multiline)
    assert booking.childcare_needed == checked(pairs, "childcare_needed")


def try_booking(client: FlaskClient, stage: Stage, pairs: Pairs) -> int:
    """Post the booking form for the first session; check the answer and what it wrote."""
    maximum = client.application.config["MAX_SEATS_PER_BOOKING"]
    session_id = stage.session_ids[0]
    had = active_bookings(stage.family.id)
    before = row_counts()
    response = client.post(f"/sessions/{session_id}/book", data=form_body(pairs))
    check_answer(response, {303, 409, 422}, pairs)
    after = row_counts()
    if response.status_code != 303:
        assert after == before, f"a refused booking wrote rows: {delta(before, after)}"
        return response.status_code

    changes = delta(before, after)
    # A booking queues its email (and reminders) in the same transaction.
    assert changes.pop("outbox_messages", 0) >= 1, "no email queued for the booking"
    # The household's and the facilitator's feed counters, made on their first change.
    assert changes.pop("feed_states", 0) <= 2
    assert changes == {"bookings": 1}
    assert response.headers["Location"].startswith("/bookings?booked=")
    assert session_id not in had
    booking = active_bookings(stage.family.id)[session_id]
    check_booking(booking, pairs, maximum)
    if booking.status == BookingStatus.WAITLISTED:
        assert first(pairs, "join_waitlist") == "1", "waitlisted without asking"
    else:
        assert booking.status == BookingStatus.CONFIRMED
    db.session.rollback()
    return response.status_code


def try_enroll(client: FlaskClient, stage: Stage, pairs: Pairs) -> int:
    """Post the enrol form for a whole series; check the answer and what it wrote."""
    maximum = client.application.config["MAX_SEATS_PER_BOOKING"]
    had = active_bookings(stage.family.id)
    before = row_counts()
    response = client.post(f"/workshops/{stage.workshop_id}/enroll", data=form_body(pairs))
    check_answer(response, {303, 409, 422}, pairs)
    after = row_counts()
    if response.status_code != 303:
        assert after == before, f"a refused enrolment wrote rows: {delta(before, after)}"
        return response.status_code

    wanted = [sid for sid in stage.session_ids if sid not in had]
    changes = delta(before, after)
    assert changes.pop("outbox_messages", 0) >= len(wanted), "an email per booking"
    assert changes.pop("feed_states", 0) <= 2  # feed counters, made on their first change
    assert changes == {"bookings": len(wanted)}, "all sessions or none"
    assert response.headers["Location"].startswith("/bookings?booked=")
    now_held = active_bookings(stage.family.id)
    for session_id in wanted:
        booking = now_held[session_id]
        assert booking.status == BookingStatus.CONFIRMED
        check_booking(booking, pairs, maximum)
    db.session.rollback()
    return response.status_code


@fuzz(BOOKING_EXAMPLES)
@given(scenario=scenarios(st.just(1)), pairs=form_data(BOOKING_FIELDS))
def test_booking_form_never_fails_or_half_writes(
    client, auth, make_user, make_workshop, make_booking, scenario: Scenario, pairs: Pairs
) -> None:
    stage = set_the_stage(scenario, auth, make_user, make_workshop, make_booking)
    try_booking(client, stage, pairs)


@fuzz(ENROLL_EXAMPLES)
@given(scenario=scenarios(st.integers(1, 3)), pairs=form_data(NEEDS_FIELDS))
def test_enroll_form_never_fails_or_half_writes(
    client, auth, make_user, make_workshop, make_booking, scenario: Scenario, pairs: Pairs
) -> None:
    stage = set_the_stage(scenario, auth, make_user, make_workshop, make_booking)
    try_enroll(client, stage, pairs)


def try_book_workshop(client: FlaskClient, stage: Stage, pairs: Pairs) -> int:
    """Post the workshop page's one form; whatever is ticked, each booking it makes is
    whole and as asked, a refused form writes nothing, and no session is booked twice."""
    maximum = client.application.config["MAX_SEATS_PER_BOOKING"]

    def real(value: str) -> str:
        if isinstance(value, FilePart) or not value.startswith("S") or not value[1:].isdigit():
            return value
        place = int(value[1:])
        return str(stage.session_ids[place]) if place < len(stage.session_ids) else "999999"

    pairs = [(k, real(v)) if k in ("sessions", "waitlist") else (k, v) for k, v in pairs]
    had = active_bookings(stage.family.id)
    before = row_counts()
    response = client.post(f"/workshops/{stage.workshop_id}/book", data=form_body(pairs))
    check_answer(response, {303, 409, 422}, pairs)
    after = row_counts()
    if response.status_code == 422:
        assert after == before, f"a refused form wrote rows: {delta(before, after)}"
        return response.status_code
    now_held = active_bookings(stage.family.id)
    new = {sid: b for sid, b in now_held.items() if sid not in had}
    assert delta(before, after).get("bookings", 0) == len(new), "one booking a session"
    for booking in new.values():
        check_booking(booking, pairs, maximum)
    if response.status_code == 303:
        assert new and response.headers["Location"].startswith("/bookings?booked=")
    db.session.rollback()
    return response.status_code


@fuzz(WORKSHOP_BOOKING_EXAMPLES)
@given(scenario=scenarios(st.integers(1, 3)), pairs=form_data(WORKSHOP_BOOKING_FIELDS))
def test_workshop_booking_form_never_fails_or_half_writes(
    client, auth, make_user, make_workshop, make_booking, scenario: Scenario, pairs: Pairs
) -> None:
    stage = set_the_stage(scenario, auth, make_user, make_workshop, make_booking)
    try_book_workshop(client, stage, pairs)


# --- known inputs: each bug these tests found, and one clean form per page ---------------


def clean(base: dict[str, str], **changes: str) -> Pairs:
    return list({**base, **changes}.items())


CLEAN_SIGNUP = {
    "name": "Rivera family",
    "email": "{unique}@example.org",
    "password": PASSWORD,
    "password_confirm": "{same}",
    "timezone": "America/New_York",
}
NEXT_WEEK = local_start(days=7).isoformat(timespec="minutes")
CLEAN_WORKSHOP = {
    "title": "Family education",
    "description": "About recovery",
    "location": "Room 1",
    "online_url": "",
    "timezone": "America/New_York",
    "capacity": "12",
    "starts_at": NEXT_WEEK,
    "duration_minutes": "90",
    "weeks": "3",
    "publish": "y",
}
CLEAN_NEEDS = {
    "seats": "2",
    "accessibility_needs": "Step-free access",
    "childcare_needed": "y",
    "interpreter_language": "Spanish",
    "notes": "First time",
}
NY_GAP = next(iter(DST_GAPS.get("America/New_York", [])), None)
needs_ny_gap = pytest.mark.skipif(NY_GAP is None, reason="New York has no DST change ahead")


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        pytest.param({}, 303, id="clean"),
        pytest.param({"email": "  {UNIQUE}@Example.ORG "}, 303, id="email-case-spaces"),
        pytest.param({"role": "admin", "active": "0"}, 303, id="extra-fields-ignored"),
        pytest.param({"email": "{TAKEN}"}, 303, id="taken-email-other-case"),
        pytest.param({"name": "Nul\x00family"}, 422, id="nul-in-name"),
        pytest.param({"name": "Rivera\x1b[2J"}, 422, id="escape-in-name"),
        pytest.param({"timezone": "localtime"}, 422, id="localtime-zone"),
    ],
)
def test_known_signups(app: Flask, changes: dict[str, str], expected: int) -> None:
    assert try_signup(app.test_client(), clean(CLEAN_SIGNUP, **changes)) == expected


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        pytest.param({}, 303, id="clean"),
        pytest.param({"weeks": "52"}, 303, id="year-long-series-across-dst"),
        pytest.param({"status": "published", "facilitator_id": "1"}, 303, id="extra-fields"),
        pytest.param({"title": "   "}, 422, id="blank-title"),
        pytest.param({"description": "Agenda\x00"}, 422, id="nul-in-description"),
        pytest.param({"location": "Room\r\n1"}, 422, id="line-break-in-location"),
        pytest.param({"online_url": "https://example.org/\x00room"}, 422, id="nul-in-url"),
        pytest.param({"online_url": URLS[7], "location": ""}, 422, id="javascript-url"),
        pytest.param({"timezone": "localtime"}, 422, id="localtime-zone"),
        pytest.param({"starts_at": "9999-12-31T23:59"}, 422, id="year-9999"),
        pytest.param({"starts_at": "0001-01-01T00:00", "timezone": "Asia/Tokyo"}, 422, id="year-1"),
        pytest.param({"starts_at": "2026-13-45T25:61"}, 422, id="impossible-date"),
        pytest.param(
            {"starts_at": f"{NY_GAP:{LOCAL}}" if NY_GAP else "", "weeks": "1"},
            422,
            id="dst-gap",
            marks=needs_ny_gap,
        ),
        pytest.param(
            {"starts_at": f"{NY_GAP - timedelta(weeks=2):{LOCAL}}" if NY_GAP else ""},
            422,
            id="series-into-dst-gap",
            marks=needs_ny_gap,
        ),
    ],
)
def test_known_workshops(
    client: FlaskClient,
    auth: AuthActions,
    make_user: Callable[..., User],
    changes: dict[str, str],
    expected: int,
) -> None:
    facilitator = make_user(Role.FACILITATOR)
    auth.login(facilitator)
    assert try_new_workshop(client, facilitator, clean(CLEAN_WORKSHOP, **changes)) == expected


@pytest.mark.parametrize(
    ("scenario", "changes", "expected"),
    [
        pytest.param(Scenario(4, 1, 0, False), {}, 303, id="clean"),
        pytest.param(Scenario(4, 1, 4, False), {"join_waitlist": "1"}, 303, id="waitlist"),
        pytest.param(Scenario(4, 1, 4, False), {}, 409, id="full"),
        pytest.param(Scenario(4, 1, 0, True), {}, 409, id="already-booked"),
        pytest.param(Scenario(2, 1, 0, False), {"seats": "3"}, 409, id="larger-than-session"),
        pytest.param(Scenario(8, 1, 0, False), {"seats": "7"}, 422, id="over-the-maximum"),
        pytest.param(Scenario(4, 1, 0, False), {"notes": "See you\x00"}, 422, id="nul-in-notes"),
        # A stale tab: the form is no longer on the page, its error must still show.
        pytest.param(Scenario(4, 1, 0, True), {"seats": "0"}, 422, id="stale-form-bad-seats"),
    ],
)
def test_known_bookings(
    client, auth, make_user, make_workshop, make_booking, scenario, changes, expected
) -> None:
    stage = set_the_stage(scenario, auth, make_user, make_workshop, make_booking)
    assert try_booking(client, stage, clean(CLEAN_NEEDS, **changes)) == expected


@pytest.mark.parametrize(
    ("scenario", "changes", "expected"),
    [
        pytest.param(Scenario(4, 3, 0, False), {}, 303, id="clean"),
        pytest.param(Scenario(4, 3, 0, True), {}, 303, id="rest-of-series"),
        pytest.param(Scenario(4, 3, 4, False), {}, 409, id="one-session-full"),
        # No enrol form on a single session's page; a posted one must still show its error.
        pytest.param(Scenario(4, 1, 0, False), {"seats": "0"}, 422, id="single-session-bad-seats"),
    ],
)
def test_known_enrolments(
    client, auth, make_user, make_workshop, make_booking, scenario, changes, expected
) -> None:
    stage = set_the_stage(scenario, auth, make_user, make_workshop, make_booking)
    assert try_enroll(client, stage, clean(CLEAN_NEEDS, **changes)) == expected
