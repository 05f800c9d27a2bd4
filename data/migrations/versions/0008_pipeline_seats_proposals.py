"""the marketplace's workflow: pipeline per pair, seats, steps with who took them, proposals

Pipeline: where each (person, opportunity) pair stands (invited ... completed), the manager's
approval of a large share of working time, the commitment once assigned, both ratings, and
when the lead first saw who the candidate is.
Opportunities: seats taken so far (a conditional update guards the last one), and when each
was first posted (unknown, left empty, for those stored before).
Employees: quiet mode (managers see no applications until an approval is needed; on by
default) and a career target (a role here, or an ESCO occupation).
Interactions: the role and person who took a step, and what they said (reason, note, skills).
Skill proposals: skills completed work showed, waiting for the person to accept them.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 15:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('employees') as batch:
        batch.add_column(sa.Column('quiet_mode', sa.Boolean(), nullable=False, server_default=sa.true()))
        batch.add_column(sa.Column('target_opportunity_external_id', sa.String(length=64), nullable=True))
        batch.add_column(sa.Column('target_occupation_id', sa.String(length=96), nullable=True))
        batch.add_column(sa.Column('target_set_at', sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table('opportunities') as batch:
        batch.add_column(sa.Column('seats_filled', sa.Integer(), nullable=False, server_default='0'))
        batch.add_column(sa.Column('posted_at', sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table('interactions') as batch:
        batch.add_column(sa.Column('actor_role', sa.String(length=20), nullable=True))
        batch.add_column(sa.Column('actor', sa.String(length=64), nullable=True))
        batch.add_column(sa.Column('details', sa.JSON(), nullable=True))
    op.create_table(
        'pipeline',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('employee_external_id', sa.String(length=64), nullable=False, index=True),
        sa.Column('opportunity_external_id', sa.String(length=64), nullable=False),
        sa.Column('stage', sa.String(length=20), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('request_id', sa.String(length=64), nullable=True),
        sa.Column('origin', sa.String(length=12), nullable=False),
        sa.Column('note', sa.Text(), nullable=False),
        sa.Column('reason_code', sa.String(length=20), nullable=True),
        sa.Column('approval', sa.String(length=10), nullable=False),
        sa.Column('approver_external_id', sa.String(length=64), nullable=True, index=True),
        sa.Column('approval_requested_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('approval_decided_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('approval_decided_by', sa.String(length=64), nullable=True),
        sa.Column('approval_reason', sa.Text(), nullable=False),
        sa.Column('hours_per_week', sa.Float(), nullable=True),
        sa.Column('starts_on', sa.Date(), nullable=True),
        sa.Column('ends_on', sa.Date(), nullable=True),
        sa.Column('lead_rating', sa.Integer(), nullable=True),
        sa.Column('employee_rating', sa.Integer(), nullable=True),
        sa.Column('skills_used', sa.JSON(), nullable=True),
        sa.Column('revealed_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint('employee_external_id', 'opportunity_external_id', name='uq_pipeline_pair'),
    )
    op.create_index('ix_pipeline_opportunity_stage', 'pipeline', ['opportunity_external_id', 'stage'])
    op.create_table(
        'skill_proposals',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('employee_external_id', sa.String(length=64), nullable=False, index=True),
        sa.Column('skill_id', sa.String(length=96), sa.ForeignKey('skills.skill_id'), nullable=False),
        sa.Column('level', sa.Integer(), nullable=False),
        sa.Column('opportunity_external_id', sa.String(length=64), nullable=False),
        sa.Column('proposed_by', sa.String(length=64), nullable=False),
        sa.Column('status', sa.String(length=10), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    )


def downgrade() -> None:
    op.drop_table('skill_proposals')
    op.drop_index('ix_pipeline_opportunity_stage', table_name='pipeline')
    op.drop_table('pipeline')
    with op.batch_alter_table('interactions') as batch:
        batch.drop_column('details')
        batch.drop_column('actor')
        batch.drop_column('actor_role')
    with op.batch_alter_table('opportunities') as batch:
        batch.drop_column('posted_at')
        batch.drop_column('seats_filled')
    with op.batch_alter_table('employees') as batch:
        batch.drop_column('target_set_at')
        batch.drop_column('target_occupation_id')
        batch.drop_column('target_opportunity_external_id')
        batch.drop_column('quiet_mode')
