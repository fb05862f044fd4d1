"""co-facilitators, a workshop's language, and its text as search reads it

Revision ID: 0016
Revises: 0014
Create Date: 2026-12-02 10:00:00

Several facilitators may share a workshop (``workshop_facilitators``; the lead stays in
``workshops.facilitator_id``), and one of them is told by email (``outbox_messages``
gains the workshop it is about). Each workshop says the language it is held in:
those already there take DEFAULT_LANGUAGE, the best guess there is. The public list
searches title and description with case and accents aside, from ``search_text``,
filled in here for the workshops already there.
"""
import unicodedata

import sqlalchemy as sa
from alembic import op
from flask import current_app


# revision identifiers, used by Alembic.
revision = '0016'
down_revision = '0014'
branch_labels = None
depends_on = None


def _folded(title, description):
    """As ``scheduler.models.workshops.fold`` did when this was written."""
    text = "\n".join(part for part in (title, description) if part).casefold()
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def upgrade():
    op.create_table(
        'workshop_facilitators',
        sa.Column('workshop_id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('added_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('added_by_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['added_by_id'], ['users.id'], name=op.f('fk_workshop_facilitators_added_by_id_users'), ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_workshop_facilitators_user_id_users'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['workshop_id'], ['workshops.id'], name=op.f('fk_workshop_facilitators_workshop_id_workshops'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('workshop_id', 'user_id', name=op.f('pk_workshop_facilitators')),
    )
    with op.batch_alter_table('workshop_facilitators', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_workshop_facilitators_user_id'), ['user_id'], unique=False)

    with op.batch_alter_table('workshops', schema=None) as batch_op:
        batch_op.add_column(sa.Column('language', sa.String(length=16), server_default='en', nullable=False))
        batch_op.add_column(sa.Column('search_text', sa.Text(), server_default='', nullable=False))

    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('workshop_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_outbox_messages_workshop_id'), ['workshop_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_outbox_messages_workshop_id_workshops'), 'workshops', ['workshop_id'], ['id'], ondelete='CASCADE')

    workshops = sa.table(
        'workshops',
        sa.column('id', sa.Integer()),
        sa.column('title', sa.String()),
        sa.column('description', sa.Text()),
        sa.column('language', sa.String()),
        sa.column('search_text', sa.Text()),
    )
    connection = op.get_bind()
    language = current_app.config.get('DEFAULT_LANGUAGE') or 'en'
    if language != 'en':
        connection.execute(sa.update(workshops).values(language=language))
    found = connection.execute(sa.select(workshops.c.id, workshops.c.title, workshops.c.description)).all()
    for workshop_id, title, description in found:
        connection.execute(
            sa.update(workshops)
            .where(workshops.c.id == workshop_id)
            .values(search_text=_folded(title, description))
        )


def downgrade():
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_outbox_messages_workshop_id_workshops'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_outbox_messages_workshop_id'))
        batch_op.drop_column('workshop_id')

    with op.batch_alter_table('workshops', schema=None) as batch_op:
        batch_op.drop_column('search_text')
        batch_op.drop_column('language')

    with op.batch_alter_table('workshop_facilitators', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_workshop_facilitators_user_id'))

    op.drop_table('workshop_facilitators')
