"""history_import: reserved (no schema change yet)

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-06 05:00:00
"""

revision = '0022'
down_revision = '0021'
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
