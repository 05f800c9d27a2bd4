"""reserved for single sign-on (issue 25): filled in by the change that needs it (a no-op until then)

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-06 02:00:00
"""

revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
