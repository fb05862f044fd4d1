"""households staff record and book for

Revision ID: 0015
Revises: 0018
Create Date: 2026-12-02 09:00:00

A household that phones or walks in is a family account staff record for it: it may
have no email (users.email becomes nullable; NULLs never collide in its unique index on
SQLite or PostgreSQL), a phone staff reach it on, and who recorded it. Bookings say
which staff member booked or cancelled them for a household, so its email can say so.
An emailed 'claim' link lets the household take its record over as its own account.
"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0015'
down_revision = '0018'
branch_labels = None
depends_on = None

OLD_PURPOSES = "purpose IN ('password_reset', 'verify_email')"
NEW_PURPOSES = "purpose IN ('password_reset', 'verify_email', 'claim')"


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.alter_column('email', existing_type=sa.String(length=254), nullable=True)
        batch_op.add_column(
            sa.Column('phone', sa.String(length=40), server_default='', nullable=False)
        )
        batch_op.add_column(sa.Column('created_by_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f('fk_users_created_by_id_users'),
            'users',
            ['created_by_id'],
            ['id'],
            ondelete='SET NULL',
        )

    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('booked_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('cancelled_by_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f('fk_bookings_booked_by_id_users'),
            'users',
            ['booked_by_id'],
            ['id'],
            ondelete='SET NULL',
        )
        batch_op.create_foreign_key(
            batch_op.f('fk_bookings_cancelled_by_id_users'),
            'users',
            ['cancelled_by_id'],
            ['id'],
            ondelete='SET NULL',
        )

    _purposes(NEW_PURPOSES)


def downgrade():
    op.execute("DELETE FROM email_links WHERE purpose = 'claim'")
    _purposes(OLD_PURPOSES)

    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f('fk_bookings_cancelled_by_id_users'), type_='foreignkey'
        )
        batch_op.drop_constraint(batch_op.f('fk_bookings_booked_by_id_users'), type_='foreignkey')
        batch_op.drop_column('cancelled_by_id')
        batch_op.drop_column('booked_by_id')

    # Before this revision every account had an address: households recorded without
    # one get an address that can never be delivered to (RFC 2606 reserves .invalid).
    op.execute(
        "UPDATE users SET email = 'household-' || id || '@households.invalid' "
        "WHERE email IS NULL"
    )
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_users_created_by_id_users'), type_='foreignkey')
        batch_op.drop_column('created_by_id')
        batch_op.drop_column('phone')
        batch_op.alter_column('email', existing_type=sa.String(length=254), nullable=False)


def _purposes(new: str) -> None:
    """Replace the check on email_links.purpose (SQLite rebuilds the table to do it)."""
    with op.batch_alter_table('email_links', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_email_links_purpose'), type_='check')
        batch_op.create_check_constraint(batch_op.f('ck_email_links_purpose'), new)
