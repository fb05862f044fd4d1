"""the households each audit event showed or touched

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-01 20:30:00

An audit event's subject is free text (``session:12``); this table ties each event to
every household whose data it showed or touched (a roster view: every household on the
roster), so a family can read who looked at its data and an admin can filter the trail
by family. A link goes with its event, and with its household's account.
"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0027'
down_revision = '0026'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'audit_event_households',
        sa.Column('event_id', sa.Integer(), nullable=False),
        sa.Column('household_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['event_id'], ['audit_events.id'], name=op.f('fk_audit_event_households_event_id_audit_events'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['household_id'], ['users.id'], name=op.f('fk_audit_event_households_household_id_users'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('event_id', 'household_id', name=op.f('pk_audit_event_households')),
    )
    with op.batch_alter_table('audit_event_households', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_event_households_household_id'), ['household_id'], unique=False)
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_events_actor_id'), ['actor_id'], unique=False)


def downgrade():
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_events_actor_id'))
    with op.batch_alter_table('audit_event_households', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_event_households_household_id'))
    op.drop_table('audit_event_households')
