"""occupations on people and postings; implied skills; skill aliases; the taxonomy's version

Employees and opportunities: the ESCO occupation inferred from the title (and skills), with
its score and whether it was inferred or set by a person (`declared`).
Opportunity skills: `inferred` marks a skill the occupation implies that the lead has not
confirmed; it is matched on, and never shown as the lead's own.
Skill aliases: a company's own names for a skill ("k8s" -> Kubernetes), managed by admins.
Service metadata: which packaged taxonomy the skills table holds, so a newer one is loaded.
Import jobs: a large bulk import runs in the background; its progress and report are kept
here so that any server process can answer `GET /api/v1/imports/{id}`.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 14:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def _occupation_columns(table: str) -> None:
    with op.batch_alter_table(table) as batch:
        batch.add_column(sa.Column('occupation_id', sa.String(length=96), nullable=True))
        batch.add_column(sa.Column('occupation_label', sa.String(length=300), nullable=True))
        batch.add_column(sa.Column('occupation_score', sa.Float(), nullable=True))
        batch.add_column(sa.Column('occupation_source', sa.String(length=10), nullable=True))


def upgrade() -> None:
    _occupation_columns('employees')
    _occupation_columns('opportunities')
    with op.batch_alter_table('opportunity_skills') as batch:
        batch.add_column(sa.Column('inferred', sa.Boolean(), nullable=False, server_default=sa.false()))
    op.create_table(
        'skill_aliases',
        sa.Column('alias_key', sa.String(length=200), primary_key=True),
        sa.Column('alias', sa.String(length=200), nullable=False),
        sa.Column('skill_id', sa.String(length=96), sa.ForeignKey('skills.skill_id'), nullable=False, index=True),
        sa.Column('created_by', sa.String(length=64), nullable=False, server_default=''),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    )
    op.create_table(
        'import_jobs',
        sa.Column('job_id', sa.String(length=32), primary_key=True),
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.Column('status', sa.String(length=12), nullable=False),
        sa.Column('phase', sa.String(length=40), nullable=False, server_default=''),
        sa.Column('done', sa.Integer(), nullable=False, server_default='0'),
        sa.Column('total', sa.Integer(), nullable=False, server_default='0'),
        sa.Column('created_by', sa.String(length=64), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('result', sa.JSON(), nullable=True),
    )
    op.create_table(
        'service_meta',
        sa.Column('key', sa.String(length=64), primary_key=True),
        sa.Column('value', sa.Text(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table('service_meta')
    op.drop_table('import_jobs')
    op.drop_table('skill_aliases')
    with op.batch_alter_table('opportunity_skills') as batch:
        batch.drop_column('inferred')
    for table in ('opportunities', 'employees'):
        with op.batch_alter_table(table) as batch:
            batch.drop_column('occupation_source')
            batch.drop_column('occupation_score')
            batch.drop_column('occupation_label')
            batch.drop_column('occupation_id')
