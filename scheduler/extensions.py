"""Flask extensions, created unbound and initialised by the app factory."""

from typing import TYPE_CHECKING

from flask import request
from flask_limiter import Limiter
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    # Named constraints keep Alembic migrations reproducible on SQLite and PostgreSQL.
    metadata = MetaData(
        naming_convention={
            "ix": "ix_%(column_0_label)s",
            "uq": "uq_%(table_name)s_%(column_0_name)s",
            "ck": "ck_%(table_name)s_%(constraint_name)s",
            "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
            "pk": "pk_%(table_name)s",
        }
    )


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
#: Rate limits (scheduler/web/limits.py); storage from RATELIMIT_STORAGE_URI.
limiter = Limiter(key_func=lambda: request.remote_addr or "unknown")

# Models subclass ``Model``: Flask-SQLAlchemy's ``db.Model`` at run time, which type
# checkers can't see through, and the typed declarative base it is built on for them.
if TYPE_CHECKING:
    Model = Base
else:
    Model = db.Model
