"""APScheduler set-up: the clock of the dispatcher, never its source of truth.

The outbox table is what must be sent; APScheduler only says "sweep now". No job
store is shared between processes, so any number of dispatchers can run (each claims
its own rows), but one process never runs two schedulers.
"""

from __future__ import annotations

import logging
import os
from datetime import UTC, datetime

import click
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from flask import Flask, current_app

from scheduler.mail import transport_from_config
from scheduler.services import counseling, data_export, digest, retention
from scheduler.services.dispatch import LazyConnection, SweepResult, send_due, worker_name
from scheduler.settings import Settings
from scheduler.timeutil import utcnow

log = logging.getLogger(__name__)

#: The hour (UTC) of the daily retention purge: the small hours in the Americas.
RETENTION_HOUR_UTC = 7


def sweep_once(worker: str | None = None) -> SweepResult:
    """Send everything due now through one transport connection."""
    connection = LazyConnection(
        transport_from_config(current_app.config, current_app.instance_path)
    )
    try:
        return send_due(connection, worker=worker)
    finally:
        connection.close()


def _sweep(app: Flask, worker: str) -> None:
    with app.app_context():
        try:
            result = sweep_once(worker)
        except Exception:  # a sweep must never kill the scheduler
            log.exception("outbox sweep failed")
            return
        if result.sent or result.failed:
            log.info("outbox sweep: %s sent, %s failed", result.sent, result.failed)


def _queue_digests(app: Flask) -> None:
    with app.app_context():
        try:
            queued = digest.queue_due(utcnow())
        except Exception:  # the next hour tries again; the sweep must go on
            log.exception("queueing facilitator digests failed")
            return
        if queued:
            log.info("queued %s facilitator digests", queued)


def _refresh_slots(app: Flask) -> None:
    """Hourly: move the counselors' booking horizons on, and let unanswered requests go."""
    with app.app_context():
        try:
            counseling.refresh_stale(utcnow())
        except Exception:  # the next hour tries again
            log.exception("refreshing counseling slots failed")
        try:
            counseling.expire_requests(utcnow())
        except Exception:
            log.exception("expiring counseling requests failed")


def _purge(app: Flask) -> None:
    """Daily: the retention purge, run once a day by whichever dispatcher comes first."""
    with app.app_context():
        try:
            run = retention.run_daily(utcnow())
        except Exception:  # tomorrow's run tries again; the sweep must go on
            log.exception("the retention purge failed")
            return
        if run is not None:
            log.info("retention purge: %s", run.counts)


def _expire_exports(app: Flask) -> None:
    """Hourly: drop the families' copies of their data whose time is up."""
    with app.app_context():
        try:
            data_export.expire_due(utcnow())
        except Exception:  # the next hour tries again; downloads check the time anyway
            log.exception("expiring copies of families' data failed")


def build_scheduler(app: Flask, *, blocking: bool) -> BaseScheduler:
    """A scheduler with the outbox sweep as an interval job (one run at a time).

    The digest job is a cron job at the top of every hour, in UTC: each run queues the
    digest of the facilitators whose local morning it is (zones differ per person, so
    one fixed local hour could not serve them all). It also runs at start-up, so a
    dispatcher restarted at 9:00 still sends that morning's digests.
    """
    scheduler: BaseScheduler = (
        BlockingScheduler(timezone=UTC) if blocking else BackgroundScheduler(timezone=UTC)
    )
    scheduler.add_job(
        _sweep,
        "interval",
        seconds=Settings(app.config).outbox_sweep.total_seconds(),
        args=[app, worker_name()],
        id="outbox",
        max_instances=1,
        coalesce=True,
    )
    scheduler.add_job(
        _queue_digests,
        "cron",
        minute=0,
        args=[app],
        id="digests",
        max_instances=1,
        coalesce=True,
        next_run_time=datetime.now(UTC),
    )
    # Counseling slots are made for a horizon that moves on every day.
    scheduler.add_job(
        _refresh_slots,
        "cron",
        minute=30,
        args=[app],
        id="counseling-slots",
        max_instances=1,
        coalesce=True,
    )
    # The retention purge, once a day at a quiet hour, and at start-up so a dispatcher
    # that was down at that hour still purges that day; the day's row in
    # retention_runs lets only one dispatcher (and one start-up) run it.
    scheduler.add_job(
        _purge,
        "cron",
        hour=RETENTION_HOUR_UTC,
        minute=15,
        args=[app],
        id="retention",
        max_instances=1,
        coalesce=True,
        next_run_time=datetime.now(UTC),
    )
    # Copies of families' data are dropped within the hour their link runs out.
    scheduler.add_job(
        _expire_exports,
        "cron",
        minute=45,
        args=[app],
        id="data-exports",
        max_instances=1,
        coalesce=True,
    )
    return scheduler


def runs_in_this_process(app: Flask) -> bool:
    """Start the in-process dispatcher only in the process that serves `flask run`.

    Never in gunicorn workers (use `flask reminders run` there), never in the reloader's
    watching parent, and never for other commands (migrations, the CLI).
    """
    if not app.config["SCHEDULER_IN_PROCESS"]:
        return False
    # Only `flask run` has this command context: gunicorn workers, migrations and other
    # commands create the app outside it and never start a scheduler.
    context = click.get_current_context(silent=True)
    if context is None or context.info_name != "run":
        return False
    reload = context.params.get("reload")
    if reload is None:
        reload = app.debug
    return not reload or os.environ.get("WERKZEUG_RUN_MAIN") == "true"


def start_in_process(app: Flask) -> BaseScheduler | None:
    """Start the background dispatcher when this process should run it."""
    if not runs_in_this_process(app):
        return None
    scheduler = build_scheduler(app, blocking=False)
    scheduler.start()
    return scheduler
