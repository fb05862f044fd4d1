"""outbox version column

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 09:00:00

The sequence a message was queued at (of its booking, session or appointment) gets a
column of its own instead of being read back out of the idempotency key. Rows queued
before this keep it only in their key, so it is copied from there: keys are written by
scheduler/services/notify.py in these shapes, and only these carry a version:

    booking:<id>:<kind>:<version>
    appointment:<id>:<kind>:<version>:<recipient id>
    booking:<id>:reminder:<minutes>m:s<version>
    appointment:<id>:reminder:<minutes>m:s<version>

Every other row (emailed links, digests, sign-up attempts) has no version: NULL.
The keys are read here in Python rather than SQL, so the same code runs on SQLite and
PostgreSQL; rows are done a batch at a time.
"""
import re

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

BATCH = 1000
_DIGITS = re.compile(r"[0-9]{1,9}")

outbox = sa.table(
    'outbox_messages',
    sa.column('id', sa.Integer()),
    sa.column('key', sa.String()),
    sa.column('version', sa.Integer()),
)


def version_in(key):
    """The version a key names, or None for a key of no versioned shape."""
    parts = key.split(':')
    if parts[0] not in ('booking', 'appointment') or len(parts) not in (4, 5):
        return None
    if len(parts) == 5 and parts[2] == 'reminder':
        digits = parts[4][1:] if parts[4].startswith('s') else ''
    elif (parts[0], len(parts)) in (('booking', 4), ('appointment', 5)):
        digits = parts[3]
    else:
        return None
    return int(digits) if _DIGITS.fullmatch(digits) else None


def upgrade():
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('version', sa.Integer(), nullable=True))

    connection = op.get_bind()
    after = 0
    while True:
        rows = connection.execute(
            sa.select(outbox.c.id, outbox.c.key)
            .where(
                outbox.c.id > after,
                sa.or_(outbox.c.key.like('booking:%'), outbox.c.key.like('appointment:%')),
            )
            .order_by(outbox.c.id)
            .limit(BATCH)
        ).all()
        if not rows:
            break
        after = rows[-1].id
        found = [
            {'row_id': row.id, 'row_version': version}
            for row in rows
            if (version := version_in(row.key)) is not None
        ]
        if found:
            connection.execute(
                outbox.update()
                .where(outbox.c.id == sa.bindparam('row_id'))
                .values(version=sa.bindparam('row_version')),
                found,
            )


def downgrade():
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.drop_column('version')
