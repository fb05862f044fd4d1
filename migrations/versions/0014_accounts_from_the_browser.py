"""accounts from the browser: invitations, changes of address, last sign-in

Revision ID: 0014
Revises: 0017
Create Date: 2026-12-02 09:00:00

An admin invites staff by an emailed link (``invite``); a person changes their address
by a link sent to the new one (``change_email``, which keeps that address in
``new_email``). ``users.invited_at`` marks an invitation not yet accepted, and
``users.last_login_at`` the last sign-in, for the admin's account pages.
"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0014'
down_revision = '0017'
branch_labels = None
depends_on = None

OLD_PURPOSES = "purpose IN ('password_reset', 'verify_email', 'claim')"
NEW_PURPOSES = "purpose IN ('password_reset', 'verify_email', 'claim', 'invite', 'change_email')"


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('invited_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('last_login_at', sa.DateTime(timezone=True), nullable=True))

    with op.batch_alter_table('email_links', schema=None) as batch_op:
        batch_op.add_column(sa.Column('new_email', sa.String(length=254), nullable=True))
        batch_op.drop_constraint(batch_op.f('ck_email_links_purpose'), type_='check')
        batch_op.create_check_constraint('purpose', NEW_PURPOSES)


def downgrade():
    op.execute("DELETE FROM email_links WHERE purpose IN ('invite', 'change_email')")
    with op.batch_alter_table('email_links', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_email_links_purpose'), type_='check')
        batch_op.create_check_constraint('purpose', OLD_PURPOSES)
        batch_op.drop_column('new_email')

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('last_login_at')
        batch_op.drop_column('invited_at')
