"""history_import: no schema change

`talent import history` (data/importing/history.py) marks the events it appends in the
interactions' existing `details` column ({"source": "import", "file": ..., "row": ...}), which
the audit seal covers; a new column would not be (data/storage/audit.py SEALED_COLUMNS), and the
duplicate check reads by the existing (employee, type) index. Kept so the chain stays linear.

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
