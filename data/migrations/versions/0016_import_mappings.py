"""import mappings: an uploaded file's columns mapped to the contract's fields, remembered

The admin console reads a CSV or XLSX export's header row, proposes which field each column
fills, and remembers the admin's choice per kind (people or postings) and header row: the next
file with the same columns is mapped the same way.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-05 23:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'import_mappings',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.Column('header_key', sa.String(length=64), nullable=False),
        sa.Column('headers', sa.JSON(), nullable=False),
        sa.Column('mapping', sa.JSON(), nullable=False),
        sa.Column('updated_by', sa.String(length=64), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('kind', 'header_key', name='uq_import_mappings_headers'),
    )


def downgrade() -> None:
    op.drop_table('import_mappings')
