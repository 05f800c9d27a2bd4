"""demo tokens marked, so that a production instance refuses them; import jobs' owners

`talent demo` issues tokens with documented, guessable texts (demo-employee-token, ...). A
state that began as the demo and is then run with TALENT_ENVIRONMENT=production must refuse
them (serving/auth.py). Tokens issued before this revision carry the demo's label
("demo employee", "demo hr (auditor)", ...): those are marked here.

An import job's row names the process running it (data/storage/imports.py), so that a restart
can tell a job whose process died (marked failed) from one still running in another process.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-05 14:00:00
"""
import sqlalchemy as sa
from alembic import op


revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('api_tokens') as batch:
        batch.add_column(
            sa.Column('demo', sa.Boolean(), nullable=False, server_default=sa.false())
        )
    tokens = sa.table('api_tokens', sa.column('label', sa.String), sa.column('demo', sa.Boolean))
    op.execute(tokens.update().where(tokens.c.label.like('demo %')).values(demo=True))
    with op.batch_alter_table('import_jobs') as batch:
        batch.add_column(sa.Column('owner', sa.String(length=200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('import_jobs') as batch:
        batch.drop_column('owner')
    with op.batch_alter_table('api_tokens') as batch:
        batch.drop_column('demo')
