"""The reader's language: which one, where it is remembered, and its catalogues.

A page is in the account's saved language; a visitor's is the one they chose with the
switcher (kept in a cookie), else the browser's ``Accept-Language``, else
``DEFAULT_LANGUAGE``. Mail, reminders, digests and private feeds use the recipient's
saved language, never the sender's (``for_user``).

Catalogues live in ``scheduler/translations/<code>/LC_MESSAGES/messages.po``; a language
is one of them. The compiled ``.mo`` files are not committed: they are built from the
``.po`` files when the app starts, whenever a ``.po`` is newer.
"""

from __future__ import annotations

import functools
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from babel import Locale
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import Flask, current_app, has_request_context, request
from flask_babel import Babel, force_locale, get_locale
from flask_login import current_user

TRANSLATIONS = Path(__file__).resolve().parent / "translations"
#: The language the code's own strings are written in: it needs no catalogue.
SOURCE_LANGUAGE = "en"
#: The cookie a visitor's choice of language is kept in (no account needed).
COOKIE = "hearth_language"
COOKIE_DAYS = 365

babel = Babel()


def N_(text: str) -> str:
    """Mark ``text`` for the catalogue without translating it yet: it is translated where
    it is shown (a message a library keeps and shows later, like Flask-Login's)."""
    return text


@functools.cache
def languages() -> tuple[str, ...]:
    """Every language Hearth speaks: the source one and each catalogue's."""
    found = sorted(p.name for p in TRANSLATIONS.iterdir() if (p / "LC_MESSAGES").is_dir())
    return (SOURCE_LANGUAGE, *(code for code in found if code != SOURCE_LANGUAGE))


def language_name(code: str, in_language: str | None = None, *, capital: bool = True) -> str:
    """A language in its own words, as a switcher lists it ("English", "Español"), or in
    ``in_language``'s ("Spanish" in English: the language a workshop is held in).

    Without ``capital`` it is cased as a sentence says it ("en español").
    """
    name = Locale.parse(code).get_display_name(in_language or code) or code
    return name[:1].upper() + name[1:] if capital else name


def is_language(code: str | None) -> bool:
    return code in languages()


def current_language() -> str:
    """The language of what is being written now (a page, or an email in ``for_user``)."""
    return str(get_locale() or SOURCE_LANGUAGE)


def choose_language() -> str:
    """The language for this request: the account's, the visitor's choice, the browser's."""
    saved = getattr(current_user, "language", None) if has_request_context() else None
    if is_language(saved):
        return str(saved)
    if has_request_context():
        chosen = request.cookies.get(COOKIE)
        if is_language(chosen):
            return str(chosen)
        best = request.accept_languages.best_match(languages())
        if best:
            return best
    return str(current_app.config["DEFAULT_LANGUAGE"])


@contextmanager
def for_user(language: str | None) -> Iterator[None]:
    """Write in a recipient's language (an email, a feed), whoever's request this is."""
    code = language if is_language(language) else current_app.config["DEFAULT_LANGUAGE"]
    with force_locale(code):
        yield


def compile_catalogues() -> None:
    """Build each ``.mo`` from its ``.po`` when missing or older, so a checkout runs as is."""
    for po_path in TRANSLATIONS.glob("*/LC_MESSAGES/messages.po"):
        mo_path = po_path.with_suffix(".mo")
        if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
            continue
        with po_path.open("rb") as po_file:
            catalog = read_po(po_file, locale=po_path.parent.parent.name)
        # Each process writes its own file and swaps it in whole: workers starting at once
        # (gunicorn, test workers) never read half a catalogue or trip on each other.
        handle, partial = tempfile.mkstemp(dir=mo_path.parent, suffix=".mo.part")
        with os.fdopen(handle, "wb") as mo_file:
            write_mo(mo_file, catalog)
        os.replace(partial, mo_path)


def init_app(app: Flask) -> None:
    if app.config["DEFAULT_LANGUAGE"] not in languages():
        raise RuntimeError(
            f"DEFAULT_LANGUAGE is {app.config['DEFAULT_LANGUAGE']!r}; "
            f"Hearth speaks {', '.join(languages())}."
        )
    compile_catalogues()
    babel.init_app(
        app,
        locale_selector=choose_language,
        default_translation_directories=str(TRANSLATIONS),
    )
    app.jinja_env.globals.update(
        current_language=current_language, languages=languages, language_name=language_name
    )
