"""interleaving: per kind and direction, the registered challenger team-drafted with the live model

An admin turns interleaving on for one opportunity kind and direction with a registered, not
live, model version; lists served from `started_at` with that challenger are counted.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-06 05:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'interleaving_settings',
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.Column('direction', sa.String(length=20), nullable=False),
        sa.Column('challenger_version', sa.String(length=64), nullable=False),
        sa.Column('enabled', sa.Boolean(), nullable=False),
        sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_by', sa.String(length=64), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('kind', 'direction'),
    )


def downgrade() -> None:
    op.drop_table('interleaving_settings')
