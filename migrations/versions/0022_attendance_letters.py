"""letters of attendance a family asks for, each with the facts it was issued with

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-01 17:00:00

A letter is a statement made at one moment: it keeps its own copy of what it states
(the household's name as printed, the organisation, the wording chosen, the
facilitator's name, the sessions' start times and zone, how many of how many), so its
verification page shows the same facts later whatever changes since. Its code is what
anyone holding it types to check it. A letter outlives its household's account (the
family becomes NULL: "issued, no longer available"), and the family may revoke it.
"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0022'
down_revision = '0021'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'attendance_letters',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('code', sa.String(length=24), nullable=False),
        sa.Column('family_id', sa.Integer(), nullable=True),
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.Column('language', sa.String(length=16), nullable=False),
        sa.Column('holder_name', sa.String(length=120), nullable=False),
        sa.Column('organisation', sa.String(length=200), nullable=False),
        sa.Column('wording', sa.String(length=20), nullable=False),
        sa.Column('title', sa.String(length=200), nullable=False),
        sa.Column('staff_name', sa.String(length=120), nullable=False),
        sa.Column('timezone', sa.String(length=64), nullable=False),
        sa.Column('sessions', sa.JSON(), nullable=False),
        sa.Column('attended', sa.Integer(), nullable=False),
        sa.Column('out_of', sa.Integer(), nullable=False),
        sa.Column('notice', sa.String(length=2000), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("kind IN ('workshop', 'counseling')", name=op.f('ck_attendance_letters_kind')),
        sa.CheckConstraint("wording IN ('discreet', 'family_education', 'title', 'counseling')", name=op.f('ck_attendance_letters_wording')),
        sa.CheckConstraint('attended >= 1 AND attended <= out_of', name=op.f('ck_attendance_letters_counts')),
        sa.ForeignKeyConstraint(['family_id'], ['users.id'], name=op.f('fk_attendance_letters_family_id_users'), ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_attendance_letters')),
        sa.UniqueConstraint('code', name=op.f('uq_attendance_letters_code')),
    )
    with op.batch_alter_table('attendance_letters', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_attendance_letters_family_id'), ['family_id'], unique=False)


def downgrade():
    with op.batch_alter_table('attendance_letters', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_attendance_letters_family_id'))
    op.drop_table('attendance_letters')
