"""change notifications: PostgreSQL tells every server process what another one wrote

A statement-level trigger on each table that matching or the live models read sends
`NOTIFY talent_changes, '<table>'` when a transaction that wrote it commits (PostgreSQL
delivers notifications at commit, folds duplicates within one transaction, and drops them
for a rollback). Server processes LISTEN (serving/changes.py) and take in just the changed
rows; SQLite has no such thing, and keeps the periodic poll alone.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 22:00:00
"""
from alembic import op


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

CHANNEL = 'talent_changes'
TABLES = (
    'employees',
    'employee_skills',
    'opportunities',
    'opportunity_skills',
    'interactions',
    'pipeline',
    'skills',
    'skill_aliases',
    'model_versions',
)  # policies and overrides are read per request: nothing to notify


def upgrade() -> None:
    if op.get_bind().dialect.name != 'postgresql':
        return
    op.execute(
        f"""
        CREATE OR REPLACE FUNCTION talent_notify_change() RETURNS trigger AS $$
        BEGIN
            PERFORM pg_notify('{CHANNEL}', TG_TABLE_NAME);
            RETURN NULL;
        END;
        $$ LANGUAGE plpgsql
        """
    )
    for table in TABLES:
        op.execute(
            f'CREATE TRIGGER "{table}_notify_change" AFTER INSERT OR UPDATE OR DELETE '
            f'ON "{table}" FOR EACH STATEMENT EXECUTE FUNCTION talent_notify_change()'
        )


def downgrade() -> None:
    if op.get_bind().dialect.name != 'postgresql':
        return
    for table in TABLES:
        op.execute(f'DROP TRIGGER IF EXISTS "{table}_notify_change" ON "{table}"')
    op.execute('DROP FUNCTION IF EXISTS talent_notify_change()')
