"""a posting's closest occupations, for a title that could not be placed

A posting whose title names no occupation clearly enough (and that lists no skills) is stored
all the same, "needs skills": it is matched with nobody until its lead lists skills or picks an
occupation. `occupation_choices` keeps the closest occupations the normaliser found
([{occupation_id, label, score}], best first) for the lead to choose from.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-05 17:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('opportunities') as batch:
        batch.add_column(sa.Column('occupation_choices', sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('opportunities') as batch:
        batch.drop_column('occupation_choices')
