"""feed tokens for every account

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 09:30:00

Accounts made before calendar feeds existed have no private feed token, and the
account page used to make one while showing itself: a write on a GET. New accounts get
a token when they are made; this gives one to every account still without.

A token is derived from a random salt with the app's SECRET_KEY, as
scheduler/services/tokens.py does (HMAC-SHA256, "feed:<salt>", 43 hex characters),
and only its SHA-256 is stored. The derivation is written out here rather than
imported, so this migration keeps doing what it did whatever that module becomes.
Run it with the SECRET_KEY the app runs with (``flask db upgrade`` does), or the new
links would not open.
"""
import hashlib
import hmac
import secrets

from alembic import op
import sqlalchemy as sa
from flask import current_app


# revision identifiers, used by Alembic.
revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

users = sa.table(
    'users',
    sa.column('id', sa.Integer()),
    sa.column('feed_salt', sa.String()),
    sa.column('feed_token_hash', sa.String()),
)


def _salt_and_hash():
    salt = secrets.token_hex(32)
    key = current_app.config['SECRET_KEY'].encode()
    token = hmac.new(key, f'feed:{salt}'.encode(), hashlib.sha256).hexdigest()[:43]
    return salt, hashlib.sha256(token.encode()).hexdigest()


def upgrade():
    connection = op.get_bind()
    ids = connection.scalars(sa.select(users.c.id).where(users.c.feed_salt.is_(None))).all()
    given = []
    for user_id in ids:
        salt, digest = _salt_and_hash()
        given.append({'user_id': user_id, 'salt': salt, 'digest': digest})
    if given:
        connection.execute(
            users.update()
            .where(users.c.id == sa.bindparam('user_id'), users.c.feed_salt.is_(None))
            .values(feed_salt=sa.bindparam('salt'), feed_token_hash=sa.bindparam('digest')),
            given,
        )


def downgrade():
    # The tokens stay: they can't be told from those given at sign-up.
    pass
