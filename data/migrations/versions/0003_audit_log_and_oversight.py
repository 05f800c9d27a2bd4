"""audit log and oversight

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 13:16:26.644255
"""
from alembic import op
import sqlalchemy as sa


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('audit_records',
    sa.Column('seq', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('request_id', sa.String(length=64), nullable=False),
    sa.Column('served_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('direction', sa.String(length=20), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('query_external_id', sa.String(length=64), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('prev_hash', sa.String(length=64), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('seq'),
    sa.UniqueConstraint('hash')
    )
    op.create_index(op.f('ix_audit_records_kind'), 'audit_records', ['kind'], unique=False)
    op.create_index(op.f('ix_audit_records_query_external_id'), 'audit_records', ['query_external_id'], unique=False)
    op.create_index(op.f('ix_audit_records_request_id'), 'audit_records', ['request_id'], unique=False)
    op.create_index(op.f('ix_audit_records_served_at'), 'audit_records', ['served_at'], unique=False)
    op.create_table('oversight_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor_role', sa.String(length=20), nullable=False),
    sa.Column('actor', sa.String(length=64), nullable=False),
    sa.Column('action', sa.String(length=20), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=True),
    sa.Column('opportunity_external_id', sa.String(length=64), nullable=True),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('details', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_oversight_events_at'), 'oversight_events', ['at'], unique=False)
    op.create_table('ranking_overrides',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('opportunity_external_id', sa.String(length=64), nullable=False),
    sa.Column('employee_external_id', sa.String(length=64), nullable=False),
    sa.Column('action', sa.String(length=10), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('created_by_role', sa.String(length=20), nullable=False),
    sa.Column('created_by', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_ranking_overrides_opportunity_external_id'), 'ranking_overrides', ['opportunity_external_id'], unique=False)
    op.create_table('ranking_policies',
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('policy', sa.String(length=20), nullable=False),
    sa.Column('params', sa.JSON(), nullable=False),
    sa.Column('paused', sa.Boolean(), nullable=False),
    sa.Column('updated_by', sa.String(length=64), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('kind')
    )


def downgrade() -> None:
    op.drop_table('ranking_policies')
    op.drop_index(op.f('ix_ranking_overrides_opportunity_external_id'), table_name='ranking_overrides')
    op.drop_table('ranking_overrides')
    op.drop_index(op.f('ix_oversight_events_at'), table_name='oversight_events')
    op.drop_table('oversight_events')
    op.drop_index(op.f('ix_audit_records_served_at'), table_name='audit_records')
    op.drop_index(op.f('ix_audit_records_request_id'), table_name='audit_records')
    op.drop_index(op.f('ix_audit_records_query_external_id'), table_name='audit_records')
    op.drop_index(op.f('ix_audit_records_kind'), table_name='audit_records')
    op.drop_table('audit_records')
