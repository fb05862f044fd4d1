"""The daily purge under time travel: exactly what the settings say goes, nothing else.

The database holds, for every limit, a row a minute past it and a row a minute inside it
(tests/support/retention.py); the whole database is compared before and after a run.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from scheduler import jobs
from scheduler.database import write_transaction
from scheduler.extensions import db as _db
from scheduler.models import AuditEvent, RetentionRun
from scheduler.services import retention
from tests.support import races
from tests.support.retention import (
    LIMITS,
    NOW,
    Change,
    build_world,
    changes,
    limit,
    snapshot,
)


@pytest.fixture
def world(app, make_user, make_workshop, make_booking, make_counselor):
    return build_world(make_user, make_workshop, make_booking, make_counselor)


def _runs() -> list[RetentionRun]:
    _db.session.rollback()
    return list(_db.session.scalars(select(RetentionRun).order_by(RetentionRun.id)))


def test_the_purge_removes_exactly_what_is_past_each_limit_and_nothing_else(world):
    before = snapshot()

    with time_machine.travel(NOW, tick=False):
        run = retention.run_daily(NOW)

    assert run is not None
    assert changes(before, snapshot()) == world.expected
    assert run.counts == world.counts


def test_a_row_a_minute_inside_each_limit_is_untouched_and_one_a_minute_past_is_purged(world):
    before = snapshot()

    with time_machine.travel(NOW, tick=False):
        retention.run_daily(NOW)

    touched = changes(before, snapshot())
    for setting in LIMITS:
        for table, row_id in world.past[setting]:
            assert (row_id,) in touched[table].deleted | set(touched[table].changed), setting
        for table, row_id in world.inside[setting]:
            change = touched.get(table, Change())
            assert (row_id,) not in change.deleted | set(change.changed), setting


@pytest.mark.parametrize("setting", list(LIMITS))
def test_a_longer_setting_keeps_what_the_default_would_purge(app, world, setting):
    app.config[setting] = LIMITS[setting] + 1
    before = snapshot()

    with time_machine.travel(NOW, tick=False):
        retention.run_daily(NOW)

    touched = changes(before, snapshot())
    for table, row_id in world.past[setting]:
        change = touched.get(table, Change())
        assert (row_id,) not in change.deleted | set(change.changed)


@pytest.mark.parametrize("setting", list(LIMITS))
def test_a_shorter_setting_purges_what_the_default_would_keep(app, world, setting):
    app.config[setting] = LIMITS[setting] - 1
    before = snapshot()

    with time_machine.travel(NOW, tick=False):
        retention.run_daily(NOW)

    touched = changes(before, snapshot())
    for table, row_id in world.inside[setting]:
        assert (row_id,) in touched[table].deleted | set(touched[table].changed)


def test_the_run_is_recorded_with_each_steps_count(world):
    with time_machine.travel(NOW, tick=False):
        retention.run_daily(NOW)

    (run,) = _runs()
    assert run.day == NOW.date()
    assert run.ran_at == NOW
    assert run.finished_at == NOW
    assert run.counts == world.counts
    assert list(run.counts) == [step.name for step in retention.STEPS]


def test_a_second_run_the_same_day_does_nothing(world):
    with time_machine.travel(NOW, tick=False):
        retention.run_daily(NOW)
    after_first = snapshot()

    with time_machine.travel(NOW + timedelta(hours=5), tick=False):
        again = retention.run_daily(NOW + timedelta(hours=5))

    assert again is None
    assert changes(after_first, snapshot()) == {}
    assert [run.day for run in _runs()] == [NOW.date()]


def test_the_next_day_runs_again(world):
    tomorrow = NOW + timedelta(days=1)
    with time_machine.travel(NOW, tick=False):
        retention.run_daily(NOW)

    with time_machine.travel(tomorrow, tick=False):
        next_day = retention.run_daily(tomorrow)

    assert next_day is not None
    assert [run.day for run in _runs()] == [NOW.date(), tomorrow.date()]


def test_purging_again_at_the_same_moment_finds_nothing_left(world):
    with time_machine.travel(NOW, tick=False):
        retention.purge(NOW)
        after_first = snapshot()
        again = retention.purge(NOW)

    assert set(again.values()) == {0}
    assert changes(after_first, snapshot()) == {}


def test_two_dispatchers_running_the_days_purge_at_once_record_one_run(app, world):
    before = snapshot()

    with time_machine.travel(NOW, tick=False):
        outcomes = races.race(
            app,
            [lambda: retention.run_daily(NOW) is not None for _ in range(4)],
            lambda told: told,
        )

    assert sorted(outcomes, key=str) == [False, False, False, True]
    (run,) = _runs()
    assert run.counts == world.counts
    assert changes(before, snapshot()) == world.expected


def test_two_purges_at_once_never_count_a_row_twice_or_fail(app, world):
    before = snapshot()

    with time_machine.travel(NOW, tick=False):
        outcomes = races.race(app, [lambda: retention.purge(NOW) for _ in range(2)], lambda t: t)

    assert all(isinstance(counts, dict) for counts in outcomes), outcomes
    totals = {name: sum(counts[name] for counts in outcomes) for name in world.counts}
    assert totals == world.counts
    assert changes(before, snapshot()) == world.expected


def test_large_tables_are_purged_in_batches_of_their_own_transactions(app, monkeypatch):
    long_ago = limit("RETENTION_AUDIT_DAYS") - timedelta(days=1)
    with time_machine.travel(long_ago, tick=False), write_transaction() as session:
        session.add_all(
            AuditEvent(actor_name="Fay", action="roster.view", subject=f"session:{n}")
            for n in range(7)
        )
    monkeypatch.setattr(retention, "BATCH", 3)
    commits: list[int] = []

    def committed(_session):
        commits.append(1)

    event.listen(Session, "after_commit", committed)
    try:
        with time_machine.travel(NOW, tick=False):
            deleted = retention.delete_audit_events(NOW)
    finally:
        event.remove(Session, "after_commit", committed)

    assert deleted == 7
    assert len(commits) == 3  # 3 + 3 + 1
    assert _db.session.scalar(select(func.count()).select_from(AuditEvent)) == 0


def test_a_failing_step_is_recorded_and_the_others_still_run(world, caplog):
    def broken(_now):
        raise RuntimeError("disk on fire")

    steps = [retention.Step("broken", broken), *retention.STEPS]

    with time_machine.travel(NOW, tick=False):
        run = retention.run_daily(NOW, steps)

    assert run is not None
    assert run.counts == {"broken": None, **world.counts}
    assert run.finished_at is not None
    assert "retention step broken failed" in caplog.text


def test_the_dispatchers_daily_job_purges_once_a_day(app, world):
    scheduler = jobs.build_scheduler(app, blocking=False)
    job = scheduler.get_job("retention")

    with time_machine.travel(NOW, tick=False):
        jobs._purge(app)
        jobs._purge(app)

    assert str(job.trigger) == f"cron[hour='{jobs.RETENTION_HOUR_UTC}', minute='15']"
    assert job.next_run_time is not None  # at start-up too: a dispatcher down at 07:15
    assert [run.counts for run in _runs()] == [world.counts]


def test_the_command_runs_the_purge_and_prints_each_count(app, world):
    runner = app.test_cli_runner()

    with time_machine.travel(NOW, tick=False):
        first = runner.invoke(args=["retention", "run"])
        second = runner.invoke(args=["retention", "run"])

    assert first.exit_code == 0
    assert "booking_needs: 2" in first.output
    assert "audit_events: 1" in first.output
    assert "already run" in second.output
