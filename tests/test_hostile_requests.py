"""Requests anyone can send get a clean 4xx, never a 500: every route, every role.

Found by probing from outside: an id past what a database column holds (2**63) raised
OverflowError, and a file part in a text field (curl -F email=@file) raised TypeError.
"""

from __future__ import annotations

import io
import re

import pytest
from flask import Flask

from scheduler.models import Role
from tests.support.app import PASSWORD

#: Past the largest id PostgreSQL's bigint and SQLite's integer hold.
HUGE_IDS = [2**63, 2**64 + 1, 10**30]
#: Text fields of every form in Hearth; a route ignores the ones it doesn't have.
TEXT_FIELDS = [
    "email", "name", "password", "password_confirm", "timezone", "title", "description",
    "location", "online_url", "notes", "note", "accessibility_needs", "interpreter_language",
    "seats", "capacity", "starts_at", "duration_minutes", "weeks", "reminder_offsets",
]  # fmt: skip


def _routes(app: Flask, method: str) -> list[str]:
    """Every rule that takes ``method``, with its int and string parts filled in."""
    rules = []
    for rule in app.url_map.iter_rules():
        if method in (rule.methods or set()) and rule.endpoint != "static":
            rules.append(rule.rule)
    return sorted(rules)


def _fill(rule: str, number: int) -> str:
    path = re.sub(r"<int:[a-z_]+>", str(number), rule)
    return re.sub(r"<(?:string:)?[a-z_]+>", "x" * 30, path)


@pytest.fixture(params=["anonymous", Role.FAMILY, Role.FACILITATOR, Role.ADMIN])
def visitor(request, client, make_user):
    if request.param != "anonymous":
        user = make_user(request.param)
        client.post("/login", data={"email": user.email, "password": PASSWORD})
    return client


def test_ids_too_large_for_the_database_are_not_found(app, visitor):
    routes = [r for r in _routes(app, "GET") if "<int:" in r]
    assert len(routes) >= 8
    for rule in routes:
        for number in HUGE_IDS:
            response = visitor.get(_fill(rule, number))
            assert response.status_code in (302, 403, 404), (rule, response.status_code)
    for rule in [r for r in _routes(app, "POST") if "<int:" in r]:
        response = visitor.post(_fill(rule, HUGE_IDS[0]), data={})
        assert response.status_code in (302, 400, 403, 404), (rule, response.status_code)


@pytest.mark.parametrize("number", [*HUGE_IDS, -1, 0])
def test_a_feed_of_a_facilitator_id_no_database_holds_is_not_found(client, number):
    response = client.get(f"/calendar/workshops.ics?facilitator={number}")
    assert response.status_code == 404


def test_a_file_in_a_text_field_is_refused_plainly_on_every_form(app, visitor):
    routes = _routes(app, "POST")
    assert len(routes) >= 20
    for rule in routes:
        data = {name: (io.BytesIO(b"not text"), "note.txt") for name in TEXT_FIELDS}
        response = visitor.post(_fill(rule, 1), data=data, content_type="multipart/form-data")
        assert response.status_code < 500, (rule, response.status_code)
        if response.status_code == 400:
            assert "This form takes no files" in response.get_data(as_text=True), rule


@pytest.mark.parametrize(
    "path", ["/login", "/register", "/password/forgot", "/sessions/1/book", "/manage/workshops/new"]
)
def test_a_file_part_gets_400_and_saves_nothing(app, client, make_user, make_workshop, path):
    facilitator = make_user(Role.FACILITATOR)
    make_workshop(facilitator=facilitator)
    client.post("/login", data={"email": facilitator.email, "password": PASSWORD})
    data = {"email": (io.BytesIO(b"x"), "a.txt"), "title": (io.BytesIO(b"x"), "b.txt")}
    response = client.post(path, data=data, content_type="multipart/form-data")
    assert response.status_code == 400
    assert "This form takes no files" in response.get_data(as_text=True)
