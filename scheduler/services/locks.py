"""Row locks taken inside a write transaction before any seat is checked."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select

from scheduler.extensions import db
from scheduler.models import User, WorkshopSession
from scheduler.services.errors import DomainError


def lock_session(session_id: int) -> WorkshopSession:
    """Lock one session row (PostgreSQL ``FOR UPDATE``; SQLite already holds the write lock)."""
    found = db.session.scalar(
        select(WorkshopSession)
        .where(WorkshopSession.id == session_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if found is None:
        raise DomainError("session_not_found")
    return found


def lock_sessions(session_ids: Iterable[int]) -> list[WorkshopSession]:
    """Lock several session rows, always in id order so two writers cannot deadlock."""
    ids = sorted(set(session_ids))
    rows = db.session.scalars(
        select(WorkshopSession)
        .where(WorkshopSession.id.in_(ids))
        .order_by(WorkshopSession.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).all()
    return sorted(rows, key=lambda s: s.starts_at)


def lock_family(family_id: int) -> None:
    """Lock a household's account row, so its own bookings made at once count each other.

    Taken before any session or slot lock, in every service that checks a per-family
    limit, so the order is always the same.
    """
    db.session.execute(select(User.id).where(User.id == family_id).with_for_update())
