"""Migrations that fill data in, run against rows written before them (SQLite and PostgreSQL)."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import pytest
from flask import Flask
from flask_migrate import downgrade, upgrade
from sqlalchemy import text

from scheduler import create_app
from scheduler.config import normalise_database_url
from scheduler.extensions import db as _db
from scheduler.models import User
from scheduler.services import feeds
from tests.support.app import BACKENDS, postgresql_schema, settings

WHEN = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


@pytest.fixture(params=BACKENDS)
def migrated_to(request: pytest.FixtureRequest, tmp_path) -> Iterator[Callable[[str], Flask]]:
    """A fresh database of its own, migrated up to a given revision (then left to the test)."""
    if request.param == "sqlite":
        url, server, schema = f"sqlite:///{tmp_path / 'migrations.sqlite3'}", None, None
    else:
        server = normalise_database_url(os.environ["TEST_DATABASE_URL"])
        schema = f"hearth_migrations_{os.getpid()}"
        postgresql_schema(server, schema, create=True)
        separator = "&" if "?" in server else "?"
        url = f"{server}{separator}options=-csearch_path%3D{schema}"
    app = create_app(settings(url))
    with app.app_context():

        def migrate(revision: str) -> Flask:
            upgrade(revision=revision)
            return app

        yield migrate
        _db.session.remove()
        _db.engine.dispose()
    if server and schema:
        postgresql_schema(server, schema, create=False)


def _add_user(email: str, *, feed_salt: str | None = None) -> int:
    with _db.engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO users (email, name, password_hash, role, timezone, active, "
                "created_at, feed_salt) VALUES (:email, 'A household', 'x', 'family', 'UTC', "
                ":active, :created_at, :feed_salt)"
            ),
            {"email": email, "active": True, "created_at": WHEN, "feed_salt": feed_salt},
        )
        return int(conn.scalar(text("SELECT id FROM users WHERE email = :e"), {"e": email}))


def _add_message(key: str, kind: str, recipient_id: int) -> None:
    with _db.engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO outbox_messages (key, kind, recipient_id, due_at, not_before, "
                "status, attempts, last_error, created_at) VALUES (:key, :kind, :recipient, "
                ":when, :when, 'pending', 0, '', :when)"
            ),
            {"key": key, "kind": kind, "recipient": recipient_id, "when": WHEN},
        )


def test_0008_copies_each_queued_version_out_of_its_key(migrated_to):
    migrated_to("0007")
    family = _add_user("family@example.org")
    keys = {
        "booking:7:confirmed:3": 3,
        "booking:7:reminder:2880m:s12": 12,
        "appointment:5:family_changed:4:9": 4,
        "appointment:5:reminder:120m:s2": 2,
        "link:3": None,
        "digest:2:2026-12-01": None,
        "signup-attempt:1:2026-12-01": None,
        "booking:7:odd": None,
        "appointment:5:reminder:120m:x2": None,
    }
    for key in keys:
        _add_message(key, "reminder" if ":reminder:" in key else "confirmed", family)

    upgrade(revision="0008")

    with _db.engine.connect() as conn:
        stored = dict(conn.execute(text("SELECT key, version FROM outbox_messages")).all())
    assert stored == keys

    downgrade(revision="0007")  # and back, for a release rolled back
    upgrade(revision="0008")


def test_0009_gives_a_feed_token_to_every_account_without_one(migrated_to):
    app = migrated_to("0008")
    kept = _add_user("kept@example.org", feed_salt="a" * 64)
    old = _add_user("old@example.org")
    other_old = _add_user("other@example.org")

    upgrade(revision="0009")

    with _db.engine.connect() as conn:
        salts = dict(conn.execute(text("SELECT id, feed_salt FROM users")).all())
    assert salts[kept] == "a" * 64
    assert salts[old] and salts[other_old] and salts[old] != salts[other_old]
    # The link the account page shows opens that account's feed, and only that one,
    # once the app's later migrations have run too.
    upgrade()
    for user_id in (old, other_old):
        user = _db.session.get_one(User, user_id)
        token = feeds.feed_token(user)
        assert token is not None and feeds.user_for_token(token) is user
        response = app.test_client().get(urlsplit(feeds.private_feed_url(token)).path)
        assert response.status_code == 200


def _add_workshop(facilitator_id: int, title: str, description: str) -> int:
    with _db.engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO workshops (facilitator_id, title, description, location, "
                "online_url, timezone, status, created_at, updated_at) VALUES (:f, :title, "
                ":description, 'Room 1', '', 'America/New_York', 'published', :when, :when)"
            ),
            {"f": facilitator_id, "title": title, "description": description, "when": WHEN},
        )
        return int(conn.scalar(text("SELECT max(id) FROM workshops")))


def test_0016_makes_workshops_searchable_in_the_default_language(migrated_to):
    app = migrated_to("0013")
    app.config["DEFAULT_LANGUAGE"] = "es"  # a Spanish-speaking network's workshops
    host = _add_user("host@example.org")
    workshop = _add_workshop(host, "Familias en Recuperación", "Para MADRES y padres")

    upgrade(revision="0016")

    with _db.engine.connect() as conn:
        found = conn.execute(
            text("SELECT language, search_text FROM workshops WHERE id = :id"), {"id": workshop}
        ).one()
    assert tuple(found) == ("es", "familias en recuperacion\npara madres y padres")
    downgrade(revision="0013")  # and back, on both databases
    upgrade(revision="0016")


def _count(table: str) -> int:
    with _db.engine.connect() as conn:
        return int(conn.scalar(text(f"SELECT count(*) FROM {table}")))  # noqa: S608 (a constant)


def test_rebuilding_a_table_keeps_every_row_that_points_at_it(migrated_to):
    """SQLite rebuilds a changed table by copying it; rows referring to it must survive.

    With foreign keys on, dropping the old ``users`` or ``bookings`` table would run the
    ON DELETE CASCADE of sign-ins, emailed links and queued emails (or be refused by
    RESTRICT), so an upgrade of a live database would lose them or fail.
    """
    migrated_to("0013")
    host = _add_user("host@example.org")
    family = _add_user("family@example.org")
    workshop = _add_workshop(host, "Family education", "About recovery")
    with _db.engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO workshop_sessions (workshop_id, starts_at, ends_at, capacity, "
                "status, sequence, created_at, updated_at) VALUES (:w, :start, :end, 8, "
                "'scheduled', 0, :when, :when)"
            ),
            {"w": workshop, "start": WHEN, "end": WHEN + timedelta(hours=2), "when": WHEN},
        )
        session_id = conn.scalar(text("SELECT max(id) FROM workshop_sessions"))
        conn.execute(
            text(
                "INSERT INTO bookings (session_id, family_id, seats, status, "
                "accessibility_needs, childcare_needed, interpreter_language, notes, "
                "created_at, confirmed_at, sequence, updated_at) VALUES (:s, :f, 2, "
                "'confirmed', '', false, '', '', :when, :when, 0, :when)"
            ),
            {"s": session_id, "f": family, "when": WHEN},
        )
        conn.execute(
            text(
                "INSERT INTO login_sessions (user_id, token_hash, remember, created_at, "
                "expires_at) VALUES (:u, 'ab12', false, :when, :when)"
            ),
            {"u": family, "when": WHEN},
        )
        conn.execute(
            text(
                "INSERT INTO email_links (user_id, purpose, salt, token_hash, email, "
                "created_at, expires_at) VALUES (:u, 'verify_email', 's', 'cd34', "
                "'family@example.org', :when, :when)"
            ),
            {"u": family, "when": WHEN},
        )
    _add_message("confirmed:1", "confirmed", family)
    before = {
        t: _count(t) for t in ("bookings", "login_sessions", "email_links", "outbox_messages")
    }
    assert all(before.values())

    upgrade(revision="head")

    assert {t: _count(t) for t in before} == before
    downgrade(revision="0013")  # and back, keeping them too
    assert {t: _count(t) for t in before} == before
