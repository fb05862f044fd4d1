"""bookings indexed by their last change

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01 07:30:00

The public pages are rendered once per version of what they show, and seats taken are
part of it: the newest booking change, read from this index instead of a scan of
every booking.
"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.create_index('ix_bookings_updated_at', ['updated_at'], unique=False)


def downgrade():
    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.drop_index('ix_bookings_updated_at')
