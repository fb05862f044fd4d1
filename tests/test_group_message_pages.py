"""Writing to a group from the workshop's pages: the form, the preview, sending, the
history; families reading their messages on My bookings; bad input and abuse answered
in words, never with a 500."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import func, select

from scheduler.models import GroupMessage, MessageKind, OutboxMessage, Role
from scheduler.services import group_messages
from scheduler.services.group_messages import MAX_BODY
from tests.support.app import AuthActions

FIRST = datetime(2027, 3, 8, 18, 0)
WORDS = "Please bring the workbook.\nParking on Elm Street is closed."


@pytest.fixture(autouse=True)
def _a_fixed_today():
    with time_machine.travel(datetime(2027, 3, 1, 15, 0, tzinfo=UTC), tick=True):
        yield


@pytest.fixture
def booked(make_user, make_workshop, make_booking):
    """Maya's three-week series; Adams in every week, Baker in the second, Cole waiting."""
    maya = make_user(Role.FACILITATOR, name="Maya Ruiz", email="maya@example.org")
    workshop = make_workshop(facilitator=maya, capacity=1, weeks=3, start=FIRST)
    adams, baker, cole = (make_user(name=f"{n} household") for n in ("Adams", "Baker", "Cole"))
    for session in workshop.sessions:
        make_booking(session.id, family=adams)
    second = workshop.sessions[1]
    make_booking(second.id, family=baker, join_waitlist=True)
    make_booking(workshop.sessions[2].id, family=cole, join_waitlist=True)
    return maya, workshop, {"adams": adams, "baker": baker, "cole": cole}


def form(**changes) -> dict[str, str]:
    return {"session": "all", "body": WORDS, "step": "preview"} | changes


def path(workshop) -> str:
    return f"/manage/workshops/{workshop.id}/messages/new"


def count(db, model) -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(model))


def page_text(response) -> str:
    """The page as a reader sees its text: entities such as &#39; read back."""
    return html.unescape(response.get_data(as_text=True))


def checkbox(page: str, name: str) -> str:
    """The <input> tag of a checkbox, to see whether it is ticked."""
    match = re.search(rf'<input[^>]*name="{name}"[^>]*>', page)
    assert match, f"no {name} box"
    return match.group(0)


def test_a_facilitator_writes_previews_and_sends_from_the_workshop_page(client, auth, db, booked):
    maya, workshop, families = booked
    auth.login(maya)
    mail_before = count(db, OutboxMessage)

    page = page_text(client.get(f"/manage/workshops/{workshop.id}"))
    assert f'href="{path(workshop)}"' in page and "No messages yet." in page
    written = client.get(path(workshop))
    shown = page_text(written)
    for label in ("Who to write to", "Your message", "Subject (optional)",
                  "Also households on the waitlist", "Let families reply to me by email",
                  "Name the workshop in the subject"):  # fmt: skip
        assert f">{label}</label>" in shown
    assert "Replies go to maya@example.org" in shown

    preview = client.post(path(workshop), data=form(include_waitlist="y"))

    shown = page_text(preview)
    assert preview.status_code == 200
    assert "It goes to 3 households." in shown
    assert "What Adams household gets" in shown
    assert "Hearth: a message about your upcoming sessions" in shown
    assert "Please bring the workbook.\nParking on Elm Street is closed." in shown
    assert "A message from Maya Ruiz to the group of your upcoming sessions:" in shown
    assert 'name="step" value="send"' in shown and "Send it to 3 households" in shown
    assert count(db, GroupMessage) == 0 and count(db, OutboxMessage) == mail_before

    sent = client.post(path(workshop), data=form(include_waitlist="y", step="send"))

    assert sent.status_code == 303
    assert sent.location.endswith(f"/manage/workshops/{workshop.id}#messages")
    history = page_text(client.get(sent.location))
    assert "Your message is on its way to 3 households." in history
    assert "From Maya Ruiz" in history and "to 3 households" in history
    assert "about every session still to come" in history and "waitlist too" in history
    assert WORDS in history
    db.session.rollback()
    emails = db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.kind == MessageKind.GROUP_MESSAGE)
    ).all()
    assert sorted(e.recipient_id for e in emails) == sorted(f.id for f in families.values())


def test_the_roster_offers_writing_to_that_session_and_the_form_has_it_chosen(client, auth, booked):
    maya, workshop, _families = booked
    second = workshop.sessions[1]
    auth.login(maya)

    roster = page_text(client.get(f"/manage/sessions/{second.id}/roster"))
    link = f"{path(workshop)}?session={second.id}"
    assert f'href="{link}"' in roster

    shown = page_text(client.get(link))
    assert f'<option selected value="{second.id}">Only the session on Mon, Mar 15, 2027' in shown
    assert ">Everyone booked in the 3 sessions still to come</option>" in shown


def test_a_session_message_reaches_that_session_only(client, auth, db, booked):
    maya, workshop, families = booked
    second = workshop.sessions[1]
    auth.login(maya)

    chosen = form(session=str(second.id), include_waitlist="y")
    preview = page_text(client.post(path(workshop), data=chosen))
    sent = client.post(path(workshop), data=chosen | {"step": "send"})

    assert "It goes to 2 households." in preview  # Adams, and Baker who waits there
    assert "to the group of your session on Mon, Mar 15, 2027" in preview
    assert sent.status_code == 303
    (message,) = db.session.scalars(select(GroupMessage)).all()
    assert (message.session_id, message.recipient_count) == (second.id, 2)
    for name in ("adams", "baker"):
        assert [m.id for m in group_messages.received(families[name].id)] == [message.id]
    assert group_messages.received(families["cole"].id) == []


def test_changing_the_message_brings_back_the_form_as_written(client, auth, booked):
    maya, workshop, _families = booked
    auth.login(maya)

    again = client.post(path(workshop), data=form(step="edit", subject="Snow day", reply_to_me="y"))

    shown = page_text(again)
    assert again.status_code == 200
    assert 'value="Snow day"' in shown
    assert "checked" in checkbox(shown, "reply_to_me")
    assert "checked" not in checkbox(shown, "include_waitlist")
    assert "Please bring the workbook.\nParking on Elm Street is closed.</textarea>" in shown


def test_families_see_the_messages_they_were_sent_on_my_bookings(
    app, client, auth, db, booked, make_user
):
    maya, workshop, families = booked
    auth.login(maya)
    client.post(path(workshop), data=form(step="send", subject="Parking"))
    second = workshop.sessions[1]
    client.post(
        path(workshop),
        data=form(session=str(second.id), include_waitlist="y", body="Room 5", step="send"),
    )
    auth.logout()

    seen = {}
    for name, family in families.items():
        reader = app.test_client()
        AuthActions(reader).login(family)
        seen[name] = page_text(reader.get("/bookings"))

    assert "Messages from your facilitators" in seen["adams"]
    assert "Parking" in seen["adams"] and WORDS in seen["adams"]
    assert "From Maya Ruiz" in seen["adams"]
    assert "Room 5" in seen["baker"] and WORDS not in seen["baker"]
    assert "For Family education, the session on Mon, Mar 15, 6:00" in seen["baker"]
    assert "Messages from your facilitators" not in seen["cole"]  # waiting: not written to


@pytest.mark.parametrize(
    ("changes", "status", "said"),
    [
        ({"body": ""}, 422, "Write your message first: it can't be empty."),
        ({"body": " \r\n\x00\t "}, 422, "Write your message first: it can't be empty."),
        ({"body": "x" * (MAX_BODY + 1)}, 422, "Your message can have up to 5000 characters."),
        ({"subject": "s" * 101}, 422, "The subject can have up to 100 characters."),
        ({"session": "next week"}, 422, "Choose who to write to from the list."),
        ({"session": "99999999999999999999"}, 422, "Choose who to write to from the list."),
        ({"session": "999999"}, 409, "That isn't one of this workshop's sessions"),
    ],
)
@pytest.mark.parametrize("step", ["preview", "send"])
def test_bad_input_gets_a_clear_message_and_nothing_is_sent(
    client, auth, db, booked, changes, status, said, step
):
    maya, workshop, _families = booked
    auth.login(maya)
    before = count(db, OutboxMessage)

    response = client.post(path(workshop), data=form(step=step) | changes)

    assert response.status_code == status
    assert said in page_text(response)
    assert count(db, GroupMessage) == 0 and count(db, OutboxMessage) == before


def test_a_session_of_another_workshop_is_refused(client, auth, db, booked, make_workshop):
    maya, workshop, _families = booked
    other = make_workshop(facilitator=maya, start=FIRST).sessions[0]
    auth.login(maya)

    response = client.post(path(workshop), data=form(session=str(other.id), step="send"))

    assert response.status_code == 409
    assert count(db, GroupMessage) == 0


def test_a_group_nobody_booked_is_refused_in_words(client, auth, db, make_user, make_workshop):
    maya = make_user(Role.FACILITATOR)
    workshop = make_workshop(facilitator=maya, start=FIRST)
    auth.login(maya)

    response = client.post(path(workshop), data=form(step="send"))

    assert response.status_code == 409
    assert "there is nobody to write to" in page_text(response)


@pytest.mark.parametrize("role", [Role.FACILITATOR, Role.FAMILY])
@pytest.mark.parametrize("method", ["GET", "POST"])
def test_someone_elses_workshop_is_not_there_and_families_may_not_write(
    client, auth, db, booked, make_user, role, method
):
    _maya, workshop, _families = booked
    auth.login(make_user(role))

    response = client.open(path(workshop), method=method, data=form(step="send"))

    assert response.status_code == (404 if role == Role.FACILITATOR else 403)
    assert count(db, GroupMessage) == 0


def test_the_same_message_sent_twice_goes_out_once(client, auth, db, booked):
    maya, workshop, _families = booked
    auth.login(maya)

    first = client.post(path(workshop), data=form(step="send"))
    second = client.post(path(workshop), data=form(step="send"))

    assert (first.status_code, second.status_code) == (303, 409)
    assert "it was not sent again" in page_text(second)
    assert count(db, GroupMessage) == 1


def test_past_the_hourly_limit_the_page_says_when_and_answers_429(app, client, auth, db, booked):
    maya, workshop, _families = booked
    app.config["RATELIMIT_GROUP_MESSAGE"] = "2 per hour"
    auth.login(maya)

    with time_machine.travel(datetime(2027, 3, 1, 16, 0, tzinfo=UTC), tick=False) as clock:
        answers = []
        for n in range(3):
            answers.append(client.post(path(workshop), data=form(step="send", body=f"Note {n}")))
            clock.shift(timedelta(minutes=5))

    assert [a.status_code for a in answers] == [303, 303, 429]
    assert answers[2].headers["Retry-After"] == str(50 * 60)
    assert "You can send the next one in 50 minutes." in page_text(answers[2])
    assert "Note 2" in page_text(answers[2])  # what was written is not lost
    assert count(db, GroupMessage) == 2


def test_the_pages_read_in_spanish(client, auth, booked):
    maya, workshop, _families = booked
    auth.login(maya)
    client.post("/language", data={"language": "es", "next": "/"})

    html = page_text(client.get(path(workshop)))
    preview = page_text(client.post(path(workshop), data=form()))

    assert "Escribir al grupo" in html and "Su mensaje" in html
    assert "Revise su mensaje" in preview
