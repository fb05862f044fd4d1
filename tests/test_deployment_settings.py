"""Settings that decide whom Hearth believes: cookies, Host headers, proxies, HTTPS.

Each was found open by an outside probe: a Secure cookie over plain HTTP (nobody could
log in to a LAN install), a forged Host header steering redirect Locations, and
X-Forwarded-For believed or ignored regardless of the deployment.
"""

from __future__ import annotations

import logging

import pytest
from flask import request
from sqlalchemy import select

from scheduler.models import EmailLink
from scheduler.services import accounts, email_links
from scheduler.timeutil import utcnow


@pytest.fixture
def make_app(make_app):
    """Apps with other settings, each used inside its own context as a server would."""
    contexts = []

    def make(**overrides):
        extra = make_app(**overrides)
        context = extra.app_context()
        context.push()
        contexts.append(context)
        return extra

    yield make
    for context in reversed(contexts):
        context.pop()


@pytest.mark.parametrize(
    ("base_url", "override", "secure"),
    [
        ("http://hearth.lan:8000", None, False),
        ("https://hearth.example.org", None, True),
        ("http://hearth.lan:8000", True, True),
        ("https://hearth.example.org", False, False),
    ],
)
def test_secure_cookies_follow_the_base_url_unless_set(make_app, base_url, override, secure):
    settings = {"BASE_URL": base_url, "TESTING": False, "WTF_CSRF_ENABLED": True}
    if override is not None:
        settings["SESSION_COOKIE_SECURE"] = override
    app = make_app(**settings)
    assert app.config["SESSION_COOKIE_SECURE"] is secure
    assert app.config["REMEMBER_COOKIE_SECURE"] is secure
    host = base_url.split("://")[1].split(":")[0]
    cookie = "; ".join(
        app.test_client().get("/login", base_url=base_url).headers.getlist("Set-Cookie")
    )
    assert ("Secure" in cookie) is secure, cookie
    assert host


def test_plain_http_outside_development_is_warned_about_at_start_up(make_app, caplog):
    with caplog.at_level(logging.WARNING):
        make_app(BASE_URL="http://hearth.lan", TESTING=False)
    assert "unencrypted" in caplog.text
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        make_app(BASE_URL="http://127.0.0.1:5000", TESTING=False)
        make_app(BASE_URL="https://hearth.example.org", TESTING=False)
    assert "unencrypted" not in caplog.text


def test_a_forged_host_header_is_refused_and_never_reaches_a_location(make_app):
    app = make_app(BASE_URL="https://hearth.example.org")
    client = app.test_client()

    forged = client.get("/bookings", headers={"Host": "evil.example"})
    assert forged.status_code == 400
    assert "evil.example" not in forged.headers.get("Location", "")

    honest = client.get("/bookings", base_url="https://hearth.example.org")
    assert honest.status_code == 302
    assert (
        honest.headers["Location"].startswith("/login")
        or "hearth.example.org" in (honest.headers["Location"])
    )


def test_other_host_names_can_be_trusted_by_setting(make_app):
    app = make_app(BASE_URL="https://hearth.example.org", TRUSTED_HOSTS=["10.0.0.5"])
    client = app.test_client()
    assert client.get("/healthz", headers={"Host": "10.0.0.5"}).status_code == 200
    assert client.get("/healthz", headers={"Host": "hearth.example.org"}).status_code == 200
    assert client.get("/healthz", headers={"Host": "evil.example"}).status_code == 400


def test_a_development_server_answers_to_its_loopback_names(make_app):
    client = make_app(BASE_URL="http://127.0.0.1:5000").test_client()
    for host in ("127.0.0.1:5000", "localhost:5000"):
        assert client.get("/healthz", headers={"Host": host}).status_code == 200


def test_hsts_only_over_https(make_app):
    https = make_app(BASE_URL="https://hearth.example.org").test_client()
    response = https.get("/", base_url="https://hearth.example.org")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")
    http = make_app(BASE_URL="http://127.0.0.1:5000").test_client()
    assert "Strict-Transport-Security" not in http.get("/").headers


def test_pages_at_secret_links_are_never_stored_or_referred(client, make_user, db):
    user = make_user()
    accounts.request_password_reset(user.email, utcnow())
    token = email_links.link_token(db.session.scalars(select(EmailLink)).one())
    response = client.get(f"/password/reset/{token}")
    assert response.status_code == 200
    assert "no-store" in response.headers["Cache-Control"]
    assert response.headers["Referrer-Policy"] == "no-referrer"


@pytest.mark.parametrize(("hops", "seen"), [(0, "192.0.2.10"), (1, "203.0.113.7")])
def test_forwarded_addresses_are_believed_only_from_trusted_proxies(make_app, hops, seen):
    app = make_app(TRUSTED_PROXIES=hops)

    @app.get("/_test/whoami")
    def whoami() -> str:
        return f"{request.remote_addr} {request.scheme}"

    response = app.test_client().get(
        "/_test/whoami",
        headers={"X-Forwarded-For": "203.0.113.7", "X-Forwarded-Proto": "https"},
        environ_base={"REMOTE_ADDR": "192.0.2.10"},
    )
    address, scheme = response.get_data(as_text=True).split()
    assert address == seen
    assert scheme == ("https" if hops else "http")
