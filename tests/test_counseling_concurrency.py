"""A counseling slot is held by one family at most, however the requests race.

Same harness as test_concurrency.py: each worker is a thread with its own app context,
so its own session and connection from the pool, and a barrier releases them together.
Runs on SQLite and, when TEST_DATABASE_URL is set, on PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from itertools import pairwise

import pytest
from flask import Flask
from sqlalchemy import func, select

from scheduler.extensions import db
from scheduler.models import Appointment, AppointmentStatus, CounselingSlot, Role, User
from scheduler.services import counseling
from scheduler.services.counseling import Rules
from scheduler.services.errors import DomainError
from scheduler.timeutil import utcnow
from tests.support import races

pytestmark = pytest.mark.slow

WORKERS = 32
ROUNDS = 15
NEW_YORK = "America/New_York"
HELD = (AppointmentStatus.PENDING, AppointmentStatus.CONFIRMED)
#: What a family may be told when it loses a race: anything else is a finding.
LOST = {"slot_taken", "slot_unavailable"}


@dataclass(frozen=True)
class Outcome:
    who: int
    #: "done", a DomainError code, or "error: ..." for anything unexpected.
    told: str


def race(app: Flask, jobs: list[Callable[[], Outcome]]) -> list[Outcome]:
    """Run every job in its own thread and connection, all released at once."""
    return races.race(app, jobs, lambda told: Outcome(-1, told))


def attempt(who: int, action: Callable[[], object]) -> Callable[[], Outcome]:
    """A job: run the action and say what the family was told."""

    def job() -> Outcome:
        try:
            action()
        except DomainError as error:
            return Outcome(who, error.code)
        return Outcome(who, "done")

    return job


def book_job(slot_id: int, family_id: int, now: datetime) -> Callable[[], Outcome]:
    return attempt(family_id, lambda: counseling.book_slot(slot_id, family_id, now=now))


def move_job(
    appointment_id: int, family_id: int, slot_id: int, now: datetime
) -> Callable[[], Outcome]:
    return attempt(family_id, lambda: counseling.move(appointment_id, family_id, slot_id, now=now))


def errors(outcomes: list[Outcome]) -> list[str]:
    return [o.told for o in outcomes if o.told.startswith("error")]


def held_in(slot_id: int) -> list[Appointment]:
    db.session.rollback()
    return list(
        db.session.scalars(
            select(Appointment).where(Appointment.slot_id == slot_id, Appointment.status.in_(HELD))
        )
    )


def held_by(family_id: int) -> list[Appointment]:
    db.session.rollback()
    return list(
        db.session.scalars(
            select(Appointment).where(
                Appointment.family_id == family_id, Appointment.status.in_(HELD)
            )
        )
    )


@pytest.fixture
def now() -> datetime:
    """Noon UTC two days ahead: workshops and services agree on what is future."""
    return datetime.combine(utcnow().date() + timedelta(days=2), time(12), tzinfo=UTC)


@pytest.fixture
def counselor(make_user: Callable[..., User], now: datetime) -> User:
    """Open every day 9:00-17:00 New York time: eight slots a day for two weeks."""
    user = make_user(Role.FACILITATOR, timezone=NEW_YORK)
    counseling.save_rules(
        user.id,
        Rules(open=True, timezone=NEW_YORK, horizon_days=14, change_cutoff_hours=0),
        now=now,
    )
    for weekday in range(7):
        counseling.add_window(user.id, weekday=weekday, starts=time(9), ends=time(17), now=now)
    return user


@pytest.fixture
def free_slots(counselor: User, now: datetime) -> Callable[[int], list[int]]:
    """Hand out open slots, each once, soonest first."""
    handed: set[int] = set()

    def take(count: int) -> list[int]:
        db.session.rollback()
        ids = [
            found.slot.id
            for found in counseling.open_slots(now, facilitator_id=counselor.id)
            if found.slot.id not in handed
        ][:count]
        assert len(ids) == count, "ran out of slots"
        handed.update(ids)
        return ids

    return take


@pytest.fixture
def families(make_user: Callable[..., User]) -> Callable[[int], list[int]]:
    return lambda count: [make_user(Role.FAMILY).id for _ in range(count)]


def test_thirty_families_racing_for_one_slot_get_exactly_one_booking(
    app, now, free_slots, families
):
    (slot_id,) = free_slots(1)
    racers = families(WORKERS)

    outcomes = race(app, [book_job(slot_id, family, now) for family in racers])

    assert errors(outcomes) == []
    winners = [o.who for o in outcomes if o.told == "done"]
    assert len(winners) == 1, outcomes
    assert {o.told for o in outcomes if o.told != "done"} <= LOST
    held = held_in(slot_id)
    assert [a.family_id for a in held] == winners
    assert db.session.scalar(select(func.count(Appointment.id))) == 1
    assert slot_id not in {f.slot.id for f in counseling.open_slots(now)}


def test_reschedule_racing_a_booking_of_the_target_slot_never_doubles_or_strands(
    app, now, free_slots, families
):
    findings: list[str] = []
    wins = {"mover": 0, "booker": 0}
    for round_ in range(ROUNDS):
        x, y = free_slots(2)
        mover, booker = families(2)
        appointment_id = counseling.book_slot(x, mover, now=now).id

        outcomes = race(app, [move_job(appointment_id, mover, y, now), book_job(y, booker, now)])

        moved, booked = (o.told for o in outcomes)
        findings += [f"round {round_}: {e}" for e in errors(outcomes)]
        if [moved, booked].count("done") != 1 or not {moved, booked} - {"done"} <= LOST:
            findings.append(f"round {round_}: mover told {moved}, booker told {booked}")
            continue
        in_y = held_in(y)
        mine, theirs = held_by(mover), held_by(booker)
        if len(in_y) != 1:
            findings.append(f"round {round_}: {len(in_y)} held appointments in slot Y")
        if len(mine) != 1:
            findings.append(f"round {round_}: the mover holds {len(mine)} slots")
        elif mine[0].id != appointment_id:
            findings.append(f"round {round_}: the mover's appointment changed id")
        if moved == "done":
            wins["mover"] += 1
            if mine and mine[0].slot_id != y:
                findings.append(f"round {round_}: told moved, but still in slot {mine[0].slot_id}")
            if theirs:
                findings.append(f"round {round_}: told taken, but the booker holds a slot")
            if held_in(x):
                findings.append(f"round {round_}: slot X still held after the move")
        else:
            wins["booker"] += 1
            if mine and mine[0].slot_id != x:
                findings.append(f"round {round_}: refused, but the mover left slot X")
            if [a.slot_id for a in theirs] != [y]:
                findings.append(f"round {round_}: told booked, but the booker holds {theirs}")

    assert findings == [], (findings, wins)
    assert sum(wins.values()) == ROUNDS


def test_several_families_moving_into_one_free_slot_only_one_moves(app, now, free_slots, families):
    movers = 12
    *own, target = free_slots(movers + 1)
    racers = families(movers)
    appointments = {
        family: counseling.book_slot(slot, family, now=now).id
        for family, slot in zip(racers, own, strict=True)
    }
    start_of = dict(zip(racers, own, strict=True))

    outcomes = race(app, [move_job(appointments[family], family, target, now) for family in racers])

    assert errors(outcomes) == []
    winners = [o.who for o in outcomes if o.told == "done"]
    assert len(winners) == 1, outcomes
    assert {o.told for o in outcomes if o.told != "done"} <= LOST
    (winner,) = winners
    assert [(a.id, a.family_id) for a in held_in(target)] == [(appointments[winner], winner)]
    assert held_in(start_of[winner]) == []
    for family in racers:
        if family == winner:
            continue
        kept = held_by(family)
        assert [(a.id, a.slot_id, a.sequence) for a in kept] == [
            (appointments[family], start_of[family], 0)
        ], f"family {family} lost its original slot"


def test_refreshing_slots_from_many_requests_at_once_never_fails(app, make_user, now):
    """Families opening the counseling page at once each re-make the stale slots."""
    counselor = make_user(Role.FACILITATOR, timezone=NEW_YORK)
    counseling.save_rules(
        counselor.id, Rules(open=True, timezone=NEW_YORK, horizon_days=7), now=now
    )
    for weekday in range(7):
        counseling.add_window(counselor.id, weekday=weekday, starts=time(9), ends=time(17), now=now)
    findings: list[str] = []
    rounds = 3
    for round_ in range(rounds):
        # A day later each round: the horizon moved on, so there are new slots to make.
        later = now + timedelta(days=1 + round_)
        outcomes = race(
            app, [attempt(i, lambda t=later: counseling.refresh_stale(t)) for i in range(12)]
        )
        findings += [f"round {round_}: {e}" for e in errors(outcomes)]

    assert findings == [], findings[:3]
    db.session.rollback()
    starts = db.session.scalars(
        select(CounselingSlot.starts_at).where(CounselingSlot.facilitator_id == counselor.id)
    ).all()
    assert len(starts) == len(set(starts))
    assert max(starts) > now + timedelta(days=7 + rounds - 1)


def test_changing_the_slot_length_while_families_book_never_overlaps_a_booked_slot(
    app, counselor, now, families
):
    """The counselor saves a new slot length while families book slots the old one made.

    Whichever commits first, the counselor must never end up with two held appointments
    at once, nor offer a slot that overlaps a held one.
    """
    findings: list[str] = []
    lengths = [80, 50, 30, 50]
    for round_ in range(ROUNDS):
        db.session.rollback()
        open_now = counseling.open_slots(now, facilitator_id=counselor.id)
        chosen = [found.slot.id for found in open_now[: 3 * 12]]
        racers = families(len(chosen))
        rules = Rules(
            open=True, timezone=NEW_YORK, horizon_days=14, slot_minutes=lengths[round_ % 4]
        )
        save = attempt(
            counselor.id, lambda r=rules: counseling.save_rules(counselor.id, r, now=now)
        )

        outcomes = race(
            app, [save, *(book_job(s, f, now) for s, f in zip(chosen, racers, strict=True))]
        )

        findings += [f"round {round_}: {e}" for e in errors(outcomes)]
        db.session.rollback()
        held = sorted(
            db.session.execute(
                select(CounselingSlot.starts_at, CounselingSlot.ends_at)
                .join(Appointment, Appointment.slot_id == CounselingSlot.id)
                .where(Appointment.status.in_(HELD))
            ).tuples()
        )
        for (_, first_end), (second_start, _) in pairwise(held):
            if second_start < first_end:
                findings.append(f"round {round_}: two held appointments overlap at {second_start}")
        for found in counseling.open_slots(now, facilitator_id=counselor.id):
            slot = found.slot
            if any(slot.starts_at < end and start < slot.ends_at for start, end in held):
                findings.append(
                    f"round {round_}: open slot at {slot.starts_at} overlaps a held one"
                )
        if findings:
            break  # what one round broke stays broken: report that round alone

    assert findings == [], findings[:5]
