"""retention and erasure: HR's retention periods, the purges of the oldest audit records and
seals, and the signed redactions an erasure leaves on sealed rows

`retention_policies` holds HR's period per kind of record (a kind without a row keeps the
settings' period). `audit_purges` keeps, per purge, a signed checkpoint of the last record and
seal it deleted: verify walks the remaining chains from there. `audit_redactions` vouches,
with the audit key, for a sealed record or row whose person's ids an erasure pseudonymised
(fairness/audit_log.py, fairness/audit_redaction.py).

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-06 12:10:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0025'
down_revision = '0024'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'retention_policies',
        sa.Column('kind', sa.String(length=40), nullable=False),
        sa.Column('days', sa.Integer(), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_by', sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint('kind'),
    )
    op.create_table(
        'audit_purges',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('actor', sa.String(length=64), nullable=False),
        sa.Column('base', sa.Text(), nullable=False),
        sa.Column('counts', sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_table(
        'audit_redactions',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('stream', sa.String(length=20), nullable=False),
        sa.Column('row_key', sa.Integer(), nullable=False),
        sa.Column('original', sa.String(length=64), nullable=False),
        sa.Column('redacted', sa.String(length=64), nullable=False),
        sa.Column('at', sa.String(length=40), nullable=False),
        sa.Column('signature', sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('stream', 'row_key', name='uq_audit_redactions_row'),
    )


def downgrade() -> None:
    op.drop_table('audit_redactions')
    op.drop_table('audit_purges')
    op.drop_table('retention_policies')
