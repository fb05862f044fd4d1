"""Feed versions: ETag and Last-Modified from counters read by primary key, without
loading events.

Calendar apps poll every feed about once an hour; a poll that changed nothing is
answered 304 from these few numbers alone.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import bindparam, select

from scheduler import i18n, settings
from scheduler.extensions import db
from scheduler.models import FeedState, User
from scheduler.services.feeds.changes import COUNSELING, PEOPLE, PUBLIC, own
from scheduler.services.feeds.queries import day_start
from scheduler.vtimezone import tz_version

#: Change when the wording or shape of events changes, so every ETag changes with it.
#: 3: VTIMEZONEs every parser reads alike (RRULE onsets), repeated wall times in UTC.
#: 4: private feeds versioned by counters (``changes``) instead of aggregates.
#: 5: feeds worded in a language (the account's, or DEFAULT_LANGUAGE), named in the version.
FEED_FORMAT = 5


@dataclass(frozen=True)
class FeedVersion:
    """All a poll is answered from when nothing changed: no event is loaded for it."""

    etag: str
    #: Whole seconds, rounded up from the newest change (HTTP dates have no fractions).
    last_modified: datetime


def _version(parts: Sequence[Any], newest: Sequence[datetime | None], day: datetime) -> FeedVersion:
    # BASE_URL is in every link of every event: a new one must change every ETag.
    base_url = settings.current().base_url
    changes = [t.isoformat() if t else None for t in newest]
    # A new tz database can change a zone's VTIMEZONE, so calendars must be fetched anew.
    material = (FEED_FORMAT, tz_version(), base_url, day.isoformat(), *parts, *changes)
    latest = max([day, *(t for t in newest if t is not None)])
    rounded_up = datetime.fromtimestamp(math.ceil(latest.timestamp()), UTC)
    return FeedVersion(f'"{hashlib.sha256(repr(material).encode()).hexdigest()[:40]}"', rounded_up)


#: Read on every poll, so built once: the names vary, the statement doesn't.
_COUNTERS = select(FeedState.name, FeedState.counter, FeedState.changed_at).where(
    FeedState.name.in_(bindparam("names", expanding=True))
)


def _counters(names: Sequence[str]) -> tuple[list[int], list[datetime | None]]:
    """The named counters and their change times, in one read by primary key.

    A counter never bumped has no row yet: it reads as 0, changed never.
    """
    rows = db.session.connection().execute(_COUNTERS, {"names": list(names)})
    states = {name: (counter, changed_at) for name, counter, changed_at in rows}
    found = [states.get(name, (0, None)) for name in names]
    return [counter for counter, _ in found], [changed_at for _, changed_at in found]


def public_version(now: datetime, facilitator_id: int | None = None) -> FeedVersion:
    """Version of the public feed (or one facilitator's part), from one primary-key read.

    Every transaction that changes a workshop or a session bumps the counter
    (``feeds.changes``); the day is in the version too, since the window of sessions
    shown moves each day. A facilitator's part changes with the whole: a poll may
    fetch again for nothing after another facilitator's edit, never miss a change.
    """
    counters, changed = _counters([PUBLIC])
    parts = ("public", facilitator_id, _language(None), *counters)
    return _version(parts, changed, day_start(now))


def private_version(user: User, now: datetime) -> FeedVersion:
    """Version of a user's private feed, from the counters its contents bump.

    Its own counter moves with its bookings and appointments (and, for a facilitator,
    the bookings in their sessions); the shared ones with any session, workshop,
    counselor's settings or name it may show. The user row is already loaded by the
    token lookup, so whose feed and how it is worded cost nothing more.
    """
    counters, changed = _counters([PUBLIC, COUNSELING, PEOPLE, own(user.id)])
    words = (user.descriptive_titles, user.name, _language(user.language))
    parts = ("private", user.id, user.role, *words, *counters)
    return _version(parts, changed, day_start(now))


def _language(chosen: str | None) -> str:
    """The language a feed is worded in: the one chosen, else DEFAULT_LANGUAGE.

    A new choice bumps the person's counter too (``changes``); the language itself is
    in the version for a new DEFAULT_LANGUAGE, which changes no counter.
    """
    with i18n.for_user(chosen):
        return i18n.current_language()
