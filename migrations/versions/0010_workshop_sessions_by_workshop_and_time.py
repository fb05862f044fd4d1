"""workshop sessions indexed by workshop and start time

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01 05:30:00

The home page asks each published workshop for its next session and how many are to
come; the workshop page lists a workshop's sessions in time order. One index on
(workshop_id, starts_at) answers both, and replaces the one on workshop_id alone.
"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('workshop_sessions', schema=None) as batch_op:
        batch_op.create_index('ix_workshop_sessions_workshop_starts', ['workshop_id', 'starts_at'], unique=False)
        batch_op.drop_index('ix_workshop_sessions_workshop_id')


def downgrade():
    with op.batch_alter_table('workshop_sessions', schema=None) as batch_op:
        batch_op.create_index('ix_workshop_sessions_workshop_id', ['workshop_id'], unique=False)
        batch_op.drop_index('ix_workshop_sessions_workshop_starts')
