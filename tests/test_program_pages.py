"""The program's pages: past sessions and their rosters, copying a workshop for a new
term, adding a session, and deleting a draft, through the forms a facilitator uses."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from scheduler.models import AuditEvent, Role, Workshop
from scheduler.services import series
from scheduler.services.series import Scope
from scheduler.timeutil import utcnow, wall_time

NY = "America/New_York"
#: A Monday in February 2026; the workshops below ran in January.
NOW = datetime(2026, 2, 2, 17, tzinfo=UTC)


def text_of(response) -> str:
    return response.get_data(as_text=True)


@pytest.fixture
def olsen(make_user):
    """A facilitator; each test logs in at the time it travels to."""
    return make_user(Role.FACILITATOR, name="Olsen")


@pytest.fixture
def january(auth, olsen, make_user, make_workshop, make_booking):
    """Olsen's Tuesday group, three January evenings; the Dunns booked the first.

    The test runs on NOW, in February, with Olsen logged in.
    """
    with time_machine.travel(datetime(2026, 1, 5, 12, tzinfo=UTC), tick=False):
        workshop = make_workshop(
            facilitator=olsen, weeks=3, capacity=6, start=datetime(2026, 1, 6, 18, 0)
        )
        make_booking(workshop.sessions[0].id, family=make_user(name="Dunn household"), seats=2)
        series.cancel_sessions(workshop.sessions[1].id, scope=Scope.ONE, now=utcnow())
    with time_machine.travel(NOW, tick=False):
        auth.login(olsen)
        yield workshop


# Past sessions


def test_history_lists_past_sessions_with_time_zone_seats_status_and_roster(client, january):
    page = text_of(client.get("/manage/history"))

    assert "3 sessions" in page
    assert page.index("Tue, Jan 20") < page.index("Tue, Jan 13") < page.index("Tue, Jan 6")
    assert "Eastern Time" in page
    assert "2 of 6 seats taken" in page
    assert page.count("badge-cancelled") == 1 and page.count("Took place") == 2
    for session in january.sessions:
        assert f'href="/manage/sessions/{session.id}/roster"' in page


def test_history_filters_by_workshop_and_by_days(client, january, make_workshop, olsen):
    with time_machine.travel(datetime(2026, 1, 5, 12, tzinfo=UTC), tick=False):
        make_workshop(facilitator=olsen, start=datetime(2026, 1, 15, 10, 0), title="Morning group")

    everything = text_of(client.get("/manage/history"))
    one = text_of(client.get(f"/manage/history?workshop={january.id}"))
    days = text_of(client.get("/manage/history?since=2026-01-13&until=2026-01-15"))

    assert "4 sessions" in everything and "Morning group" in everything
    assert "3 sessions" in one and ">Morning group</p>" not in one
    assert f'<option selected value="{january.id}">' in one
    assert "2 sessions" in days and "Tue, Jan 13" in days and "Thu, Jan 15" in days


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("since=yesterday", "Write the date as year-month-day, like 2026-03-04."),
        ("until=2026-02-31", "Write the date as year-month-day, like 2026-03-04."),
        ("since=0001-01-01", "Choose a date between 1970-01-01 and 2200-12-31"),
        ("since=2026-01-20&until=2026-01-10", "This date is before the “From” date."),
    ],
)
def test_history_says_what_is_wrong_with_a_date_it_cannot_use(client, january, query, message):
    response = client.get(f"/manage/history?{query}")

    assert response.status_code == 400
    assert message in text_of(response)
    assert "Please check the dates above" in text_of(response)


def test_history_shows_everything_with_a_word_for_a_workshop_it_does_not_know(
    client, january, make_user, make_workshop
):
    someone_elses = make_workshop(facilitator=make_user(Role.FACILITATOR))

    for unknown in (str(someone_elses.id), "999999", "abc"):
        response = client.get(f"/manage/history?workshop={unknown}")
        assert response.status_code == 200
        assert "find that workshop, so we show all of them." in text_of(response)
        assert "3 sessions" in text_of(response)


def test_history_pages_keep_the_filter(client, auth, olsen, make_workshop):
    with time_machine.travel(datetime(2025, 1, 5, 12, tzinfo=UTC), tick=False):
        weekly = make_workshop(facilitator=olsen, weeks=30, start=datetime(2025, 1, 6, 18, 0))
    auth.login(olsen)

    first = text_of(client.get(f"/manage/history?workshop={weekly.id}"))
    second = text_of(client.get(f"/manage/history?workshop={weekly.id}&page=2"))

    assert "Page 1 of 2" in first
    assert f'href="/manage/history?page=2&amp;workshop={weekly.id}"' in first
    assert "Earlier sessions" in first and "Page 2 of 2" in second
    assert f'href="/manage/history?workshop={weekly.id}">Later sessions' in second
    assert client.get("/manage/history?page=abc").status_code == 404


def test_history_without_past_sessions_says_so(client, auth, olsen):
    auth.login(olsen)
    assert "No sessions have ended yet." in text_of(client.get("/manage/history"))


def test_the_roster_of_a_past_session_reads_as_a_record_and_is_audited(client, db, january, olsen):
    held = january.sessions[0]

    page = text_of(client.get(f"/manage/sessions/{held.id}/roster"))

    assert "Dunn household" in page and "This session has ended." in page
    assert "Change this session" not in page
    assert f'href="/manage/history?workshop={january.id}"' in page
    events = db.session.scalars(db.select(AuditEvent)).all()
    assert [(e.actor_id, e.action, e.subject) for e in events] == [
        (olsen.id, "roster.view", f"session:{held.id}")
    ]


def test_the_dashboard_and_the_workshop_page_lead_to_the_history(client, january):
    assert 'href="/manage/history"' in text_of(client.get("/manage"))
    page = text_of(client.get(f"/manage/workshops/{january.id}"))
    assert f'href="/manage/history?workshop={january.id}"' in page


# Copying for a new term


def test_copying_a_series_for_a_new_term_makes_a_draft_to_check(client, db, january):
    form_page = text_of(client.get(f"/manage/workshops/{january.id}/duplicate"))
    assert 'value="2026-02-03"' in form_page  # the first Tuesday after the last session
    assert "A Tuesday, as the first session was." in form_page
    assert "1 cancelled session is left out." in form_page

    response = client.post(
        f"/manage/workshops/{january.id}/duplicate",
        data={"first_day": "2026-04-07", "title": "Tuesday group, spring"},
    )

    assert response.status_code == 303
    copy = db.session.scalars(db.select(Workshop).where(Workshop.id != january.id)).one()
    assert response.location.endswith(f"/manage/workshops/{copy.id}")
    assert (copy.title, copy.status) == ("Tuesday group, spring", "draft")
    assert [wall_time(s.starts_at, NY) for s in copy.sessions] == [
        datetime(2026, 4, 7, 18, 0),
        datetime(2026, 4, 21, 18, 0),
    ]
    landed = text_of(client.get(response.location))
    assert "The copy is saved as a draft, with 2 sessions." in landed


@pytest.mark.parametrize(
    ("first_day", "message"),
    [
        ("2026-04-08", "The first session was on a Tuesday. Choose a Tuesday"),
        ("", "Enter the date of the first session."),
        ("April 7", "Write the date as year-month-day, like 2026-03-04."),
        ("2026-01-13", "Choose a date in the future."),
        ("2040-01-03", "Choose a date within the next 5 years."),
    ],
)
def test_a_copy_on_a_date_it_cannot_use_is_refused_in_words(
    client, db, january, first_day, message
):
    response = client.post(
        f"/manage/workshops/{january.id}/duplicate", data={"first_day": first_day}
    )

    assert response.status_code == 422
    assert message in text_of(response)
    assert db.session.scalar(db.select(db.func.count()).select_from(Workshop)) == 1


# Adding a session


def test_adding_a_session_starts_from_the_next_week_and_shows_it_to_families(
    app, client, auth, make_workshop, olsen
):
    auth.login(olsen)
    workshop = make_workshop(facilitator=olsen, weeks=2, capacity=7, duration_minutes=75)
    next_week = wall_time(workshop.sessions[-1].starts_at, NY) + timedelta(weeks=1)

    form_page = text_of(client.get(f"/manage/workshops/{workshop.id}/sessions/new"))
    response = client.post(
        f"/manage/workshops/{workshop.id}/sessions/new",
        data={
            "starts_at": next_week.strftime("%Y-%m-%dT%H:%M"),
            "duration_minutes": "75",
            "capacity": "7",
        },
        follow_redirects=True,
    )

    assert f'value="{next_week:%Y-%m-%dT%H:%M}"' in form_page
    assert 'value="75"' in form_page and 'value="7"' in form_page
    assert "Families can book it now." in text_of(response)
    visitor = text_of(app.test_client().get(f"/workshops/{workshop.id}"))
    assert f'datetime="{next_week.replace(tzinfo=ZoneInfo(NY)).isoformat()}"' in visitor


def test_adding_a_session_at_a_time_that_does_not_exist_is_refused_in_words(
    client, auth, make_workshop, olsen
):
    with time_machine.travel(datetime(2027, 2, 1, 12, tzinfo=UTC), tick=False):
        auth.login(olsen)
        workshop = make_workshop(facilitator=olsen)
        response = client.post(
            f"/manage/workshops/{workshop.id}/sessions/new",
            data={"starts_at": "2027-03-14T02:30", "duration_minutes": "60", "capacity": "5"},
        )

    assert response.status_code == 422
    assert "the clocks change. Choose another time." in text_of(response)


def test_adding_a_session_in_the_past_is_refused_in_words(client, january):
    response = client.post(
        f"/manage/workshops/{january.id}/sessions/new",
        data={"starts_at": "2026-02-02T08:00", "duration_minutes": "60", "capacity": "5"},
    )

    assert response.status_code == 422
    assert "Choose a start time in the future." in text_of(response)


# Deleting a draft


def test_a_draft_is_deleted_after_a_confirm_step(client, auth, db, make_workshop, olsen):
    auth.login(olsen)
    draft = make_workshop(facilitator=olsen, publish=False, title="Not yet announced", weeks=2)
    workshop_page = text_of(client.get(f"/manage/workshops/{draft.id}"))
    assert f'href="/manage/workshops/{draft.id}/delete"' in workshop_page

    confirm = text_of(client.get(f"/manage/workshops/{draft.id}/delete"))
    response = client.post(f"/manage/workshops/{draft.id}/delete", follow_redirects=True)

    assert "The draft and its 2 sessions will be gone for good." in confirm
    assert "Yes, delete the draft" in confirm
    assert "“Not yet announced” is deleted." in text_of(response)
    assert db.session.scalar(db.select(db.func.count()).select_from(Workshop)) == 0


def test_a_published_workshop_is_not_deleted_and_the_page_says_what_to_do(client, db, january):
    assert 'delete"' not in text_of(client.get(f"/manage/workshops/{january.id}"))
    confirm = text_of(client.get(f"/manage/workshops/{january.id}/delete"))

    response = client.post(f"/manage/workshops/{january.id}/delete")

    assert "Only a draft can be deleted" in confirm and "Yes, delete" not in confirm
    assert response.status_code == 409
    assert "cancel its sessions" in text_of(response)
    assert db.session.get(Workshop, january.id) is not None
