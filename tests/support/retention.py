"""A database holding rows on both sides of every retention limit, and what a purge of it
must change, for the retention tests (not a test module).

Each limit is met by a row a minute past it (purged) and a row a minute inside it (kept),
made by the services where they exist (workshops, bookings, appointments, accounts) at a
fixed date before the purge, and written directly for the plain tables (the access
trail, the outbox, links, sign-ins).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
import time_machine
from sqlalchemy import update

from scheduler.database import write_transaction
from scheduler.extensions import db
from scheduler.models import (
    ERASED_NAME,
    NO_PASSWORD,
    AuditEvent,
    CounselingSlot,
    EmailLink,
    FeedState,
    GroupMessage,
    GroupMessageRecipient,
    LinkPurpose,
    LoginFailure,
    LoginSession,
    MessageKind,
    OutboxMessage,
    OutboxStatus,
    Role,
    User,
)
from scheduler.services.booking import Needs, cancel_booking
from scheduler.services.feeds.changes import PEOPLE, own
from tests.support.counseling import book

#: The day the purge runs (a Monday), at noon UTC.
NOW = datetime(2026, 6, 15, 12, 0, tzinfo=UTC)
#: When the sessions and appointments were booked: before every limit below.
BOOKED = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
#: The defaults, in days (config.py).
LIMITS = {
    "RETENTION_NEEDS_DAYS": 90,
    "RETENTION_MESSAGE_DAYS": 90,
    "RETENTION_AUDIT_DAYS": 730,
    "RETENTION_UNCONFIRMED_DAYS": 30,
    "RETENTION_LINK_DAYS": 7,
    "ACCOUNT_CLOSE_GRACE_DAYS": 7,
}
MINUTE = timedelta(minutes=1)
NEEDS = Needs(
    accessibility_needs="Step-free access please",
    childcare_needed=True,
    interpreter_language="Portuguese",
    notes="Our son is 15",
)
#: Every need and note cleared, as a purged booking's columns read afterwards.
NO_NEEDS = {
    "accessibility_needs": "",
    "childcare_needed": False,
    "interpreter_language": "",
    "notes": "",
}


def limit(name: str) -> datetime:
    """The moment a setting's limit falls on, counted back from NOW."""
    return NOW - timedelta(days=LIMITS[name])


@dataclass
class Change:
    """What a purge must do to one table: rows deleted, and columns changed per row."""

    deleted: set[tuple[Any, ...]] = field(default_factory=set)
    changed: dict[tuple[Any, ...], dict[str, Any]] = field(default_factory=dict)


Snapshot = dict[str, dict[tuple[Any, ...], dict[str, Any]]]


def snapshot() -> Snapshot:
    """Every row of every table by primary key (retention_runs apart: a run adds to it)."""
    db.session.rollback()
    with db.engine.connect() as conn:
        return {
            table.name: {
                tuple(row._mapping[c.name] for c in table.primary_key.columns): dict(row._mapping)
                for row in conn.execute(sa.select(table))
            }
            for table in db.metadata.sorted_tables
            if table.name != "retention_runs"
        }


def changes(before: Snapshot, after: Snapshot) -> dict[str, Change]:
    """What differs between two snapshots, by table; tables alike are left out."""
    found: dict[str, Change] = {}
    for name, rows in before.items():
        change = Change(deleted=set(rows) - set(after[name]))
        assert set(after[name]) <= set(rows), f"rows added to {name}"
        for key, row in rows.items():
            if key in after[name] and after[name][key] != row:
                new = after[name][key]
                change.changed[key] = {c: new[c] for c in row if new[c] != row[c]}
        if change.deleted or change.changed:
            found[name] = change
    return found


@dataclass
class World:
    """The rows on each side of each limit, and the changes a purge at NOW must make."""

    expected: dict[str, Change] = field(default_factory=dict)
    #: How many rows each step must count.
    counts: dict[str, int] = field(default_factory=dict)
    #: Per setting, the rows just past its limit and just inside it, by table.
    past: dict[str, list[tuple[str, int]]] = field(default_factory=dict)
    inside: dict[str, list[tuple[str, int]]] = field(default_factory=dict)
    #: The household the old message to a group was for.
    household: int = 0

    def expect(self, table: str, key: int | str, **columns: Any) -> None:
        change = self.expected.setdefault(table, Change())
        if columns:
            change.changed[(key,)] = columns
        else:
            change.deleted.add((key,))


def _add(*rows: Any) -> list[int]:
    with write_transaction() as session:
        session.add_all(rows)
        session.flush()
        return [row.id for row in rows]


def build_world(
    make_user: Callable[..., User],
    make_workshop: Callable[..., Any],
    make_booking: Callable[..., Any],
    make_counselor: Callable[..., User],
) -> World:
    """Fill the database; return what a purge at NOW with the default limits must do."""
    world = World()
    needs_limit = limit("RETENTION_NEEDS_DAYS")
    with time_machine.travel(BOOKED, tick=False):
        facilitator = make_user(Role.FACILITATOR, verified=True)
        # Sessions (UTC wall times) ending a minute past the limit and a minute inside it.
        ended = needs_limit - MINUTE - timedelta(minutes=90)
        old = make_workshop(
            facilitator=facilitator, start=ended.replace(tzinfo=None), timezone="UTC"
        )
        recent = make_workshop(
            facilitator=facilitator,
            start=(ended + 2 * MINUTE).replace(tzinfo=None),
            timezone="UTC",
        )
        old_session, recent_session = old.sessions[0].id, recent.sessions[0].id
        past = make_booking(old_session, needs=NEEDS)
        cancelled = make_booking(old_session, needs=Needs(notes="Cancelled, but said"))
        cancel_booking(cancelled.id, cancelled.family_id, now=BOOKED)
        make_booking(old_session)  # nothing to clear: untouched, not counted
        inside = make_booking(recent_session, needs=NEEDS)
        counselor = make_counselor()
        noted = [book(counselor, make_user(), note=f"Note {n}", skip=n) for n in range(2)]
    world.expect("bookings", past.id, **NO_NEEDS)
    world.expect("bookings", cancelled.id, notes="")
    world.counts["booking_needs"] = 2
    # Counseling slots ending a minute past the limit and a minute inside it.
    ends = (needs_limit - MINUTE, needs_limit + MINUTE)
    for appointment_id, end in zip(noted, ends, strict=True):
        with write_transaction() as session:
            slot_id = session.execute(
                sa.text("SELECT slot_id FROM appointments WHERE id = :id"), {"id": appointment_id}
            ).scalar_one()
            session.execute(
                update(CounselingSlot)
                .where(CounselingSlot.id == slot_id)
                .values(starts_at=end - timedelta(minutes=50), ends_at=end)
            )
    world.expect("appointments", noted[0], note="")
    world.counts["appointment_notes"] = 1
    world.past["RETENTION_NEEDS_DAYS"] = [("bookings", past.id), ("appointments", noted[0])]
    world.inside["RETENTION_NEEDS_DAYS"] = [("bookings", inside.id), ("appointments", noted[1])]

    world.household = past.family_id
    _messages(world, old.id, past.family_id)
    _audit(world)
    _accounts(world, make_user, make_workshop, facilitator)
    _links_and_sign_ins(world, past.family_id)
    _closed_accounts(world, make_user)
    return world


def _closed_accounts(world: World, make_user: Callable[..., User]) -> None:
    """Households that closed their account a minute past the grace period, and inside it."""
    cutoff = limit("ACCOUNT_CLOSE_GRACE_DAYS")
    with time_machine.travel(BOOKED, tick=False):
        past = make_user(name="Closed long ago", verified=True)
        inside = make_user(name="Closed just now", verified=True)
    for user, closed_at in ((past, cutoff - MINUTE), (inside, cutoff + MINUTE)):
        with write_transaction() as session:
            # As closing leaves it: switched off, its feed and links gone.
            session.execute(
                update(User)
                .where(User.id == user.id)
                .values(
                    closed_at=closed_at,
                    active=False,
                    feed_salt=None,
                    feed_token_hash=None,
                    link_salt=None,
                    last_login_at=None,
                )
            )
    world.expect(
        "users",
        past.id,
        name=ERASED_NAME,
        email=None,
        password_hash=NO_PASSWORD,
        reminders_enabled=False,
        invite_back=False,
        timezone="UTC",
        email_verified_at=None,
        erased_at=NOW,
    )
    # A name staff calendars show changed: the people feeds' counter moves on, once.
    people = db.session.get(FeedState, PEOPLE)
    world.expect(
        "feed_states", PEOPLE, counter=(people.counter if people else 0) + 1, changed_at=NOW
    )
    world.counts["closed_accounts"] = 1
    world.past["ACCOUNT_CLOSE_GRACE_DAYS"] = [("users", past.id)]
    world.inside["ACCOUNT_CLOSE_GRACE_DAYS"] = [("users", inside.id)]


def _messages(world: World, workshop_id: int, family_id: int) -> None:
    cutoff = limit("RETENTION_MESSAGE_DAYS")

    def message(at: datetime, body: str = "See you Tuesday", subject: str = "Tuesday") -> Any:
        return GroupMessage(
            workshop_id=workshop_id, author_name="Fay", body=body, subject=subject, created_at=at
        )

    def mail(at: datetime, status: str, error: str, **about: Any) -> OutboxMessage:
        return OutboxMessage(
            key=f"test:{at.isoformat()}:{status}:{error}:{sorted(about.items())}",
            kind=MessageKind.GROUP_MESSAGE,
            recipient_id=family_id,
            due_at=at,
            not_before=at,
            status=status,
            attempts=3,
            last_error=error,
            created_at=at,
            **about,
        )

    gone, kept, waiting, _blank = _add(
        message(cutoff - MINUTE),
        message(cutoff + MINUTE),
        message(cutoff - MINUTE),
        message(cutoff - MINUTE, body="", subject=""),
    )
    with write_transaction() as session:
        session.add(GroupMessageRecipient(message_id=gone, household_id=family_id))
    failed, _pending, recent_failure, _sent = _add(
        mail(cutoff - MINUTE, OutboxStatus.FAILED, "550 mailbox full", group_message_id=gone),
        mail(cutoff - MINUTE, OutboxStatus.PENDING, "421 try later", group_message_id=waiting),
        mail(cutoff + MINUTE, OutboxStatus.FAILED, "550 mailbox full"),
        mail(cutoff - MINUTE, OutboxStatus.SENT, ""),
    )
    world.expect("group_messages", gone, body="", subject="")
    world.expect("outbox_messages", failed, last_error="")
    world.counts["group_message_words"] = 1
    world.counts["outbox_errors"] = 1
    world.past["RETENTION_MESSAGE_DAYS"] = [("group_messages", gone), ("outbox_messages", failed)]
    world.inside["RETENTION_MESSAGE_DAYS"] = [
        ("group_messages", kept),
        ("outbox_messages", recent_failure),
    ]


def _audit(world: World) -> None:
    cutoff = limit("RETENTION_AUDIT_DAYS")

    def event(at: datetime) -> AuditEvent:
        return AuditEvent(
            actor_name="Fay", action="roster.view", subject="session:1", created_at=at
        )

    gone, kept = _add(event(cutoff - MINUTE), event(cutoff + MINUTE))
    world.expect("audit_events", gone)
    world.counts["audit_events"] = 1
    world.past["RETENTION_AUDIT_DAYS"] = [("audit_events", gone)]
    world.inside["RETENTION_AUDIT_DAYS"] = [("audit_events", kept)]


def _accounts(
    world: World,
    make_user: Callable[..., User],
    make_workshop: Callable[..., Any],
    facilitator: User,
) -> None:
    cutoff = limit("RETENTION_UNCONFIRMED_DAYS")
    with time_machine.travel(cutoff - MINUTE, tick=False):
        gone = make_user(name="Never confirmed")
        make_user(verified=True)  # confirmed: kept
        recorded = make_user(name="Recorded by phone")
        came_back = make_user()
        # Staff once (made by the command, so never confirmed), who leads a workshop.
        former_staff = make_user(Role.FACILITATOR)
        make_workshop(facilitator=former_staff)
        # Closed by an admin on its request: it waits out its grace period.
        closing_now = make_user(name="Closing now")
    with time_machine.travel(cutoff + MINUTE, tick=False):
        kept = make_user()
    with write_transaction() as session:
        session.execute(
            update(User)
            .where(User.id == recorded.id)
            .values(created_by_id=facilitator.id, password_hash=NO_PASSWORD)
        )
        session.execute(
            update(User).where(User.id == came_back.id).values(last_login_at=cutoff + MINUTE)
        )
        session.execute(update(User).where(User.id == former_staff.id).values(role=Role.FAMILY))
        session.execute(
            update(User)
            .where(User.id == closing_now.id)
            .values(closed_at=NOW - timedelta(days=1), active=False)
        )
    # It changed its name once: the entry outlives the account, its name does not.
    (renamed,) = _add(
        AuditEvent(
            actor_id=gone.id,
            actor_name="Never confirmed",
            action="account.name",
            subject=f"user:{gone.id}",
            created_at=cutoff - MINUTE,
        )
    )
    world.expect("audit_events", renamed, actor_id=None, actor_name=ERASED_NAME)
    world.expect("users", gone.id)
    if db.session.get(FeedState, own(gone.id)) is not None:
        world.expect("feed_states", own(gone.id))
    world.counts["unconfirmed_accounts"] = 1
    world.past["RETENTION_UNCONFIRMED_DAYS"] = [("users", gone.id)]
    world.inside["RETENTION_UNCONFIRMED_DAYS"] = [("users", kept.id)]


def _links_and_sign_ins(world: World, family_id: int) -> None:
    cutoff = limit("RETENTION_LINK_DAYS")

    def link(n: int, *, expires: datetime, used: datetime | None = None) -> EmailLink:
        return EmailLink(
            user_id=family_id,
            purpose=LinkPurpose.PASSWORD_RESET,
            salt=f"salt{n}",
            token_hash=f"{n:064d}",
            email="family@example.org",
            created_at=cutoff - timedelta(days=1),
            expires_at=expires,
            used_at=used,
        )

    expired, used, fresh, waiting = _add(
        link(1, expires=cutoff - MINUTE),
        link(2, expires=NOW + timedelta(days=1), used=cutoff - MINUTE),
        link(3, expires=cutoff + MINUTE),
        link(4, expires=cutoff - MINUTE),
    )
    at = cutoff - timedelta(days=1)
    carried, _pending = _add(
        *(
            OutboxMessage(
                key=f"link:{link_id}",
                kind=MessageKind.PASSWORD_RESET,
                recipient_id=family_id,
                link_id=link_id,
                due_at=at,
                not_before=at,
                status=status,
                created_at=at,
            )
            for link_id, status in ((expired, OutboxStatus.SENT), (waiting, OutboxStatus.PENDING))
        )
    )
    for gone in (expired, used):
        world.expect("email_links", gone)
    world.expect("outbox_messages", carried, link_id=None)
    world.counts["email_links"] = 2
    world.past["RETENTION_LINK_DAYS"] = [("email_links", expired), ("email_links", used)]
    world.inside["RETENTION_LINK_DAYS"] = [("email_links", fresh)]

    ended, _signed_in = _add(
        LoginSession(
            user_id=family_id, token_hash="a" * 64, created_at=BOOKED, expires_at=NOW - MINUTE
        ),
        LoginSession(
            user_id=family_id, token_hash="b" * 64, created_at=BOOKED, expires_at=NOW + MINUTE
        ),
    )
    old_failure, _recent_failure = _add(
        LoginFailure(key="ip:192.0.2.1", failed_at=NOW - timedelta(hours=24) - MINUTE),
        LoginFailure(key="ip:192.0.2.1", failed_at=NOW - timedelta(hours=24) + MINUTE),
    )
    world.expect("login_sessions", ended)
    world.expect("login_failures", old_failure)
    world.counts["sign_ins"] = 1
    world.counts["login_failures"] = 1
