"""The baseline apps `bench/http_load.py` serves beside Hearth, under the same gunicorn.

Each is the least a Flask route can do for its kind of request, so Hearth's rows are
read as "how far from the floor": ``hello`` returns a short string; ``pk`` reads one row
by primary key with SQLAlchemy; ``insert`` writes one row and commits. ``pk`` and
``insert`` use the database Hearth uses in the same row, set up by Hearth's own
``configure_engine`` (WAL, busy timeout and ``BEGIN`` handling on SQLite), so that a
ratio compares code, not database settings. The app is chosen by ``BENCH_APP`` and the
database by ``BENCH_DATABASE_URL``; gunicorn loads it as ``http_baselines:app`` with
``--pythonpath bench``.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flask import Flask
from sqlalchemy import Integer, String, create_engine, insert
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from scheduler.config import normalise_database_url
from scheduler.database import configure_engine

#: The one table the baselines read and write, created in the benchmark's database.
TABLE = "bench_rows"


class _Base(DeclarativeBase):
    pass


class BenchRow(_Base):
    __tablename__ = TABLE

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    label: Mapped[str] = mapped_column(String(40))


def create_table(url: str) -> None:
    """Make the baselines' table with one row to read (the benchmark calls this)."""
    engine = create_engine(normalise_database_url(url))
    _Base.metadata.create_all(engine)
    with Session(engine) as session, session.begin():
        if session.get(BenchRow, 1) is None:  # the first row: id 1 from the sequence
            session.add(BenchRow(label="first"))
    engine.dispose()


def make_app(kind: str, url: str | None) -> Flask:
    app = Flask(__name__)
    if kind == "hello":

        @app.get("/")
        def hello() -> str:
            return "Hello, world"

        return app
    if url is None:
        raise SystemExit(f"BENCH_DATABASE_URL is needed for the {kind!r} baseline")
    engine = create_engine(normalise_database_url(url), pool_size=8)
    configure_engine(engine)

    @app.get("/")
    def pk() -> str:
        with Session(engine) as session:
            row = session.get(BenchRow, 1)
            return row.label if row else "missing"

    @app.post("/")
    def write() -> str:
        with Session(engine) as session, session.begin():
            session.execute(insert(BenchRow).values(label="written"))
        return "ok"

    return app


app = make_app(os.environ.get("BENCH_APP", "hello"), os.environ.get("BENCH_DATABASE_URL"))
