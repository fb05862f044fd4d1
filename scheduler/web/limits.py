"""Rate limits on what can be abused: sign-up, login, reset emails, booking, counseling,
staff searching and recording households.

Counts live where RATELIMIT_STORAGE_URI says: Redis in production, shared by every web
instance, or this process's memory for `make run`. Each limit is a setting, sized so
that 50 families behind one address (a community centre's Wi-Fi on a sign-up evening)
can all sign up, log in and book within a few minutes (config.RATE_LIMITS has each
one). Where failures are what tell an attacker apart (logging in), only failures count.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Response, current_app, request
from flask_login import current_user

from scheduler.extensions import limiter


def by_address() -> str:
    """The visitor's network address (as TRUSTED_PROXIES lets Hearth see it)."""
    return request.remote_addr or "unknown"


def by_account() -> str:
    """The signed-in account, so families sharing one address don't share a limit."""
    if current_user.is_authenticated:
        return f"account:{current_user.id}"
    return f"address:{by_address()}"


def _failed(response: Response) -> bool:
    return response.status_code >= 400


def limit(
    setting: str,
    *,
    key: Callable[[], str] = by_address,
    failures_only: bool = False,
    methods: tuple[str, ...] = ("POST",),
    exempt_when: Callable[[], bool] | None = None,
) -> Any:
    """Limit a view's POSTs (or the ``methods`` given) by the named setting; requests
    ``exempt_when`` says are harmless don't count."""
    return limiter.limit(
        lambda: current_app.config[setting],
        key_func=key,
        methods=list(methods),
        deduct_when=_failed if failures_only else None,
        scope=setting.lower(),
        exempt_when=exempt_when,
    )
