"""how staff see a household: its full name, its first name only, or an alias

Revision ID: 0026
Revises: 0024
Create Date: 2026-12-01 21:00:00

A household chooses how facilitators, counselors and admins see it
(``users.staff_name_choice``: 'full', the default and what every household had until
now; 'first', the first word of its name; 'alias', ``users.alias``). An alias chosen
is never empty (a CHECK), so staff always have a name to call it by.
"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0026'
down_revision = '0024'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('staff_name_choice', sa.String(length=10), server_default='full', nullable=False)
        )
        batch_op.add_column(sa.Column('alias', sa.String(length=60), nullable=True))
        batch_op.create_check_constraint(
            'staff_name_choice', "staff_name_choice IN ('full', 'first', 'alias')"
        )
        batch_op.create_check_constraint(
            'alias_when_chosen',
            "staff_name_choice != 'alias' OR (alias IS NOT NULL AND alias != '')",
        )


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_users_alias_when_chosen'), type_='check')
        batch_op.drop_constraint(batch_op.f('ck_users_staff_name_choice'), type_='check')
        batch_op.drop_column('alias')
        batch_op.drop_column('staff_name_choice')
