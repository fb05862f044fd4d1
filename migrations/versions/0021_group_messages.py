"""messages to a group: the message, the households it was for, and its emails

Revision ID: 0021
Revises: 0019
Create Date: 2026-12-03 10:00:00

A facilitator writes to the households of a session or of a whole series. The message
is kept (the workshop's history), with the households it was for in a table of their
own: My bookings reads it, and it outlives the outbox rows, which are about sending.
Each household's email is an outbox row that names the message it carries.
"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0021'
down_revision = '0019'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'group_messages',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('workshop_id', sa.Integer(), nullable=False),
        sa.Column('session_id', sa.Integer(), nullable=True),
        sa.Column('author_id', sa.Integer(), nullable=True),
        sa.Column('author_name', sa.String(length=120), nullable=False),
        sa.Column('subject', sa.String(length=100), nullable=False),
        sa.Column('body', sa.Text(), nullable=False),
        sa.Column('include_waitlist', sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column('reply_to_author', sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column('show_title', sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column('recipient_count', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint('recipient_count >= 0', name=op.f('ck_group_messages_recipient_count')),
        sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_group_messages_author_id_users'), ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['session_id'], ['workshop_sessions.id'], name=op.f('fk_group_messages_session_id_workshop_sessions'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['workshop_id'], ['workshops.id'], name=op.f('fk_group_messages_workshop_id_workshops'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_group_messages')),
    )
    with op.batch_alter_table('group_messages', schema=None) as batch_op:
        batch_op.create_index('ix_group_messages_author_created', ['author_id', 'created_at'], unique=False)
        batch_op.create_index('ix_group_messages_workshop_created', ['workshop_id', 'created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_group_messages_session_id'), ['session_id'], unique=False)

    op.create_table(
        'group_message_recipients',
        sa.Column('message_id', sa.Integer(), nullable=False),
        sa.Column('household_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['household_id'], ['users.id'], name=op.f('fk_group_message_recipients_household_id_users'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['message_id'], ['group_messages.id'], name=op.f('fk_group_message_recipients_message_id_group_messages'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('message_id', 'household_id', name=op.f('pk_group_message_recipients')),
    )
    with op.batch_alter_table('group_message_recipients', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_group_message_recipients_household_id'), ['household_id'], unique=False)

    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('group_message_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_outbox_messages_group_message_id'), ['group_message_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_outbox_messages_group_message_id_group_messages'), 'group_messages', ['group_message_id'], ['id'], ondelete='CASCADE')


def downgrade():
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_outbox_messages_group_message_id_group_messages'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_outbox_messages_group_message_id'))
        batch_op.drop_column('group_message_id')

    with op.batch_alter_table('group_message_recipients', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_group_message_recipients_household_id'))
    op.drop_table('group_message_recipients')

    with op.batch_alter_table('group_messages', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_group_messages_session_id'))
        batch_op.drop_index('ix_group_messages_workshop_created')
        batch_op.drop_index('ix_group_messages_author_created')
    op.drop_table('group_messages')
