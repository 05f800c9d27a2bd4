"""scim provisioning: people deactivated by the HR system, their SCIM names, and groups

An HR system or identity provider provisions people over SCIM 2.0 (serving/scim/): `active`
takes a person out of matching and every pipeline (their history stays); `scim_users` keeps the
userName and the IdP's own id of a person; `scim_groups` and their members are the role groups
an identity provider manages.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-06 02:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('employees') as batch:
        batch.add_column(
            sa.Column('active', sa.Boolean(), server_default=sa.true(), nullable=False)
        )
        batch.add_column(sa.Column('deactivated_at', sa.DateTime(timezone=True), nullable=True))
        batch.create_index('ix_employees_active', ['active'])
    op.create_table(
        'scim_users',
        sa.Column('employee_id', sa.Integer(), nullable=False),
        sa.Column('user_name', sa.String(length=254), nullable=False),
        sa.Column('user_name_key', sa.String(length=254), nullable=False),
        sa.Column('scim_external_id', sa.String(length=254), nullable=True),
        sa.Column('attributes', sa.JSON(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['employee_id'], ['employees.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('employee_id'),
        sa.UniqueConstraint('user_name_key'),
    )
    op.create_index('ix_scim_users_scim_external_id', 'scim_users', ['scim_external_id'])
    op.create_table(
        'scim_groups',
        sa.Column('id', sa.String(length=36), nullable=False),
        sa.Column('display_name', sa.String(length=200), nullable=False),
        sa.Column('display_name_key', sa.String(length=200), nullable=False),
        sa.Column('scim_external_id', sa.String(length=254), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('display_name_key'),
    )
    op.create_table(
        'scim_group_members',
        sa.Column('group_id', sa.String(length=36), nullable=False),
        sa.Column('employee_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['group_id'], ['scim_groups.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['employee_id'], ['employees.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('group_id', 'employee_id'),
    )
    op.create_index(
        'ix_scim_group_members_employee_id', 'scim_group_members', ['employee_id']
    )


def downgrade() -> None:
    op.drop_index('ix_scim_group_members_employee_id', table_name='scim_group_members')
    op.drop_table('scim_group_members')
    op.drop_table('scim_groups')
    op.drop_index('ix_scim_users_scim_external_id', table_name='scim_users')
    op.drop_table('scim_users')
    with op.batch_alter_table('employees') as batch:
        batch.drop_index('ix_employees_active')
        batch.drop_column('deactivated_at')
        batch.drop_column('active')
