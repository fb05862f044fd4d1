"""The version of what the public pages show, so each is rendered once per change.

Families open the list and the workshop pages far more often than anything on them
changes. What those pages show moves with: workshops and sessions (the public feed's
counter, ``feeds.changes``), people's names (the ``people`` counter), seats taken (any
booking's change, its newest ``updated_at``, read from an index), and time (sessions
leave the list once they start): the minute is part of the version.
"""

from __future__ import annotations

from collections.abc import Hashable
from datetime import datetime

from scheduler.extensions import db
from scheduler.services.feeds.changes import PEOPLE, PUBLIC

#: Asked on every view of a public page, so written once as plain SQL: building and
#: keying an expression each time cost more than the query. The values only go into
#: the version, so they are used as the driver returns them.
_VERSION = (
    f"SELECT (SELECT counter FROM feed_states WHERE name = '{PUBLIC}'),"  # noqa: S608
    f" (SELECT counter FROM feed_states WHERE name = '{PEOPLE}'),"
    " (SELECT max(updated_at) FROM bookings)"
)


def public_pages(now: datetime) -> Hashable:
    """One statement of two primary-key reads and an index lookup, at any size."""
    row = db.session.connection().exec_driver_sql(_VERSION).one()
    return (*row, now.replace(second=0, microsecond=0))
