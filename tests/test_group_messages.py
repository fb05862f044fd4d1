"""Messages to a group: who they reach (each household once), what each household gets,
who may send them and how many, on both databases."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import delete, select

from scheduler.database import write_transaction
from scheduler.jobs import sweep_once
from scheduler.models import (
    AuditEvent,
    GroupMessage,
    GroupMessageRecipient,
    MessageKind,
    OutboxMessage,
    Role,
    User,
    WorkshopFacilitator,
)
from scheduler.services import group_messages, series
from scheduler.services.booking import Needs, cancel_booking
from scheduler.services.errors import DomainError
from scheduler.services.group_messages import MAX_BODY, Draft
from scheduler.services.households import Contact, book_for_new_household
from scheduler.timeutil import utcnow
from scheduler.web.admin.routes import ACTIONS
from tests.support.mail import SERVICE_WORDS, outbox, received
from tests.support.mail import text_of as _text_of

#: The first evening of a weekly group, a week after the fixed day these tests run on.
FIRST = datetime(2027, 3, 8, 18, 0)
WORDS = "Please bring the workbook.\n\nParking on Elm Street is closed; use the lot behind."


@pytest.fixture(autouse=True)
def _a_fixed_today():
    with time_machine.travel(datetime(2027, 3, 1, 15, 0, tzinfo=UTC), tick=True):
        yield


@pytest.fixture
def group(make_user, make_workshop):
    """A facilitator's three-week series, each session with four seats."""
    facilitator = make_user(Role.FACILITATOR, name="Maya Ruiz")
    workshop = make_workshop(facilitator=facilitator, capacity=4, weeks=3, start=FIRST)
    return facilitator, workshop


def text_of(email) -> str:
    """An email's plain text with the line ends it was written with (the wire has CRLF)."""
    return _text_of(email).replace("\r\n", "\n")


def draft(session_id: int | None = None, body: str = WORDS, **options) -> Draft:
    return Draft(session_id=session_id, subject=options.pop("subject", ""), body=body, **options)


def send(workshop, author: User, **options) -> GroupMessage:
    session_id = options.pop("session_id", None)
    return group_messages.send(workshop.id, draft(session_id, **options), author.id, now=utcnow())


def recipients(db, message: GroupMessage) -> set[int]:
    db.session.rollback()
    return set(
        db.session.scalars(
            select(GroupMessageRecipient.household_id).where(
                GroupMessageRecipient.message_id == message.id
            )
        )
    )


def emails_queued(db) -> list[OutboxMessage]:
    return outbox(db, kind=MessageKind.GROUP_MESSAGE)


def refused(code: str, call, *args, **kwargs) -> DomainError:
    with pytest.raises(DomainError) as error:
        call(*args, **kwargs)
    assert error.value.code == code
    return error.value


# --- who a message reaches ------------------------------------------------------------


def test_a_series_message_reaches_each_household_once_however_many_sessions_it_holds(
    db, group, make_user, make_booking
):
    facilitator, workshop = group
    first, second, third = workshop.sessions
    every_week, one_week, left = make_user(), make_user(), make_user()
    for session in (first, second, third):
        make_booking(session.id, family=every_week)
    make_booking(second.id, family=one_week)
    gone = make_booking(third.id, family=left)
    cancel_booking(gone.id, left.id, now=utcnow())

    message = send(workshop, facilitator)

    assert recipients(db, message) == {every_week.id, one_week.id}
    assert message.recipient_count == 2
    rows = emails_queued(db)
    assert sorted(r.recipient_id for r in rows) == sorted([every_week.id, one_week.id])
    assert {r.group_message_id for r in rows} == {message.id}


def test_the_waitlist_hears_only_when_the_facilitator_includes_it(
    db, make_user, make_workshop, make_booking
):
    facilitator = make_user(Role.FACILITATOR)
    session = make_workshop(facilitator=facilitator, capacity=1, start=FIRST).sessions[0]
    seated, waiting = make_user(), make_user()
    make_booking(session.id, family=seated)
    make_booking(session.id, family=waiting, join_waitlist=True)
    workshop = session.workshop

    without = send(workshop, facilitator, session_id=session.id)
    with_waitlist = send(
        workshop, facilitator, session_id=session.id, include_waitlist=True, body="Room 5 now."
    )

    assert recipients(db, without) == {seated.id}
    assert recipients(db, with_waitlist) == {seated.id, waiting.id}


def test_a_session_message_reaches_only_the_households_of_that_session(
    db, group, make_user, make_booking
):
    facilitator, workshop = group
    first, second, _third = workshop.sessions
    in_first, in_second = make_user(), make_user()
    make_booking(first.id, family=in_first)
    make_booking(second.id, family=in_second)

    message = send(workshop, facilitator, session_id=second.id)

    assert recipients(db, message) == {in_second.id}
    assert message.session_id == second.id


def test_a_household_without_email_is_a_recipient_and_gets_no_email(
    db, group, make_user, make_booking
):
    facilitator, workshop = group
    session = workshop.sessions[0]
    with_address = make_user()
    make_booking(session.id, family=with_address)
    phoned = book_for_new_household(
        session.id, Contact("Okafor household", phone="555 0101"), 1, Needs(),
        acting=facilitator, now=utcnow(),
    ).household  # fmt: skip

    message = send(workshop, facilitator)

    assert recipients(db, message) == {with_address.id, phoned.id}
    assert [r.recipient_id for r in emails_queued(db)] == [with_address.id]
    assert [m.id for m in group_messages.received(phoned.id)] == [message.id]


def test_a_switched_off_household_is_not_written_to(db, group, make_user, make_booking):
    facilitator, workshop = group
    session = workshop.sessions[0]
    active, switched_off = make_user(), make_user()
    make_booking(session.id, family=active)
    make_booking(session.id, family=switched_off)
    with write_transaction() as transaction:
        transaction.get_one(User, switched_off.id).active = False

    assert recipients(db, send(workshop, facilitator)) == {active.id}


def test_nobody_to_write_to_is_refused_and_nothing_is_kept(db, group, make_user, make_booking):
    facilitator, workshop = group
    make_booking(workshop.sessions[0].id, family=make_user())

    refused("group_message_nobody", send, workshop, facilitator, session_id=workshop.sessions[1].id)

    db.session.rollback()
    assert db.session.scalars(select(GroupMessage)).all() == []
    assert emails_queued(db) == []


# --- what each household gets -----------------------------------------------------------


def test_each_email_goes_to_its_household_alone_with_a_discreet_subject(
    db, mail_to, group, make_user, make_booking
):
    facilitator, workshop = group
    families = [make_user(name=f"Household {n}") for n in range(3)]
    for family in families:
        make_booking(workshop.sessions[0].id, family=family)
    sweep_once()
    mail_to.clear()

    send(workshop, facilitator)

    assert sweep_once().sent == 3
    assert sorted(m.rcpt_tos[0] for m in mail_to.messages) == sorted(f.email for f in families)
    for got in mail_to.messages:
        email = got.message
        assert got.rcpt_tos == [email["To"]]
        assert "Cc" not in email and "Bcc" not in email and "Reply-To" not in email
        assert email["Subject"] == "Hearth: a message about your upcoming sessions"
        assert not SERVICE_WORDS.search(email["Subject"])
        assert email["From"] == "Hearth <no-reply@hearth.test>"
        text = text_of(email)
        assert WORDS in text
        assert "A message from Maya Ruiz to the group of your upcoming sessions:" in text
        assert "Replies to this email are not read." in text
        assert "Family education" not in text  # discreet: the workshop goes unnamed
        others = [f.name for f in families if f.email != email["To"]]
        assert [name for name in others if name in got.raw.decode()] == []


def test_a_session_message_says_which_session_in_the_familys_own_time(
    db, mail_to, group, make_user, make_booking
):
    facilitator, workshop = group
    family = make_user(timezone="America/Los_Angeles")
    session = workshop.sessions[1]
    make_booking(session.id, family=family)
    sweep_once()
    mail_to.clear()

    send(workshop, facilitator, session_id=session.id)
    sweep_once()

    (email,) = received(mail_to)
    assert email["Subject"] == "Hearth: a message about your upcoming session"
    assert "to the group of your session on Mon, Mar 15, 2027, 3:00\u00a0PM Pacific" in text_of(
        email
    )


def test_replies_go_to_the_facilitator_only_when_they_choose(
    db, mail_to, group, make_user, make_booking
):
    facilitator, workshop = group
    family = make_user()
    make_booking(workshop.sessions[0].id, family=family)
    sweep_once()
    mail_to.clear()

    send(workshop, facilitator, reply_to_author=True)
    sweep_once()

    (got,) = mail_to.messages
    assert got.message["Reply-To"].addresses[0].addr_spec == facilitator.email
    assert got.message["Reply-To"].addresses[0].display_name == "Maya Ruiz"
    assert got.rcpt_tos == [family.email]  # a Reply-To is no recipient
    assert got.message["From"] == "Hearth <no-reply@hearth.test>"
    assert "your answer goes to Maya Ruiz only" in text_of(got.message)


@pytest.mark.parametrize(
    ("show_title", "descriptive", "subject"),
    [
        (False, False, "Hearth: a message about your upcoming sessions"),
        (False, True, "Hearth: a message about your upcoming sessions"),
        (True, False, "Hearth: a message about your upcoming sessions"),
        (True, True, "Hearth: a message about Family education"),
    ],
)
def test_the_subject_names_the_workshop_only_when_facilitator_and_family_both_chose_it(
    db, group, make_user, make_booking, show_title, descriptive, subject
):
    facilitator, workshop = group
    family = make_user()
    with write_transaction() as transaction:
        transaction.get_one(User, family.id).descriptive_titles = descriptive
    make_booking(workshop.sessions[0].id, family=family)

    shown = group_messages.preview(
        workshop.id, draft(show_title=show_title), facilitator.id, now=utcnow()
    )

    assert shown.email is not None and shown.email.subject == subject
    assert ("Family education" in shown.email.text) == (show_title and descriptive)


def test_a_subject_the_facilitator_writes_is_used_as_written_on_one_line(
    db, group, make_user, make_booking
):
    facilitator, workshop = group
    make_booking(workshop.sessions[0].id, family=make_user())

    message = send(workshop, facilitator, subject="  Parking\r\nis closed\x00 ")
    shown = group_messages.preview(
        workshop.id, draft(subject="Parking is closed"), facilitator.id, now=utcnow()
    )

    assert message.subject == "Parking is closed"
    assert shown.email is not None and shown.email.subject == "Hearth: Parking is closed"


def test_the_preview_is_exactly_what_the_family_gets(db, mail_to, group, make_user, make_booking):
    facilitator, workshop = group
    family = make_user(name="Adams household")
    make_booking(workshop.sessions[0].id, family=family)
    make_booking(workshop.sessions[0].id, family=make_user(name="Baker household"))
    sweep_once()
    mail_to.clear()
    written = draft(subject="Snow day", reply_to_author=True)

    shown = group_messages.preview(workshop.id, written, facilitator.id, now=utcnow())
    group_messages.send(workshop.id, written, facilitator.id, now=utcnow())
    sweep_once()

    assert (shown.households, shown.by_email, shown.shown_to.id) == (2, 2, family.id)
    (email,) = [m for m in received(mail_to) if m["To"] == family.email]
    assert shown.email is not None and shown.email.to == family.email
    assert email["Subject"] == shown.email.subject
    assert email["Reply-To"] == shown.email.reply_to
    assert text_of(email).rstrip("\n") == shown.email.text
    html = email.get_body(preferencelist=("html",)).get_content()
    assert html.replace("\r\n", "\n").rstrip("\n") == shown.email.html


def test_a_spanish_household_reads_the_frame_in_spanish_and_the_words_as_written(
    db, group, make_user, make_booking
):
    facilitator, workshop = group
    family = make_user(name="Familia García")
    with write_transaction() as transaction:
        transaction.get_one(User, family.id).language = "es"
    make_booking(workshop.sessions[0].id, family=family)

    shown = group_messages.preview(
        workshop.id, draft(workshop.sessions[0].id), facilitator.id, now=utcnow()
    )

    assert shown.email is not None
    assert shown.email.subject == "Hearth: un mensaje sobre su próxima sesión"
    assert "Hola, Familia García:" in shown.email.text
    assert "Un mensaje de Maya Ruiz al grupo de su sesión del " in shown.email.text
    assert WORDS in shown.email.text  # the facilitator's words, untranslated


def test_a_household_without_email_is_counted_and_the_preview_shows_another(
    db, group, make_user, make_booking
):
    facilitator, workshop = group
    session = workshop.sessions[0]
    book_for_new_household(
        session.id, Contact("Aaron household", phone="555 0102"), 1, Needs(),
        acting=facilitator, now=utcnow(),
    )  # fmt: skip
    family = make_user(name="Zeller household")
    make_booking(session.id, family=family)

    shown = group_messages.preview(workshop.id, draft(), facilitator.id, now=utcnow())

    assert (shown.households, shown.by_email, shown.shown_to.id) == (2, 1, family.id)


# --- what a facilitator may write -----------------------------------------------------------


def test_control_characters_are_taken_out_and_line_breaks_kept(db, group, make_user, make_booking):
    facilitator, workshop = group
    make_booking(workshop.sessions[0].id, family=make_user())

    message = send(workshop, facilitator, body="\r\n Bring\x00 the workbook\r\nand a pen\x1b.\t \n")

    assert message.body == "Bring the workbook\nand a pen."


def test_html_in_a_message_stays_text(db, mail_to, group, make_user, make_booking):
    facilitator, workshop = group
    make_booking(workshop.sessions[0].id, family=make_user())
    sweep_once()
    mail_to.clear()

    send(workshop, facilitator, body='<b>Room 5</b> & <a href="https://x.example">map</a>')
    sweep_once()

    (email,) = received(mail_to)
    html = email.get_body(preferencelist=("html",)).get_content()
    assert "&lt;b&gt;Room 5&lt;/b&gt; &amp; &lt;a href=" in html
    assert "<b>" not in html and 'href="https://x.example"' not in html
    assert '<b>Room 5</b> & <a href="https://x.example">map</a>' in text_of(email)


@pytest.mark.parametrize("body", ["", "   ", "\n\n\t", "\x00\x07"])
def test_an_empty_message_is_refused_with_a_clear_message(db, group, make_user, make_booking, body):
    facilitator, workshop = group
    make_booking(workshop.sessions[0].id, family=make_user())

    error = refused("group_message_empty", send, workshop, facilitator, body=body)

    assert error.message == "Write your message first: it can't be empty."
    assert emails_queued(db) == []


def test_a_message_longer_than_the_limit_is_refused(db, group, make_user, make_booking):
    facilitator, workshop = group
    make_booking(workshop.sessions[0].id, family=make_user())

    error = refused(
        "group_message_too_long", send, workshop, facilitator, body="x" * (MAX_BODY + 1)
    )
    longest = send(workshop, facilitator, body="x" * MAX_BODY)

    assert f"{MAX_BODY + 1} characters" in error.message
    assert len(longest.body) == MAX_BODY


def test_a_subject_longer_than_the_limit_is_refused(db, group, make_user, make_booking):
    facilitator, workshop = group
    make_booking(workshop.sessions[0].id, family=make_user())

    refused("group_message_subject_too_long", send, workshop, facilitator, subject="s" * 101)


def test_a_session_that_is_not_one_still_to_come_of_this_workshop_is_refused(
    db, group, make_user, make_workshop, make_booking
):
    facilitator, workshop = group
    other = make_workshop(facilitator=facilitator, start=FIRST).sessions[0]
    make_booking(other.id, family=make_user())
    first, second, _third = workshop.sessions
    make_booking(first.id, family=make_user())
    series.cancel_sessions(second.id, scope=series.Scope.ONE, now=utcnow())

    for session_id in (other.id, second.id, 999_999):
        refused("group_message_session", send, workshop, facilitator, session_id=session_id)
    with time_machine.travel(first.ends_at + timedelta(minutes=1)):
        refused("group_message_session", send, workshop, facilitator, session_id=first.id)


def test_whoever_runs_the_workshop_and_admins_may_write_and_nobody_else(
    db, group, make_user, make_booking
):
    facilitator, workshop = group
    family = make_user()
    make_booking(workshop.sessions[0].id, family=family)
    co = make_user(Role.FACILITATOR, name="Co-facilitator")
    with write_transaction() as transaction:
        transaction.add(WorkshopFacilitator(workshop_id=workshop.id, user_id=co.id))

    for stranger in (make_user(Role.FACILITATOR), family):
        refused("workshop_not_found", send, workshop, stranger)
        refused("workshop_not_found", group_messages.preview, workshop.id, draft(), stranger.id,
                now=utcnow())  # fmt: skip
    runners = (facilitator, co, make_user(Role.ADMIN))
    sent = [send(workshop, who, body=f"From {who.name}") for who in runners]

    assert [m.author_name for m in group_messages.history(workshop.id)] == [
        m.author_name for m in reversed(sent)
    ]


def test_the_same_message_sent_twice_at_once_goes_out_once(db, group, make_user, make_booking):
    facilitator, workshop = group
    make_booking(workshop.sessions[0].id, family=make_user())

    send(workshop, facilitator)
    error = refused("group_message_sent_already", send, workshop, facilitator)

    assert "was not sent again" in error.message
    assert len(emails_queued(db)) == 1
    with time_machine.travel(utcnow() + timedelta(minutes=11)):
        send(workshop, facilitator)  # the same words later are a message of their own
    assert len(emails_queued(db)) == 2


def test_each_person_sends_at_most_the_messages_an_hour_the_setting_allows(
    app, db, group, make_user, make_booking
):
    facilitator, workshop = group
    make_booking(workshop.sessions[0].id, family=make_user())
    other = make_user(Role.FACILITATOR)
    with write_transaction() as transaction:
        transaction.add(WorkshopFacilitator(workshop_id=workshop.id, user_id=other.id))
    app.config["RATELIMIT_GROUP_MESSAGE"] = "3 per hour"
    start = utcnow()

    with time_machine.travel(start, tick=False) as clock:
        for n in range(3):
            send(workshop, facilitator, body=f"Note {n}")
            clock.shift(timedelta(minutes=10))
        error = refused("group_message_limit", send, workshop, facilitator, body="Note 3")
        send(workshop, other, body="Someone else's note")  # a limit per person
        clock.shift(timedelta(minutes=30, seconds=1))  # the first left the hour
        send(workshop, facilitator, body="Note 3")

    assert error.params["seconds"] == pytest.approx(30 * 60)
    assert error.message == (
        "You have sent 3 messages to groups recently, as many as Hearth allows in 60 minutes. "
        "You can send the next one in 30 minutes."
    )
    assert len(group_messages.history(workshop.id)) == 5


def test_sending_and_previewing_are_audited_and_worded_on_the_audit_page(
    db, group, make_user, make_booking
):
    facilitator, workshop = group
    make_booking(workshop.sessions[0].id, family=make_user())

    message = send(workshop, facilitator)
    group_messages.preview(workshop.id, draft(body="Another"), facilitator.id, now=utcnow())

    db.session.rollback()
    events = db.session.scalars(select(AuditEvent)).all()
    assert [(e.actor_id, e.action, e.subject) for e in events] == [
        (facilitator.id, "group_message.send", f"group_message:{message.id}"),
        (facilitator.id, "group_message.preview", f"workshop:{workshop.id}"),
    ]
    assert {"group_message.send", "group_message.preview"} <= set(ACTIONS)


# --- the record --------------------------------------------------------------------------


def test_who_a_message_was_for_outlives_the_outbox(db, mail_to, group, make_user, make_booking):
    facilitator, workshop = group
    family = make_user()
    make_booking(workshop.sessions[0].id, family=family)
    message = send(workshop, facilitator)
    sweep_once()

    with write_transaction() as transaction:  # an outbox cleared of what was sent
        transaction.execute(delete(OutboxMessage))

    assert [m.id for m in group_messages.received(family.id)] == [message.id]


def test_a_message_removed_takes_its_unsent_emails_and_recipients_with_it(
    db, group, make_user, make_booking
):
    facilitator, workshop = group
    make_booking(workshop.sessions[0].id, family=make_user())
    message = send(workshop, facilitator)

    with write_transaction() as transaction:
        transaction.execute(delete(GroupMessage).where(GroupMessage.id == message.id))

    assert emails_queued(db) == []
    assert db.session.scalars(select(GroupMessageRecipient)).all() == []


def test_a_household_sees_only_the_messages_it_was_sent_newest_first(
    db, group, make_user, make_booking
):
    facilitator, workshop = group
    first, second, _third = workshop.sessions
    both, only_second = make_user(), make_user()
    make_booking(first.id, family=both)
    make_booking(second.id, family=both)
    make_booking(second.id, family=only_second)

    to_first = send(workshop, facilitator, session_id=first.id, body="First week")
    with time_machine.travel(utcnow() + timedelta(minutes=1)):
        to_all = send(workshop, facilitator, body="Everyone")

    assert [m.id for m in group_messages.received(both.id)] == [to_all.id, to_first.id]
    assert [m.id for m in group_messages.received(only_second.id)] == [to_all.id]
