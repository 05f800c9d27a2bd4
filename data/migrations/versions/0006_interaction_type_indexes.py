"""interaction lookups by person or opportunity and event type

The serving path counts acceptances, completions and applications for the ~200 pairs of each
request; indexes by (person, type) and (opportunity, type) skip the impressions, which make up
most of the log.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 12:00:00
"""
from alembic import op


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_interactions_employee_type', 'interactions', ['employee_external_id', 'type'], unique=False)
    op.create_index('ix_interactions_opportunity_type', 'interactions', ['opportunity_external_id', 'type'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_interactions_opportunity_type', table_name='interactions')
    op.drop_index('ix_interactions_employee_type', table_name='interactions')
