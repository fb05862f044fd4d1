"""Checks every calendar body must pass: RFC 5545 mechanics and independent parsers agreeing."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime

import icalendar
import recurring_ical_events
import vobject

from tests import icaljs


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


def with_vobject(body: bytes) -> list[Instant]:
    text = body.decode("utf-8")
    # vobject keeps one process-wide TZID registry where the first definition seen wins,
    # and does not always register a file's own VTIMEZONE before reading its events.
    # Register this file's definitions (parsed by vobject) first, as a client would.
    for vtimezone in vobject.readOne(text, transform=False).contents.get("vtimezone", []):
        tzinfo = vobject.icalendar.TimezoneComponent.gettzinfo(vtimezone)
        vobject.icalendar.registerTzid(vtimezone.tzid.value, tzinfo)
    calendar = vobject.readOne(text)
    return sorted(
        Instant(e.uid.value, _utc(e.dtstart.value), _utc(e.dtend.value))
        for e in calendar.contents.get("vevent", [])
    )


def with_recurring_ical_events(body: bytes) -> list[Instant]:
    calendar = icalendar.Calendar.from_ical(body)
    events = recurring_ical_events.of(calendar).between(datetime(1970, 1, 1), datetime(2100, 1, 1))
    return sorted(
        Instant(str(e["uid"]), _utc(e.decoded("dtstart")), _utc(e.decoded("dtend"))) for e in events
    )


def with_icaljs(body: bytes) -> list[Instant]:
    parsed = icaljs.parse_with_icaljs(body)
    assert parsed["errors"] == []

    def instant(text: str) -> datetime:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))

    return sorted(
        Instant(e["uid"], instant(e["start_utc"]), instant(e["end_utc"])) for e in parsed["events"]
    )


def cross_check(body: bytes) -> list[Instant]:
    """Parse with every independent parser; all must agree on UIDs and UTC instants."""
    mechanical_checks(body)
    reference = with_icalendar(body)
    assert with_vobject(body) == reference, "vobject disagrees with icalendar"
    assert with_recurring_ical_events(body) == reference, "recurring-ical-events disagrees"
    # ical.js runs wherever it is installed; CI installs it and test_icaljs_is_installed
    # fails there if it is missing, so no feed goes unchecked by it in CI.
    if icaljs.icaljs_available():
        assert with_icaljs(body) == reference, "ical.js (Thunderbird's parser) disagrees"
    return reference
