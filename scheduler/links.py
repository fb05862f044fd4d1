"""Absolute links into Hearth, for what leaves the browser: emails, calendars, feeds.

Emails are worded by the dispatcher and feeds answer calendar apps, so neither has a
request to take a host from (and a Host header is not to be trusted for links anyone
follows later). Every such link starts from BASE_URL here, in one place, and names a
page by its route's path: the routes in ``scheduler/web`` keep these exact paths, since
links already sent and calendars already subscribed point at them.

Needs an app context (for BASE_URL), not a request.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from scheduler import settings
from scheduler.models import LinkPurpose

#: The page each emailed link opens, followed by the link's token.
EMAIL_LINK_PATHS = {
    LinkPurpose.PASSWORD_RESET: "/password/reset",
    LinkPurpose.VERIFY_EMAIL: "/email/confirm",
    LinkPurpose.CLAIM: "/claim",
    LinkPurpose.INVITE: "/invite",
    LinkPurpose.CHANGE_EMAIL: "/email/change",
    LinkPurpose.REOPEN: "/account/reopen",
}


def absolute(path: str) -> str:
    """Join BASE_URL and a path that starts with "/" (a trailing "/" on BASE_URL is fine)."""
    return settings.current().base_url.rstrip("/") + path


def host() -> str:
    """BASE_URL's host name: the right side of calendar UIDs and Message-IDs.

    Both must stay the same from one run to the next (a new UID is a new event in every
    subscribed calendar), so this is the one reading of it.
    """
    return urlsplit(settings.current().base_url).hostname or "hearth"


def webcal(url: str) -> str:
    """The same link with the scheme calendar apps open directly."""
    return "webcal://" + url.split("://", 1)[1]


def private_feed(token: str) -> str:
    """The subscription link for a private feed."""
    return absolute(f"/calendar/feeds/{token}.ics")


def public_feed(facilitator_id: int | None = None) -> str:
    """The subscription link for the public feed, maybe of one facilitator."""
    query = f"?facilitator={facilitator_id}" if facilitator_id else ""
    return absolute(f"/calendar/workshops.ics{query}")


def workshop_page(workshop_id: int) -> str:
    """A workshop's public page: what anyone's calendar event of a session links to."""
    return absolute(f"/workshops/{workshop_id}")


def bookings() -> str:
    """A family's bookings and appointments: where every change is made."""
    return absolute("/bookings")


def family_appointment(appointment_id: int) -> str:
    """One appointment on the family's bookings page, where they answer a counselor's move."""
    return absolute(f"/bookings#appointment-{appointment_id}")


def reminder_settings() -> str:
    """Where a reminder's reader changes reminder times, without stopping them all."""
    return absolute("/account#reminders")


def invite_back_settings() -> str:
    """Where a family turns off the emails inviting it back after a missed session."""
    return absolute("/account#invite-back")


def roster(session_id: int) -> str:
    """A session's roster: who comes and what they need, for its facilitator."""
    return absolute(f"/manage/sessions/{session_id}/roster")


def manage_workshop(workshop_id: int) -> str:
    """A workshop's page on the facilitators' side (its sessions, who runs it)."""
    return absolute(f"/manage/workshops/{workshop_id}")


def counselor_appointment(appointment_id: int) -> str:
    """An appointment's page on the counselor's side (approve, decline, see who comes)."""
    return absolute(f"/manage/counseling/appointments/{appointment_id}")


def login() -> str:
    """The login page, for an owner told someone tried their address."""
    return absolute("/login")


def forgot_password() -> str:
    """The page that emails a reset link, for an owner who forgot their password."""
    return absolute("/password/forgot")


def email_link(purpose: LinkPurpose, token: str) -> str:
    """An emailed single-use link: a reset, an address check, an invitation, a new address
    or a claim of a household record."""
    return absolute(f"{EMAIL_LINK_PATHS[purpose]}/{token}")


def unsubscribe(user_id: int, token: str) -> str:
    """A family's one-click "no more reminders" link (RFC 8058), no login needed."""
    return absolute(f"/reminders/off/{user_id}/{token}")


def letter_check(code: str) -> str:
    """The page that tells anyone holding a letter of attendance whether it is valid."""
    return absolute(f"/proof/{code}")


def letter_check_form() -> str:
    """Where a letter's code can be typed in, for a reader who can't follow a link."""
    return absolute("/proof")


def data_export(export_id: int, token: str) -> str:
    """A family's copy of its data, for its owner signed in (the token makes it unguessable)."""
    return absolute(f"/account/export/{export_id}/{token}.zip")


def data_export_page() -> str:
    """Where a family sees its copy's state and its link (through the login page if need be)."""
    return absolute("/account/export")
