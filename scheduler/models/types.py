"""Column types shared by the models."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, String
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator[datetime]):
    """An aware UTC datetime on every backend.

    PostgreSQL stores ``timestamptz``; SQLite has no zone support, so the value is stored
    as naive UTC and made aware again on load. Naive values are refused: they are bugs.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def status_in(statuses: Iterable[str]) -> str:
    """Return ``status IN ('a', 'b')`` for a partial index, from the constant the code uses."""
    return "status IN ({})".format(", ".join(f"'{status}'" for status in statuses))


class first_word(FunctionElement[str]):
    """The text before the first space, or all of it: ``"Ana Ruiz"`` → ``"Ana"``.

    The SQL twin of ``text.split(" ", 1)[0]``; the backends spell it differently.
    """

    type = String()
    inherit_cache = True
    name = "first_word"


@compiles(first_word, "postgresql")
def _first_word_postgresql(element: first_word, compiler: SQLCompiler, **kw: Any) -> str:
    return f"split_part({compiler.process(element.clauses, **kw)}, ' ', 1)"


@compiles(first_word)
def _first_word_sqlite(element: first_word, compiler: SQLCompiler, **kw: Any) -> str:
    # The text with a space added always has one: the first word is what comes before it.
    # ``element.clauses`` is one argument, said twice: SQLite binds it twice, in order.
    text = compiler.process(element.clauses, **kw)
    return f"substr({text}, 1, instr({text} || ' ', ' ') - 1)"
