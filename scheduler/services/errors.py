"""The one domain error type, and every message it can show a person.

The messages are worded when they are shown, not when the error is raised: a rule may
say no inside a job or another person's request, and the words must be the reader's
(the current Flask-Babel locale, ``i18n.for_user``).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

from flask_babel import LazyString, gettext, ngettext
from flask_babel import lazy_gettext as _l

from scheduler.timetext import weekday_name

#: A message worded from its parameters when shown: for sentences whose words follow
#: a number (ngettext picks the form), or that word a parameter themselves.
Worded = Callable[[Mapping[str, Any]], str]


def _full(params: Mapping[str, Any]) -> str:
    return ngettext(
        "This session doesn't have {seats} seat free right now.",
        "This session doesn't have {seats} seats free right now.",
        params["seats"],
    ).format(seats=params["seats"])


def _series_full(params: Mapping[str, Any]) -> str:
    return ngettext(
        "Not every session has {seats} seat free ({dates}), so nothing was booked. "
        "You can book the other sessions one by one, or join a waitlist.",
        "Not every session has {seats} seats free ({dates}), so nothing was booked. "
        "You can book the other sessions one by one, or join a waitlist.",
        params["seats"],
    ).format(seats=params["seats"], dates=params["dates"])


def _household_series_full(params: Mapping[str, Any]) -> str:
    return ngettext(
        "Not every session has {seats} seat free ({dates}), so nothing was booked.",
        "Not every session has {seats} seats free ({dates}), so nothing was booked.",
        params["seats"],
    ).format(seats=params["seats"], dates=params["dates"])


def _unverified_seat_limit(params: Mapping[str, Any]) -> str:
    return ngettext(
        "Until you confirm your email address, your household can hold up to {limit} seat "
        "in upcoming sessions, and you have {held}. Please use the link we emailed you, "
        "or ask for a new one on your account page.",
        "Until you confirm your email address, your household can hold up to {limit} seats "
        "in upcoming sessions, and you have {held}. Please use the link we emailed you, "
        "or ask for a new one on your account page.",
        params["limit"],
    ).format(limit=params["limit"], held=params["held"])


def _copy_other_weekday(params: Mapping[str, Any]) -> str:
    return gettext(
        "The first session was on a {weekday}. Choose a {weekday}, so every session "
        "keeps its day of the week."
    ).format(weekday=weekday_name(params["weekday"]))


def _move_target_full(params: Mapping[str, Any]) -> str:
    return ngettext(
        "The session on {when} doesn't have {seats} seat free right now. Your booking "
        "stays as it is.",
        "The session on {when} doesn't have {seats} seats free right now. Your booking "
        "stays as it is.",
        params["seats"],
    ).format(seats=params["seats"], when=params["when"])


def _move_past_cutoff(params: Mapping[str, Any]) -> str:
    hours = params["hours"]
    return ngettext(
        "It's too close to the session to move your booking here: moves close {hours} hour "
        "before it starts. Please contact the facilitator.",
        "It's too close to the session to move your booking here: moves close {hours} hours "
        "before it starts. Please contact the facilitator.",
        hours,
    ).format(hours=hours)


def _upcoming_needs_choice(params: Mapping[str, Any]) -> str:
    return ngettext(
        "This account runs {count} upcoming session. Choose who takes the workshops over, "
        "or cancel the sessions (the families are told).",
        "This account runs {count} upcoming sessions. Choose who takes the workshops over, "
        "or cancel the sessions (the families are told).",
        params["count"],
    ).format(count=params["count"])


def _login_throttled(params: Mapping[str, Any]) -> str:
    return gettext(
        "Too many attempts to log in from here. For your safety, please wait {wait} and "
        "try again. Forgot your password? Choose a new one with the link below."
    ).format(wait=wait_text(params["seconds"]) if "seconds" in params else params["wait"])


def _group_message_limit(params: Mapping[str, Any]) -> str:
    return ngettext(
        "You have sent {count} message to groups recently, as many as Hearth allows in "
        "{period}. You can send the next one in {wait}.",
        "You have sent {count} messages to groups recently, as many as Hearth allows in "
        "{period}. You can send the next one in {wait}.",
        params["count"],
    ).format(
        count=params["count"],
        period=wait_text(params["period"]),
        wait=wait_text(params["seconds"]),
    )


#: Plain-spoken text for each failure, worded in the reader's language when shown.
MESSAGES: dict[str, LazyString | Worded] = {
    # accounts
    "email_taken": _l(
        "This email can't be used for a new account. If it is yours, log in instead."
    ),
    "login_failed": _l("That email and password don't match an account. Please try again."),
    "login_throttled": _login_throttled,
    "invalid_zone": _l("Choose a time zone from the list."),
    "link_unusable": _l(
        "This link has expired or was already used. You can ask for a new one below."
    ),
    "wrong_password": _l("That isn't your current password. Please try again."),
    "same_email": _l("That is already your address."),
    "too_many_links": _l(
        "We've sent several links in the last hour. Please use the newest one, or try again later."
    ),
    # managing accounts (admins)
    "account_not_found": _l("We couldn't find that account."),
    "email_missing": _l("Enter an email address like name@example.com."),
    "account_exists": _l(
        "This address already has an account ({name}), so no invitation was sent. "
        "Open the account to see its role and what you can do."
    ),
    "bad_role": _l("Choose facilitator or admin."),
    "family_role": _l(
        "A family's account stays a family account. To give this person a staff role, "
        "invite them with another email address."
    ),
    "own_account": _l(
        "You can't change your own role or switch off your own account. Ask another admin."
    ),
    "last_admin": _l(
        "This is the last active admin. Make someone else an admin first, so that "
        "someone can still manage accounts."
    ),
    "not_allowed": _l("Only an active admin can do this."),
    "not_invited": _l("This person has already joined, so there is no invitation to send."),
    "already_deactivated": _l("This account is already switched off."),
    "not_deactivated": _l("This account isn't switched off."),
    "account_closed": _l(
        "This account is closed. To open it again, use the link in the email we sent "
        "when it was closed."
    ),
    "already_closed": _l("This account is already closed."),
    "switched_off_first": _l(
        "Switch this account on before closing it: reopening it would switch it on."
    ),
    "not_a_household": _l("Only a household's account can be closed here."),
    "closed_by_household": _l(
        "This account was closed. Only the household can open it again, with the link "
        "we emailed it, until its data is erased."
    ),
    "upcoming_needs_choice": _upcoming_needs_choice,
    "bad_successor": _l("Choose another active facilitator or admin to take the workshops over."),
    # workshops and sessions
    "workshop_not_found": _l("We couldn't find that workshop."),
    "session_not_found": _l("We couldn't find that session."),
    "not_published": _l("This workshop isn't open for booking yet."),
    "session_cancelled": _l("This session has been cancelled."),
    "session_started": _l("This session has already started, so it can't be changed."),
    "start_in_past": _l("Choose a start time in the future."),
    "time_does_not_exist": _l("{detail}. Choose another time."),
    "unpublish_with_bookings": _l(
        "Families have booked this workshop, so it can't go back to draft. "
        "Cancel its sessions instead."
    ),
    # {booked} and {capacity} are worded "3 seats" (seats_text).
    "capacity_below_booked": _l(
        "{booked} are already booked in the session on {when}, more than {capacity}. "
        "Confirm below to move the latest bookings to the front of the waitlist."
    ),
    # the facilitator's program
    "copy_other_weekday": _copy_other_weekday,
    "nothing_to_copy": _l(
        "Every session of this workshop was cancelled, so there is nothing to copy. "
        "Publish a new workshop instead."
    ),
    "delete_published": _l(
        "Only a draft can be deleted, and this workshop is published. To take it down, "
        "cancel its sessions. If nobody ever booked it, make it a draft in Edit details first."
    ),
    "delete_with_bookings": _l(
        "Families have booked this workshop, even if they cancelled since, so it is kept "
        "for the record. Cancel its sessions instead."
    ),
    "unknown_language": _l("Choose the workshop's language from the list."),
    # co-facilitators
    "not_a_facilitator": _l(
        "That address doesn't belong to a facilitator's Hearth account, so nothing changed. "
        "Check the address, or ask an admin to invite them first."
    ),
    "runs_already": _l("{name} already runs this workshop."),
    "lead_stays": _l("{name} made this workshop and leads it, so they stay on it."),
    "cofacilitator_not_found": _l("That person no longer runs this workshop."),
    # how staff see a household's name (services/household_names.py)
    "staff_name_unknown": _l(
        "Choose how staff see your name: your full name, your first name only, or a name "
        "you choose."
    ),
    "alias_missing": _l("Write the name staff should see, or choose another option."),
    "alias_too_long": _l(
        "The name staff see can have up to {limit} characters. Please make it shorter."
    ),
    # messages to a group
    "group_message_empty": _l("Write your message first: it can't be empty."),
    "group_message_too_long": _l(
        "Your message has {length} characters, and it can have up to {limit}. "
        "Please make it shorter."
    ),
    "group_message_subject_too_long": _l(
        "The subject can have up to {limit} characters. Please make it shorter."
    ),
    "group_message_session": _l(
        "That isn't one of this workshop's sessions still to come. Choose one from the list."
    ),
    "group_message_nobody": _l(
        "Nobody is booked there yet, so there is nobody to write to. Nothing was sent."
    ),
    "group_message_limit": _group_message_limit,
    "group_message_sent_already": _l(
        "You sent this same message a few minutes ago, so it was not sent again."
    ),
    # booking
    "too_many_seats": _l("You can book at most {maximum} at once."),
    "too_few_seats": _l("Book at least 1 seat."),
    "larger_than_session": _l(
        "This session has {capacity} in all. Please contact the facilitator about a larger group."
    ),
    "already_booked": _l("You already have a booking for this session."),
    "full": _full,
    "series_full": _series_full,
    "nothing_to_enroll": _l("You're already booked into every upcoming session of this series."),
    "booking_not_found": _l("We couldn't find that booking."),
    "booking_cancelled": _l("This booking was already cancelled."),
    "not_waitlisted": _l("Only a booking on the waitlist can be given a seat."),
    "no_room_to_promote": _l(
        "This household needs {seats}; free right now: {free}. "
        "Raise the capacity first if the room allows."
    ),
    # staff acting for a household
    "household_already_booked": _l("This household already has a booking for this session."),
    "household_not_found": _l("We couldn't find that household."),
    "household_series_full": _household_series_full,
    "household_all_booked": _l(
        "This household is already booked into every upcoming session of this series."
    ),
    "household_name_missing": _l("Write the name of the person or family to book for."),
    "household_email_missing": _l("Write the email address to send the link to."),
    "household_inactive": _l(
        "This email belongs to an account that is switched off. An admin can switch it "
        "back on; nothing was booked."
    ),
    "email_is_staff": _l(
        "This email belongs to a staff account. Write the household's own address, or "
        "leave it empty."
    ),
    "household_has_account": _l(
        "This household already has its own account. They can log in, or choose a new "
        "password from the log-in page."
    ),
    "household_email_taken": _l(
        "This address already belongs to another Hearth account, so nothing was sent and "
        "this household was not changed. If it is the same family, book for that account "
        "instead; an admin can help join the two."
    ),
    "try_again": _l("Something changed at the same moment. Please check and try again."),
    # moving a booking to another session of its workshop
    "move_target_full": _move_target_full,
    "move_past_cutoff": _move_past_cutoff,
    "move_other_workshop": _l("A booking can only move to another session of the same workshop."),
    "move_same_session": _l("The booking is already in that session."),
    # counseling
    "bad_counseling_rules": _l("{detail}."),
    "bad_window": _l("{detail}."),
    "window_not_found": _l("We couldn't find those hours."),
    "slot_not_found": _l("We couldn't find that time."),
    "slot_unavailable": _l("This time can't be booked any more. Please choose another one."),
    "slot_taken": _l("Someone else just booked this time. Please choose another one."),
    "appointment_limit": _l(
        "You already hold as many upcoming appointments with {name} as one family can "
        "({count}). After one of them, or if you cancel one, you can book another."
    ),
    "request_limit": _l(
        "You already have as many requests waiting for {name} as one family can ({count}). "
        "Please wait for their answer before asking for another time."
    ),
    "unverified_seat_limit": _unverified_seat_limit,
    "same_slot": _l("Your appointment is already at that time."),
    "appointment_not_found": _l("We couldn't find that appointment."),
    "appointment_over": _l("This appointment was already cancelled."),
    "appointment_started": _l("This appointment has already started, so it can't be moved."),
    "no_move_to_answer": _l(
        "This appointment has no new time waiting for your answer: it was already answered, "
        "or the appointment has started."
    ),
    "not_pending": _l("This appointment isn't waiting for approval."),
    "past_change_cutoff": _l(
        "It's too close to the appointment to change it here. Please contact {name}: {contact}."
    ),
    # attendance: marks at the door (services/attendance.py) and walk-ins
    "marks_not_open": _l("You can mark who came from {opens}, an hour before it starts."),
    "marks_closed": _l("Marks closed on {closed}. They can't be changed any more."),
    "mark_waitlisted": _l(
        "This household is on the waitlist, so it can't be marked. Give them a seat first."
    ),
    "mark_cancelled": _l("This booking is cancelled, so it can't be marked."),
    "unknown_mark": _l("Choose came, late or absent."),
    "seats_came_range": _l("Choose how many seats came: a number from 1 to {most}."),
    "appointment_not_markable": _l("Only a confirmed appointment can be marked."),
    "unknown_appointment_mark": _l("Choose came or didn't come."),
    # letters of attendance
    "letter_nothing_chosen": _l("Tick at least one session you attended."),
    "letter_not_attended": _l(
        "A letter can only list sessions you were marked as attending. Please choose "
        "from the list again."
    ),
    "letter_mixed": _l(
        "One letter covers one workshop, or appointments with one counselor. Ask for a "
        "letter for each."
    ),
    "letter_wording": _l("Choose what the letter says from the list."),
    "letter_not_found": _l("We couldn't find that letter."),
    "letter_revoked": _l("You took this letter back, so it can't be downloaded any more."),
    # a family's copy of its data
    "data_export_in_progress": _l(
        "We are still making the copy you asked for. We'll email you when it is ready."
    ),
    "data_export_not_found": _l("We couldn't find that copy of your information."),
    "data_export_expired": _l(
        "This copy has expired and was deleted. You can ask for a new one on your account page."
    ),
}


#: Parameters that count seats, shown as "1 seat" / "3 seats" in messages.
_SEAT_COUNTS = frozenset({"seats", "free", "booked", "capacity", "maximum"})


def seats_text(count: int) -> str:
    """Say a number of seats the way people do, in the reader's language."""
    return ngettext("{count} seat", "{count} seats", count).format(count=count)


def wait_text(seconds: float) -> str:
    """Say how long to wait: seconds under a minute and a half, else whole minutes."""
    whole = math.ceil(seconds)
    if whole < 90:
        return ngettext("{count} second", "{count} seconds", whole).format(count=whole)
    minutes = math.ceil(whole / 60)
    return ngettext("{count} minute", "{count} minutes", minutes).format(count=minutes)


def word(code: str, params: Mapping[str, Any]) -> str:
    """A failure's message in the current language, with its parameters in it."""
    entry = MESSAGES[code]
    if isinstance(entry, LazyString):
        shown = {k: seats_text(v) if k in _SEAT_COUNTS else v for k, v in params.items()}
        return str(entry).format(**shown)
    return entry(params)


class DomainError(Exception):
    """A rule said no; ``message`` is safe to show to the person who asked.

    The message is worded each time it is read, in the language being written then.
    """

    def __init__(self, code: str, **params: Any) -> None:
        self.code = code
        self.params = params
        word(code, params)  # an unknown code or a missing parameter fails where raised
        super().__init__(code)

    @property
    def message(self) -> str:
        return word(self.code, self.params)

    def __str__(self) -> str:
        return self.message
