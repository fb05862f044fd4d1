"""closing accounts: closed and erased households, and the link that reopens one

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-01 21:00:00

A household closes its account (or an admin closes it on request): ``users.closed_at``
says when, and an emailed ``reopen`` link opens it again within
ACCOUNT_CLOSE_GRACE_DAYS. After that its personal data is erased and ``users.erased_at``
says when; the row stays as a "Former household" placeholder, so rosters' seat counts
and attendance totals still add up.
"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0024'
down_revision = '0023'
branch_labels = None
depends_on = None

OLD_PURPOSES = "purpose IN ('password_reset', 'verify_email', 'claim', 'invite', 'change_email')"
NEW_PURPOSES = (
    "purpose IN ('password_reset', 'verify_email', 'claim', 'invite', 'change_email', 'reopen')"
)


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('erased_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index(batch_op.f('ix_users_closed_at'), ['closed_at'], unique=False)

    with op.batch_alter_table('email_links', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_email_links_purpose'), type_='check')
        batch_op.create_check_constraint('purpose', NEW_PURPOSES)


def downgrade():
    op.execute("DELETE FROM email_links WHERE purpose = 'reopen'")
    with op.batch_alter_table('email_links', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_email_links_purpose'), type_='check')
        batch_op.create_check_constraint('purpose', OLD_PURPOSES)

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_users_closed_at'))
        batch_op.drop_column('erased_at')
        batch_op.drop_column('closed_at')
