"""per-family limits and request expiry for counselors

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 03:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('counseling_settings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('max_requests_per_family', sa.Integer(), server_default='1', nullable=False))
        batch_op.add_column(sa.Column('max_upcoming_per_family', sa.Integer(), server_default='2', nullable=False))
        batch_op.add_column(sa.Column('request_expiry_hours', sa.Integer(), server_default='72', nullable=False))


def downgrade():
    with op.batch_alter_table('counseling_settings', schema=None) as batch_op:
        batch_op.drop_column('request_expiry_hours')
        batch_op.drop_column('max_upcoming_per_family')
        batch_op.drop_column('max_requests_per_family')
