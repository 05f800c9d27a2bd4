"""reserved: filled in by the change that needs it (a no-op until then)

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-05 13:00:00
"""

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
