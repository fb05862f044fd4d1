"""A household chooses how staff see it: its full name, its first name only, or an alias.

The choice is made on the account page; what staff then see is ``User.staff_name``, the
same in Python and in SQL. (What each staff page, CSV and email shows is in
``test_aliases_staff.py``.)
"""

from __future__ import annotations

import html
import re

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from scheduler.database import write_transaction
from scheduler.models import AuditEvent, User
from scheduler.models.bookings import Attendance
from scheduler.services import household_names, letters
from scheduler.services.errors import DomainError
from scheduler.timeutil import utcnow
from tests.support.app import AuthActions
from tests.support.letters import FAMILY, took_place

NAME = "Zephyrine Quillfeather"
ALIAS = "Sunflower household"


def page(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def fresh(db, user_id: int) -> User:
    db.session.rollback()
    return db.session.get_one(User, user_id)


def trail(db) -> list[tuple[int | None, str, str, str]]:
    db.session.rollback()
    events = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id))
    return [(e.actor_id, e.actor_name, e.action, e.subject) for e in events]


@pytest.fixture
def family(make_user) -> User:
    return make_user(name=NAME, email="zq@example.org")


def choose(client, **data: str):
    return client.post("/account/staff-name", data=data)


# --- on the account page -----------------------------------------------------------------


def test_the_account_page_says_exactly_what_staff_see_for_each_choice(client, auth, family):
    auth.login(family)

    shown = page(client.get("/account"))

    assert "Your name as staff see it" in shown
    assert re.search(rf"Staff see you as <strong[^>]*>{NAME}</strong>", shown)
    assert f"My full name: “{NAME}”" in shown
    assert "My first name only: “Zephyrine”" in shown
    assert "A name I choose (write it below)" in shown
    assert '<label for="alias">The name staff see</label>' in shown
    assert re.search(r'<input checked[^>]*name="staff_name_choice"[^>]*value="full"', shown)


def test_a_family_chooses_an_alias_and_the_page_shows_it_while_keeping_its_own_name(
    client, auth, db, family
):
    auth.login(family)

    saved = choose(client, staff_name_choice="alias", alias=f"  {ALIAS} ")

    assert saved.status_code == 303
    assert saved.location.endswith("/account#staff-name")
    shown = page(client.get(saved.location))
    assert f"Saved. Staff now see you as “{ALIAS}”." in shown
    assert re.search(rf"Staff see you as <strong[^>]*>{ALIAS}</strong>", shown)
    assert f'value="{NAME}"' in shown  # its own name, in the name form, is unchanged
    kept = fresh(db, family.id)
    assert (kept.name, kept.staff_name_choice, kept.alias, kept.staff_name) == (
        NAME,
        "alias",
        ALIAS,
        ALIAS,
    )
    assert trail(db)[-1] == (family.id, ALIAS, "account.staff_name", f"user:{family.id}")


def test_first_name_only_shows_the_first_word_of_the_name(client, auth, db, family):
    auth.login(family)

    saved = choose(client, staff_name_choice="first", alias="ignored")

    assert "Saved. Staff now see you as “Zephyrine”." in page(client.get(saved.location))
    kept = fresh(db, family.id)
    assert (kept.staff_name_choice, kept.alias, kept.staff_name) == ("first", None, "Zephyrine")


@pytest.mark.parametrize("space", ["\u00a0", "\u3000", "  "])
def test_a_name_typed_with_another_kind_of_space_still_shows_its_first_name_only(
    client, auth, db, family, space
):
    auth.login(family)
    client.post("/account/name", data={"name": f" Ana{space}Ruiz "})

    choose(client, staff_name_choice="first")

    kept = fresh(db, family.id)
    assert (kept.name, kept.staff_name) == ("Ana Ruiz", "Ana")


def test_going_back_to_the_full_name_keeps_no_alias(client, auth, db, family):
    auth.login(family)
    choose(client, staff_name_choice="alias", alias=ALIAS)

    choose(client, staff_name_choice="full", alias=ALIAS)

    kept = fresh(db, family.id)
    assert (kept.staff_name_choice, kept.alias, kept.staff_name) == ("full", None, NAME)


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (
            {"staff_name_choice": "alias", "alias": "x" * 61},
            "The name staff see can have up to 60 characters. Please make it shorter.",
        ),
        (
            {"staff_name_choice": "alias", "alias": "   "},
            "Write the name staff should see, or choose another option.",
        ),
        (
            {"staff_name_choice": "nickname", "alias": ALIAS},
            "Choose how staff see your name: your full name, your first name only, or a "
            "name you choose.",
        ),
        (
            {"alias": ALIAS},
            "Choose how staff see your name: your full name, your first name only, or a "
            "name you choose.",
        ),
        (
            {"staff_name_choice": "alias", "alias": "Sun\x00flower"},
            "This has hidden characters in it",
        ),
    ],
    ids=["too-long", "empty-alias", "unknown-choice", "no-choice", "hidden-characters"],
)
def test_a_refused_choice_says_why_and_saves_nothing(client, auth, db, family, data, words):
    auth.login(family)
    before = trail(db)

    refused = choose(client, **data)

    assert refused.status_code == 422
    shown = page(refused)
    assert words in shown
    assert 'class="error-summary"' in shown
    kept = fresh(db, family.id)
    assert (kept.staff_name_choice, kept.alias, kept.staff_name) == ("full", None, NAME)
    assert trail(db) == before


def test_an_alias_of_exactly_the_longest_length_is_kept(client, auth, db, family):
    auth.login(family)

    assert choose(client, staff_name_choice="alias", alias="x" * 60).status_code == 303

    assert fresh(db, family.id).staff_name == "x" * 60


def test_staff_have_no_choice_to_make(client, auth, make_user):
    maya = make_user("facilitator", name="Maya Okafor")
    auth.login(maya)

    assert "Your name as staff see it" not in page(client.get("/account"))
    assert choose(client, staff_name_choice="alias", alias=ALIAS).status_code == 403


def test_choosing_is_rate_limited(make_app, family):
    limited = make_app(RATELIMIT_ENABLED=True, RATELIMIT_STAFF_NAME="2 per hour")
    client = limited.test_client()
    AuthActions(client).login(family)

    answers = [choose(client, staff_name_choice="first").status_code for _ in range(3)]

    assert answers == [303, 303, 429]


# --- the rule and its SQL twin --------------------------------------------------------------


def test_the_service_refuses_in_words_before_it_writes(db, family):
    with pytest.raises(DomainError) as unknown:
        household_names.choose(family.id, "nickname", None, now=utcnow())
    with pytest.raises(DomainError) as empty:
        household_names.choose(family.id, "alias", " ", now=utcnow())
    with pytest.raises(DomainError) as long:
        household_names.choose(family.id, "alias", "y" * 61, now=utcnow())

    assert (unknown.value.code, empty.value.code, long.value.code) == (
        "staff_name_unknown",
        "alias_missing",
        "alias_too_long",
    )
    assert fresh(db, family.id).staff_name_choice == "full"


@pytest.mark.parametrize(
    ("name", "choice", "alias", "seen"),
    [
        ("Ana Ruiz", "full", None, "Ana Ruiz"),
        ("Ana Ruiz", "first", None, "Ana"),
        ("Ana  María Ruiz", "first", None, "Ana"),
        ("Cher", "first", None, "Cher"),
        ("The Chen family", "first", None, "Chen"),
        ("the  Okafor household", "first", None, "Okafor"),
        ("The", "first", None, "The"),
        ("Theo Park", "first", None, "Theo"),
        ("Ana Ruiz", "alias", "Blue door", "Blue door"),
    ],
)
def test_a_query_names_a_household_as_the_page_does(db, make_user, name, choice, alias, seen):
    household = make_user(name=name)
    household_names.choose(household.id, choice, alias, now=utcnow())

    kept = fresh(db, household.id)
    in_sql = db.session.scalar(select(User.staff_name).where(User.id == household.id))

    assert kept.staff_name == in_sql == seen


def test_the_database_refuses_an_alias_chosen_without_one(db, family):
    with pytest.raises(IntegrityError), write_transaction() as session:
        session.get_one(User, family.id).staff_name_choice = "alias"
    with pytest.raises(IntegrityError), write_transaction() as session:
        session.get_one(User, family.id).staff_name_choice = "nickname"

    assert fresh(db, family.id).staff_name_choice == "full"


# --- a letter the family asks for keeps its name -------------------------------------------


def test_a_letter_of_attendance_carries_the_real_name_the_family_asks_it_for(
    db, make_user, make_workshop, make_booking
):
    program = took_place(make_user, make_workshop, make_booking, marks=(Attendance.ATTENDED,) * 2)
    household_names.choose(program.family.id, "alias", ALIAS, now=utcnow())

    letter = letters.issue(
        program.family.id, session_ids=program.session_ids, wording="discreet", now=program.after
    )

    assert letter.holder_name == FAMILY
    text = letters.letter_text(letters.LetterFacts.of(letter), code=letter.code)
    assert FAMILY in text.statement and ALIAS not in text.statement
