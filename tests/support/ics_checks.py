"""Checks every calendar body must pass: RFC 5545 mechanics and independent parsers agreeing."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

import icalendar
import recurring_ical_events
import vobject

from tests.support import icaljs, libical


@dataclass(frozen=True, order=True)
class Instant:
    uid: str
    start: datetime
    end: datetime


def mechanical_checks(body: bytes) -> None:
    """Fail unless the body has CRLF lines of at most 75 octets, zones and unique UIDs."""
    assert body.endswith(b"\r\n")
    assert b"\n" not in body.replace(b"\r\n", b""), "bare LF or CR in the body"
    lines = body.split(b"\r\n")[:-1]
    too_long = [line for line in lines if len(line) > 75]
    assert not too_long, f"lines over 75 octets: {too_long[:2]}"
    unfolded = re.sub(rb"\r\n[ \t]", b"", body).decode("utf-8")
    used = set(re.findall(r";TZID=([^:;]+)[:;]", unfolded))
    defined = set(re.findall(r"^TZID:([^\r\n]+)", unfolded, flags=re.M))
    assert used <= defined, f"TZID without VTIMEZONE: {used - defined}"
    uids = re.findall(r"^UID:([^\r\n]+)", unfolded, flags=re.M)
    assert len(uids) == len(set(uids)), "duplicate UIDs"
    calendar = icalendar.Calendar.from_ical(body)
    for event in calendar.walk("VEVENT"):
        assert event.decoded("dtend") > event.decoded("dtstart"), event["uid"]
        for required in ("uid", "dtstamp", "sequence", "status", "summary"):
            assert required in event, f"{required} missing in {event.get('uid')}"


def _utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC)


def with_icalendar(body: bytes) -> list[Instant]:
    calendar = icalendar.Calendar.from_ical(body)
    return sorted(
        Instant(str(e["uid"]), _utc(e.decoded("dtstart")), _utc(e.decoded("dtend")))
        for e in calendar.walk("VEVENT")
    )


def _vobject_events(body: bytes) -> list[Any]:
    text = body.decode("utf-8")
    # vobject keeps one process-wide TZID registry where the first definition seen wins,
    # and does not always register a file's own VTIMEZONE before reading its events.
    # Register this file's definitions (parsed by vobject) first, as a client would.
    for vtimezone in vobject.readOne(text, transform=False).contents.get("vtimezone", []):
        tzinfo = vobject.icalendar.TimezoneComponent.gettzinfo(vtimezone)
        vobject.icalendar.registerTzid(vtimezone.tzid.value, tzinfo)
    return list(vobject.readOne(text).contents.get("vevent", []))


def with_vobject(body: bytes) -> list[Instant]:
    return sorted(
        Instant(e.uid.value, _utc(e.dtstart.value), _utc(e.dtend.value))
        for e in _vobject_events(body)
    )


def with_recurring_ical_events(body: bytes) -> list[Instant]:
    calendar = icalendar.Calendar.from_ical(body)
    events = recurring_ical_events.of(calendar).between(datetime(1970, 1, 1), datetime(2100, 1, 1))
    return sorted(
        Instant(str(e["uid"]), _utc(e.decoded("dtstart")), _utc(e.decoded("dtend"))) for e in events
    )


def _instant(text: str) -> datetime:
    """Read '2027-03-09T23:00:00Z' (ical.js) or '20270309T230000Z' (libical)."""
    if "-" not in text:
        return datetime.strptime(text, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _instants(parsed: dict[str, Any], parser: str) -> list[Instant]:
    assert parsed["errors"] == [], f"{parser}: {parsed['errors']}"
    return sorted(
        Instant(e["uid"], _instant(e["start_utc"]), _instant(e["end_utc"]))
        for e in parsed["events"]
    )


def with_icaljs(body: bytes) -> list[Instant]:
    return _instants(icaljs.parse_with_icaljs(body), "ical.js")


def with_libical(body: bytes) -> list[Instant]:
    return _instants(libical.parse_many_with_libical([body])[0], "libical")


def _agree(parser: str, got: list[Instant], reference: list[Instant]) -> None:
    if got != reference:
        wrong = [(r, g) for r, g in zip(reference, got, strict=False) if r != g][:3]
        raise AssertionError(
            f"{parser} disagrees with icalendar ({len(got)} vs {len(reference)} events); "
            f"first differences (icalendar, {parser}): {wrong}"
        )


def cross_check_many(bodies: list[bytes]) -> list[list[Instant]]:
    """Parse each body with every independent parser; all must agree on UIDs and instants.

    ical.js and libical each run once for the whole list. They run wherever they are
    installed; CI installs both and test_icaljs_is_installed / test_libical_is_installed
    fail there if either is missing, so no calendar goes unchecked by them in CI.
    """
    references = []
    for body in bodies:
        mechanical_checks(body)
        reference = with_icalendar(body)
        _agree("vobject", with_vobject(body), reference)
        _agree("recurring-ical-events", with_recurring_ical_events(body), reference)
        references.append(reference)
    external: list[tuple[str, Callable[[list[bytes]], list[dict[str, Any]]]]] = []
    if icaljs.icaljs_available():
        external.append(("ical.js (Thunderbird's parser)", icaljs.parse_many_with_icaljs))
    if libical.libical_available():
        external.append(("libical (Evolution's parser)", libical.parse_many_with_libical))
    for parser, parse_many in external:
        for parsed, reference in zip(parse_many(bodies), references, strict=True):
            _agree(parser, _instants(parsed, parser), reference)
    return references


def cross_check(body: bytes) -> list[Instant]:
    """Parse with every independent parser; all must agree on UIDs and UTC instants."""
    return cross_check_many([body])[0]


@dataclass(frozen=True, order=True)
class Update:
    """What tells a calendar an event changed: its SEQUENCE, and where it is now."""

    uid: str
    sequence: int
    location: str | None


def _updates(events: list[dict[str, Any]]) -> list[Update]:
    return sorted(Update(e["uid"], int(e["sequence"] or 0), e["location"]) for e in events)


def read_updates_alike(body: bytes) -> list[Update]:
    """Each event's SEQUENCE and LOCATION as every parser reads them; all must agree.

    icalendar, vobject and recurring-ical-events here; ical.js and libical where they
    are installed (CI installs both, see :func:`cross_check_many`).
    """

    def from_icalendar(event: Any) -> Update:
        location = str(event["location"]) if "location" in event else None
        return Update(str(event["uid"]), int(event.get("sequence", 0)), location)

    calendar = icalendar.Calendar.from_ical(body)
    reference = sorted(from_icalendar(e) for e in calendar.walk("VEVENT"))
    found = {
        "vobject": sorted(
            Update(
                e.uid.value,
                int(e.sequence.value) if hasattr(e, "sequence") else 0,
                e.location.value if hasattr(e, "location") else None,
            )
            for e in _vobject_events(body)
        ),
        "recurring-ical-events": sorted(
            from_icalendar(e)
            for e in recurring_ical_events.of(calendar).between(
                datetime(1970, 1, 1), datetime(2100, 1, 1)
            )
        ),
    }
    if icaljs.icaljs_available():
        parsed = icaljs.parse_with_icaljs(body)
        assert parsed["errors"] == [], parsed["errors"]
        found["ical.js"] = _updates(parsed["events"])
    if libical.libical_available():
        parsed = libical.parse_many_with_libical([body])[0]
        assert parsed["errors"] == [], parsed["errors"]
        found["libical"] = _updates(parsed["events"])
    for parser, updates in found.items():
        assert updates == reference, f"{parser} reads {updates}, icalendar {reference}"
    return reference


@cache
def clock_changes(zone: str, first: int = 2024, last: int = 2035) -> tuple[datetime, ...]:
    """Every UTC instant the zone's offset changes from ``first`` to ``last`` year.

    Found by asking zoneinfo week by week, then halving down to the minute: independent
    of the VTIMEZONE builder's own search. (Two changes within a week, which no zone
    has had since the 1940s, would be missed: fewer test events, never a wrong one.)
    """
    tz = ZoneInfo(zone)

    def offset(moment: datetime) -> timedelta | None:
        return moment.astimezone(tz).utcoffset()

    found = []
    day = datetime(first, 1, 1, tzinfo=UTC)
    while day < datetime(last + 1, 1, 1, tzinfo=UTC):
        following = day + timedelta(days=7)
        if offset(following) != offset(day):
            low, high = day, following
            while high - low > timedelta(minutes=1):
                middle = low + (high - low) / 2
                low, high = (middle, high) if offset(middle) == offset(low) else (low, middle)
            found.append(high.replace(second=0, microsecond=0))
        day = following
    return tuple(found)
