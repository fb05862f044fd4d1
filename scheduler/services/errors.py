"""The one domain error type, and every message it can show a person."""

from __future__ import annotations

from typing import Any

#: Plain-spoken text for each failure, shown as is by the views.
MESSAGES: dict[str, str] = {
    # accounts
    "email_taken": ("This email can't be used for a new account. If it is yours, log in instead."),
    "login_failed": "That email and password don't match an account. Please try again.",
    "login_throttled": (
        "Too many attempts to log in from here. For your safety, please wait {wait} and "
        "try again. Forgot your password? Choose a new one with the link below."
    ),
    "invalid_zone": "Choose a time zone from the list.",
    "link_unusable": (
        "This link has expired or was already used. You can ask for a new one below."
    ),
    # workshops and sessions
    "workshop_not_found": "We couldn't find that workshop.",
    "session_not_found": "We couldn't find that session.",
    "not_published": "This workshop isn't open for booking yet.",
    "session_cancelled": "This session has been cancelled.",
    "session_started": "This session has already started, so it can't be changed.",
    "start_in_past": "Choose a start time in the future.",
    "time_does_not_exist": "{detail}. Choose another time.",
    "unpublish_with_bookings": (
        "Families have booked this workshop, so it can't go back to draft. "
        "Cancel its sessions instead."
    ),
    "capacity_below_booked": (
        "{booked} are already booked in the session on {when}, more than {capacity}. "
        "Confirm below to move the latest bookings to the front of the waitlist."
    ),
    # booking
    "too_many_seats": "You can book at most {maximum} at once.",
    "too_few_seats": "Book at least 1 seat.",
    "larger_than_session": (
        "This session has {capacity} in all. Please contact the facilitator about a larger group."
    ),
    "already_booked": "You already have a booking for this session.",
    "full": "This session doesn't have {seats} free right now.",
    "series_full": (
        "Not every session has {seats} free ({dates}), so nothing was booked. "
        "You can book the other sessions one by one, or join a waitlist."
    ),
    "nothing_to_enroll": "You're already booked into every upcoming session of this series.",
    "booking_not_found": "We couldn't find that booking.",
    "booking_cancelled": "This booking was already cancelled.",
    "not_waitlisted": "Only a booking on the waitlist can be given a seat.",
    "no_room_to_promote": (
        "This household needs {seats}; free right now: {free}. "
        "Raise the capacity first if the room allows."
    ),
    # counseling
    "bad_counseling_rules": "{detail}.",
    "bad_window": "{detail}.",
    "window_not_found": "We couldn't find those hours.",
    "slot_not_found": "We couldn't find that time.",
    "slot_unavailable": "This time can't be booked any more. Please choose another one.",
    "slot_taken": "Someone else just booked this time. Please choose another one.",
    "appointment_limit": (
        "You already hold as many upcoming appointments with {name} as one family can "
        "({count}). After one of them, or if you cancel one, you can book another."
    ),
    "request_limit": (
        "You already have as many requests waiting for {name} as one family can ({count}). "
        "Please wait for their answer before asking for another time."
    ),
    "unverified_seat_limit": (
        "Until you confirm your email address, your household can hold up to {limit} seats "
        "in upcoming sessions, and you have {held}. Please use the link we emailed you, "
        "or ask for a new one on your account page."
    ),
    "same_slot": "Your appointment is already at that time.",
    "appointment_not_found": "We couldn't find that appointment.",
    "appointment_over": "This appointment was already cancelled.",
    "not_pending": "This appointment isn't waiting for approval.",
    "past_change_cutoff": (
        "It's too close to the appointment to change it here. Please contact {name}: {contact}."
    ),
}


#: Parameters that count seats, shown as "1 seat" / "3 seats" in messages.
_SEAT_COUNTS = frozenset({"seats", "free", "booked", "capacity", "maximum"})


def seats_text(count: int) -> str:
    """Say a number of seats the way people do."""
    return "1 seat" if count == 1 else f"{count} seats"


class DomainError(Exception):
    """A rule said no; ``message`` is safe to show to the person who asked."""

    def __init__(self, code: str, **params: Any) -> None:
        self.code = code
        self.params = params
        shown = {k: seats_text(v) if k in _SEAT_COUNTS else v for k, v in params.items()}
        self.message = MESSAGES[code].format(**shown)
        super().__init__(self.message)
