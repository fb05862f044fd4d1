"""A family's copy of everything Hearth holds about it: asked for, built, downloaded, gone."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, Index, LargeBinary, String, text
from sqlalchemy.orm import Mapped, mapped_column

from scheduler.extensions import Model
from scheduler.models.types import UTCDateTime, status_in
from scheduler.timeutil import utcnow


class DataExportStatus(StrEnum):
    #: Asked for; the dispatcher builds it when it handles the request's email.
    REQUESTED = "requested"
    #: Built: the zip is here, and its link works until ``expires_at``.
    READY = "ready"
    #: Past its time, or replaced by a newer copy: the zip is gone.
    EXPIRED = "expired"


#: A family's copy in one of these is its one live request: at most one at a time.
LIVE_EXPORT_STATUSES = (DataExportStatus.REQUESTED, DataExportStatus.READY)
_LIVE = status_in(LIVE_EXPORT_STATUSES)


class DataExport(Model):
    """One copy of a family's data, and the secret its download link carries.

    Only a random salt and the token's hash are kept, as for emailed links: the token
    is derived from the salt with the app's secret key when the link is shown or mailed,
    so a copy of the database alone opens nothing.
    """

    __tablename__ = "data_exports"
    __table_args__ = (
        CheckConstraint("status IN ('requested', 'ready', 'expired')", name="status"),
        # One request at a time per family, even against two clicks at once.
        Index(
            "uq_data_exports_live_household",
            "household_id",
            unique=True,
            sqlite_where=text(_LIVE),
            postgresql_where=text(_LIVE),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[str] = mapped_column(String(20), default=DataExportStatus.REQUESTED)
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    ready_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: When the link stops working and the zip is dropped (DATA_EXPORT_HOURS after ready).
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: The zip itself, while it lasts; None before it is built and once it expired.
    #: Deferred: only a download reads it, not the account page showing the copy's state.
    content: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    #: The zip's size in bytes (kept after the zip is dropped).
    size: Mapped[int | None] = mapped_column()
    #: Random salt the download token is derived from (``services/tokens.py``).
    salt: Mapped[str] = mapped_column(String(64))
    #: SHA-256 of the download token, for lookup; the token itself is never stored.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)

    @property
    def is_requested(self) -> bool:
        return self.status == DataExportStatus.REQUESTED

    def is_ready(self, now: datetime) -> bool:
        """Built and still downloadable at ``now``."""
        return (
            self.status == DataExportStatus.READY
            and self.expires_at is not None
            and now < self.expires_at
        )
