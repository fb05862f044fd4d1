"""the language each person reads Hearth in

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-01 11:00:00

Pages, mail, reminders, digests and private feeds are written in the person's own
language; NULL means none was chosen yet (pages follow the browser, mail the
DEFAULT_LANGUAGE setting).
"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('language', sa.String(length=16), nullable=True))


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('language')
