"""The admin's audit page (issue 18): filtered by who, which family, what and when; every
entry reachable page by page; the filtered entries as CSV; bad filters said, never a 500."""

from __future__ import annotations

import csv
import html
import io
import re
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
import time_machine

from scheduler.database import write_transaction
from scheduler.models import AuditEvent, AuditEventHousehold, Role, User
from scheduler.services import audit
from tests.support.feeds import counting_queries

#: A fixed day: every entry below is written on a day of its own before it.
TODAY = datetime(2026, 6, 15, 12, 0, tzinfo=UTC)


def day(n: int) -> datetime:
    """Noon UTC ``n`` days before today."""
    return TODAY - timedelta(days=n)


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(TODAY, tick=False):
        yield


@pytest.fixture
def people(make_user, auth):
    """An admin (signed in), two facilitators, and two families."""
    admin = make_user(Role.ADMIN, name="Ada Admin")
    olsen = make_user(Role.FACILITATOR, name="Olsen, facilitator")
    park = make_user(Role.FACILITATOR, name="Park, facilitator")
    alvarez = make_user(name="Alvarez household")
    brennan = make_user(name="Brennan household")
    assert auth.login(admin).status_code == 303
    return admin, olsen, park, alvarez, brennan


def write(actor: User, action: str, subject: str, households: list[User], when: datetime) -> None:
    with write_transaction():
        audit.add(actor, action, subject, [h.id for h in households], now=when)


@pytest.fixture
def trail(people):
    """Olsen saw the Alvarez roster 10 days ago and both families' 3 days ago; Park
    changed the Brennans' needs yesterday."""
    _, olsen, park, alvarez, brennan = people
    write(olsen, "roster.view", "session:1", [alvarez], day(10))
    write(olsen, "roster.export", "session:2", [alvarez, brennan], day(3))
    write(park, "act_for.needs", "booking:7", [brennan], day(1))
    return people


#: The admin's own looks at the log, listed with the rest (tested on their own below).
OWN_LOOKS = {"audit.view", "audit.export"}


def listed(response) -> list[tuple[str, str]]:
    """The page's rows but the admin's own looks at the log: (who, the action code)."""
    page = html.unescape(response.get_data(as_text=True))
    rows = re.findall(r"<tr><td data-label.*?</tr>", page, re.S)
    return [
        (
            re.sub(r"<[^>]+>", "", re.search(r'data-label="Who"[^>]*>(.*?)</td>', row, re.S)[1]),
            re.search(r'<span class="meta">\(([a-z_.]+)\)</span>', row)[1],
        )
        for row in rows
        if not any(f"({code})" in row for code in OWN_LOOKS)
    ]


def page_audits(db) -> list[tuple[str, set[int]]]:
    """The admin's own looks at the trail: what, with which households."""
    db.session.rollback()
    events = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action.in_(["audit.view", "audit.export"]))
    ).all()
    links = db.session.execute(sa.select(AuditEventHousehold)).scalars().all()
    return [
        (e.action, {link.household_id for link in links if link.event_id == e.id}) for e in events
    ]


def test_every_entry_is_listed_newest_first_with_the_families_it_names(client, trail):
    response = client.get("/admin/audit")

    assert response.status_code == 200
    assert listed(response) == [
        ("Park, facilitator", "act_for.needs"),
        ("Olsen, facilitator", "roster.export"),
        ("Olsen, facilitator", "roster.view"),
    ]
    page = html.unescape(response.get_data(as_text=True))
    alvarez = trail[3]
    assert f'<a href="/admin/audit?household={alvarez.id}">Alvarez household</a>' in page
    assert "3 entries." in page


def test_filtering_by_who_shows_only_what_they_did(client, trail):
    _, olsen, *_ = trail

    response = client.get(f"/admin/audit?actor={olsen.id}")

    assert response.status_code == 200
    assert [who for who, _ in listed(response)] == ["Olsen, facilitator"] * 2


def test_filtering_by_family_shows_every_entry_that_named_it(client, trail):
    *_, alvarez, brennan = trail

    shown = {
        name: listed(client.get(f"/admin/audit?household={family.id}"))
        for name, family in (("alvarez", alvarez), ("brennan", brennan))
    }

    assert shown == {
        "alvarez": [("Olsen, facilitator", "roster.export"), ("Olsen, facilitator", "roster.view")],
        "brennan": [
            ("Park, facilitator", "act_for.needs"),
            ("Olsen, facilitator", "roster.export"),
        ],
    }
    assert "Entries about Alvarez household." in html.unescape(
        client.get(f"/admin/audit?household={alvarez.id}").get_data(as_text=True)
    )


def test_filtering_by_kind_shows_only_that_kind(client, trail):
    response = client.get("/admin/audit?action=roster.view")

    assert listed(response) == [("Olsen, facilitator", "roster.view")]


def test_filtering_by_dates_includes_both_days_in_utc(client, trail):
    since, until = day(10).date().isoformat(), day(3).date().isoformat()

    both = client.get(f"/admin/audit?since={since}&until={until}")
    from_three_days = client.get(f"/admin/audit?since={until}")
    up_to_ten_days = client.get(f"/admin/audit?until={since}")

    assert [a for _, a in listed(both)] == ["roster.export", "roster.view"]
    assert [a for _, a in listed(from_three_days)] == ["act_for.needs", "roster.export"]
    assert [a for _, a in listed(up_to_ten_days)] == ["roster.view"]


def test_filters_combine_and_nothing_matching_is_said(client, trail):
    _, olsen, park, alvarez, _ = trail

    both = client.get(f"/admin/audit?actor={olsen.id}&household={alvarez.id}&action=roster.view")
    none = client.get(f"/admin/audit?actor={park.id}&household={alvarez.id}")

    assert listed(both) == [("Olsen, facilitator", "roster.view")]
    assert listed(none) == [] and "No entry matches." in none.get_data(as_text=True)


@pytest.mark.parametrize(
    ("query", "said"),
    [
        ("since=2026-13-01", "Write the date as year-month-day, like 2026-03-04."),
        ("until=yesterday", "Write the date as year-month-day, like 2026-03-04."),
        ("since=2026-06-10&until=2026-06-01", "This date is before the “From” date."),
        ("since=9999-01-01", "Choose a date between"),
        ("household=abc", "Enter an account number."),
        ("household=0", "Enter an account number."),
        ("household=99999999999999999999999", "Enter an account number."),
        ("action=nonsense.view", "Choose a kind of entry from the list."),
        ("actor=someone", "Choose someone from the list."),
        ("actor=%C2%B2", "Choose someone from the list."),  # "²" is a digit int() can't read
    ],
)
@pytest.mark.parametrize("path", ["/admin/audit", "/admin/audit.csv"])
def test_a_filter_that_cannot_be_read_is_said_beside_it_with_400(
    client, trail, db, path, query, said
):
    response = client.get(f"{path}?{query}")

    assert response.status_code == 400
    page = html.unescape(response.get_data(as_text=True))
    assert said in page and "<table" not in page
    assert page_audits(db) == []  # nothing was shown


def test_more_than_a_page_of_entries_is_paged_through_to_the_last_one(client, people, db):
    _, olsen, _, alvarez, _ = people
    with write_transaction():
        for n in range(audit.PER_PAGE * 2 + 7):
            audit.add(
                olsen,
                "roster.view",
                f"session:{n}",
                [alvarez.id],
                now=day(200) + timedelta(minutes=n),
            )

    wanted = f"/admin/audit?household={alvarez.id}&action=roster.view"
    pages = [client.get(f"{wanted}&page={n}") for n in (1, 2, 3)]
    beyond = client.get(f"{wanted}&page=9")

    subjects = []
    for response in pages:
        subjects += re.findall(r"session:(\d+)", response.get_data(as_text=True))
    assert [int(s) for s in subjects] == list(range(audit.PER_PAGE * 2 + 6, -1, -1))
    first = html.unescape(pages[0].get_data(as_text=True))
    assert "Page 1 of 3" in first
    following = re.search(r'rel="next" href="([^"]+)"', first)[1]  # the filter travels along
    assert "page=2" in following and f"household={alvarez.id}" in following
    assert "action=roster.view" in following
    assert "Page 3 of 3" in html.unescape(beyond.get_data(as_text=True))


def test_the_csv_holds_the_filtered_entries_safe_for_a_spreadsheet(client, people, db):
    _, olsen, park, alvarez, brennan = people
    write(olsen, "roster.export", "session:2", [alvarez, brennan], day(3))
    write(park, "act_for.needs", "booking:7", [brennan], day(2))
    write(olsen, "roster.view", "session:3", [alvarez], day(2))  # not the Brennans'
    with write_transaction() as session:  # a name a spreadsheet would run as a formula
        session.get_one(User, park.id).name = "=HYPERLINK(evil)"
    write(fresh(db, park.id), "needs.view", "booking:7", [brennan], day(1))

    response = client.get(f"/admin/audit.csv?household={brennan.id}")

    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0] == [
        "When (UTC)",
        "Who",
        "Their account",
        "What",
        "Code",
        "Of",
        "Families",
        "Family account numbers",
    ]
    assert [(r[1], r[3], r[4], r[5], r[6]) for r in rows[1:]] == [
        (
            "'=HYPERLINK(evil)",
            "Saw a household's needs",
            "needs.view",
            "booking:7",
            "Brennan household",
        ),
        (
            "Park, facilitator",
            "Changed a household's needs",
            "act_for.needs",
            "booking:7",
            "Brennan household",
        ),
        (
            "Olsen, facilitator",
            "Downloaded a roster",
            "roster.export",
            "session:2",
            "Alvarez household; Brennan household",
        ),
    ]
    assert rows[3][0] == day(3).strftime("%Y-%m-%d %H:%M:%S")
    assert rows[3][2] == str(olsen.id)
    assert rows[3][7] == f"{alvarez.id} {brennan.id}"
    assert page_audits(db) == [("audit.export", {alvarez.id, brennan.id})]


def fresh(db, user_id: int) -> User:
    db.session.rollback()
    return db.session.get_one(User, user_id)


def test_the_audit_page_is_itself_audited_with_the_families_it_shows(client, trail, db):
    *_, alvarez, brennan = trail

    client.get("/admin/audit?action=roster.view")
    client.get("/admin/audit")
    # Filtered by a family with no entry of that kind: its name is still on the page.
    client.get(f"/admin/audit?household={brennan.id}&action=roster.view")

    assert page_audits(db) == [
        ("audit.view", {alvarez.id}),
        ("audit.view", {alvarez.id, brennan.id}),
        ("audit.view", {brennan.id}),
    ]


def test_the_audit_page_runs_the_same_statements_at_110_and_2000_entries(client, people, db):
    _, olsen, _, alvarez, brennan = people
    paths = ["/admin/audit", f"/admin/audit?household={alvarez.id}&since=2020-01-01&page=2"]

    def add(count: int) -> None:
        with write_transaction():
            for n in range(count):
                families = [alvarez.id] if n % 2 else [alvarez.id, brennan.id]
                audit.add(olsen, "roster.view", f"session:{n}", families, now=day(30))

    def statements() -> list[int]:
        counts = []
        for path in paths:
            db.session.rollback()
            with counting_queries(db) as seen:
                assert client.get(path).status_code == 200
            counts.append(len(seen))
        return counts

    add(110)
    before = statements()
    add(1890)
    after = statements()

    assert after == before
