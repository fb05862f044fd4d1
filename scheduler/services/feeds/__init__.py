"""Calendar feeds: who may read which feed, what each event says, and feed versions.

Every feed has two halves: a cheap *version* (one aggregate query, in ``versions``)
that gives the ETag and Last-Modified, so a poll that changed nothing is answered 304
without loading a single event; and the *events* (``events``), loaded in one query and
turned into :class:`scheduler.ics.CalendarEvent` for the pure builder. Both read the
same selection (``queries``); ``tokens`` says whose private feed a link opens.
"""

from scheduler.links import private_feed as private_feed_url
from scheduler.links import public_feed as public_feed_url
from scheduler.links import webcal
from scheduler.services.feeds.events import (
    NEUTRAL_COUNSELING_TITLE,
    NEUTRAL_TITLE,
    REFRESH,
    appointment_calendar,
    appointment_event,
    appointment_title,
    booking_calendar,
    booking_event,
    private_calendar,
    private_events,
    public_calendar,
    public_events,
    session_event,
)
from scheduler.services.feeds.queries import KEEP_PAST
from scheduler.services.feeds.tokens import (
    feed_token,
    give_feed_token,
    reset_feed_token,
    user_for_token,
)
from scheduler.services.feeds.versions import (
    FEED_FORMAT,
    FeedVersion,
    private_version,
    public_version,
)

__all__ = [
    "FEED_FORMAT",
    "KEEP_PAST",
    "NEUTRAL_COUNSELING_TITLE",
    "NEUTRAL_TITLE",
    "REFRESH",
    "FeedVersion",
    "appointment_calendar",
    "appointment_event",
    "appointment_title",
    "booking_calendar",
    "booking_event",
    "feed_token",
    "give_feed_token",
    "private_calendar",
    "private_events",
    "private_feed_url",
    "private_version",
    "public_calendar",
    "public_events",
    "public_feed_url",
    "public_version",
    "reset_feed_token",
    "session_event",
    "user_for_token",
    "webcal",
]
