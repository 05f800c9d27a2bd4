"""reserved for scim provisioning (issue 25): filled in by the change that needs it (a no-op until then)

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-06 02:00:00
"""

revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
