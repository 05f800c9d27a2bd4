"""reserved: filled in by the change that needs it (a no-op until then)

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-05 13:00:00
"""

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
