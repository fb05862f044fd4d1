"""The race harness of the concurrency tests (not a test module).

Every job runs in its own thread with its own connection, opened before a barrier
releases them all at once, so connection set-up can't stagger the start and hide a race.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TypeVar

from flask import Flask
from sqlalchemy import select

from scheduler.extensions import db

T = TypeVar("T")


def race(app: Flask, jobs: list[Callable[[], T]], failed: Callable[[str], T]) -> list[T]:
    """Run the jobs together; an unexpected exception becomes ``failed("error: ...")``."""
    barrier = threading.Barrier(len(jobs))
    results: list[T | None] = [None] * len(jobs)

    def run(index: int) -> None:
        with app.app_context():
            try:
                db.session.execute(select(1))
                db.session.rollback()
                barrier.wait(timeout=30)
                results[index] = jobs[index]()
            except Exception as error:  # every error is a finding, reported by the test
                results[index] = failed(f"error: {error!r}")
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(jobs))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert all(not t.is_alive() for t in threads), "a worker hung"
    assert all(r is not None for r in results), "a worker left no outcome"
    return [r for r in results if r is not None]
