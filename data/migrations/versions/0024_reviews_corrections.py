"""reviews and corrections: a person's requests for a human review of a decision, and their
proposed corrections of HR-owned fields (issue 28, items 3 and 4)

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-06 12:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0024'
down_revision = '0023'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'review_requests',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('employee_external_id', sa.String(length=64), nullable=False),
        sa.Column('opportunity_external_id', sa.String(length=64), nullable=False),
        sa.Column('decision_id', sa.Integer(), nullable=False),
        sa.Column('decision', sa.String(length=40), nullable=False),
        sa.Column('reason', sa.Text(), nullable=False),
        sa.Column('status', sa.String(length=12), nullable=False),
        sa.Column('remedy', sa.Text(), nullable=False),
        sa.Column('answer', sa.Text(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('due_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('decided_by_role', sa.String(length=20), nullable=True),
        sa.Column('decided_by', sa.String(length=64), nullable=True),
        sa.Column('version', sa.Integer(), server_default='1', nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index(
        'ix_review_requests_employee_external_id', 'review_requests', ['employee_external_id']
    )
    op.create_index('ix_review_requests_decision_id', 'review_requests', ['decision_id'])
    op.create_index('ix_review_requests_status', 'review_requests', ['status'])
    op.create_table(
        'data_corrections',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('employee_external_id', sa.String(length=64), nullable=False),
        sa.Column('field', sa.String(length=40), nullable=False),
        sa.Column('current_value', sa.Text(), nullable=True),
        sa.Column('proposed_value', sa.Text(), nullable=True),
        sa.Column('reason', sa.Text(), nullable=False),
        sa.Column('status', sa.String(length=12), nullable=False),
        sa.Column('answer', sa.Text(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('decided_by_role', sa.String(length=20), nullable=True),
        sa.Column('decided_by', sa.String(length=64), nullable=True),
        sa.Column('version', sa.Integer(), server_default='1', nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index(
        'ix_data_corrections_employee_external_id', 'data_corrections', ['employee_external_id']
    )
    op.create_index('ix_data_corrections_status', 'data_corrections', ['status'])


def downgrade() -> None:
    op.drop_table('data_corrections')
    op.drop_table('review_requests')
