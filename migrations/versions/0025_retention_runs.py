"""the record of each daily retention run: its day, when it ran, and its counts

Revision ID: 0025
Revises: 0022
Create Date: 2026-12-01 20:30:00

The daily purge (services/retention.py) records each run here, with how many rows each
step purged, for the admin page. The day is unique: two dispatchers starting the same
day's run race for that row, and only the one that inserts it runs the purge.
"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0025'
down_revision = '0022'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'retention_runs',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('ran_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('counts', sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_retention_runs')),
        sa.UniqueConstraint('day', name=op.f('uq_retention_runs_day')),
    )


def downgrade():
    op.drop_table('retention_runs')
