"""feed states: a counter per shared feed, for cheap ETags

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01 05:45:00

"""
from alembic import op
import sqlalchemy as sa



# revision identifiers, used by Alembic.
revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    table = op.create_table(
        'feed_states',
        sa.Column('name', sa.String(length=40), nullable=False),
        sa.Column('counter', sa.Integer(), server_default='0', nullable=False),
        sa.Column('changed_at', sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint('name', name=op.f('pk_feed_states')),
    )
    op.bulk_insert(table, [{'name': 'public', 'counter': 0, 'changed_at': None}])


def downgrade():
    op.drop_table('feed_states')
