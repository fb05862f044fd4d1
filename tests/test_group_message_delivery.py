"""Issue 17's acceptance for messages to a group: a message to a 40-household series goes
out as 40 emails through a real SMTP server, each with one recipient and the discreet
subject, and shows on each family's My bookings."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine
from sqlalchemy import update

from scheduler.database import write_transaction
from scheduler.jobs import sweep_once
from scheduler.models import OutboxMessage, OutboxStatus, Role
from scheduler.services.booking import Needs, enroll_series
from scheduler.timeutil import utcnow
from tests.support.app import AuthActions
from tests.support.mail import SERVICE_WORDS

HOUSEHOLDS = 40
FIRST = datetime(2027, 3, 8, 18, 0)
WORDS = "The hall is closed on Monday.\nWe meet in Room 12 upstairs; the lift works."


@pytest.fixture(autouse=True)
def _a_fixed_today():
    with time_machine.travel(datetime(2027, 3, 1, 15, 0, tzinfo=UTC), tick=True):
        yield


def test_a_message_to_a_forty_household_series_is_forty_emails_each_to_one_household(
    app, client, auth, db, mail_to, make_user, make_workshop
):
    maya = make_user(Role.FACILITATOR, name="Maya Ruiz")
    workshop = make_workshop(facilitator=maya, capacity=HOUSEHOLDS, weeks=4, start=FIRST)
    families = [make_user(name=f"Household {n:02d}") for n in range(HOUSEHOLDS)]
    for family in families:
        enroll_series(workshop.id, family.id, 1, Needs(), now=utcnow())
    with write_transaction() as transaction:  # their confirmations went out long ago
        transaction.execute(update(OutboxMessage).values(status=OutboxStatus.SENT))
    assert auth.login(maya).status_code == 303
    written = {"session": "all", "body": WORDS, "include_waitlist": "y"}

    preview = client.post(
        f"/manage/workshops/{workshop.id}/messages/new", data=written | {"step": "preview"}
    )
    sent = client.post(
        f"/manage/workshops/{workshop.id}/messages/new", data=written | {"step": "send"}
    )

    assert "It goes to 40 households." in preview.get_data(as_text=True)
    assert sent.status_code == 303
    assert sweep_once().sent == HOUSEHOLDS
    assert sweep_once().sent == 0  # each household once, however many sessions it holds
    got = mail_to.messages
    addresses = {family.email for family in families}
    assert len(got) == HOUSEHOLDS
    assert [len(m.rcpt_tos) for m in got] == [1] * HOUSEHOLDS  # RCPT TO: one household
    assert {m.rcpt_tos[0] for m in got} == addresses
    for received in got:
        email, own = received.message, received.rcpt_tos[0]
        assert email.get_all("To") == [own]
        assert email.get_all("Cc") is None and email.get_all("Bcc") is None
        assert email["Subject"] == "Hearth: a message about your upcoming sessions"
        assert not SERVICE_WORDS.search(email["Subject"])
        raw = received.raw.decode()
        assert [other for other in addresses - {own} if other in raw] == []
        assert WORDS.replace("\n", "\r\n") in raw.replace("=\r\n", "")

    for family in families:  # each family, signed in, finds it on My bookings
        reader = app.test_client()
        assert AuthActions(reader).login(family).status_code == 303
        page = reader.get("/bookings").get_data(as_text=True)
        assert "Messages from your facilitators" in page
        assert WORDS in page and "From Maya Ruiz" in page
