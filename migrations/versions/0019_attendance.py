"""attendance marks on bookings and appointments; walk-ins; invitations back

Revision ID: 0019
Revises: 0016
Create Date: 2026-12-01 16:30:00

Who came is a fact about a reservation, so it is kept on the booking or appointment
it is about: the mark (attended, late or absent; attended or no-show for counseling),
how many of a booking's seats came, when and by whom it was marked. A booking made
at the door is a walk-in; one let in over the session's capacity records that the
facilitator overrode it. A workshop may invite absent households back by email
(on unless its facilitator turns it off); a family may decline those emails.
"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0019'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('attendance', sa.String(length=10), nullable=True))
        batch_op.add_column(sa.Column('attended_seats', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('attendance_marked_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('attendance_marked_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('walk_in', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column('over_capacity', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.create_foreign_key(batch_op.f('fk_bookings_attendance_marked_by_id_users'), 'users', ['attendance_marked_by_id'], ['id'], ondelete='SET NULL')
        batch_op.create_check_constraint(batch_op.f('ck_bookings_attendance'), "attendance IN ('attended', 'late', 'absent')")
        batch_op.create_check_constraint(batch_op.f('ck_bookings_attended_seats'), 'attended_seats IS NULL OR (attended_seats >= 1 AND attended_seats <= seats)')

    with op.batch_alter_table('appointments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('attendance', sa.String(length=10), nullable=True))
        batch_op.add_column(sa.Column('attendance_marked_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('attendance_marked_by_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_appointments_attendance_marked_by_id_users'), 'users', ['attendance_marked_by_id'], ['id'], ondelete='SET NULL')
        batch_op.create_check_constraint(batch_op.f('ck_appointments_attendance'), "attendance IN ('attended', 'no_show')")

    with op.batch_alter_table('workshops', schema=None) as batch_op:
        batch_op.add_column(sa.Column('invite_back_absent', sa.Boolean(), server_default=sa.true(), nullable=False))

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('invite_back', sa.Boolean(), server_default=sa.true(), nullable=False))


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('invite_back')
    with op.batch_alter_table('workshops', schema=None) as batch_op:
        batch_op.drop_column('invite_back_absent')
    with op.batch_alter_table('appointments', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_appointments_attendance'), type_='check')
        batch_op.drop_constraint(batch_op.f('fk_appointments_attendance_marked_by_id_users'), type_='foreignkey')
        batch_op.drop_column('attendance_marked_by_id')
        batch_op.drop_column('attendance_marked_at')
        batch_op.drop_column('attendance')
    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_bookings_attended_seats'), type_='check')
        batch_op.drop_constraint(batch_op.f('ck_bookings_attendance'), type_='check')
        batch_op.drop_constraint(batch_op.f('fk_bookings_attendance_marked_by_id_users'), type_='foreignkey')
        batch_op.drop_column('over_capacity')
        batch_op.drop_column('walk_in')
        batch_op.drop_column('attendance_marked_by_id')
        batch_op.drop_column('attendance_marked_at')
        batch_op.drop_column('attended_seats')
        batch_op.drop_column('attendance')
