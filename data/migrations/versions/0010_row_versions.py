"""row versions: employees and opportunities count their writes

Every write of a profile or a posting (an API edit, an import, a merged skill) adds one to
`version`. A writer that read a row before it took the row's lock (data/storage/locks.py)
compares versions to know whether another writer changed it in between, and reads it again
if so: that is how two concurrent edits stay apart instead of mixing their skill lists.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-05 13:00:00
"""
import sqlalchemy as sa
from alembic import op


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

TABLES = ('employees', 'opportunities')


def upgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.add_column(
                sa.Column('version', sa.Integer(), nullable=False, server_default='1')
            )


def downgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.drop_column('version')
