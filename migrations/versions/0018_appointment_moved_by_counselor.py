"""when the counselor moved an appointment, until the family answers

Revision ID: 0018
Revises: 0013
Create Date: 2026-12-10 10:00:00

A counselor (or an admin) may move an appointment to another of their open times; the
family is told and may say the new time doesn't work for them, until they answer (by
moving it themselves or declining it) or it starts. NULL: not moved by the counselor,
or answered.
"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0018'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('appointments', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('moved_by_counselor_at', sa.DateTime(timezone=True), nullable=True)
        )


def downgrade():
    with op.batch_alter_table('appointments', schema=None) as batch_op:
        batch_op.drop_column('moved_by_counselor_at')
