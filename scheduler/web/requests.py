"""What any visitor can send, made safe before a view sees it.

Record ids in URLs stop at what a database column holds (an id past 2**63 is simply
not found, instead of an OverflowError from the driver), and no form takes a file, so
a file part where text belongs is refused with a plain 400 rather than reaching a
validator that expects a string.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, abort, render_template, request
from werkzeug.routing import IntegerConverter, Map

#: The largest id PostgreSQL's bigint (and SQLite's integer) can hold.
MAX_ID = 2**63 - 1


class RecordId(IntegerConverter):
    """``<int:...>`` for record ids: 1 to MAX_ID, anything else is a 404."""

    def __init__(self, url_map: Map, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("min", 1)
        kwargs.setdefault("max", MAX_ID)
        super().__init__(url_map, *args, **kwargs)


def id_arg(name: str) -> int | None:
    """Read an optional record id from the query string; 404 when it can't be one."""
    if name not in request.args:
        return None
    value = request.args.get(name, type=int)
    if value is None or not 1 <= value <= MAX_ID:
        abort(404)
    return value


def wants_json() -> bool:
    """Whether the request asked for JSON (a page's script) rather than a page."""
    return request.accept_mimetypes.best_match(["text/html", "application/json"]) == (
        "application/json"
    )


def register(app: Flask) -> None:
    """Install the id converter (before any route is added) and the file-part guard."""
    app.url_map.converters["int"] = RecordId

    @app.before_request
    def refuse_files() -> tuple[str, int] | None:
        if request.method == "POST" and request.files:
            return render_template(
                "errors/error.html",
                code=400,
                title="We couldn't read that request",
                detail="This form takes no files. Please type your answer instead. "
                "Nothing was saved.",
            ), 400
        return None
