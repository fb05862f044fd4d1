"""Who may see and change what: every route for every role, privacy of families, CSRF."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import time, timedelta
from typing import Any
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa
import time_machine
from flask import Flask
from flask.testing import FlaskClient

from scheduler.database import write_transaction
from scheduler.extensions import db as _db
from scheduler.models import (
    AuditEvent,
    Booking,
    BookingStatus,
    EmailLink,
    LinkPurpose,
    Role,
    User,
    WorkshopFacilitator,
)
from scheduler.services import (
    account_admin,
    closing,
    counseling,
    data_export,
    email_links,
    feeds,
    households,
    invitations,
    letters,
    profile,
    series,
)
from scheduler.services.accounts import unsubscribe_token
from scheduler.services.booking import Needs, cancel_booking
from scheduler.services.households import Contact
from scheduler.services.series import WorkshopDetails
from scheduler.timeutil import utcnow, wall_time
from tests.support.app import PASSWORD, AuthActions, csrf_token_from, local_start
from tests.support.attendance import mark_booking

ROLES = ("anonymous", "family_a", "family_b", "owner", "other_facilitator", "admin")
HOUSEHOLDS = (
    "Alvarez household",
    "Brennan household",
    "Chen household",
    "Walsh household",
    "Garcia household",
)
ALVAREZ_NEEDS = Needs(accessibility_needs="Step-free access for the Alvarez family")
OWN_HOUSEHOLD = {"family_a": "Alvarez household", "family_b": "Brennan household"}

# Statuses: 200 shown · 303 done, redirected · 302 to /login (anonymous) or home (logged
# in) · 403 wrong role · 404 someone else's or a draft (it doesn't exist for you) ·
# 409 refused by a rule (family A already holds a seat there).
#
# Placeholders: {workshop} is the owner's published 3-week series and {session} its first
# session, where family A holds {booking}; family B is booked into the second session only.
# {draft} is the owner's unpublished workshop; {waiting} a waitlisted booking in another of
# the owner's sessions, {waiting_session}, with a seat free to promote into.
# {past_session} ended weeks ago (its workshop: {past_workshop}), with a household booked.
# {household} is a household the owner recorded by phone (booked into the second session)
# and sent the claim link {claim}.
#
# fmt: off
ACCESS_TABLE = [
    # method  route                                      anon  fam A fam B owner other admin
    ("GET",  "/",                                         200,  200,  200,  200,  200,  200),
    ("GET",  "/healthz",                                  200,  200,  200,  200,  200,  200),
    ("GET",  "/calendar",                                 200,  200,  200,  200,  200,  200),
    ("GET",  "/workshops/{workshop}",                     200,  200,  200,  200,  200,  200),
    ("GET",  "/workshops/{draft}",                        404,  404,  404,  200,  404,  200),
    ("GET",  "/workshops/{missing}",                      404,  404,  404,  404,  404,  404),
    ("GET",  "/register",                                 200,  302,  302,  302,  302,  302),
    ("POST", "/register",                                 303,  302,  302,  302,  302,  302),
    ("GET",  "/login",                                    200,  200,  200,  200,  200,  200),
    ("POST", "/login",                                    303,  303,  303,  303,  303,  303),
    ("POST", "/logout",                                   303,  303,  303,  303,  303,  303),
    ("POST", "/language",                                 303,  303,  303,  303,  303,  303),
    ("POST", "/sessions/{session}/book",                  302,  409,  303,  403,  403,  403),
    ("POST", "/sessions/{draft_session}/book",            302,  404,  404,  403,  403,  403),
    ("POST", "/sessions/{missing}/book",                  302,  404,  404,  403,  403,  403),
    ("POST", "/workshops/{workshop}/book",                302,  303,  303,  403,  403,  403),
    ("POST", "/workshops/{draft}/book",                   302,  404,  404,  403,  403,  403),
    ("POST", "/workshops/{workshop}/enroll",              302,  303,  303,  403,  403,  403),
    ("POST", "/workshops/{draft}/enroll",                 302,  404,  404,  403,  403,  403),
    ("GET",  "/bookings",                                 302,  200,  200,  403,  403,  403),
    ("POST", "/bookings/{booking}/cancel",                302,  303,  404,  403,  403,  403),
    ("POST", "/bookings/{missing}/cancel",                302,  404,  404,  403,  403,  403),
    # Moving family A's booking to {move_session}, the series' third week.
    ("GET",  "/bookings/{booking}/move",                  302,  200,  404,  403,  403,  403),
    ("POST", "/bookings/{booking}/move",                  302,  303,  404,  403,  403,  403),
    ("GET",  "/bookings/{missing}/move",                  302,  404,  404,  403,  403,  403),
    ("GET",  "/account",                                  302,  200,  200,  200,  200,  200),
    ("POST", "/account",                                  302,  303,  303,  303,  303,  303),
    ("GET",  "/manage",                                   302,  403,  403,  200,  200,  200),
    ("GET",  "/manage/workshops/new",                     302,  403,  403,  200,  200,  200),
    ("POST", "/manage/workshops/new",                     302,  403,  403,  303,  303,  303),
    ("GET",  "/manage/workshops/{workshop}",              302,  403,  403,  200,  404,  200),
    ("GET",  "/manage/workshops/{draft}",                 302,  403,  403,  200,  404,  200),
    ("GET",  "/manage/workshops/{missing}",               302,  403,  403,  404,  404,  404),
    ("GET",  "/manage/workshops/{workshop}/edit",         302,  403,  403,  200,  404,  200),
    ("POST", "/manage/workshops/{workshop}/edit",         302,  403,  403,  303,  404,  303),
    ("GET",  "/manage/sessions/{session}",                302,  403,  403,  200,  404,  200),
    ("POST", "/manage/sessions/{session}/reschedule",     302,  403,  403,  303,  404,  303),
    ("POST", "/manage/sessions/{session}/capacity",       302,  403,  403,  303,  404,  303),
    ("POST", "/manage/sessions/{session}/cancel",         302,  403,  403,  303,  404,  303),
    ("GET",  "/manage/sessions/{session}/roster",         302,  403,  403,  200,  404,  200),
    ("GET",  "/manage/sessions/{session}/roster.csv",     302,  403,  403,  200,  404,  200),
    ("GET",  "/manage/sessions/{missing}/roster",         302,  403,  403,  404,  404,  404),
    ("POST", "/manage/bookings/{waiting}/promote",        302,  403,  403,  303,  404,  303),
    ("GET",  "/manage/history",                           302,  403,  403,  200,  200,  200),
    ("GET",  "/manage/sessions/{past_session}/roster",    302,  403,  403,  200,  404,  200),
    ("GET",  "/manage/sessions/{past_session}/roster.csv", 302, 403,  403,  200,  404,  200),
    ("GET",  "/manage/workshops/{workshop}/duplicate",    302,  403,  403,  200,  404,  200),
    ("POST", "/manage/workshops/{workshop}/duplicate",    302,  403,  403,  303,  404,  303),
    ("GET",  "/manage/workshops/{past_workshop}/duplicate",  302, 403, 403, 200,  404,  200),
    ("POST", "/manage/workshops/{missing}/duplicate",     302,  403,  403,  404,  404,  404),
    ("GET",  "/manage/workshops/{workshop}/sessions/new", 302,  403,  403,  200,  404,  200),
    ("POST", "/manage/workshops/{workshop}/sessions/new", 302,  403,  403,  303,  404,  303),
    ("POST", "/manage/workshops/{missing}/sessions/new",  302,  403,  403,  404,  404,  404),
    ("GET",  "/manage/workshops/{draft}/delete",          302,  403,  403,  200,  404,  200),
    ("POST", "/manage/workshops/{draft}/delete",          302,  403,  403,  303,  404,  303),
    ("GET",  "/manage/workshops/{workshop}/delete",       302,  403,  403,  200,  404,  200),
    ("POST", "/manage/workshops/{workshop}/delete",       302,  403,  403,  409,  404,  409),
    ("POST", "/manage/workshops/{missing}/delete",        302,  403,  403,  404,  404,  404),
    # Staff acting for a household (it phoned or walked in), and a family's own needs.
    ("GET",  "/manage/sessions/{session}/book-for",       302,  403,  403,  200,  404,  200),
    ("POST", "/manage/sessions/{session}/book-for",       302,  403,  403,  303,  404,  303),
    ("GET",  "/manage/sessions/{missing}/book-for",       302,  403,  403,  404,  404,  404),
    # Searching for a household to book for: the results name the households found.
    ("GET",  "/manage/sessions/{session}/book-for?q=Alvarez", 302, 403, 403, 200,  404,  200),
    ("POST", "/manage/bookings/{booking}/cancel",         302,  403,  403,  303,  404,  303),
    ("GET",  "/manage/bookings/{booking}/needs",          302,  403,  403,  200,  404,  200),
    ("POST", "/manage/bookings/{booking}/needs",          302,  403,  403,  303,  404,  303),
    ("GET",  "/manage/households/{household}",            302,  403,  403,  200,  404,  200),
    ("GET",  "/manage/households/{missing}",              302,  403,  403,  404,  404,  404),
    ("POST", "/manage/households/{household}/claim-link", 302,  403,  403,  303,  404,  303),
    ("GET",  "/bookings/{booking}/needs",                 302,  200,  404,  403,  403,  403),
    ("POST", "/bookings/{booking}/needs",                 302,  303,  404,  403,  403,  403),
    ("GET",  "/bookings/{missing}/needs",                 302,  404,  404,  403,  403,  403),
    # A claim link is its own proof, like a reset link: it works for whoever holds it.
    ("GET",  "/claim/{claim}",                            200,  200,  200,  200,  200,  200),
    ("POST", "/claim/{claim}",                            303,  303,  303,  303,  303,  303),
    ("GET",  "/claim/" + "ab12" * 11,                     404,  404,  404,  404,  404,  404),
    ("POST", "/claim/" + "ab12" * 11,                     404,  404,  404,  404,  404,  404),
    ("GET",  "/manage/bookings/{booking}/move",           302,  403,  403,  200,  404,  200),
    ("POST", "/manage/bookings/{booking}/move",           302,  403,  403,  303,  404,  303),
    ("GET",  "/manage/bookings/{missing}/move",           302,  403,  403,  404,  404,  404),
    # {cofacilitator} shares {workshop} with the owner (someone not among the roles here).
    ("POST", "/manage/workshops/{workshop}/facilitators", 302,  403,  403,  303,  404,  303),
    ("POST", "/manage/workshops/{workshop}/facilitators/{cofacilitator}/remove", 302, 403, 403, 303, 404, 303),  # noqa: E501
    # Writing to the group of {workshop} (its households: A, B and the Garcias); a draft has
    # nobody booked to write to.
    ("GET",  "/manage/workshops/{workshop}/messages/new", 302,  403,  403,  200,  404,  200),
    ("POST", "/manage/workshops/{workshop}/messages/new", 302,  403,  403,  303,  404,  303),
    ("POST", "/manage/workshops/{draft}/messages/new",    302,  403,  403,  409,  404,  409),
    ("GET",  "/manage/workshops/{missing}/messages/new",  302,  403,  403,  404,  404,  404),
    ("GET",  "/admin/audit",                              302,  403,  403,  403,  403,  200),
    ("GET",  "/admin/audit.csv",                          302,  403,  403,  403,  403,  200),
    # A family's own access trail: who on staff saw its details (issue 18).
    ("GET",  "/account/access",                           302,  200,  200,  403,  403,  403),
    # Accounts: {account} is the other facilitator's, {switched_off} a former household's,
    # {invited} a facilitator invited and not joined yet ({invite}: their link's token).
    ("GET",  "/admin/accounts",                           302,  403,  403,  403,  403,  200),
    ("POST", "/admin/accounts/invite",                    302,  403,  403,  403,  403,  303),
    ("GET",  "/admin/accounts/{account}",                 302,  403,  403,  403,  403,  200),
    ("GET",  "/admin/accounts/{family}",                  302,  403,  403,  403,  403,  200),
    ("GET",  "/admin/accounts/{missing}",                 302,  403,  403,  403,  403,  404),
    ("POST", "/admin/accounts/{account}/role",            302,  403,  403,  403,  403,  303),
    ("POST", "/admin/accounts/{missing}/role",            302,  403,  403,  403,  403,  404),
    ("POST", "/admin/accounts/{account}/deactivate",      302,  403,  403,  403,  403,  303),
    ("POST", "/admin/accounts/{switched_off}/reactivate", 302,  403,  403,  403,  403,  303),
    ("POST", "/admin/accounts/{invited}/invite",          302,  403,  403,  403,  403,  303),
    ("POST", "/admin/accounts/{closable}/close",          302,  403,  403,  403,  403,  303),
    ("POST", "/admin/accounts/{account}/close",           302,  403,  403,  403,  403,  409),
    ("GET",  "/invite/{invite}",                          200,  200,  200,  200,  200,  200),
    ("POST", "/invite/{invite}",                          303,  303,  303,  303,  303,  303),
    ("GET",  "/invite/" + "ab12" * 11,                    404,  404,  404,  404,  404,  404),
    ("POST", "/account/name",                             302,  303,  303,  303,  303,  303),
    ("POST", "/account/email",                            302,  303,  303,  303,  303,  303),
    ("POST", "/account/password",                         302,  303,  303,  303,  303,  303),
    ("POST", "/account/staff-name",                       302,  303,  303,  403,  403,  403),
    ("GET",  "/email/change/{change_b}",                  200,  200,  200,  200,  200,  200),
    ("POST", "/email/change/{change_b}",                  303,  303,  303,  303,  303,  303),
    ("GET",  "/email/change/" + "ab12" * 11,              404,  404,  404,  404,  404,  404),
    ("GET",  "/admin/outbox",                             302,  403,  403,  403,  403,  200),
    ("GET",  "/admin/retention",                          302,  403,  403,  403,  403,  200),
    ("GET",  "/privacy",                                  200,  200,  200,  200,  200,  200),
    ("GET",  "/calendar/workshops.ics",                   200,  200,  200,  200,  200,  200),
    ("GET",  "/calendar/feeds/" + "ab12" * 11 + ".ics",   404,  404,  404,  404,  404,  404),
    ("GET",  "/bookings/{booking}.ics",                   302,  200,  404,  403,  403,  403),
    ("GET",  "/bookings/{missing}.ics",                   302,  404,  404,  403,  403,  403),
    ("POST", "/account/feed/reset",                       302,  303,  303,  303,  303,  303),
    ("POST", "/account/email/confirm",                    302,  303,  303,  303,  303,  303),
    ("POST", "/account/sessions/end",                     302,  303,  303,  303,  303,  303),
    # Closing one's account (a household's only); {reopen} is the emailed link of a
    # household that closed its own, which opens it again for whoever holds it.
    ("GET",  "/account/delete",                           302,  200,  200,  403,  403,  403),
    ("POST", "/account/delete",                           302,  303,  303,  403,  403,  403),
    ("GET",  "/account/reopen/{reopen}",                  200,  200,  200,  200,  200,  200),
    ("POST", "/account/reopen/{reopen}",                  303,  303,  303,  303,  303,  303),
    ("GET",  "/account/reopen/" + "ab12" * 11,            404,  404,  404,  404,  404,  404),
    ("POST", "/account/reopen/" + "ab12" * 11,            404,  404,  404,  404,  404,  404),
    ("GET",  "/password/forgot",                          200,  200,  200,  200,  200,  200),
    ("POST", "/password/forgot",                          303,  303,  303,  303,  303,  303),
    ("GET",  "/password/reset/{reset_b}",                 200,  200,  200,  200,  200,  200),
    ("POST", "/password/reset/{reset_b}",                 303,  303,  303,  303,  303,  303),
    ("GET",  "/password/reset/" + "ab12" * 11,            404,  404,  404,  404,  404,  404),
    ("POST", "/password/reset/" + "ab12" * 11,            404,  404,  404,  404,  404,  404),
    ("GET",  "/email/confirm/" + "ab12" * 11,             404,  404,  404,  404,  404,  404),
    # The unsubscribe link is its own proof: it works for whoever holds it, logged in or not.
    ("GET",  "/reminders/off/{unsubscribe_a}",            200,  200,  200,  200,  200,  200),
    ("POST", "/reminders/off/{unsubscribe_a}",            303,  303,  303,  303,  303,  303),
    ("GET",  "/reminders/off/{missing}/" + "ab12" * 11,   404,  404,  404,  404,  404,  404),
    ("GET",  "/reminders/off",                            200,  200,  200,  200,  200,  200),
    # Counseling: {appointment} is family A's request (waiting for approval) with the
    # owner, who moved it to another time (the family hasn't answered); {slot} and
    # {move_target} are the owner's open slots.
    ("GET",  "/counseling",                               200,  200,  200,  200,  200,  200),
    ("GET",  "/counseling/slots/{slot}",                  200,  200,  200,  200,  200,  200),
    ("GET",  "/counseling/slots/{missing}",               404,  404,  404,  404,  404,  404),
    ("GET",  "/counseling/slots/{held_slot}",             404,  404,  404,  404,  404,  404),
    ("POST", "/counseling/slots/{slot}/book",             302,  303,  303,  403,  403,  403),
    ("POST", "/counseling/slots/{missing}/book",          302,  404,  404,  403,  403,  403),
    ("POST", "/counseling/slots/{held_slot}/book",        302,  409,  409,  403,  403,  403),
    ("GET",  "/counseling/appointments/{appointment}/move",   302, 200, 404, 403, 403, 403),
    ("GET",  "/counseling/appointments/{appointment}.ics",    302, 200, 404, 403, 403, 403),
    ("POST", "/counseling/appointments/{appointment}/move",   302, 303, 404, 403, 403, 403),
    ("POST", "/counseling/appointments/{appointment}/cancel", 302, 303, 404, 403, 403, 403),
    ("POST", "/counseling/appointments/{appointment}/decline-move", 302, 303, 404, 403, 403, 403),
    ("GET",  "/manage/counseling",                        302,  403,  403,  200,  200,  200),
    ("POST", "/manage/counseling",                        302,  403,  403,  303,  303,  303),
    ("POST", "/manage/counseling/windows",                302,  403,  403,  303,  303,  303),
    ("POST", "/manage/counseling/windows/{window}/delete",     302, 403, 403, 303, 404, 404),
    ("POST", "/manage/counseling/blackouts",              302,  403,  403,  303,  303,  303),
    ("POST", "/manage/counseling/blackouts/{blackout}/delete", 302, 403, 403, 303, 404, 404),
    ("GET",  "/manage/counseling/appointments/{appointment}",  302, 403, 403, 200, 404, 200),
    ("POST", "/manage/counseling/appointments/{appointment}/approve", 302, 403, 403, 303, 404, 303),
    ("POST", "/manage/counseling/appointments/{appointment}/decline", 302, 403, 403, 303, 404, 303),
    ("POST", "/manage/counseling/appointments/{appointment}/cancel",  302, 403, 403, 303, 404, 303),
    ("GET",  "/manage/counseling/appointments/{appointment}/move",    302, 403, 403, 200, 404, 200),
    ("POST", "/manage/counseling/appointments/{appointment}/move",    302, 403, 403, 303, 404, 303),
    # Check-in (issue 17): {checkin_session} began ten minutes ago, {checkin_booking} is
    # booked in it; {session} is ten days off, so its marks aren't open yet (409).
    # {past_appointment} is another family's confirmed appointment with the owner yesterday.
    ("GET",  "/manage/sessions/{checkin_session}/attendance", 302, 403, 403, 200,  404,  200),
    ("GET",  "/manage/sessions/{session}/attendance",     302,  403,  403,  200,  404,  200),
    ("GET",  "/manage/sessions/{past_session}/attendance", 302, 403,  403,  200,  404,  200),
    ("GET",  "/manage/sessions/{missing}/attendance",     302,  403,  403,  404,  404,  404),
    ("POST", "/manage/bookings/{checkin_booking}/attendance", 302, 403, 403, 303,  404,  303),
    ("POST", "/manage/bookings/{booking}/attendance",     302,  403,  403,  409,  404,  409),
    ("POST", "/manage/bookings/{missing}/attendance",     302,  403,  403,  404,  404,  404),
    ("POST", "/manage/sessions/{checkin_session}/walk-in", 302, 403,  403,  303,  404,  303),
    ("POST", "/manage/sessions/{session}/walk-in",        302,  403,  403,  409,  404,  409),
    ("POST", "/manage/sessions/{missing}/walk-in",        302,  403,  403,  404,  404,  404),
    ("POST", "/manage/counseling/appointments/{past_appointment}/attendance", 302, 403, 403, 303, 404, 303),  # noqa: E501
    ("POST", "/manage/counseling/appointments/{appointment}/attendance",      302, 403, 403, 409, 404, 409),  # noqa: E501
    # Letters of attendance: {letter} is family A's, code {letter_code}, about last
    # term's session {letter_session}, where it was marked present (family B wasn't there).
    ("GET",  "/account/proofs",                           302,  200,  200,  403,  403,  403),
    ("GET",  "/account/proofs/preview",                   302,  422,  422,  403,  403,  403),
    ("POST", "/account/proofs",                           302,  303,  409,  403,  403,  403),
    ("GET",  "/account/proofs/{letter}.pdf",              302,  200,  404,  403,  403,  403),
    ("GET",  "/account/proofs/{missing}.pdf",             302,  404,  404,  403,  403,  403),
    ("POST", "/account/proofs/{letter}/revoke",           302,  303,  404,  403,  403,  403),
    ("POST", "/account/proofs/{missing}/revoke",          302,  404,  404,  403,  403,  403),
    # Anyone holding a letter checks it by its code, signed in or not.
    ("GET",  "/proof",                                    200,  200,  200,  200,  200,  200),
    ("GET",  "/proof/{letter_code}",                      200,  200,  200,  200,  200,  200),
    ("GET",  "/proof/ABCD-ABCD-ABCD-ABCD",                404,  404,  404,  404,  404,  404),
    # A family's copy of its data: {export} is family A's, ready, opened by {export_token};
    # the zip is for its family signed in, and nobody else learns that it exists.
    ("GET",  "/account/export",                           302,  200,  200,  403,  403,  403),
    ("POST", "/account/export",                           302,  303,  303,  403,  403,  403),
    ("GET",  "/account/export/{export}/{export_token}.zip",  302, 200, 404, 404,  404,  404),
    ("GET",  "/account/export/{missing}/{export_token}.zip", 302, 404, 404, 404,  404,  404),
]

# Every POST form, posted by someone allowed to, with the token from the page that
# carries the form: (route, who posts, page with the form).
CSRF_TABLE = [
    ("/register",                             "anonymous", "/register"),
    ("/login",                                "anonymous", "/login"),
    ("/logout",                               "family_a",  "/"),
    ("/sessions/{session}/book",              "family_b",  "/workshops/{workshop}"),
    ("/workshops/{workshop}/book",            "family_b",  "/workshops/{workshop}"),
    ("/workshops/{workshop}/enroll",          "family_a",  "/workshops/{workshop}"),
    ("/bookings/{booking}/cancel",            "family_a",  "/bookings"),
    ("/bookings/{booking}/move",              "family_a",  "/bookings/{booking}/move"),
    ("/account",                              "family_a",  "/account"),
    ("/account/feed/reset",                   "family_a",  "/account"),
    ("/account/email/confirm",                "family_a",  "/account"),
    ("/account/sessions/end",                 "family_a",  "/account"),
    ("/account/name",                         "family_a",  "/account"),
    ("/account/email",                        "family_a",  "/account"),
    ("/account/password",                     "family_a",  "/account"),
    ("/account/delete",                       "family_a",  "/account/delete"),
    ("/account/reopen/{reopen}",              "anonymous", "/account/reopen/{reopen}"),
    ("/account/staff-name",                   "family_a",  "/account"),
    ("/email/change/{change_b}",              "anonymous", "/email/change/{change_b}"),
    ("/invite/{invite}",                      "anonymous", "/invite/{invite}"),
    ("/admin/accounts/invite",                "admin",     "/admin/accounts"),
    ("/admin/accounts/{account}/role",        "admin",     "/admin/accounts/{account}"),
    ("/admin/accounts/{account}/deactivate",  "admin",     "/admin/accounts/{account}"),
    ("/admin/accounts/{switched_off}/reactivate", "admin", "/admin/accounts/{switched_off}"),
    ("/admin/accounts/{invited}/invite",      "admin",     "/admin/accounts/{invited}"),
    ("/admin/accounts/{closable}/close",      "admin",     "/admin/accounts/{closable}"),
    ("/password/forgot",                      "anonymous", "/password/forgot"),
    ("/password/reset/{reset_b}",             "anonymous", "/password/reset/{reset_b}"),
    ("/counseling/slots/{slot}/book",         "family_b",  "/counseling/slots/{slot}"),
    ("/counseling/appointments/{appointment}/move",   "family_a", "/counseling/appointments/{appointment}/move"),  # noqa: E501
    ("/counseling/appointments/{appointment}/cancel", "family_a", "/bookings"),
    ("/counseling/appointments/{appointment}/decline-move", "family_a", "/bookings"),
    ("/manage/counseling",                    "owner",     "/manage/counseling"),
    ("/manage/counseling/windows",            "owner",     "/manage/counseling"),
    ("/manage/counseling/windows/{window}/delete",     "owner", "/manage/counseling"),
    ("/manage/counseling/blackouts",          "owner",     "/manage/counseling"),
    ("/manage/counseling/blackouts/{blackout}/delete", "owner", "/manage/counseling"),
    ("/manage/counseling/appointments/{appointment}/approve", "owner", "/manage/counseling/appointments/{appointment}"),  # noqa: E501
    ("/manage/counseling/appointments/{appointment}/decline", "owner", "/manage/counseling/appointments/{appointment}"),  # noqa: E501
    ("/manage/counseling/appointments/{appointment}/cancel",  "owner", "/manage/counseling/appointments/{appointment}"),  # noqa: E501
    ("/manage/counseling/appointments/{appointment}/move",    "owner", "/manage/counseling/appointments/{appointment}/move"),  # noqa: E501
    ("/manage/workshops/new",                 "owner",     "/manage/workshops/new"),
    ("/manage/workshops/{workshop}/edit",     "owner",     "/manage/workshops/{workshop}/edit"),
    ("/manage/sessions/{session}/reschedule", "owner",     "/manage/sessions/{session}"),
    ("/manage/sessions/{session}/capacity",   "owner",     "/manage/sessions/{session}"),
    ("/manage/sessions/{session}/cancel",     "owner",     "/manage/sessions/{session}"),
    ("/manage/bookings/{waiting}/promote",    "owner",     "/manage/sessions/{waiting_session}/roster"),  # noqa: E501
    ("/manage/workshops/{workshop}/duplicate",    "owner", "/manage/workshops/{workshop}/duplicate"),  # noqa: E501
    ("/manage/workshops/{workshop}/sessions/new", "owner", "/manage/workshops/{workshop}/sessions/new"),  # noqa: E501
    ("/manage/workshops/{draft}/delete",          "owner", "/manage/workshops/{draft}/delete"),
    ("/manage/sessions/{session}/book-for",   "owner",     "/manage/sessions/{session}/book-for"),
    ("/manage/bookings/{booking}/cancel",     "owner",     "/manage/sessions/{session}/roster"),
    ("/manage/bookings/{booking}/needs",      "owner",     "/manage/bookings/{booking}/needs"),
    ("/manage/households/{household}/claim-link", "owner", "/manage/households/{household}"),
    ("/bookings/{booking}/needs",             "family_a",  "/bookings/{booking}/needs"),
    ("/claim/{claim}",                        "anonymous", "/claim/{claim}"),
    ("/manage/bookings/{booking}/move",       "owner",     "/manage/bookings/{booking}/move"),
    ("/manage/workshops/{workshop}/facilitators", "owner", "/manage/workshops/{workshop}"),
    ("/manage/workshops/{workshop}/messages/new", "owner", "/manage/workshops/{workshop}/messages/new"),  # noqa: E501
    ("/manage/workshops/{workshop}/facilitators/{cofacilitator}/remove", "owner", "/manage/workshops/{workshop}"),  # noqa: E501
    ("/manage/bookings/{checkin_booking}/attendance", "owner", "/manage/sessions/{checkin_session}/attendance"),  # noqa: E501
    ("/manage/sessions/{checkin_session}/walk-in",    "owner", "/manage/sessions/{checkin_session}/attendance"),  # noqa: E501
    ("/manage/counseling/appointments/{past_appointment}/attendance", "owner", "/manage/counseling/appointments/{past_appointment}"),  # noqa: E501
    ("/account/proofs",                       "family_a",  "/account/proofs"),
    ("/account/proofs/{letter}/revoke",       "family_a",  "/account/proofs"),
    ("/account/export",                       "family_a",  "/account"),
]
# fmt: on


def _access_cases() -> list[Any]:
    return [
        pytest.param(role, method, route, status, id=f"{role} {method} {route}")
        for method, route, *statuses in ACCESS_TABLE
        for role, status in zip(ROLES, statuses, strict=True)
    ]


def _local(days: int, at: time = time(18, 0)) -> str:
    return local_start(days=days, at=at).strftime("%Y-%m-%dT%H:%M")


@dataclass(frozen=True)
class Person:
    id: int
    email: str
    name: str


@dataclass(frozen=True)
class World:
    """Two families, two facilitators and an admin around one facilitator's workshops."""

    people: dict[str, Person]
    ids: dict[str, int | str]
    auth: AuthActions

    def log_in_as(self, role: str) -> None:
        if role != "anonymous":
            assert self.auth.login(self.people[role].email).status_code == 303

    def path(self, route: str) -> str:
        return route.format(**self.ids)

    def form(self, route: str) -> dict[str, str]:
        """Return a valid submission of the form that posts to ``route``."""
        forms = {
            "/register": {
                "name": "Newcomer household",
                "email": "newcomer@example.org",
                "password": PASSWORD,
                "password_confirm": PASSWORD,
                "timezone": "America/New_York",
            },
            "/login": {"email": self.people["family_a"].email, "password": PASSWORD},
            "/sessions/{session}/book": {"seats": "1"},
            "/workshops/{workshop}/book": {"seats": "1", "sessions": "all"},
            "/language": {"language": "es", "next": "/"},
            "/workshops/{workshop}/enroll": {"seats": "1"},
            "/account": {"timezone": "Europe/London"},
            "/account/name": {"name": "A new name"},
            "/account/staff-name": {"staff_name_choice": "alias", "alias": "Blue door"},
            "/account/email": {"email": "moved@example.org", "password": PASSWORD},
            "/account/delete": {"password": PASSWORD},
            "/account/password": {
                "current_password": PASSWORD,
                "password": "a brand new password",
                "password_confirm": "a brand new password",
            },
            "/invite/{invite}": {
                "password": "a brand new password",
                "password_confirm": "a brand new password",
                "timezone": "America/New_York",
            },
            "/admin/accounts/invite": {
                "name": "New facilitator",
                "email": "new.staff@example.org",
                "role": "facilitator",
            },
            "/admin/accounts/{account}/role": {"role": "admin"},
            "/admin/accounts/{missing}/role": {"role": "admin"},
            "/bookings/{booking}/move": {"session_id": str(self.ids["move_session"])},
            "/manage/bookings/{booking}/move": {"session_id": str(self.ids["move_session"])},
            "/password/forgot": {"email": self.people["family_a"].email},
            "/counseling/appointments/{appointment}/move": {
                "slot_id": str(self.ids["move_target"])
            },
            "/manage/counseling/appointments/{appointment}/move": {
                "slot_id": str(self.ids["move_target"])
            },
            "/manage/counseling": {
                "open": "y",
                "timezone": "America/New_York",
                "kind": "individual",
                "mode": "online",
                "online_url": MEETING_LINK,
                "slot_minutes": "50",
                "buffer_minutes": "10",
                "min_notice_hours": "24",
                "horizon_days": "21",
                "change_cutoff_hours": "24",
                "contact": "555-0100",
                "approve_first": "y",
            },
            "/manage/counseling/windows": {"weekday": "0", "starts": "09:00", "ends": "11:00"},
            "/manage/counseling/blackouts": {
                "day": (utcnow() + timedelta(days=40)).date().isoformat()
            },
            "/password/reset/{reset_b}": {
                "password": "a brand new password",
                "password_confirm": "a brand new password",
            },
            "/manage/workshops/new": {
                "title": "Evening group",
                "location": "Room 2",
                "timezone": "America/New_York",
                "capacity": "8",
                "starts_at": _local(days=20),
                "duration_minutes": "90",
                "weeks": "1",
                "publish": "y",
            },
            "/manage/workshops/{workshop}/edit": {
                "title": "Family education, week by week",
                "location": "Room 1",
                "publish": "y",
            },
            "/manage/sessions/{session}/reschedule": {
                "starts_at": _local(days=10, at=time(19, 0)),
                "duration_minutes": "90",
                "scope": "one",
            },
            "/manage/sessions/{session}/capacity": {"capacity": "6", "scope": "one"},
            "/manage/sessions/{session}/cancel": {"scope": "one"},
            # The series' first session is 10 days ahead: the same weekday, a term later.
            "/manage/workshops/{workshop}/duplicate": {
                "first_day": local_start(days=10 + 7 * 20).date().isoformat(),
                "title": "Family education, next term",
            },
            "/manage/workshops/{workshop}/sessions/new": {
                "starts_at": _local(days=40, at=time(10, 0)),
                "duration_minutes": "60",
                "capacity": "4",
            },
            "/manage/sessions/{session}/book-for": {
                "name": "Phoned-in household",
                "phone": "555 0199",
                "seats": "1",
            },
            "/manage/bookings/{booking}/needs": {"notes": "Called: they need a ramp now"},
            "/bookings/{booking}/needs": {"childcare_needed": "y"},
            "/manage/households/{household}/claim-link": {"email": "garcia.home@example.org"},
            "/claim/{claim}": {
                "password": "a brand new password",
                "password_confirm": "a brand new password",
            },
            "/manage/workshops/{workshop}/facilitators": {
                "email": self.people["other_facilitator"].email
            },
            **_ATTENDANCE_FORMS,
            "/manage/workshops/{workshop}/messages/new": {
                "session": "all",
                "body": "Parking is closed on Monday; please use the lot behind.",
                "step": "send",
            },
            "/manage/workshops/{draft}/messages/new": {
                "session": "all",
                "body": "Hello",
                "step": "send",
            },
            "/account/proofs": {"session_ids": str(self.ids["letter_session"])},
            "/account/proofs/{letter}/revoke": {"confirm": "y"},
            "/account/proofs/{missing}/revoke": {"confirm": "y"},
        }
        return forms.get(route, {})


MEETING_LINK = "https://meet.example.org/private-room-8812"

#: The check-in's forms (issue 17): a mark, and a household at the door.
_ATTENDANCE_FORMS = {
    **{
        f"/manage/bookings/{{{booking}}}/attendance": {"status": "attended"}
        for booking in ("checkin_booking", "booking", "missing")
    },
    **{
        f"/manage/sessions/{{{session}}}/walk-in": {
            "name": "Walked-in household",
            "phone": "555 0123",
            "seats": "1",
        }
        for session in ("checkin_session", "session", "missing")
    },
    **{
        f"/manage/counseling/appointments/{{{appointment}}}/attendance": {"status": "attended"}
        for appointment in ("past_appointment", "appointment")
    },
}


def _attendance_world(owner: User, make_user, make_booking) -> dict[str, int]:
    """A session of the owner's that began ten minutes ago, with a household booked a month
    back; and another family's appointment with the owner yesterday afternoon."""
    now = utcnow()
    then = now - timedelta(days=30)
    started = wall_time(now - timedelta(minutes=10), "America/New_York").replace(
        second=0, microsecond=0
    )
    tonight = series.create_workshop(
        owner.id,
        WorkshopDetails("Tonight's group", "About recovery", "Room 3", "", publish=True),
        timezone="America/New_York",
        capacity=4,
        first_start=started,
        duration_minutes=90,
        weeks=1,
        now=then,
    ).sessions[0]
    booked = make_booking(tonight.id, family=make_user(name="Kim household"), now=then)
    asked = now - timedelta(days=3)
    yesterday = wall_time(now - timedelta(days=1), "America/New_York").date()
    with time_machine.travel(asked, tick=False):
        counseling.add_window(owner.id, day=yesterday, starts=time(14), ends=time(18), now=asked)
        (first, *_) = [
            s.slot.id
            for s in counseling.open_slots(asked, facilitator_id=owner.id)
            if wall_time(s.slot.starts_at, "America/New_York").date() == yesterday
        ]
        ortiz = make_user(name="Ortiz household")
        visit = counseling.book_slot(first, ortiz.id, note="", now=asked)
        counseling.approve(visit.id, owner, now=asked)
    return {
        "checkin_session": tonight.id,
        "checkin_booking": booked.id,
        "past_appointment": visit.id,
    }


def _counseling_world(owner: User, family_a: User, family_b: User) -> dict[str, int]:
    """The owner counsels online one afternoon; family A asked for a first visit."""
    now = utcnow()
    rules = counseling.Rules(
        open=True,
        timezone="America/New_York",
        mode="online",
        online_url=MEETING_LINK,
        approve_first=True,
        contact="555-0100",
        horizon_days=7,  # few slots: this world is built for every one of hundreds of tests
        # Family A, with a request waiting, may still ask for another time here: this
        # table is about who may, tests/test_hoarding.py about how many.
        max_requests_per_family=2,
    )
    counseling.save_rules(owner.id, rules, now=now)
    day = (now + timedelta(days=3)).date()  # four slots, well past the 24 hours' notice
    window = counseling.add_window(owner.id, day=day, starts=time(14), ends=time(18), now=now)
    blackout_day = (now + timedelta(days=6)).date()
    counseling.add_blackout(owner.id, blackout_day, now=now)
    (blackout,) = counseling.blackouts_for(owner.id)
    asked, held, slot, move_target, *_ = [s.slot.id for s in counseling.open_slots(now)]
    appointment = counseling.book_slot(asked, family_a.id, note="Our son, 17", now=now)
    counseling.move_by_counselor(appointment.id, owner, held, now=now)
    return {
        "appointment": appointment.id,
        "held_slot": held,
        "slot": slot,
        "move_target": move_target,
        "window": window.id,
        "blackout": blackout.id,
    }


def _accounts_world(admin: User, family_b: User, make_user) -> dict[str, int | str]:
    """A former household (switched off), a facilitator invited, family B moving address."""
    now = utcnow()
    former = make_user(name="Former household")
    account_admin.deactivate_by_command(former.id, now=utcnow())
    invited = invitations.invite(
        admin.id, email="invited@example.org", name="Invited person", role="facilitator", now=now
    )
    profile.request_email_change(family_b.id, "brennan.new@example.org", PASSWORD, now=now)
    tokens = {}
    for user_id, purpose in ((invited.id, LinkPurpose.INVITE), (family_b.id, "change_email")):
        link = _db.session.scalars(
            sa.select(EmailLink).where(EmailLink.user_id == user_id, EmailLink.purpose == purpose)
        ).one()
        tokens[purpose] = email_links.link_token(link)
    with write_transaction() as session:  # the tests here read a trail that starts empty
        session.execute(sa.delete(AuditEvent))
    return {
        "switched_off": former.id,
        "invited": invited.id,
        "invite": tokens[LinkPurpose.INVITE],
        "change_b": tokens["change_email"],
    }


def _closing_world(make_user) -> dict[str, int | str]:
    """A household that closed its account (its emailed link), and one an admin may close."""
    closed = make_user(name="Kowalski household")
    closing.close(closed.id, PASSWORD, now=utcnow())
    link = _db.session.scalars(
        sa.select(EmailLink).where(
            EmailLink.user_id == closed.id, EmailLink.purpose == LinkPurpose.REOPEN
        )
    ).one()
    closable = make_user(name="Nowak household")
    return {"reopen": email_links.link_token(link), "closable": closable.id}


def _letters_world(owner: User, family_a: User, make_booking) -> dict[str, int | str]:
    """Last term's session, where family A was marked present and asked for a letter."""
    then = utcnow() - timedelta(days=60)
    term = series.create_workshop(
        owner.id,
        WorkshopDetails("Spring term", "", "Room 3", "", publish=True),
        timezone="America/New_York",
        capacity=4,
        first_start=local_start(days=-56),
        duration_minutes=90,
        weeks=1,
        now=then,
    )
    session = term.sessions[0]
    booking = make_booking(session.id, family=family_a, now=then)
    mark_booking(booking.id, now=session.starts_at)
    letter = letters.issue(family_a.id, session_ids=[session.id], wording="discreet", now=utcnow())
    return {"letter": letter.id, "letter_code": letter.code, "letter_session": session.id}


def _export_world(family_a: User) -> dict[str, int | str]:
    """Family A's copy of its data, asked for and built (as the dispatcher builds it)."""
    now = utcnow()
    export = data_export.request_export(family_a.id, now)
    with write_transaction():
        built = data_export.build(export.id, now)
        assert built is not None
        token = data_export.token(built)
    return {"export": export.id, "export_token": token}


def _reset_token(user: User) -> str:
    with write_transaction() as session:
        link = email_links.issue(session, user, LinkPurpose.PASSWORD_RESET, utcnow())
        assert link is not None
        return email_links.link_token(link)


@dataclass(frozen=True)
class _Snapshot:
    copy: sqlite3.Connection
    people: dict[str, Person]
    ids: dict[str, int | str]


#: The world, built once per SQLite database and copied back before each test: hundreds
#: of tests start from it, and building it through the services costs ~0.15 s each time.
_SNAPSHOTS: dict[str, _Snapshot] = {}


def _copy_database(source: sqlite3.Connection, target: sqlite3.Connection) -> None:
    _db.session.remove()
    source.backup(target)


@pytest.fixture
def world(database_url, make_user, make_workshop, make_booking, auth) -> World:
    snapshot = _SNAPSHOTS.get(database_url) if database_url.startswith("sqlite") else None
    if snapshot is not None:
        raw = _db.engine.raw_connection()
        try:
            _copy_database(snapshot.copy, raw.driver_connection)
        finally:
            raw.close()
        return World(snapshot.people, snapshot.ids, auth)
    built = _build_world(make_user, make_workshop, make_booking, auth)
    if database_url.startswith("sqlite"):
        copy = sqlite3.connect(":memory:", check_same_thread=False)
        raw = _db.engine.raw_connection()
        try:
            _copy_database(raw.driver_connection, copy)
        finally:
            raw.close()
        _SNAPSHOTS[database_url] = _Snapshot(copy, built.people, built.ids)
    return built


def _build_world(make_user, make_workshop, make_booking, auth) -> World:
    owner = make_user(Role.FACILITATOR, name="Olsen, facilitator")
    family_a = make_user(name="Alvarez household")
    family_b = make_user(name="Brennan household")
    users = {
        "family_a": family_a,
        "family_b": family_b,
        "owner": owner,
        "other_facilitator": make_user(Role.FACILITATOR, name="Other facilitator"),
        "admin": make_user(Role.ADMIN, name="Site admin"),
    }
    workshop = make_workshop(facilitator=owner, weeks=3, capacity=4)
    session, second = workshop.sessions[0], workshop.sessions[1]
    booking = make_booking(session.id, family=family_a, needs=ALVAREZ_NEEDS)
    make_booking(second.id, family=family_b)
    draft = make_workshop(facilitator=owner, publish=False, title="Not yet announced")
    sharing = make_user(Role.FACILITATOR, name="Co-facilitator")
    with write_transaction() as db_session:  # as sharing it leaves it, without the trail
        db_session.add(WorkshopFacilitator(workshop_id=workshop.id, user_id=sharing.id))

    # A waitlisted household and a free seat: inside the promotion cutoff seats are not
    # handed out by themselves, so only a facilitator's promotion seats the Walshes.
    small = make_workshop(facilitator=owner, capacity=1, title="Small group").sessions[0]
    chen = make_user(name="Chen household")
    leaving = make_booking(small.id, family=chen)
    waiting = make_booking(small.id, family=make_user(name="Walsh household"), join_waitlist=True)
    cancel_booking(leaving.id, chen.id, now=small.starts_at - timedelta(hours=1))

    # Last month's session, which the Dunns had booked: the history and its roster.
    then = utcnow() - timedelta(days=30)
    past = series.create_workshop(
        owner.id,
        WorkshopDetails("Last term", "About recovery", "Room 1", "", publish=True),
        timezone="America/New_York",
        capacity=4,
        first_start=local_start(days=-28),
        duration_minutes=90,
        weeks=1,
        now=then,
    )
    make_booking(past.sessions[0].id, family=make_user(name="Dunn household"), now=then)
    # A household with no email that phoned the owner, later sent a link to claim it.
    now = utcnow()
    garcia = households.book_for_new_household(
        second.id, Contact("Garcia household", phone="555 0100"), 1, Needs(), acting=owner, now=now
    ).household
    claim = households.send_claim_link(garcia.id, "garcia@example.org", acting=owner, now=now)
    # Every test counts the audit events its own requests write: the world starts with none.
    with write_transaction() as transaction:
        transaction.execute(sa.delete(AuditEvent))

    return World(
        people={role: Person(u.id, u.email, u.name) for role, u in users.items()},
        ids={
            "workshop": workshop.id,
            "session": session.id,
            "booking": booking.id,
            "move_session": workshop.sessions[2].id,
            "draft": draft.id,
            "draft_session": draft.sessions[0].id,
            "waiting": waiting.id,
            "waiting_session": small.id,
            "past_workshop": past.id,
            "past_session": past.sessions[0].id,
            "cofacilitator": sharing.id,
            "missing": 999_999,
            "unsubscribe_a": f"{family_a.id}/{unsubscribe_token(family_a)}",
            "reset_b": _reset_token(family_b),
            "household": garcia.id,
            "claim": email_links.link_token(claim),
            "account": users["other_facilitator"].id,
            "family": family_a.id,
            **_letters_world(owner, family_a, make_booking),
            **_export_world(family_a),
            **_closing_world(make_user),
            **_accounts_world(users["admin"], family_b, make_user),
            **_counseling_world(owner, family_a, family_b),
            **_attendance_world(owner, make_user, make_booking),
        },
        auth=auth,
    )


def _post_or_get(client: FlaskClient, world: World, method: str, route: str) -> Any:
    data = world.form(route) if method == "POST" else None
    return client.open(world.path(route), method=method, data=data)


def _routes_of(app: Flask, rows: list[tuple[str, str]], world: World) -> set[tuple[str, str]]:
    adapter = app.url_map.bind("localhost")
    return {
        (adapter.match(urlsplit(world.path(route)).path, method=method)[0], method)
        for method, route in rows
    }


def _registered_routes(app: Flask) -> set[tuple[str, str]]:
    return {
        (rule.endpoint, method)
        for rule in app.url_map.iter_rules()
        if rule.endpoint != "static"
        for method in (rule.methods or set()) - {"HEAD", "OPTIONS"}
    }


def test_access_table_covers_every_route_the_app_registers(app, world):
    table = _routes_of(app, [(method, route) for method, route, *_ in ACCESS_TABLE], world)
    assert table == _registered_routes(app)


# Mail clients post the unsubscribe link (RFC 8058); the language switcher is on cached
# pages (scheduler/web/public/routes.py says why neither needs a token).
CSRF_EXEMPT = {("family.stop_reminders", "POST"), ("public.choose_language", "POST")}


def test_csrf_table_covers_every_post_route_the_app_registers(app, world):
    table = _routes_of(app, [("POST", route) for route, *_ in CSRF_TABLE], world)
    posts = {(endpoint, m) for endpoint, m in _registered_routes(app) if m == "POST"}
    assert table == posts - CSRF_EXEMPT


@pytest.mark.parametrize(("role", "method", "route", "expected"), _access_cases())
def test_each_role_gets_the_status_the_access_table_gives(
    client, world, role, method, route, expected
):
    world.log_in_as(role)

    response = _post_or_get(client, world, method, route)

    assert response.status_code == expected
    if expected == 302:
        where = "/login" if role == "anonymous" else "/"
        assert urlsplit(response.location).path == where


#: The only rows a GET may add: who opened a roster or an appointment, and the households
#: it showed (the access trail a family reads). Everything else a GET shows, it must not
#: change.
GET_MAY_WRITE = {"audit_events", "audit_event_households"}


def _get_cases() -> list[Any]:
    return [
        pytest.param(role, route, id=f"{role} GET {route}")
        for method, route, *_ in ACCESS_TABLE
        if method == "GET"
        for role in ROLES
    ]


@pytest.mark.parametrize(("role", "route"), _get_cases())
def test_no_get_request_changes_anything_but_the_access_trail(client, world, role, route):
    world.log_in_as(role)
    before = _database_contents()

    client.get(world.path(route))

    after = _database_contents()
    changed = {name for name in before if before[name] != after[name]}
    assert changed <= GET_MAY_WRITE
    assert all(after[name][: len(before[name])] == before[name] for name in changed)


def _status_of(booking_id: int) -> str:
    _db.session.rollback()
    return _db.session.get_one(Booking, booking_id).status


def test_a_family_cannot_cancel_another_familys_booking(client, world):
    world.log_in_as("family_b")

    response = client.post(world.path("/bookings/{booking}/cancel"))

    assert response.status_code == 404
    assert _status_of(world.ids["booking"]) == BookingStatus.CONFIRMED


def test_a_family_can_cancel_its_own_booking(client, world):
    world.log_in_as("family_a")

    response = client.post(world.path("/bookings/{booking}/cancel"))

    assert response.status_code == 303
    assert _status_of(world.ids["booking"]) == BookingStatus.CANCELLED


def test_a_familys_bookings_page_shows_only_its_own_bookings(client, world):
    a_details = (
        "Step-free access for the Alvarez family",
        world.path("/bookings/{booking}/cancel"),
    )
    world.log_in_as("family_a")
    own_page = client.get("/bookings").get_data(as_text=True)
    world.log_in_as("family_b")

    page = client.get("/bookings").get_data(as_text=True)

    assert all(detail in own_page for detail in a_details)
    assert "Family education" in page  # B's own booking, in the same series as A's
    assert [leak for leak in (*a_details, "Alvarez") if leak in page] == []


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("page", ["/", "/workshops/{workshop}"])
def test_workshop_pages_never_show_other_households_names(client, world, role, page):
    world.log_in_as(role)

    html = client.get(world.path(page)).get_data(as_text=True)

    assert "Family education" in html
    others = [name for name in HOUSEHOLDS if name != OWN_HOUSEHOLD.get(role)]
    assert [name for name in others if name in html] == []


def _audit_events() -> list[tuple[int | None, str, str]]:
    _db.session.rollback()
    rows = _db.session.scalars(sa.select(AuditEvent).order_by(AuditEvent.id))
    return [(e.actor_id, e.action, e.subject) for e in rows]


@pytest.mark.parametrize(
    ("view", "action"),
    [
        ("/manage/sessions/{session}/roster", "roster.view"),
        ("/manage/sessions/{session}/roster.csv", "roster.export"),
    ],
)
@pytest.mark.parametrize("role", ["owner", "admin"])
def test_owner_facilitator_and_admins_see_the_roster_and_each_view_is_audited(
    client, world, role, view, action
):
    world.log_in_as(role)
    before = _audit_events()  # the owner's move of family A's appointment

    first = client.get(world.path(view))
    second = client.get(world.path(view))

    for response in (first, second):
        assert response.status_code == 200
        assert "Alvarez household" in response.get_data(as_text=True)
    event = (world.people[role].id, action, f"session:{world.ids['session']}")
    assert _audit_events() == [*before, event, event]


@pytest.mark.parametrize(
    "view", ["/manage/sessions/{session}/roster", "/manage/sessions/{session}/roster.csv"]
)
@pytest.mark.parametrize("role", ["anonymous", "family_a", "family_b", "other_facilitator"])
def test_nobody_else_sees_a_roster_and_no_audit_event_is_written(client, world, role, view):
    world.log_in_as(role)
    before = _audit_events()

    response = client.get(world.path(view))

    assert response.status_code in {302, 403, 404}
    assert "Alvarez" not in response.get_data(as_text=True)
    assert _audit_events() == before


def _database_contents() -> dict[str, list[tuple[Any, ...]]]:
    _db.session.rollback()
    with _db.engine.connect() as conn:
        return {
            table.name: [
                tuple(row)
                for row in conn.execute(sa.select(table).order_by(*table.primary_key.columns))
            ]
            for table in _db.metadata.sorted_tables
        }


def _logged_in(client: FlaskClient) -> bool:
    return client.get("/account").status_code == 200


def _csrf_cases() -> list[Any]:
    return [pytest.param(*row, id=row[0]) for row in CSRF_TABLE]


def _expected(method: str, route: str, role: str) -> int:
    """Look up the status the access table gives ``role`` on ``route``."""
    (statuses,) = [s for m, r, *s in ACCESS_TABLE if (m, r) == (method, route)]
    return statuses[ROLES.index(role)]


class TestEveryPostNeedsACsrfToken:
    """With CSRF checks on, as in production."""

    @pytest.fixture
    def app(self, csrf_app: Flask) -> Flask:
        return csrf_app

    @pytest.mark.parametrize(("route", "role", "form_page"), _csrf_cases())
    def test_a_post_without_csrf_token_is_rejected_and_changes_nothing(
        self, client, world, route, role, form_page
    ):
        world.log_in_as(role)
        before, was_logged_in = _database_contents(), _logged_in(client)

        response = client.post(world.path(route), data=world.form(route))

        assert response.status_code == 400
        assert "Nothing was saved" in response.get_data(as_text=True)
        assert _database_contents() == before
        assert _logged_in(client) == was_logged_in

    @pytest.mark.parametrize(("route", "role", "form_page"), _csrf_cases())
    def test_the_same_post_with_the_token_from_its_page_goes_through(
        self, client, world, route, role, form_page
    ):
        world.log_in_as(role)
        token = csrf_token_from(client.get(world.path(form_page)).get_data(as_text=True))
        before = _database_contents(), _logged_in(client)

        response = client.post(world.path(route), data=world.form(route) | {"csrf_token": token})

        assert response.status_code != 400
        assert response.status_code == _expected("POST", route, role)
        assert (_database_contents(), _logged_in(client)) != before  # something happened

    def test_a_token_from_another_browser_session_is_rejected(self, app, client, world):
        stranger = app.test_client()
        token = csrf_token_from(stranger.get("/login").get_data(as_text=True))
        world.log_in_as("family_a")

        response = client.post(world.path("/bookings/{booking}/cancel"), data={"csrf_token": token})

        assert response.status_code == 400
        assert _status_of(world.ids["booking"]) == BookingStatus.CONFIRMED


LINK_PAGES = (
    "/",
    "/calendar",
    "/counseling",
    "/counseling/slots/{slot}",
    "/bookings",
    "/counseling/appointments/{appointment}/move",
    "/counseling/appointments/{appointment}.ics",
    "/manage",
    "/manage/counseling/appointments/{appointment}",
    "/calendar/workshops.ics",
)


@pytest.mark.parametrize("role", ROLES)
def test_meeting_link_shows_only_to_the_booked_family_and_the_counselor(app, world, role):
    owner = _db.session.get_one(User, world.people["owner"].id)
    counseling.approve(int(world.ids["appointment"]), owner, now=utcnow())
    client = app.test_client()
    world = World(world.people, world.ids, AuthActions(client))
    world.log_in_as(role)

    seen = [client.get(world.path(page)).get_data(as_text=True) for page in LINK_PAGES]
    if role != "anonymous":
        user = _db.session.get_one(User, world.people[role].id)
        token = feeds.feed_token(user)
        assert token is not None
        feed = urlsplit(feeds.private_feed_url(token)).path
        seen.append(client.get(feed).get_data(as_text=True))

    shown = any(MEETING_LINK in body for body in seen)
    assert shown == (role in ("family_a", "owner"))
