"""what a workshop change notice is about

Revision ID: 0017
Revises: 0015
Create Date: 2026-12-01 13:00:00

A notice that a workshop's place, online link, title or time changed is worded when it
is sent, from the records as they are then; they keep only the new values, so the row
keeps what changed ("location time"). Empty for every other message, old rows included.
"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0017'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('changes', sa.String(length=100), nullable=False, server_default='')
        )


def downgrade():
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.drop_column('changes')
