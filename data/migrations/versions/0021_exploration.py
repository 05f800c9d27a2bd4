"""exploration: no schema change (its settings live in the policy row's params); kept so the chain stays linear

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-06 05:00:00
"""

revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
