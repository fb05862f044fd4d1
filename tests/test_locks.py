"""Row locks: one helper, taken only inside a write transaction, always in key order."""

from __future__ import annotations

import pytest

from scheduler.database import in_write_transaction, write_transaction
from scheduler.models import WorkshopSession
from scheduler.services.locks import lock, lock_family, lock_session


def test_a_lock_outside_a_write_transaction_is_refused(make_workshop, make_user):
    session = make_workshop().sessions[0]
    family = make_user()

    with pytest.raises(RuntimeError, match="outside write_transaction"):
        lock(WorkshopSession, [session.id])
    with pytest.raises(RuntimeError, match="outside write_transaction"):
        lock_session(session.id)
    with pytest.raises(RuntimeError, match="outside write_transaction"):
        lock_family(family.id)


def test_locks_are_taken_inside_a_write_transaction_in_key_order(make_workshop):
    ids = [s.id for s in make_workshop(weeks=3).sessions]

    with write_transaction():
        assert in_write_transaction()
        rows = lock(WorkshopSession, reversed(ids))
        assert [s.id for s in rows] == sorted(ids)
        assert lock(WorkshopSession, []) == []

    assert not in_write_transaction()


def test_the_transaction_ends_its_right_to_lock_even_when_it_fails(make_workshop):
    session_id = make_workshop().sessions[0].id

    with pytest.raises(ValueError), write_transaction():
        lock_session(session_id)
        raise ValueError("the block failed")

    assert not in_write_transaction()
    with pytest.raises(RuntimeError):
        lock_session(session_id)
