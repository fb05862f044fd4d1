"""A family asks for a copy of its data; the dispatcher builds it; the family downloads it.

Asking writes the request and its email's outbox row in one transaction (and the audit
entry). The zip is built when the dispatcher handles that row, in the transaction in
which it re-checks the row just before sending (``dispatch._recheck``), under the
copy's row lock: the row is claimed by one dispatcher, and a second wording (a retry
after the mail server failed) finds the copy built and words the same link again, so
each copy is built once and its email sent once. The link's token is derived from a
stored salt with the app's secret (``services/tokens.py``); the copy works for its
family, signed in, until it expires, and is then dropped.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update

from scheduler import i18n, links, settings
from scheduler.database import write_transaction
from scheduler.extensions import db
from scheduler.models import (
    LIVE_EXPORT_STATUSES,
    DataExport,
    DataExportStatus,
    MessageKind,
    User,
)
from scheduler.services import audit, notify, tokens
from scheduler.services.data_export.archive import zip_bytes
from scheduler.services.data_export.contents import gather
from scheduler.services.errors import DomainError
from scheduler.services.locks import lock
from scheduler.timeutil import to_local

#: What the download token is derived for: another purpose gives another token.
PURPOSE = "data_export"


def token(export: DataExport) -> str:
    """The copy's download token, written again from its salt and the secret key."""
    return tokens.derive(PURPOSE, export.salt)


def request_export(household_id: int, now: datetime) -> DataExport:
    """Ask for a new copy: one at a time; a ready one is replaced (and dropped). Audited."""
    with write_transaction() as session:
        family = lock(User, [household_id])[0]
        live = session.scalars(
            select(DataExport).where(
                DataExport.household_id == household_id,
                DataExport.status.in_(LIVE_EXPORT_STATUSES),
            )
        ).all()
        if any(export.is_requested for export in live):
            raise DomainError("data_export_in_progress")
        for export in live:  # the newer copy is the one that counts
            _drop(export)
        session.flush()
        salt = tokens.new_salt()
        export = DataExport(
            household_id=household_id,
            status=DataExportStatus.REQUESTED,
            requested_at=now,
            salt=salt,
            token_hash=tokens.digest(tokens.derive(PURPOSE, salt)),
        )
        session.add(export)
        session.flush()
        notify.insert_rows(
            [
                notify.message_row(
                    MessageKind.DATA_EXPORT, f"data-export:{export.id}", household_id, now, now
                )
                | {"data_export_id": export.id}
            ]
        )
        audit.add(family, "data.export_requested", f"user:{household_id}", now=now)
    return export


def _drop(export: DataExport) -> None:
    export.status = DataExportStatus.EXPIRED
    export.content = None


def build(export_id: int, now: datetime) -> DataExport | None:
    """Build a requested copy once, inside the dispatcher's transaction; the copy if it
    can be downloaded now, else None (it expired, or a newer one replaced it)."""
    found = lock(DataExport, [export_id])
    if not found:
        return None
    export = found[0]
    if export.is_requested:
        family = db.session.get_one(User, export.household_id)
        with i18n.for_user(family.language):
            content = zip_bytes(gather(family.id, now), made_at=now)
        export.content = content
        export.size = len(content)
        export.status = DataExportStatus.READY
        export.ready_at = now
        export.expires_at = now + settings.current().data_export_lifetime
        db.session.flush()
    return export if export.is_ready(now) else None


@dataclass(frozen=True)
class Shown:
    """A family's latest copy as its account page shows it."""

    export: DataExport
    #: The download link while the copy is ready; else None.
    url: str | None


def latest(household_id: int, now: datetime) -> Shown | None:
    """The family's newest copy, or None if it never asked for one."""
    export = db.session.scalar(
        select(DataExport)
        .where(DataExport.household_id == household_id)
        .order_by(DataExport.id.desc())
        .limit(1)
    )
    if export is None:
        return None
    ready = export.is_ready(now)
    return Shown(export, links.data_export(export.id, token(export)) if ready else None)


@dataclass(frozen=True)
class Download:
    """A copy's zip, with a file name that says nothing about the service."""

    content: bytes
    filename: str


def download(export_id: int, given: str, household_id: int, now: datetime) -> Download:
    """The family's own copy by its link; audited. DomainError for anything else."""
    export = db.session.get(DataExport, export_id)
    if (
        export is None
        or export.household_id != household_id
        or not tokens.plausible(given)
        or not tokens.matches(tokens.digest(given), export.token_hash)
    ):
        raise DomainError("data_export_not_found")
    if not export.is_ready(now) or export.content is None:
        raise DomainError("data_export_expired")
    content, made = export.content, export.ready_at or now
    family = db.session.get_one(User, household_id)
    audit.record(family, "data.export_downloaded", f"user:{household_id}", now=now)
    day = to_local(made, family.timezone).date().isoformat()
    return Download(content, f"hearth-{day}.zip")


def expire_due(now: datetime) -> int:
    """Drop the zips whose time is up (hourly); return how many."""
    with write_transaction() as session:
        result = session.execute(
            update(DataExport)
            .where(DataExport.status == DataExportStatus.READY, DataExport.expires_at <= now)
            .values(status=DataExportStatus.EXPIRED, content=None)
            .execution_options(synchronize_session=False)
        )
    return int(getattr(result, "rowcount", 0) or 0)
