"""Counseling: availability rules, the slots made from them, and appointments.

Slots are rows, made from each counselor's rules for the booking horizon (see
:mod:`scheduler.services.availability`). Re-making them never touches a slot someone
holds. Whether a slot can be booked is decided again under its row lock at booking
time, and the database refuses two held appointments in one slot whatever happens.

One module per job: :mod:`.settings` reads what a counselor set, :mod:`.rules` checks
and saves it, :mod:`.slots` makes the slots and finds the open ones, :mod:`.appointments`
books and changes appointments, :mod:`.queries` lists and shows them. The web layer and
the jobs use the names below, as ``counseling.book_slot(...)``.
"""

from scheduler.services.counseling.appointments import (
    approve,
    book_slot,
    can_change,
    cancel_by_facilitator,
    cancel_by_family,
    change_deadline,
    close_practice,
    decline,
    decline_move,
    expire_requests,
    move,
    move_by_counselor,
    upcoming_with,
)
from scheduler.services.counseling.queries import (
    counselor_appointments,
    family_appointments,
    get_for_family,
    get_for_manager,
    meeting_link,
    requests_waiting,
    view_appointment,
    when,
)
from scheduler.services.counseling.rules import (
    Rules,
    add_blackout,
    add_window,
    remove_blackout,
    remove_window,
    save_rules,
)
from scheduler.services.counseling.settings import (
    OpenCounselor,
    blackouts_for,
    open_counselors,
    settings_for,
    settings_of,
    slot_rules,
    windows_for,
)
from scheduler.services.counseling.slots import (
    RESYNC_AFTER,
    OpenSlot,
    SlotFilter,
    next_open,
    open_slot,
    open_slots,
    refresh_stale,
    sync_slots,
    workshop_busy,
)

__all__ = [
    "RESYNC_AFTER",
    "OpenCounselor",
    "OpenSlot",
    "Rules",
    "SlotFilter",
    "add_blackout",
    "add_window",
    "approve",
    "blackouts_for",
    "book_slot",
    "can_change",
    "cancel_by_facilitator",
    "cancel_by_family",
    "change_deadline",
    "close_practice",
    "counselor_appointments",
    "decline",
    "decline_move",
    "expire_requests",
    "family_appointments",
    "get_for_family",
    "get_for_manager",
    "meeting_link",
    "move",
    "move_by_counselor",
    "next_open",
    "open_counselors",
    "open_slot",
    "open_slots",
    "refresh_stale",
    "remove_blackout",
    "remove_window",
    "requests_waiting",
    "save_rules",
    "settings_for",
    "settings_of",
    "slot_rules",
    "sync_slots",
    "upcoming_with",
    "view_appointment",
    "when",
    "windows_for",
    "workshop_busy",
]
