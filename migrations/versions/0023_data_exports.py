"""a family's copy of its data, built in the background and downloaded by a secret link

Revision ID: 0023
Revises: 0025
Create Date: 2026-12-01 20:30:00

A family asks for everything Hearth holds about it; the dispatcher builds the zip when
it handles the request's email (an outbox row naming the copy) and keeps it here until
it expires. The link's token is derived from a random salt with the app's secret, as
for emailed links: only the salt and the token's hash are stored. One live request per
family (requested or ready) is a partial unique index.
"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0023'
down_revision = '0025'
branch_labels = None
depends_on = None

_LIVE = sa.text("status IN ('requested', 'ready')")


def upgrade():
    op.create_table(
        'data_exports',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('household_id', sa.Integer(), nullable=False),
        sa.Column('status', sa.String(length=20), nullable=False),
        sa.Column('requested_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('ready_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('expires_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('content', sa.LargeBinary(), nullable=True),
        sa.Column('size', sa.Integer(), nullable=True),
        sa.Column('salt', sa.String(length=64), nullable=False),
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.CheckConstraint("status IN ('requested', 'ready', 'expired')", name=op.f('ck_data_exports_status')),
        sa.ForeignKeyConstraint(['household_id'], ['users.id'], name=op.f('fk_data_exports_household_id_users'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_data_exports')),
        sa.UniqueConstraint('token_hash', name=op.f('uq_data_exports_token_hash')),
    )
    with op.batch_alter_table('data_exports', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_data_exports_household_id'), ['household_id'], unique=False)
        batch_op.create_index('uq_data_exports_live_household', ['household_id'], unique=True, sqlite_where=_LIVE, postgresql_where=_LIVE)
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('data_export_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_outbox_messages_data_export_id'), ['data_export_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_outbox_messages_data_export_id_data_exports'), 'data_exports', ['data_export_id'], ['id'], ondelete='CASCADE')


def downgrade():
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_outbox_messages_data_export_id_data_exports'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_outbox_messages_data_export_id'))
        batch_op.drop_column('data_export_id')
    with op.batch_alter_table('data_exports', schema=None) as batch_op:
        batch_op.drop_index('uq_data_exports_live_household', sqlite_where=_LIVE, postgresql_where=_LIVE)
        batch_op.drop_index(batch_op.f('ix_data_exports_household_id'))
    op.drop_table('data_exports')
